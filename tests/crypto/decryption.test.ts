// Threshold decryption of the sums (crypto/decryption.ts, protocol §9): random t-of-n Shamir
// sharings of a random election key decrypt sums of random ballots to the true per-entry
// counts; every share check fails for a wrong factor, a share relabelled as another
// scrutineer's, another ballot or key, and a doctored sum; the published form round-trips and
// its parser refuses bad input with stable codes; discreteLog finds exactly [0, max].
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../crypto/bytes.ts';
import { BASE, ELL, RP, modL, randomExponent, type Element } from '../../crypto/group.ts';
import {
  combineDecryptionShares, decryptCounts, decryptionShare, discreteLog, encodeDecryptionShare, parseDecryptionShare,
  verifyDecryptionShare, type DecryptionShare,
} from '../../crypto/decryption.ts';
import { checkShape, parseSealedBallot, sealBallot, sumCiphertexts, type BallotShape, type Ciphertext } from '../../crypto/sealed.ts';
import { evalPolynomial } from '../../crypto/shamir.ts';
import { expectCode } from '../helpers/expect-code.ts';

const BALLOT = 'ballot-d';

/** A t-of-n Shamir sharing of a random election key: x = f(0), x_i = f(i), Y_i = x_i·G. */
function sharing(t: number, n: number) {
  const coeffs = Array.from({ length: t }, () => randomExponent());
  const shares = Array.from({ length: n }, (_, i) => evalPolynomial(coeffs, BigInt(i + 1), ELL));
  return {
    x: coeffs[0]!,
    Y: BASE.multiply(coeffs[0]!),
    shares,
    publicShares: shares.map((s) => BASE.multiply(s)),
  };
}

/** Seal random valid selections for `shape` and return the parsed ballots and the true counts per entry. */
function castRandom(shape: BallotShape, key: Uint8Array, votes: readonly (readonly (readonly number[])[])[]) {
  const ballots = votes.map((v, i) =>
    parseSealedBallot(shape, sealBallot({ ballotId: BALLOT, electionKey: key, tokenHash: sha256(utf8(`t${i}`)) }, shape, v)),
  );
  const counts = shape.groups.flatMap((g, gi) => Array.from({ length: g.size }, (_, e) => votes.reduce((a, v) => a + v[gi]![e]!, 0)));
  return { ballots, counts };
}

const DECISION = checkShape({ groups: [{ size: 3, min: 1, max: 1 }, { size: 3, min: 1, max: 1 }] });
const K = sharing(3, 5);
const CTX = { ballotId: BALLOT, electionKey: K.Y.toBytes() };
const VOTES = [[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0]], [[1, 0, 0], [1, 0, 0]]];
const CAST = castRandom(DECISION, K.Y.toBytes(), VOTES);
const SUMS = sumCiphertexts(DECISION, CAST.ballots);
const share = (i: number, sums: readonly Ciphertext[] = SUMS): DecryptionShare => decryptionShare(CTX, i, K.shares[i - 1]!, sums);
const S1 = share(1);
const S3 = share(3);
const S4 = share(4);

