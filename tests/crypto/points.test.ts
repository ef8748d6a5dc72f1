// Point and scalar validation at the protocol boundary (crypto/points.ts, protocol §4.2):
// every way a compressed G1/G2 encoding can be wrong maps to its own CryptoInputError code,
// and strict hex decoding (crypto/bytes.ts fromHex) refuses every non-canonical text form.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  CryptoInputError, Fr, G1, G2, decodeG1, decodeG2, decodeScalar, encodeScalar, fromHex, g1FromHex, g2FromHex,
  pointToHex, randomScalar, toHex,
} from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';
import { be, g1Enc, g2Enc } from '../helpers/point-encodings.ts';

const { Fp, Fp2 } = bls12_381.fields;


const P = Fp.ORDER;
const G1_B = 4n;
const G2_B = Fp2.create({ c0: 4n, c1: 4n });

/** Does y² = x³ + 4 have a solution in Fp? */
function g1HasY(x: bigint): boolean {
  try {
    Fp.sqrt(Fp.add(Fp.pow(x, 3n), G1_B));
    return true;
  } catch {
    return false;
  }
}

/** Does y² = x³ + 4(1 + u) have a solution in Fp2? */
function g2HasY(c0: bigint, c1: bigint): boolean {
  try {
    const x = Fp2.create({ c0, c1 });
    return Fp2.sqrt(Fp2.add(Fp2.pow(x, 3n), G2_B)) !== undefined;
  } catch {
    return false;
  }
}

/** Smallest x = c0 (c1 = 0) with / without a curve point on E'(Fp2). */
function scanG2(wantPoint: boolean): bigint {
  for (let c0 = 0n; c0 < 100n; c0++) if (g2HasY(c0, 0n) === wantPoint) return c0;
  throw new Error('no x found');
}

/** What these tests need of a G1 or G2 point, so both groups share one table. */
type AnyPoint = {
  equals(o: AnyPoint): boolean;
  negate(): AnyPoint;
  multiply(k: bigint): AnyPoint;
  toBytes(compressed?: boolean): Uint8Array;
};
type Case = { name: string; len: number; decode: (b: Uint8Array) => AnyPoint; gen: AnyPoint; enc: (x: bigint, flags?: number) => Uint8Array };

const cases: readonly Case[] = [
  { name: 'G1', len: 48, decode: decodeG1 as unknown as Case['decode'], gen: G1.BASE as unknown as AnyPoint, enc: (x, f) => g1Enc(x, f) },
  { name: 'G2', len: 96, decode: decodeG2 as unknown as Case['decode'], gen: G2.BASE as unknown as AnyPoint, enc: (x, f) => g2Enc(x, 0n, f) },
];

for (const c of cases) {
  describe(`decode${c.name}`, () => {
    const decode = c.decode;
    const good = c.gen.multiply(123456789n).toBytes(true);

    it('decodes a valid point and re-encodes it to the same bytes', () => {
      expect(decode(good).toBytes(true)).toEqual(good);
    });

    it('round-trips random subgroup points (property)', () => {
      fc.assert(
        fc.property(fc.bigInt(1n, Fr.ORDER - 1n), (k) => {
          const bytes = c.gen.multiply(k).toBytes(true);
          expect(decode(bytes).toBytes(true)).toEqual(bytes);
        }),
        { numRuns: 8 },
      );
    });

    it(`throws BAD_LENGTH for ${c.len - 1} and ${c.len + 1} bytes`, () => {
      expectCode(() => decode(good.slice(1)), 'BAD_LENGTH');
      expectCode(() => decode(new Uint8Array(c.len + 1).fill(0x80)), 'BAD_LENGTH');
    });

    it('throws BAD_LENGTH for the uncompressed encoding', () => {
      expectCode(() => decode(c.gen.toBytes(false)), 'BAD_LENGTH');
    });

    it('throws BAD_TYPE for a non-Uint8Array', () => {
      expectCode(() => decode([...good] as unknown as Uint8Array), 'BAD_TYPE');
      expectCode(() => decode(toHex(good) as unknown as Uint8Array), 'BAD_TYPE');
      expectCode(() => decode(undefined as unknown as Uint8Array), 'BAD_TYPE');
    });

    it('throws POINT_NOT_COMPRESSED when the compression bit is clear', () => {
      const b = good.slice();
      b[0]! &= 0x7f;
      expectCode(() => decode(b), 'POINT_NOT_COMPRESSED');
      expectCode(() => decode(new Uint8Array(c.len)), 'POINT_NOT_COMPRESSED');
    });

    it('throws POINT_IDENTITY for the infinity encoding 0xc0 00…00', () => {
      expectCode(() => decode(c.enc(0n, 0xc0)), 'POINT_IDENTITY');
    });

    it('throws POINT_NOT_CANONICAL for infinity with a nonzero rest', () => {
      const b = c.enc(0n, 0xc0);
      b[c.len - 1] = 1;
      expectCode(() => decode(b), 'POINT_NOT_CANONICAL');
      const b2 = c.enc(0n, 0xc0);
      b2[0]! |= 0x01;
      expectCode(() => decode(b2), 'POINT_NOT_CANONICAL');
    });

    it('throws POINT_NOT_CANONICAL for infinity with the sort flag (0xe0)', () => {
      expectCode(() => decode(c.enc(0n, 0xe0)), 'POINT_NOT_CANONICAL');
    });

    it('throws POINT_NOT_CANONICAL for x = p, x = p + 1 and x = 2^381 − 1', () => {
      for (const x of [P, P + 1n, (1n << 381n) - 1n]) expectCode(() => decode(c.enc(x)), 'POINT_NOT_CANONICAL');
    });

    it('throws POINT_NOT_CANONICAL for x = 4 + p, an on-curve x shifted by p', () => {
      expect(4n + P < 1n << 381n).toBe(true);
      expectCode(() => decode(c.enc(4n + P)), 'POINT_NOT_CANONICAL');
    });
  });
}

