// Differential tests of the crypto backends (crypto/backend.ts): every operation of the fast
// backend (mcl-wasm) gives byte-identical results to the reference (@noble/curves) — on the
// RFC 9380 vectors, on the project's vectors, on random inputs (fast-check) — and every
// invalid-point class is refused by both with the same code.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  backend, backendChoice, describeBackends, groupBackend, referenceBackend, referenceGroup, useBackend,
  type GroupBackend, type PairingBackend,
} from '../../crypto/backend.ts';
import { loadMclBackend } from '../../crypto/backend-mcl.ts';
import { loadSodiumBackend } from '../../crypto/backend-sodium.ts';
import { g1Enc, g2Enc } from '../helpers/point-encodings.ts';
import {
  CryptoInputError, DST_TOKEN, ELL, Fr, G1, G2, RP, encodeCiphertext, fields, fromHex, randomBytes, randomExponent,
  randomScalar, sealBallot, sumSealedBallots, toHex, tokenHash, utf8, verifySealedBallot, verifySealedBallotWith,
  verifySealedBallots, type BallotShape, type SealContext,
} from '../../crypto/index.ts';

let fast: PairingBackend;
let sodium: GroupBackend;
const ref = referenceBackend;
beforeAll(async () => {
  fast = await loadMclBackend();
  sodium = await loadSodiumBackend();
});

/** Run `f` with the reference backends, then with the fast ones; restore what was in use. */
async function onBoth<T>(f: () => T): Promise<{ reference: T; fast: T }> {
  const before = groupBackend() === null && backend() === referenceBackend ? 'reference' : 'fast';
  try {
    await useBackend('reference');
    const reference = f();
    await useBackend('fast');
    return { reference, fast: f() };
  } finally {
    await useBackend(before);
  }
}

type Outcome = { ok: string } | { code: string };
/** What a decode does: the re-encoded bytes, or the refusal's code. */
function outcome(f: () => { encode(): Uint8Array }): Outcome {
  try {
    return { ok: toHex(f().encode()) };
  } catch (e) {
    if (e instanceof CryptoInputError) return { code: e.code };
    throw e;
  }
}
function decode1(b: PairingBackend, bytes: Uint8Array): Outcome {
  return outcome(() => {
    const p = b.decodeG1(bytes, 'p');
    return { encode: () => b.encodeG1(p) };
  });
}
function decode2(b: PairingBackend, bytes: Uint8Array): Outcome {
  return outcome(() => {
    b.decodeG2(bytes, 'q');
    return { encode: () => bytes };
  });
}

const P = bls12_381.fields.Fp.ORDER;

/** Every invalid-encoding class of protocol §4.2 that tests/crypto/points.test.ts names. */
function invalidG1(): Uint8Array[] {
  const good = G1.BASE.multiply(12345n).toBytes(true);
  const noFlag = good.slice();
  noFlag[0]! &= 0x7f;
  const junkInf = g1Enc(0n, 0xc0);
  junkInf[47] = 1;
  const out = [
    good.slice(1), new Uint8Array(49).fill(0x80), G1.BASE.toBytes(false), noFlag, new Uint8Array(48),
    g1Enc(0n, 0xc0), junkInf, g1Enc(0n, 0xe0), g1Enc(P), g1Enc(P + 1n), g1Enc((1n << 381n) - 1n), g1Enc(4n + P),
    g1Enc(0n), g1Enc(4n, 0xa0),
  ];
  for (let x = 1n; x <= 40n; x++) out.push(g1Enc(x), g1Enc(x, 0xa0));
  return out;
}
function invalidG2(): Uint8Array[] {
  const good = G2.BASE.multiply(777n).toBytes(true);
  const noFlag = good.slice();
  noFlag[0]! &= 0x7f;
  const out = [good.slice(1), G2.BASE.toBytes(false), noFlag, new Uint8Array(96), g2Enc(0n, 0n, 0xc0), g2Enc(0n, 0n, 0xe0), g2Enc(P, 0n), g2Enc(0n, P)];
  for (let x = 0n; x <= 12n; x++) out.push(g2Enc(x, 0n), g2Enc(x, 1n, 0xa0));
  return out;
}

