// Threshold blind BLS issuance (crypto/threshold.ts, protocol §4.7): t-of-n sharing → blind →
// t partial signatures → check each → combine → unblind → verify under the joint key; fewer
// than t partials give nothing; every t-subset works; Feldman public shares; every refusal code.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  Fr, G1, G2, blindToken, decodeG2, unblindSignature, verifyToken, tokenPoint, type G2Point,
} from '../../crypto/index.ts';
import { BASE, ELL, RP, randomExponent } from '../../crypto/group.ts';
import { evalPolynomial, lagrangeAtZero } from '../../crypto/shamir.ts';
import { randomScalar } from '../../crypto/points.ts';
import {
  MAX_DEVICES, combinePartials, partialSign, publicShareElement, publicShareG2, verifyPartial,
} from '../../crypto/threshold.ts';
import { expectCode } from '../helpers/expect-code.ts';

const BALLOT = 'ballot-t';

/** A dealer's t-of-n sharing of a fresh token key: shares s_j = f(j), public shares, Feldman commitments. */
function shareKey(n: number, t: number) {
  const coeffs = Array.from({ length: t }, randomScalar);
  const shares = Array.from({ length: n }, (_, k) => evalPolynomial(coeffs, BigInt(k + 1), Fr.ORDER));
  const commitments = coeffs.map((a) => G2.BASE.multiply(a));
  return {
    sk: coeffs[0]!,
    pk: commitments[0]!.toBytes(true),
    shares,
    publicShares: shares.map((s) => G2.BASE.multiply(s).toBytes(true)),
    commitments,
  };
}

/** All k-subsets of 1…n. */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n])];
}

describe('full path: sharing → blind → t partials → combine → unblind → verify', () => {
  for (const [n, t] of [[3, 2], [5, 3], [1, 1], [4, 4]] as const) {
    it(`works for every ${t}-subset of ${n} devices, and no ${t - 1}-subset gives a signature`, () => {
      const key = shareKey(n, t);
      const state = blindToken(BALLOT);
      const partials = key.shares.map((s, k) => ({ index: k + 1, partial: partialSign(s, state.blinded) }));
      partials.forEach((p, k) => expect(verifyPartial(key.publicShares[k]!, state.blinded, p.partial)).toBe(true));
      const want = tokenPoint(BALLOT, state.token).multiply(key.sk).toBytes(true);
      for (const set of subsets(n, t)) {
        const combined = combinePartials(set.map((j) => partials[j - 1]!));
        const sigma = unblindSignature(state, combined, key.pk);
        expect(verifyToken(key.pk, BALLOT, state.token, sigma)).toBe(true);
        expect(sigma).toEqual(want);
      }
      if (t > 1)
        for (const set of subsets(n, t - 1)) {
          const combined = combinePartials(set.map((j) => partials[j - 1]!));
          expectCode(() => unblindSignature(state, combined, key.pk), 'BAD_SIGNATURE');
        }
    });
  }

  it('gives the same S′ = sk·B for any t-subset, in any order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 6 }), fc.integer(), (n, dt, salt) => {
        const t = Math.max(1, n - dt);
        const key = shareKey(n, t);
        const state = blindToken(BALLOT);
        const partials = key.shares.map((s, k) => ({ index: k + 1, partial: partialSign(s, state.blinded) }));
        const all = subsets(n, t);
        const set = all[Math.abs(salt) % all.length]!;
        const order = [...set].sort((a, b) => ((a * 7919 + salt) % 13) - ((b * 7919 + salt) % 13));
        const combined = combinePartials(order.map((j) => partials[j - 1]!));
        const B = G1.fromBytes(state.blinded);
        expect(combined).toEqual(B.multiply(key.sk).toBytes(true));
      }),
      { numRuns: 12 },
    );
  });

  it('is not fooled by one bad partial: verifyPartial catches it and the combination does not verify', () => {
    const key = shareKey(3, 2);
    const state = blindToken(BALLOT);
    const good = partialSign(key.shares[0]!, state.blinded);
    const bad = partialSign(Fr.add(key.shares[1]!, 1n), state.blinded);
    expect(verifyPartial(key.publicShares[1]!, state.blinded, bad)).toBe(false);
    expectCode(() => unblindSignature(state, combinePartials([{ index: 1, partial: good }, { index: 2, partial: bad }]), key.pk), 'BAD_SIGNATURE');
  });
});

