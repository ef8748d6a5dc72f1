// A scrutineer device's signed issuance log (crypto/issuance-log.ts, protocol §4.10): the hash
// chain and its signed head, every tampering refused, strict parsing, and the token bounds
// checked against a brute-force maximum over small cases.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, utf8 } from '../../crypto/index.ts';
import { generateDeviceKey, type DeviceKey } from '../../crypto/ceremony.ts';
import { DST_ISSUANCE_LOG } from '../../crypto/dst.ts';
import { message, u32be } from '../../crypto/encoding.ts';
import {
  MAX_LOG_ENTRIES, logHead, memberBounds, parseIssuanceLog, signIssuanceLog, tokensBound, verifyIssuanceLog, type IssuanceLog,
} from '../../crypto/issuance-log.ts';
import { expectCode } from '../helpers/expect-code.ts';

const BALLOT = 'ballot-l';
const dev = [1, 2, 3].map((i) => generateDeviceKey(i, `device ${i}`, new Uint8Array(32).fill(i)));
const key = (i: number): DeviceKey => dev[i - 1]!.key;
const pub = (i: number) => fromHex(key(i).signingKey, 32, 'key');
const sign = (i: number, entries: string[], ballot = BALLOT) => signIssuanceLog(ballot, i, dev[i - 1]!.secret.signingSecret, pub(i), entries);

function flip(h: string): string {
  return (h[0] === '0' ? '1' : '0') + h.slice(1);
}

describe('logHead', () => {
  it('is the hash chain of §4.10', () => {
    let h = sha256(message(DST_ISSUANCE_LOG, utf8(BALLOT), u32be(2), pub(2)));
    expect(logHead(BALLOT, 2, pub(2), [])).toEqual(h);
    for (const id of ['m1', 'm2', 'm1']) h = sha256(message(DST_ISSUANCE_LOG, h, utf8(id)));
    expect(logHead(BALLOT, 2, pub(2), ['m1', 'm2', 'm1'])).toEqual(h);
  });
  it('refuses bad ids, device indices and keys', () => {
    expectCode(() => logHead('a b', 1, pub(1), []), 'BAD_VALUE');
    expectCode(() => logHead(BALLOT, 0, pub(1), []), 'BAD_VALUE');
    expectCode(() => logHead(BALLOT, 16, pub(1), []), 'BAD_VALUE');
    expectCode(() => logHead(BALLOT, 1, new Uint8Array(31), []), 'BAD_LENGTH');
    expectCode(() => logHead(BALLOT, 1, pub(1), ['ok', 'not ok']), 'BAD_VALUE');
    expectCode(() => logHead(BALLOT, 1, pub(1), 'x' as unknown as string[]), 'BAD_TYPE');
  });
});

describe('signIssuanceLog / verifyIssuanceLog', () => {
  it('round-trips for the attendance log (count 0) and after each issuance, re-issues included', () => {
    const entries: string[] = [];
    expect(verifyIssuanceLog(BALLOT, key(1), sign(1, entries))).toBe(true);
    for (const id of ['m1', 'm2', 'm3', 'm2']) {
      entries.push(id);
      const log = sign(1, entries);
      expect(log.entries).toEqual(entries);
      expect(verifyIssuanceLog(BALLOT, key(1), log)).toBe(true);
      expect(verifyIssuanceLog(BALLOT, key(1), JSON.parse(JSON.stringify(log)))).toBe(true);
    }
  });

  it('refuses a tampered entry, count, signature, device or ballot', () => {
    const log = sign(2, ['m1', 'm2', 'm3']);
    const bad: [string, IssuanceLog, string, DeviceKey][] = [
      ['entry changed', { ...log, entries: ['m1', 'mX', 'm3'] }, BALLOT, key(2)],
      ['entry dropped (count)', { ...log, entries: ['m1', 'm2'] }, BALLOT, key(2)],
      ['entry added (count)', { ...log, entries: [...log.entries, 'm4'] }, BALLOT, key(2)],
      ['entries reordered', { ...log, entries: ['m2', 'm1', 'm3'] }, BALLOT, key(2)],
      ['signature', { ...log, signature: flip(log.signature) }, BALLOT, key(2)],
      ['device field', { ...log, device: 3 }, BALLOT, key(3)],
      ['device key', log, BALLOT, { ...key(2), signingKey: key(3).signingKey }],
      ['device index', log, BALLOT, key(1)],
      ['ballot', log, 'ballot-other', key(2)],
    ];
    for (const [, l, ballot, k] of bad) expect(verifyIssuanceLog(ballot, k, l)).toBe(false);
    // A log signed for another count or device does not verify as this one.
    expect(verifyIssuanceLog(BALLOT, key(2), { ...sign(2, ['m1', 'm2']), entries: log.entries })).toBe(false);
  });

  it('never throws on malformed input', () => {
    const log = sign(1, ['m1']);
    for (const junk of [null, 5, 'x', {}, { ...log, extra: 1 }, { ...log, entries: [1] }, { ...log, signature: 'AB' }])
      expect(verifyIssuanceLog(BALLOT, key(1), junk as IssuanceLog)).toBe(false);
    expect(verifyIssuanceLog('bad id', key(1), log)).toBe(false);
    expect(verifyIssuanceLog(BALLOT, null as unknown as DeviceKey, log)).toBe(false);
    expect(verifyIssuanceLog(BALLOT, { ...key(1), signingKey: 'zz' }, log)).toBe(false);
  });

  it('refuses to sign with a key that is not the secret’s', () => {
    expectCode(() => signIssuanceLog(BALLOT, 1, dev[0]!.secret.signingSecret, pub(2), []), 'BAD_VALUE');
    expectCode(() => signIssuanceLog(BALLOT, 1, new Uint8Array(31), pub(1), []), 'BAD_LENGTH');
  });
});