describe('backend selection', () => {
  it('PIAOJUE_CRYPTO is fast or reference (unset means fast); anything else is an error', () => {
    expect(backendChoice(undefined)).toBe('fast');
    expect(backendChoice('')).toBe('fast');
    expect(backendChoice('reference')).toBe('reference');
    expect(() => backendChoice('noble')).toThrow(/PIAOJUE_CRYPTO/);
  });
  it('useBackend switches the backends in use and can force the reference', async () => {
    const { fast: names } = await onBoth(() => ({ pairing: backend().name, group: groupBackend()?.name ?? 'reference' }));
    expect(names).toEqual({ pairing: 'mcl-wasm', group: 'libsodium' });
    expect(describeBackends(names)).toBe('mcl-wasm + libsodium');
    const { reference } = await onBoth(() => [backend(), groupBackend()]);
    expect(reference).toEqual([referenceBackend, null]);
  });
});

describe('hash to G1 (RFC 9380)', () => {
  const h2c = JSON.parse(readFileSync(new URL('../vectors/rfc9380-BLS12381G1_XMD-SHA-256_SSWU_RO_.json', import.meta.url), 'utf8')) as {
    dst: string;
    vectors: { msg: string; P: { x: string; y: string } }[];
  };
  it('the RFC 9380 J.9.1 vectors, on both backends', () => {
    for (const v of h2c.vectors) {
      for (const b of [ref, fast]) {
        const p = b.toReferenceG1(b.hashToG1(utf8(v.msg), h2c.dst)).toAffine();
        expect(p.x).toBe(BigInt(v.P.x));
        expect(p.y).toBe(BigInt(v.P.y));
      }
    }
  });
  it('the project token vectors: M of every vector, then σ = sk·M', () => {
    const tv = JSON.parse(readFileSync(new URL('../../docs/vectors/token.json', import.meta.url), 'utf8')) as {
      vectors: { ballotId: string; token: string; signature: string }[];
    };
    expect(tv.vectors.length).toBeGreaterThan(0);
    for (const v of tv.vectors) {
      const msg = fields(utf8(v.ballotId), fromHex(v.token, 32, 'token'));
      expect(toHex(fast.encodeG1(fast.hashToG1(msg, DST_TOKEN)))).toBe(toHex(ref.encodeG1(ref.hashToG1(msg, DST_TOKEN))));
      expect(toHex(fast.encodeG1(fast.decodeG1(fromHex(v.signature, 48, 'σ'))))).toBe(v.signature);
    }
  });
  it('random messages and DSTs give the same point (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 60 }), (msg, dst) => {
        expect(toHex(fast.encodeG1(fast.hashToG1(msg, dst)))).toBe(toHex(ref.encodeG1(ref.hashToG1(msg, dst))));
      }),
      { numRuns: 40 },
    );
  });
});

describe('decoding: same points, same refusals', () => {
  it('random subgroup points decode to the same bytes and the same reference point (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: Fr.ORDER - 1n }), (k) => {
        const b1 = G1.BASE.multiply(k).toBytes(true);
        expect(decode1(fast, b1)).toEqual({ ok: toHex(b1) });
        expect(fast.toReferenceG1(fast.decodeG1(b1)).toBytes(true)).toEqual(b1);
        const b2 = G2.BASE.multiply(k).toBytes(true);
        expect(decode2(fast, b2)).toEqual(decode2(ref, b2));
      }),
      { numRuns: 25 },
    );
  });
  it('every invalid G1 class is refused by both with the same code', () => {
    for (const bytes of invalidG1()) expect([toHex(bytes), decode1(fast, bytes)]).toEqual([toHex(bytes), decode1(ref, bytes)]);
    for (const bad of [undefined, 'c0', [0x80]] as unknown as Uint8Array[]) expect(decode1(fast, bad)).toEqual({ code: 'BAD_TYPE' });
  });
  it('every invalid G2 class is refused by both with the same code', () => {
    for (const bytes of invalidG2()) expect([toHex(bytes), decode2(fast, bytes)]).toEqual([toHex(bytes), decode2(ref, bytes)]);
  });
  it('random 48- and 96-byte strings with the compression flag get the same verdict (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.uint8Array({ minLength: 96, maxLength: 96 }), (a, b) => {
        a[0] = (a[0]! & 0x3f) | 0x80;
        b[0] = (b[0]! & 0x3f) | 0x80;
        expect(decode1(fast, a)).toEqual(decode1(ref, a));
        expect(decode2(fast, b)).toEqual(decode2(ref, b));
      }),
      { numRuns: 150 },
    );
  });
});