describe('decodeG1 curve and subgroup', () => {
  it('throws POINT_NOT_ON_CURVE for an x with no y (x = 1)', () => {
    expect(g1HasY(1n)).toBe(false);
    expectCode(() => decodeG1(g1Enc(1n)), 'POINT_NOT_ON_CURVE');
  });

  it('throws POINT_NOT_IN_SUBGROUP for x = 4, a point on the curve outside G1', () => {
    expect(g1HasY(4n)).toBe(true);
    expectCode(() => decodeG1(g1Enc(4n)), 'POINT_NOT_IN_SUBGROUP');
    expectCode(() => decodeG1(g1Enc(4n, 0xa0)), 'POINT_NOT_IN_SUBGROUP');
  });

  it('throws POINT_NOT_IN_SUBGROUP for x = 0 (the 3-torsion points (0, ±2))', () => {
    expectCode(() => decodeG1(g1Enc(0n)), 'POINT_NOT_IN_SUBGROUP');
  });

  it('every x in 1..40 is either off the curve or outside the subgroup, with the matching code', () => {
    for (let x = 1n; x <= 40n; x++) expectCode(() => decodeG1(g1Enc(x)), g1HasY(x) ? 'POINT_NOT_IN_SUBGROUP' : 'POINT_NOT_ON_CURVE');
  });
});

describe('decodeG2 curve and subgroup', () => {
  it('throws POINT_NOT_ON_CURVE for the smallest x = c0 with no y', () => {
    expectCode(() => decodeG2(g2Enc(scanG2(false), 0n)), 'POINT_NOT_ON_CURVE');
  });

  it('throws POINT_NOT_IN_SUBGROUP for the smallest x = c0 with a curve point (found by scanning)', () => {
    const x = scanG2(true);
    expectCode(() => decodeG2(g2Enc(x, 0n)), 'POINT_NOT_IN_SUBGROUP');
  });

  it('throws POINT_NOT_IN_SUBGROUP for an on-curve point built with fromAffine (no validation), with either sort flag', () => {
    const c0 = scanG2(true);
    const x = Fp2.create({ c0, c1: 0n });
    const y = Fp2.sqrt(Fp2.add(Fp2.pow(x, 3n), G2_B));
    const pt = G2.fromAffine({ x, y });
    expect(pt.isTorsionFree()).toBe(false);
    expect(() => pt.assertValidity()).toThrow(/subgroup/);
    // noble refuses to encode an invalid point, so encode it by hand: x with either sort flag.
    expectCode(() => decodeG2(g2Enc(c0, 0n, 0x80)), 'POINT_NOT_IN_SUBGROUP');
    expectCode(() => decodeG2(g2Enc(c0, 0n, 0xa0)), 'POINT_NOT_IN_SUBGROUP');
  });

  it('throws POINT_NOT_CANONICAL when either coordinate half is ≥ p', () => {
    const c0 = scanG2(true); // on the curve when reduced, so only the range check can refuse it
    expectCode(() => decodeG2(g2Enc(c0 + P, 0n)), 'POINT_NOT_CANONICAL');
    expectCode(() => decodeG2(g2Enc(c0, P)), 'POINT_NOT_CANONICAL');
  });
});

describe('sort flag', () => {
  for (const c of cases) {
    it(`${c.name}: flipping the sort flag decodes to the negated point, and that is its canonical encoding`, () => {
      fc.assert(
        fc.property(fc.bigInt(1n, Fr.ORDER - 1n), (k) => {
          const p = c.gen.multiply(k);
          const flipped = p.toBytes(true);
          flipped[0]! ^= 0x20;
          const q = c.decode(flipped);
          expect(q.equals(p.negate())).toBe(true);
          expect(p.negate().toBytes(true)).toEqual(flipped);
        }),
        { numRuns: 5 },
      );
    });
  }
});

