// verifyBundle2Async (per-cast checks handed to another checker, e.g. worker threads, while the
// other checks run) reports exactly what verifyBundle2 reports, in the same order, for the valid
// vector bundle and every tampered vector bundle of docs/vectors/bundles-invalid.json.
//
// The vectors pin the final piaojue/2 token tags; until v1 is deleted dst.ts is given its final
// values here (see tests/crypto/vectors.test.ts). After the rename the mock changes nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { checkCasts, verifyBundle2, verifyBundle2Async, type CastChecker } from '../../crypto/index.ts';

vi.mock('../../crypto/dst.ts', async (orig) => {
  const m = await orig<typeof import('../../crypto/dst.ts')>();
  return { ...m, DST_TOKEN: m.DST_TOKEN_2, DST_TOKEN_HASH: m.DST_TOKEN_HASH_2 };
});

const vectors = new URL('../../docs/vectors/', import.meta.url);
const valid = JSON.parse(readFileSync(new URL('bundle.json', vectors), 'utf8')) as unknown;
const invalid = JSON.parse(readFileSync(new URL('bundles-invalid.json', vectors), 'utf8')) as {
  vectors: { name: string; options: { serverKey?: string }; bundle: unknown }[];
};

const inline: CastChecker = async (input) => checkCasts(input);

describe('verifyBundle2Async', () => {
  it('accepts the valid vector bundle, with the same recount as verifyBundle2', async () => {
    const a = await verifyBundle2Async(valid, inline);
    expect(a.ok).toBe(true);
    expect(a.tally).toEqual(verifyBundle2(valid).tally);
  });

  for (const v of invalid.vectors)
    it(`reports the same failures as verifyBundle2 for the ${v.name} vector`, async () => {
      const sync = verifyBundle2(v.bundle, v.options);
      const async_ = await verifyBundle2Async(v.bundle, inline, v.options);
      expect(async_.ok).toBe(false);
      expect(async_.failures).toEqual(sync.failures);
      expect(async_.tally).toEqual(sync.tally);
    });

  it('reports a checker that fails as MALFORMED instead of throwing', async () => {
    const r = await verifyBundle2Async(valid, async () => {
      throw new Error('worker died');
    });
    expect(r.ok).toBe(false);
    expect(r.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });
});