describe('decrypting the sums with t of n shares', () => {
  it('gives the true counts with any t shares, and with all n', () => {
    expect(CAST.counts).toEqual([3, 0, 1, 1, 2, 1]);
    expect(decryptCounts(SUMS, [S1, S3, S4], VOTES.length)).toEqual(CAST.counts);
    expect(decryptCounts(SUMS, [S4, S1, S3], VOTES.length)).toEqual(CAST.counts);
    expect(decryptCounts(SUMS, [1, 2, 3, 4, 5].map((i) => share(i)), VOTES.length)).toEqual(CAST.counts);
  });

  it('random t-of-n sharings decrypt random ballots to the true per-entry counts (property)', () => {
    const shapeArb = fc.constantFrom(
      checkShape({ groups: [{ size: 3, min: 1, max: 1 }] }),
      checkShape({ groups: [{ size: 4, min: 0, max: 2 }] }),
      checkShape({ groups: [{ size: 2, min: 0, max: 2 }, { size: 1, min: 0, max: 1 }] }),
    );
    const caseArb = fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }), shapeArb, fc.integer({ min: 0, max: 4 }))
      .chain(([t, extra, shape, ballots]) => {
        const n = t + extra;
        const vote = fc.tuple(
          ...shape.groups.map((g) =>
            fc.integer({ min: g.min, max: g.max }).chain((k) =>
              fc.shuffledSubarray([...Array(g.size).keys()], { minLength: k, maxLength: k }).map((on) => Array.from({ length: g.size }, (_, i) => (on.includes(i) ? 1 : 0))),
            ),
          ),
        );
        return fc.tuple(
          fc.constant(t),
          fc.constant(n),
          fc.constant(shape),
          fc.array(vote, { minLength: ballots, maxLength: ballots }),
          fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: t, maxLength: t }),
        );
      });
    fc.assert(
      fc.property(caseArb, ([t, n, shape, votes, chosen]) => {
        const k = sharing(t, n);
        const ctx = { ballotId: BALLOT, electionKey: k.Y.toBytes() };
        const { ballots, counts } = castRandom(shape, k.Y.toBytes(), votes);
        const sums = sumCiphertexts(shape, ballots);
        const shares = chosen.map((i) => decryptionShare(ctx, i, k.shares[i - 1]!, sums));
        shares.forEach((s) => expect(verifyDecryptionShare(ctx, k.publicShares[s.index - 1]!, sums, s)).toEqual([]));
        expect(decryptCounts(sums, shares, votes.length)).toEqual(counts);
        if (t > 1 && votes.length > 0) expect(decryptCounts(sums, shares.slice(1), votes.length)).not.toEqual(counts);
      }),
      { numRuns: 6 },
    );
  });

  it('fewer than t shares give no counts (w.h.p. no value in [0, n])', () => {
    expect(decryptCounts(SUMS, [S1, S3], VOTES.length).every((c) => c === null)).toBe(true);
  });

  it('with no ballots: identity factors without proofs, which verify, encode as zeros and decrypt to 0', () => {
    const empty = sumCiphertexts(DECISION, []);
    const s = share(2, empty);
    expect(s.factors.every((f) => f.equals(RP.ZERO))).toBe(true);
    expect(s.proofs.every((p) => p === null)).toBe(true);
    const pub = encodeDecryptionShare(s);
    expect(pub.factors.every((f) => f === '00'.repeat(32))).toBe(true);
    expect(pub.proofs.every((p) => p === '00'.repeat(64))).toBe(true);
    expect(verifyDecryptionShare(CTX, K.publicShares[1]!, empty, parseDecryptionShare(pub, empty.length))).toEqual([]);
    expect(decryptCounts(empty, [1, 2, 3].map((i) => share(i, empty)), 0)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('verifyDecryptionShare', () => {
  const pub = (i: number) => K.publicShares[i - 1]!;
  const all = SUMS.map((_, k) => k);

  it('is [] for honest shares', () => {
    for (const s of [S1, S3, S4]) expect(verifyDecryptionShare(CTX, pub(s.index), SUMS, s)).toEqual([]);
  });

  it('names a wrong factor (proof left as it was)', () => {
    const factors = [...S1.factors];
    factors[2] = factors[2]!.add(BASE);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, factors })).toEqual([2]);
    const swapped = [...S1.factors];
    [swapped[0], swapped[4]] = [swapped[4]!, swapped[0]!];
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, factors: swapped })).toEqual([0, 4]);
  });

  it('names a wrong proof', () => {
    const proofs = [...S1.proofs];
    proofs[5] = { challenge: proofs[5]!.challenge, response: modL(proofs[5]!.response + 1n) };
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, proofs })).toEqual([5]);
    const moved = [...S1.proofs];
    moved[1] = S1.proofs[0]!;
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, proofs: moved })).toEqual([1]);
  });

  it('binds each proof to its position k: two equal sums cannot swap their proofs', () => {
    const twice = [SUMS[0]!, SUMS[0]!];
    const s = share(1, twice);
    expect(verifyDecryptionShare(CTX, pub(1), twice, s)).toEqual([]);
    expect(verifyDecryptionShare(CTX, pub(1), twice, { ...s, proofs: [s.proofs[1]!, s.proofs[0]!] })).toEqual([0, 1]);
  });

  it('fails every entry of a share relabelled as another scrutineer’s, or checked against another public share', () => {
    expect(verifyDecryptionShare(CTX, pub(2), SUMS, { ...S1, index: 2 })).toEqual(all);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, index: 2 })).toEqual(all); // the index is in the proof context
    expect(verifyDecryptionShare(CTX, pub(3), SUMS, S1)).toEqual(all);
  });

  it('fails every entry under another ballot or election key', () => {
    expect(verifyDecryptionShare({ ...CTX, ballotId: 'ballot-e' }, pub(1), SUMS, S1)).toEqual(all);
    expect(verifyDecryptionShare({ ...CTX, electionKey: BASE.multiply(randomExponent()).toBytes() }, pub(1), SUMS, S1)).toEqual(all);
  });

  it('names a doctored sum: α changed fails the proof; β changed changes the count', () => {
    const doctored = [...SUMS];
    doctored[3] = { alpha: SUMS[3]!.alpha.add(BASE), beta: SUMS[3]!.beta };
    expect(verifyDecryptionShare(CTX, pub(1), doctored, S1)).toEqual([3]);
    const beta = [...SUMS];
    beta[3] = { alpha: SUMS[3]!.alpha, beta: SUMS[3]!.beta.add(BASE) };
    expect(verifyDecryptionShare(CTX, pub(1), beta, S1)).toEqual([]); // β is not in the share's statement …
    expect(decryptCounts(beta, [S1, S3, S4], VOTES.length)[3]).toBe(CAST.counts[3]! + 1); // … it is what the published sums pin down
  });

  it('requires the identity without proof exactly where α is the identity', () => {
    const withEmpty: Ciphertext[] = [...SUMS.slice(0, 5), { alpha: RP.ZERO, beta: RP.ZERO }];
    const s = share(1, withEmpty);
    expect(s.proofs[5]).toBeNull();
    expect(verifyDecryptionShare(CTX, pub(1), withEmpty, s)).toEqual([]);
    expect(verifyDecryptionShare(CTX, pub(1), withEmpty, { ...s, factors: [...s.factors.slice(0, 5), BASE] })).toEqual([5]);
    expect(verifyDecryptionShare(CTX, pub(1), withEmpty, { ...s, proofs: [...s.proofs.slice(0, 5), S1.proofs[5]!] })).toEqual([5]);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, factors: [...S1.factors.slice(0, 5), RP.ZERO], proofs: [...S1.proofs.slice(0, 5), null] })).toEqual([5]);
  });

  it('gives every index for malformed input and never throws (property)', () => {
    expect(verifyDecryptionShare(CTX, RP.ZERO, SUMS, S1)).toEqual(all);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, factors: S1.factors.slice(1) })).toEqual(all);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, { ...S1, index: 0 })).toEqual(all);
    expect(verifyDecryptionShare(CTX, pub(1), SUMS, null as unknown as DecryptionShare)).toEqual(all);
    expect(verifyDecryptionShare({ ...CTX, ballotId: 'a b' }, pub(1), SUMS, S1)).toEqual(all);
    expect(verifyDecryptionShare(CTX, pub(1), null as unknown as Ciphertext[], S1)).toEqual([0]);
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (c, p, s, d) => {
        const bad = verifyDecryptionShare(c as typeof CTX, p as Element, s as Ciphertext[], d as DecryptionShare);
        expect(bad.length).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('published shares', () => {
  it('round-trip through JSON', () => {
    const pub = encodeDecryptionShare(S3);
    expect(pub.index).toBe(3);
    expect(pub.factors.every((f) => /^[0-9a-f]{64}$/.test(f))).toBe(true);
    expect(pub.proofs.every((p) => /^[0-9a-f]{128}$/.test(p))).toBe(true);
    const back = parseDecryptionShare(JSON.parse(JSON.stringify(pub)), SUMS.length);
    expect(back.index).toBe(3);
    back.factors.forEach((f, k) => expect(f.equals(S3.factors[k]!)).toBe(true));
    expect(back.proofs).toEqual(S3.proofs);
    expect(verifyDecryptionShare(CTX, K.publicShares[2]!, SUMS, back)).toEqual([]);
  });

  it('parseDecryptionShare refuses bad input with its code', () => {
    const pub = encodeDecryptionShare(S1);
    const edit = (f: (p: { index: unknown; factors: unknown[]; proofs: unknown[] }) => void) => {
      const p = JSON.parse(JSON.stringify(pub));
      f(p);
      return p;
    };
    expectCode(() => parseDecryptionShare(null, 6), 'BAD_TYPE');
    expectCode(() => parseDecryptionShare('x', 6), 'BAD_TYPE');
    expectCode(() => parseDecryptionShare(pub, 5), 'BAD_LENGTH');
    expectCode(() => parseDecryptionShare(edit((p) => p.proofs.pop()), 6), 'BAD_LENGTH');
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors = 'x' as never)), 6), 'BAD_TYPE');
    expectCode(() => parseDecryptionShare(edit((p) => (p.index = 0)), 6), 'BAD_VALUE');
    expectCode(() => parseDecryptionShare(edit((p) => (p.index = 1.5)), 6), 'BAD_VALUE');
    expectCode(() => parseDecryptionShare(edit((p) => (p.index = '1')), 6), 'BAD_VALUE');
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors[0] = (p.factors[0] as string).toUpperCase())), 6), 'BAD_HEX');
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors[0] = 'ff'.repeat(32))), 6), 'POINT_NOT_CANONICAL');
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors[0] = '00'.repeat(31))), 6), 'BAD_LENGTH');
    expectCode(() => parseDecryptionShare(edit((p) => (p.proofs[0] = 'ff'.repeat(64))), 6), 'SCALAR_RANGE');
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors[0] = '00'.repeat(32))), 6), 'BAD_VALUE'); // identity with a proof
    expectCode(() => parseDecryptionShare(edit((p) => (p.factors[0] = 7)), 6), 'BAD_TYPE');
  });

  it('encodeDecryptionShare refuses a proof on the identity or a missing proof', () => {
    expectCode(() => encodeDecryptionShare({ ...S1, proofs: [null, ...S1.proofs.slice(1)] }), 'BAD_VALUE');
    expectCode(() => encodeDecryptionShare({ ...S1, factors: [RP.ZERO, ...S1.factors.slice(1)] }), 'BAD_VALUE');
    expectCode(() => encodeDecryptionShare({ ...S1, proofs: S1.proofs.slice(1) }), 'BAD_LENGTH');
  });
});