describe('parseIssuanceLog', () => {
  const log = sign(1, ['m1', 'm2']);
  it('accepts exactly the shape and copies it', () => {
    const p = parseIssuanceLog(JSON.parse(JSON.stringify(log)));
    expect(p).toEqual(log);
    expect(Object.isFrozen(p.entries)).toBe(true);
  });
  it('refuses everything else with its code', () => {
    expectCode(() => parseIssuanceLog(null), 'BAD_TYPE');
    expectCode(() => parseIssuanceLog([]), 'BAD_TYPE');
    expectCode(() => parseIssuanceLog({ ...log, extra: 1 }), 'BAD_VALUE');
    expectCode(() => parseIssuanceLog({ device: 1, entries: [] }), 'BAD_VALUE');
    expectCode(() => parseIssuanceLog({ ...log, device: 0 }), 'BAD_VALUE');
    expectCode(() => parseIssuanceLog({ ...log, device: '1' }), 'BAD_VALUE');
    expectCode(() => parseIssuanceLog({ ...log, entries: 'm1' }), 'BAD_TYPE');
    expectCode(() => parseIssuanceLog({ ...log, entries: ['m 1'] }), 'BAD_VALUE');
    expectCode(() => parseIssuanceLog({ ...log, entries: Array(MAX_LOG_ENTRIES + 1).fill('m') }), 'BAD_LENGTH');
    expectCode(() => parseIssuanceLog({ ...log, signature: log.signature.toUpperCase() }), 'BAD_HEX');
    expectCode(() => parseIssuanceLog({ ...log, signature: log.signature.slice(2) }), 'BAD_LENGTH');
  });
  it('accepts 100 000 entries', () => {
    expect(parseIssuanceLog({ ...log, entries: Array(MAX_LOG_ENTRIES).fill('m') }).entries).toHaveLength(MAX_LOG_ENTRIES);
  });
});

// ---- bounds ---------------------------------------------------------------------------------

/**
 * The true maximum number of tokens: each token is a t-subset of devices (its t partial
 * signers), device j is in at most caps[j] tokens. Depth-first over multisets of subsets.
 */
function bruteMax(caps: readonly number[], t: number): number {
  const n = caps.length;
  const subsets: number[][] = [];
  const rec = (start: number, cur: number[]) => {
    if (cur.length === t) return void subsets.push([...cur]);
    for (let j = start; j < n; j++) rec(j + 1, [...cur, j]);
  };
  rec(0, []);
  const left = [...caps];
  let best = 0;
  const dfs = (from: number, k: number) => {
    best = Math.max(best, k);
    for (let s = from; s < subsets.length; s++) {
      const set = subsets[s]!;
      if (set.some((j) => left[j]! === 0)) continue;
      for (const j of set) left[j]!--;
      dfs(s, k + 1);
      for (const j of set) left[j]!++;
    }
  };
  dfs(0, 0);
  return best;
}