describe('multi-scalar multiplication and pairings', () => {
  it('msm gives the same point as the reference, also with zero scalars and no points (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.bigInt({ min: 1n, max: Fr.ORDER - 1n }), fc.bigInt({ min: 0n, max: Fr.ORDER - 1n })), { maxLength: 9 }), (pairs) => {
        const pts = pairs.map(([k]) => G1.BASE.multiply(k).toBytes(true));
        const ks = pairs.map(([, s]) => s);
        const out = (b: PairingBackend) => b.msmG1(pts.map((p) => b.decodeG1(p)), ks);
        expect(toHex(fast.encodeG1(out(fast)))).toBe(toHex(ref.encodeG1(out(ref))));
        expect(fast.isZeroG1(out(fast))).toBe(ref.isZeroG1(out(ref)));
      }),
      { numRuns: 20 },
    );
  });
  it('pairing products agree: e(a·P, Q)·e(P, −a·Q) = 1, and not for a wrong a (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n, max: Fr.ORDER - 1n }), fc.boolean(), (a, honest) => {
        const P1 = G1.BASE.multiply(randomScalar());
        const aP = P1.multiply(honest ? a : a - 1n).toBytes(true);
        const aQ = G2.BASE.multiply(a).toBytes(true);
        const run = (b: PairingBackend) =>
          b.pairingIsOne([
            { g1: b.decodeG1(aP), g2: b.g2Base() },
            { g1: b.decodeG1(P1.toBytes(true)), g2: b.decodeG2(aQ), negate: true },
          ]);
        expect(run(fast)).toBe(honest);
        expect(run(ref)).toBe(honest);
      }),
      { numRuns: 6 },
    );
  });
});

describe('pairings with and without precomputed lines', () => {
  it('once the cache of G2 lines is full, pairing products on new keys still agree with the reference', () => {
    const keys = Array.from({ length: 70 }, (_, i) => BigInt(i + 2));
    for (const a of keys) fast.decodeG2(G2.BASE.multiply(a).toBytes(true)); // fills the cache (64)
    for (const a of keys.slice(-3)) {
      const P1 = G1.BASE.multiply(randomScalar());
      for (const [k, want] of [[a, true], [a + 1n, false]] as const) {
        const run = (b: PairingBackend) =>
          b.pairingIsOne([
            { g1: b.decodeG1(P1.multiply(k).toBytes(true)), g2: b.g2Base() },
            { g1: b.decodeG1(P1.toBytes(true)), g2: b.decodeG2(G2.BASE.multiply(a).toBytes(true)), negate: true },
          ]);
        expect([run(fast), run(ref)]).toEqual([want, want]);
      }
    }
  });
});