describe('decryptionShare and combineDecryptionShares guards', () => {
  it('decryptionShare refuses a bad share, index, id or key', () => {
    expectCode(() => decryptionShare(CTX, 1, 0n, SUMS), 'SCALAR_RANGE');
    expectCode(() => decryptionShare(CTX, 1, ELL, SUMS), 'SCALAR_RANGE');
    expectCode(() => decryptionShare(CTX, 0, K.shares[0]!, SUMS), 'BAD_VALUE');
    expectCode(() => decryptionShare(CTX, 2 ** 32, K.shares[0]!, SUMS), 'BAD_VALUE');
    expectCode(() => decryptionShare({ ...CTX, ballotId: '' }, 1, K.shares[0]!, SUMS), 'BAD_VALUE');
    expectCode(() => decryptionShare({ ...CTX, electionKey: new Uint8Array(32) }, 1, K.shares[0]!, SUMS), 'POINT_IDENTITY');
    expectCode(() => decryptionShare(CTX, 1, K.shares[0]!, [{ alpha: BASE } as Ciphertext]), 'BAD_TYPE');
  });

  it('the factors are x_i·α_k', () => {
    S3.factors.forEach((f, k) => expect(f.equals(SUMS[k]!.alpha.multiply(K.shares[2]!))).toBe(true));
  });

  it('combineDecryptionShares refuses no shares, a repeated index and a share of another length', () => {
    expectCode(() => combineDecryptionShares(SUMS, []), 'BAD_VALUE');
    expectCode(() => combineDecryptionShares(SUMS, [S1, S1, S3]), 'BAD_VALUE');
    expectCode(() => combineDecryptionShares(SUMS, [S1, { ...S3, factors: S3.factors.slice(1) }]), 'BAD_LENGTH');
    expectCode(() => combineDecryptionShares(SUMS, [S1, { ...S3, index: -1 }]), 'BAD_VALUE');
  });

  it('combines to β_k − x·α_k = m_k·G', () => {
    combineDecryptionShares(SUMS, [S1, S3, S4]).forEach((M, k) =>
      expect(M.equals(SUMS[k]!.beta.subtract(SUMS[k]!.alpha.multiply(K.x)))).toBe(true),
    );
  });
});