describe('tokensBound', () => {
  it('edge cases', () => {
    expect(tokensBound([5, 5, 5], 2)).toBe(7);
    expect(tokensBound([3, 1, 0], 1)).toBe(4); // t = 1: every signature is a token
    expect(tokensBound([3, null, 0], 1)).toBe(Infinity);
    expect(tokensBound([null, null, 4], 2)).toBe(Infinity); // t logs missing: unbounded
    expect(tokensBound([3, 3, null], 2)).toBe(6);
    expect(tokensBound([0, 0, 0], 2)).toBe(0);
    expect(tokensBound([10, 0, 0], 2)).toBe(0); // one device alone gives nothing
    expect(tokensBound([10, 1, 0], 2)).toBe(1);
    expect(tokensBound([], 1)).toBe(0);
    expect(tokensBound([5, 5], 3)).toBe(0); // fewer devices than t
    expect(tokensBound([null, null], 3)).toBe(0);
    expect(tokensBound([1, 1, 1], 3)).toBe(1);
    expect(tokensBound([2 ** 40, 2 ** 40, 2 ** 40], 3)).toBe(2 ** 40);
  });

  it('refuses bad counts and thresholds', () => {
    expectCode(() => tokensBound([1, -1], 1), 'BAD_VALUE');
    expectCode(() => tokensBound([1.5], 1), 'BAD_VALUE');
    expectCode(() => tokensBound(['1' as unknown as number], 1), 'BAD_VALUE');
    expectCode(() => tokensBound([1], 0), 'BAD_VALUE');
    expectCode(() => tokensBound([1], 16), 'BAD_VALUE');
    expectCode(() => tokensBound(Array(16).fill(1), 2), 'BAD_LENGTH');
    expectCode(() => tokensBound('x' as unknown as [], 2), 'BAD_TYPE');
  });

  it('equals the brute-force maximum over small cases, missing logs included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        (counts, t) => {
          const bound = tokensBound(counts, t);
          const nulls = counts.filter((c) => c === null).length;
          if (nulls >= t) return void expect(bound).toBe(Infinity);
          // An unbounded device is used at most once per token, and each token needs a bounded device.
          const sum = counts.reduce<number>((s, c) => s + (c ?? 0), 0);
          expect(bound).toBe(bruteMax(counts.map((c) => c ?? sum), t));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('memberBounds', () => {
  it('bounds each member by its per-device counts; a missing log is unbounded', () => {
    const logs = [sign(1, ['a', 'b', 'a']), sign(2, ['a', 'b']), sign(3, ['c'])];
    const m = memberBounds(logs, 2);
    expect(m).toEqual(new Map([['a', tokensBound([2, 1, 0], 2)], ['b', 1], ['c', 0]]));
    expect(m.get('a')).toBe(1);
    const missing = memberBounds([logs[0]!, null, logs[2]!], 2);
    expect(missing.get('a')).toBe(2); // min(2,k) + k ≥ 2k
    expect(missing.get('c')).toBe(1);
    expect(missing.has('zz')).toBe(false);
    expect(memberBounds([null, null, logs[2]!], 2).get('c')).toBe(Infinity);
    expect(memberBounds([logs[0]!], 1).get('a')).toBe(2);
  });

  it('agrees with tokensBound on the per-member counts (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.array(fc.constantFrom<string>('a', 'b', 'c'), { maxLength: 6 }), { freq: 4 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (lists, t) => {
          const logs = lists.map((l, k) => (l === null ? null : ({ device: k + 1, entries: l, signature: '' } as IssuanceLog)));
          const m = memberBounds(logs, t);
          for (const id of ['a', 'b', 'c']) {
            const counts = lists.map((l) => (l === null ? null : l.filter((x) => x === id).length));
            if (lists.some((l) => l?.includes(id))) expect(m.get(id)).toBe(tokensBound(counts, t));
            else expect(m.has(id)).toBe(false);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a log in the wrong place', () => {
    expectCode(() => memberBounds([sign(2, [])], 1), 'BAD_VALUE');
    expectCode(() => memberBounds('x' as unknown as [], 1), 'BAD_TYPE');
    expectCode(() => memberBounds([null], 0), 'BAD_VALUE');
  });
});