describe('ristretto255 on libsodium', () => {
  const point = () => RP.BASE.multiply(randomExponent()).toBytes();
  it('add, sub, mul and mulBase give the reference bytes, the identity included (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: ELL - 1n }), fc.constantFrom(0, 1, 2), (k, zeroCase) => {
        const a = zeroCase === 1 ? new Uint8Array(32) : point();
        const b = point();
        for (const op of [
          (g: GroupBackend) => g.add(a, b), (g: GroupBackend) => g.sub(a, b), (g: GroupBackend) => g.sub(b, b),
          (g: GroupBackend) => g.mul(a, k), (g: GroupBackend) => g.mul(b, zeroCase === 2 ? 0n : k), (g: GroupBackend) => g.mulBase(k),
        ]) expect(toHex(op(sodium))).toBe(toHex(op(referenceGroup)));
      }),
      { numRuns: 30 },
    );
  });
  it('mul refuses an operand that is not an element, on both', () => {
    const bad = Uint8Array.from({ length: 32 }, () => 0xff).map((x, i) => (i === 31 ? 0x7f : x & 0xfe));
    expect(referenceGroup.isElement(bad)).toBe(false);
    expect(() => sodium.mul(bad, 5n)).toThrow();
    expect(() => referenceGroup.mul(bad, 5n)).toThrow();
  });
  it('isElement agrees with the reference decoding on every class of bad encoding and on random bytes (property)', () => {
    const P = 2n ** 255n - 19n;
    const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
    const classes = [new Uint8Array(32), le(P), le(P + 2n), le(2n ** 255n - 2n), le(1n), le(3n), point(), point().map((x, i) => (i === 0 ? x ^ 1 : x))];
    for (const c of classes) expect([toHex(c), sodium.isElement(c)]).toEqual([toHex(c), referenceGroup.isElement(c)]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
        b[31]! &= 0x7f;
        b[0]! &= 0xfe;
        expect(sodium.isElement(b)).toBe(referenceGroup.isElement(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sealed ballots: the same verdicts equation by equation as batched', () => {
  const shape: BallotShape = { groups: [{ size: 3, min: 1, max: 1 }, { size: 4, min: 0, max: 2 }] };
  const selections = [[0, 1, 0], [1, 0, 1, 0]];
  const electionKey = RP.BASE.multiply(randomExponent()).toBytes();
  const ctxOf = (): SealContext => ({ ballotId: 'b1', electionKey, tokenHash: tokenHash('b1', randomBytes(32)) });
  const ctx = ctxOf();
  const good = sealBallot(ctx, shape, selections);

  /** Every 32-byte field of the wire form changed in three ways: a flipped bit, zeros, ℓ. */
  function tampered(): { name: string; ctx: SealContext; bytes: Uint8Array }[] {
    const out = [{ name: 'good', ctx, bytes: good }];
    for (let off = 0; off < good.length; off += 32) {
      for (const [how, patch] of [['bit', (b: Uint8Array) => (b[off + 5]! ^= 4)], ['zero', (b: Uint8Array) => b.fill(0, off, off + 32)], ['ell', (b: Uint8Array) => b.set(Uint8Array.from({ length: 32 }, (_, i) => Number((ELL >> BigInt(8 * i)) & 0xffn)), off)]] as const) {
        const b = good.slice();
        patch(b);
        out.push({ name: `${how}@${off}`, ctx, bytes: b });
      }
    }
    out.push({ name: 'other token hash', ctx: ctxOf(), bytes: good });
    out.push({ name: 'other ballot', ctx: { ...ctx, ballotId: 'b2' }, bytes: good });
    out.push({ name: 'other key', ctx: { ...ctx, electionKey: RP.BASE.multiply(randomExponent()).toBytes() }, bytes: good });
    out.push({ name: 'short', ctx, bytes: good.subarray(32) });
    return out;
  }

  it('a valid ballot verifies on both, and with the reference group equation by equation', async () => {
    const v = await onBoth(() => verifySealedBallot(ctx, shape, good));
    expect(v).toEqual({ reference: true, fast: true });
    expect(verifySealedBallotWith(referenceGroup, ctx, shape, good)).toBe(true);
    expect(verifySealedBallotWith(sodium, ctx, shape, good)).toBe(true);
  });
  it('every tampered field and every wrong context is refused by both', async () => {
    const cases = tampered();
    const v = await onBoth(() => cases.map((c) => [c.name, verifySealedBallot(c.ctx, shape, c.bytes)]));
    expect(v.fast).toEqual(v.reference);
    expect(v.reference.filter(([, ok]) => ok)).toEqual([['good', true]]);
  }, 120_000);
  it('verifySealedBallots names the same bad ballots, and the sums are the same bytes', async () => {
    const items = Array.from({ length: 6 }, () => {
      const c = ctxOf();
      return { ctx: c, bytes: sealBallot(c, shape, selections) };
    });
    items[2] = { ...items[2]!, bytes: items[3]!.bytes };
    const flipped = items[4]!.bytes.slice();
    flipped[100]! ^= 1;
    items[4] = { ...items[4]!, bytes: flipped };
    const v = await onBoth(() => verifySealedBallots(shape, items));
    expect(v).toEqual({ reference: [2, 4], fast: [2, 4] });
    const sums = await onBoth(() => sumSealedBallots(shape, items.map((i) => i.bytes)).map((c) => toHex(encodeCiphertext(c))));
    expect(sums.fast).toEqual(sums.reference);
    const bad = items[0]!.bytes.slice();
    bad.fill(0, 0, 32);
    const codes = await onBoth(() => {
      try {
        sumSealedBallots(shape, [bad]);
        return 'accepted';
      } catch (e) {
        return (e as CryptoInputError).code;
      }
    });
    expect(codes).toEqual({ reference: 'POINT_IDENTITY', fast: 'POINT_IDENTITY' });
  });
});