describe('discreteLog', () => {
  const G = (m: number) => (m === 0 ? RP.ZERO : BASE.multiply(BigInt(m)));

  it('finds every m in [0, max] and nothing above', () => {
    for (let m = 0; m <= 40; m++) expect(discreteLog(G(m), 40)).toBe(m);
    expect(discreteLog(G(41), 40)).toBeNull();
    expect(discreteLog(G(5), 4)).toBeNull();
    expect(discreteLog(G(0), 0)).toBe(0);
    expect(discreteLog(G(1), 0)).toBeNull();
  });

  it('works across giant steps up to max = 100000', () => {
    for (const m of [1023, 1024, 1025, 54321, 99999, 100000]) expect(discreteLog(G(m), 100000)).toBe(m);
    expect(discreteLog(G(100001), 100000)).toBeNull();
    expect(discreteLog(G(3000), 2999)).toBeNull();
    expect(discreteLog(G(2999), 2999)).toBe(2999);
  });

  it('is null for a point that is not a small multiple, or a negative one', () => {
    expect(discreteLog(BASE.multiply(randomExponent()), 100000)).toBeNull();
    expect(discreteLog(G(3).negate(), 100000)).toBeNull();
  });

  it('refuses max outside [0, 100000] (BAD_VALUE) and a non-element (BAD_TYPE)', () => {
    expectCode(() => discreteLog(BASE, 100001), 'BAD_VALUE');
    expectCode(() => discreteLog(BASE, -1), 'BAD_VALUE');
    expectCode(() => discreteLog(BASE, 1.5), 'BAD_VALUE');
    expectCode(() => discreteLog(null as unknown as Element, 3), 'BAD_TYPE');
  });
});