describe('random bytes', () => {
  for (const c of cases) {
    it(`${c.name}: decoding random ${c.len}-byte strings throws only CryptoInputError (property)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: c.len, maxLength: c.len }), (b) => {
          try {
            const p = c.decode(b);
            expect(p.toBytes(true)).toEqual(b);
          } catch (e) {
            expect(e).toBeInstanceOf(CryptoInputError);
          }
        }),
        { numRuns: c.len === 48 ? 60 : 30 },
      );
    });
  }
});

describe('g1FromHex / g2FromHex / pointToHex', () => {
  it('round-trip', () => {
    const p = G1.BASE.multiply(99n);
    const q = G2.BASE.multiply(99n);
    expect(g1FromHex(pointToHex(p)).equals(p)).toBe(true);
    expect(g2FromHex(pointToHex(q)).equals(q)).toBe(true);
  });

  it('refuse upper-case hex (BAD_HEX) and a wrong length (BAD_LENGTH)', () => {
    expectCode(() => g1FromHex(pointToHex(G1.BASE).toUpperCase()), 'BAD_HEX');
    expectCode(() => g2FromHex(pointToHex(G1.BASE)), 'BAD_LENGTH');
  });
});

describe('decodeScalar / encodeScalar', () => {
  it('throws SCALAR_RANGE for 0', () => expectCode(() => decodeScalar(new Uint8Array(32)), 'SCALAR_RANGE'));
  it('throws SCALAR_RANGE for r and for 2^256 − 1', () => {
    expectCode(() => decodeScalar(be(Fr.ORDER, 32)), 'SCALAR_RANGE');
    expectCode(() => decodeScalar(new Uint8Array(32).fill(0xff)), 'SCALAR_RANGE');
  });
  it('accepts 1 and r − 1', () => {
    expect(decodeScalar(be(1n, 32))).toBe(1n);
    expect(decodeScalar(be(Fr.ORDER - 1n, 32))).toBe(Fr.ORDER - 1n);
  });
  it('throws BAD_LENGTH for 31 or 33 bytes and BAD_TYPE for a number', () => {
    expectCode(() => decodeScalar(new Uint8Array(31).fill(1)), 'BAD_LENGTH');
    expectCode(() => decodeScalar(new Uint8Array(33).fill(1)), 'BAD_LENGTH');
    expectCode(() => decodeScalar(5 as unknown as Uint8Array), 'BAD_TYPE');
  });
  it('encodeScalar refuses 0, r and non-bigints with SCALAR_RANGE', () => {
    expectCode(() => encodeScalar(0n), 'SCALAR_RANGE');
    expectCode(() => encodeScalar(Fr.ORDER), 'SCALAR_RANGE');
    expectCode(() => encodeScalar(5 as unknown as bigint), 'SCALAR_RANGE');
  });
  it('round-trips every scalar in [1, r) (property)', () => {
    fc.assert(
      fc.property(fc.bigInt(1n, Fr.ORDER - 1n), (k) => {
        expect(decodeScalar(encodeScalar(k))).toBe(k);
      }),
      { numRuns: 200 },
    );
  });
  it('randomScalar is in [1, r)', () => {
    for (let i = 0; i < 50; i++) {
      const k = randomScalar();
      expect(k >= 1n && k < Fr.ORDER).toBe(true);
    }
  });
});

describe('fromHex', () => {
  it('decodes lowercase even-length hex', () => {
    expect(fromHex('00ff10', 3, 'x')).toEqual(Uint8Array.of(0, 255, 16));
    expect(fromHex('', undefined, 'x')).toEqual(new Uint8Array(0));
  });
  it('throws BAD_HEX for upper case', () => expectCode(() => fromHex('00FF', 2, 'x'), 'BAD_HEX'));
  it('throws BAD_HEX for an odd number of digits', () => expectCode(() => fromHex('abc', undefined, 'x'), 'BAD_HEX'));
  it('throws BAD_HEX for non-hex characters, a 0x prefix and whitespace', () => {
    for (const h of ['zz', '0x00', ' 00', '00\n', '０', '+1']) expectCode(() => fromHex(h, undefined, 'x'), 'BAD_HEX');
  });
  it('throws BAD_LENGTH for the wrong byte length', () => expectCode(() => fromHex('0011', 3, 'x'), 'BAD_LENGTH'));
  it('throws BAD_TYPE for a non-string', () => {
    expectCode(() => fromHex(12, undefined, 'x'), 'BAD_TYPE');
    expectCode(() => fromHex(Uint8Array.of(1), undefined, 'x'), 'BAD_TYPE');
  });
  it('has exactly one text form per byte string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const h = toHex(b);
        expect(fromHex(h, b.length, 'x')).toEqual(b);
        if (/[a-f]/.test(h)) expectCode(() => fromHex(h.toUpperCase(), b.length, 'x'), 'BAD_HEX');
      }),
      { numRuns: 200 },
    );
  });
});