describe('Lagrange interpolation at zero (shamir.ts) as used by combinePartials', () => {
  it('recovers f(0) from any t of n shares, over r and over ℓ (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_DEVICES }),
        fc.array(fc.bigInt(0n, Fr.ORDER - 1n), { minLength: 1, maxLength: 6 }),
        fc.infiniteStream(fc.boolean()),
        (n, coeffs, picks) => {
          const t = Math.min(coeffs.length, n);
          const poly = coeffs.slice(0, t);
          const it = picks[Symbol.iterator]();
          const chosen: number[] = [];
          for (let j = 1; j <= n && chosen.length < t; j++) if (n - j < t - chosen.length || it.next().value) chosen.push(j);
          for (const order of [Fr.ORDER, ELL]) {
            const p = poly.map((c) => c % order);
            const sum = chosen.reduce((acc, j) => (acc + lagrangeAtZero(chosen, j, order) * evalPolynomial(p, BigInt(j), order)) % order, 0n);
            expect(sum).toBe(p[0]);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('verifyPartial', () => {
  const key = shareKey(3, 2);
  const state = blindToken(BALLOT);
  const partial = partialSign(key.shares[0]!, state.blinded);

  it('accepts the right partial and refuses another device’s share key, another blinded point or a bad partial', () => {
    expect(verifyPartial(key.publicShares[0]!, state.blinded, partial)).toBe(true);
    expect(verifyPartial(key.publicShares[1]!, state.blinded, partial)).toBe(false);
    expect(verifyPartial(key.publicShares[0]!, blindToken(BALLOT).blinded, partial)).toBe(false);
    expect(verifyPartial(key.publicShares[0]!, state.blinded, state.blinded)).toBe(false);
  });

  it('never throws on malformed input', () => {
    const junk: unknown[] = [undefined, null, 5, 'ab', new Uint8Array(0), new Uint8Array(48), new Uint8Array(96), new Uint8Array(48).fill(0xff)];
    for (const a of junk)
      for (const f of [
        () => verifyPartial(a as Uint8Array, state.blinded, partial),
        () => verifyPartial(key.publicShares[0]!, a as Uint8Array, partial),
        () => verifyPartial(key.publicShares[0]!, state.blinded, a as Uint8Array),
      ])
        expect(f()).toBe(false);
  });
});

describe('partialSign refusals', () => {
  const B = blindToken(BALLOT).blinded;
  it('SCALAR_RANGE for a share 0, ≥ r, negative or not a bigint', () => {
    for (const s of [0n, Fr.ORDER, Fr.ORDER + 1n, -1n, 5 as unknown as bigint]) expectCode(() => partialSign(s, B), 'SCALAR_RANGE');
  });
  it('checks the blinded point per §4.2', () => {
    expectCode(() => partialSign(1n, new Uint8Array(47)), 'BAD_LENGTH');
    expectCode(() => partialSign(1n, 'ab' as unknown as Uint8Array), 'BAD_TYPE');
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    expectCode(() => partialSign(1n, inf), 'POINT_IDENTITY');
    expectCode(() => partialSign(1n, B.map((b, k) => (k === 0 ? b & 0x7f : b))), 'POINT_NOT_COMPRESSED');
  });
});

describe('combinePartials refusals', () => {
  const key = shareKey(3, 2);
  const state = blindToken(BALLOT);
  const ps = key.shares.map((s, k) => ({ index: k + 1, partial: partialSign(s, state.blinded) }));
  it('BAD_VALUE for a repeated index', () => expectCode(() => combinePartials([ps[0]!, ps[0]!]), 'BAD_VALUE'));
  it('BAD_VALUE for an index 0, 16, negative, fractional or not a number', () => {
    for (const index of [0, MAX_DEVICES + 1, -1, 1.5, NaN, '1' as unknown as number])
      expectCode(() => combinePartials([{ index, partial: ps[0]!.partial }]), 'BAD_VALUE');
  });
  it('BAD_LENGTH for none or more than 15', () => {
    expectCode(() => combinePartials([]), 'BAD_LENGTH');
    expectCode(() => combinePartials(Array.from({ length: 16 }, (_, k) => ({ index: k + 1, partial: ps[0]!.partial }))), 'BAD_LENGTH');
  });
  it('BAD_TYPE for a non-array or non-object entry', () => {
    expectCode(() => combinePartials('x' as unknown as []), 'BAD_TYPE');
    expectCode(() => combinePartials([null as unknown as { index: number; partial: Uint8Array }]), 'BAD_TYPE');
  });
  it('POINT_* / BAD_LENGTH for a partial that does not decode', () => {
    expectCode(() => combinePartials([{ index: 1, partial: new Uint8Array(48) }]), 'POINT_NOT_COMPRESSED');
    expectCode(() => combinePartials([{ index: 1, partial: new Uint8Array(47) }]), 'BAD_LENGTH');
  });
  it('POINT_IDENTITY when the partials cancel', () => {
    // λ_1 = 2, λ_2 = −1 for {1, 2}: partials P and 2P cancel.
    const P = G1.fromBytes(ps[0]!.partial);
    expectCode(() => combinePartials([{ index: 1, partial: P.toBytes(true) }, { index: 2, partial: P.double().toBytes(true) }]), 'POINT_IDENTITY');
  });
});

describe('Feldman public shares', () => {
  it('publicShareG2 gives s_j·g2 for every device; publicShareElement gives x_j·G (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: MAX_DEVICES }), (t, j) => {
        const key = shareKey(MAX_DEVICES, t);
        expect(publicShareG2(key.commitments, j).equals(decodeG2(key.publicShares[j - 1]!))).toBe(true);
        const b = Array.from({ length: t }, randomExponent);
        const x = evalPolynomial(b, BigInt(j), ELL);
        expect(publicShareElement(b.map((c) => BASE.multiply(c)), j).equals(x === 0n ? RP.ZERO : BASE.multiply(x))).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('refuses bad indices, empty or too long lists, and points of the wrong group', () => {
    const C: G2Point[] = [G2.BASE];
    expectCode(() => publicShareG2(C, 0), 'BAD_VALUE');
    expectCode(() => publicShareG2(C, 16), 'BAD_VALUE');
    expectCode(() => publicShareG2([], 1), 'BAD_LENGTH');
    expectCode(() => publicShareG2(Array(16).fill(G2.BASE), 1), 'BAD_LENGTH');
    expectCode(() => publicShareG2([BASE as unknown as G2Point], 1), 'BAD_TYPE');
    expectCode(() => publicShareElement([G2.BASE as unknown as typeof BASE], 1), 'BAD_TYPE');
    expectCode(() => publicShareElement([BASE], 1.5), 'BAD_VALUE');
    expectCode(() => publicShareElement('x' as unknown as [], 1), 'BAD_TYPE');
  });
});
