// Differential tests of the crypto backends (crypto/backend.ts): every operation of the fast
// backend (mcl-wasm) gives byte-identical results to the reference (@noble/curves) — on the
// RFC 9380 vectors, on the project's vectors, on random inputs (fast-check) — and every
// invalid-point class is refused by both with the same code.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  backend, backendChoice, referenceBackend, useBackend, type PairingBackend,
} from '../../crypto/backend.ts';
import { loadMclBackend } from '../../crypto/backend-mcl.ts';
import {
  CryptoInputError, DST_TOKEN, Fr, G1, G2, fields, fromHex, randomScalar, toHex, utf8,
} from '../../crypto/index.ts';

let fast: PairingBackend;
const ref = referenceBackend;
beforeAll(async () => {
  fast = await loadMclBackend();
});

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
function be(x: bigint, len = 48): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(len * 2, '0'), 'hex'));
}
function g1Enc(x: bigint, flags = 0x80): Uint8Array {
  const b = be(x);
  b[0]! |= flags;
  return b;
}
function g2Enc(c0: bigint, c1: bigint, flags = 0x80): Uint8Array {
  const b = new Uint8Array(96);
  b.set(be(c1), 0);
  b.set(be(c0), 48);
  b[0]! |= flags;
  return b;
}

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
  it('PIAOJUE_CRYPTO names a backend or fast; anything else is an error', () => {
    expect(backendChoice(undefined)).toBe('fast');
    expect(backendChoice('')).toBe('fast');
    expect(backendChoice('reference')).toBe('reference');
    expect(backendChoice('mcl-wasm')).toBe('mcl-wasm');
    expect(() => backendChoice('noble')).toThrow(/PIAOJUE_CRYPTO/);
  });
  it('useBackend switches the backend in use and can force the reference', async () => {
    const before = backend();
    try {
      expect(await useBackend('fast')).toBe('mcl-wasm');
      expect(backend().name).toBe('mcl-wasm');
      expect(await useBackend('reference')).toBe('reference');
      expect(backend()).toBe(referenceBackend);
    } finally {
      await useBackend(before.name);
    }
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
