// verifyBundleAsync (per-cast checks handed to another checker, e.g. worker threads, while the
// other checks run) reports exactly what verifyBundle reports, in the same order, for the valid
// vector bundle and every tampered vector bundle of docs/vectors/bundles-invalid.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCasts, verifyBundle, verifyBundleAsync, type CastChecker } from '../../crypto/index.ts';

const vectors = new URL('../../docs/vectors/', import.meta.url);
const valid = JSON.parse(readFileSync(new URL('bundle.json', vectors), 'utf8')) as unknown;
const invalid = JSON.parse(readFileSync(new URL('bundles-invalid.json', vectors), 'utf8')) as {
  vectors: { name: string; options: { serverKey?: string }; bundle: unknown }[];
};

const inline: CastChecker = async (input) => checkCasts(input);

describe('verifyBundleAsync', () => {
  it('accepts the valid vector bundle, with the same recount as verifyBundle', async () => {
    const a = await verifyBundleAsync(valid, inline);
    expect(a.ok).toBe(true);
    expect(a.tally).toEqual(verifyBundle(valid).tally);
  });

  for (const v of invalid.vectors)
    it(`reports the same failures as verifyBundle for the ${v.name} vector`, async () => {
      const sync = verifyBundle(v.bundle, v.options);
      const async_ = await verifyBundleAsync(v.bundle, inline, v.options);
      expect(async_.ok).toBe(false);
      expect(async_.failures).toEqual(sync.failures);
      expect(async_.tally).toEqual(sync.tally);
    });

  it('reports a checker that fails as MALFORMED instead of throwing', async () => {
    const r = await verifyBundleAsync(valid, async () => {
      throw new Error('worker died');
    });
    expect(r.ok).toBe(false);
    expect(r.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });
});
