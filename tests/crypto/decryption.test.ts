// Threshold decryption of the sums (crypto/decryption.ts, protocol §9): random t-of-n Shamir
// sharings of a random election key decrypt sums of random ballots to the true per-entry
// counts; every share check fails for a wrong factor, a share relabelled as another
// scrutineer's, another ballot or key, and a doctored sum; the published form round-trips and
// its parser refuses bad input with stable codes; discreteLog finds exactly [0, max];
// decodeTotals turns the decrypted sums of any shape — one per entry of an entry-wise group,
// one per packed group (digits base B = 2^17) — into the per-entry totals, and names the first
// sum that is no valid count.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../crypto/bytes.ts';
import { BASE, ELL, RP, modL, randomExponent, type Element } from '../../crypto/group.ts';
import {
  combineDecryptionShares, decodeTotals, decryptCounts, decryptionShare, discreteLog, encodeDecryptionShare, parseDecryptionShare,
  verifyDecryptionShare, type DecryptionShare,
} from '../../crypto/decryption.ts';
import {
  checkShape, parseSealedBallot, sealBallot, sumCiphertexts, sumCount, type BallotGroup, type BallotShape, type Ciphertext,
} from '../../crypto/sealed.ts';
import { evalPolynomial } from '../../crypto/shamir.ts';
import { expectCode } from '../helpers/expect-code.ts';
import { B, selectionsOf, sumMessages } from '../helpers/packing.ts';

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

/** At most one of three, twice: entry-wise (size − min = 3 > 2), so one sum per entry. */
const ONE_OF_THREE = checkShape({ groups: [{ size: 3, min: 0, max: 1 }, { size: 3, min: 0, max: 1 }] });
const K = sharing(3, 5);
const CTX = { ballotId: BALLOT, electionKey: K.Y.toBytes() };
const VOTES = [[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0]], [[1, 0, 0], [1, 0, 0]]];
const CAST = castRandom(ONE_OF_THREE, K.Y.toBytes(), VOTES);
const SUMS = sumCiphertexts(ONE_OF_THREE, CAST.ballots);
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
      checkShape({ groups: [{ size: 3, min: 1, max: 1 }] }), // packed, D = 2
      checkShape({ groups: [{ size: 4, min: 0, max: 2 }] }),
      checkShape({ groups: [{ size: 2, min: 0, max: 2 }, { size: 1, min: 0, max: 1 }] }), // entry-wise, packed D = 1
      checkShape({ groups: [{ size: 3, min: 0, max: 1 }, { size: 2, min: 0, max: 1 }, { size: 1, min: 1, max: 1 }] }), // entry-wise, packed D = 2 and D = 0
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
        expect(sums).toHaveLength(sumCount(shape));
        shares.forEach((s) => expect(verifyDecryptionShare(ctx, k.publicShares[s.index - 1]!, sums, s)).toEqual([]));
        expect(decodeTotals(shape, combineDecryptionShares(sums, shares), votes.length)).toEqual({ totals: counts });
        if (t > 1 && votes.length > 0) expect(decodeTotals(shape, combineDecryptionShares(sums, shares.slice(1)), votes.length)).toHaveProperty('bad');
      }),
      { numRuns: 6 },
    );
  });

  it('fewer than t shares give no counts (w.h.p. no value in [0, n])', () => {
    expect(decryptCounts(SUMS, [S1, S3], VOTES.length).every((c) => c === null)).toBe(true);
  });

  it('with no ballots: identity factors without proofs, which verify, encode as zeros and decrypt to 0', () => {
    const empty = sumCiphertexts(ONE_OF_THREE, []);
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

// ── decodeTotals: from the decrypted sums to the per-entry totals ─────────────────────────

describe('decodeTotals', () => {
  const G = (m: number): Element => (m === 0 ? RP.ZERO : m > 0 ? BASE.multiply(BigInt(m)) : BASE.multiply(BigInt(-m)).negate());
  const grp = (size: number, min: number, max: number): BallotGroup => ({ size, min, max });
  /** The naive per-entry totals, flattened group by group. */
  const naiveTotals = (shape: BallotShape, votes: readonly (readonly (readonly number[])[])[]): number[] =>
    shape.groups.flatMap((g, gi) => Array.from({ length: g.size }, (_, e) => votes.reduce((a, v) => a + v[gi]![e]!, 0)));
  const groupArb = fc.oneof(
    fc.constantFrom(grp(1, 1, 1), grp(2, 1, 1), grp(3, 1, 1), grp(1, 0, 1), grp(2, 0, 1)),
    fc.integer({ min: 1, max: 4 }).chain((size) => fc.integer({ min: 0, max: size }).chain((min) => fc.record({ size: fc.constant(size), min: fc.constant(min), max: fc.integer({ min, max: size }) }))),
  );
  const voteArb = (shape: BallotShape) => fc.tuple(...shape.groups.map((g) => fc.constantFrom(...selectionsOf(g))));
  /** A mixed shape: packed D = 2 (min 1), entry-wise, packed D = 0, packed D = 2 (min 0), packed D = 1, entry-wise. */
  const MIXED = checkShape({ groups: [grp(3, 1, 1), grp(4, 0, 2), grp(1, 1, 1), grp(2, 0, 1), grp(2, 1, 1), grp(3, 0, 1)] });
  expect(sumCount(MIXED)).toBe(1 + 4 + 1 + 1 + 1 + 3);
  /** Decrypted sums of MIXED given each sum's message total; `at` overrides some. */
  const mixedSums = (per: readonly number[], at: Record<number, Element> = {}): Element[] => per.map((m, k) => at[k] ?? G(m));

  it('random ballots of random mixed shapes (n = 0 included), sealed and decrypted with the secret, give the naive per-entry totals (property)', () => {
    const secret = randomExponent();
    const key = BASE.multiply(secret).toBytes();
    const caseArb = fc
      .array(groupArb, { minLength: 1, maxLength: 4 })
      .map((groups) => checkShape({ groups }))
      .chain((shape) => fc.tuple(fc.constant(shape), fc.array(voteArb(shape), { maxLength: 4 })));
    fc.assert(
      fc.property(caseArb, ([shape, votes]) => {
        const { ballots, counts } = castRandom(shape, key, votes);
        const sums = sumCiphertexts(shape, ballots);
        expect(sums).toHaveLength(sumCount(shape));
        const decrypted = sums.map((c) => c.beta.subtract(c.alpha.equals(RP.ZERO) ? RP.ZERO : c.alpha.multiply(secret)));
        expect(counts).toEqual(naiveTotals(shape, votes));
        expect(decodeTotals(shape, decrypted, votes.length)).toEqual({ totals: counts });
      }),
      { numRuns: 15 },
    );
  });

  it('up to thousands of ballots, both sides of the 1024 baby steps: the naive totals (property, sums formed in the exponent)', () => {
    const caseArb = fc
      .array(groupArb, { minLength: 1, maxLength: 3 })
      .map((groups) => checkShape({ groups }))
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1000, max: 1100 }), fc.integer({ min: 1024, max: 1300 })))
          .chain(([s, n]) => fc.tuple(fc.constant(s), fc.array(voteArb(s), { minLength: n, maxLength: n }))),
      );
    fc.assert(
      fc.property(caseArb, ([shape, votes]) => {
        const per = votes.map((v) => sumMessages(shape, v));
        const decrypted = Array.from({ length: sumCount(shape) }, (_, k) => G(per.reduce((a, m) => a + m[k]!, 0)));
        expect(decodeTotals(shape, decrypted, votes.length)).toEqual({ totals: naiveTotals(shape, votes) });
      }),
      { numRuns: 8 },
    );
  });

  it('the packed digits: min 1 gives entry 0 the rest n − Σ digits, min 0 gives each entry its digit', () => {
    const one = (g: BallotGroup, M: Element, n: number) => decodeTotals(checkShape({ groups: [g] }), [M], n);
    expect(one(grp(3, 1, 1), G(2 + 3 * B), 7)).toEqual({ totals: [2, 2, 3] });
    expect(one(grp(3, 1, 1), G(7 * B), 7)).toEqual({ totals: [0, 0, 7] });
    expect(one(grp(3, 1, 1), G(7), 7)).toEqual({ totals: [0, 7, 0] });
    expect(one(grp(3, 1, 1), RP.ZERO, 7)).toEqual({ totals: [7, 0, 0] });
    expect(one(grp(2, 0, 1), G(2 + 3 * B), 7)).toEqual({ totals: [2, 3] });
    expect(one(grp(2, 0, 1), RP.ZERO, 7)).toEqual({ totals: [0, 0] });
    expect(one(grp(2, 1, 1), G(5), 7)).toEqual({ totals: [2, 5] });
    expect(one(grp(1, 0, 1), G(5), 7)).toEqual({ totals: [5] });
    expect(one(grp(1, 1, 1), RP.ZERO, 7)).toEqual({ totals: [7] });
    expect(one(grp(1, 1, 1), RP.ZERO, 0)).toEqual({ totals: [0] });
    for (const n of [1023, 1024, 1025, 1500]) {
      expect(one(grp(3, 1, 1), G(n * B), n), `n=${n}`).toEqual({ totals: [0, 0, n] });
      expect(one(grp(3, 1, 1), G(n), n), `n=${n}`).toEqual({ totals: [0, n, 0] });
      expect(one(grp(2, 0, 1), G(n - 1 + B), n), `n=${n}`).toEqual({ totals: [n - 1, 1] });
      expect(one(grp(2, 0, 1), G(1 + (n - 1) * B), n), `n=${n}`).toEqual({ totals: [1, n - 1] });
    }
  });

  it('n = 0: every sum the identity gives zeros; anything else is bad', () => {
    expect(decodeTotals(MIXED, Array.from({ length: 11 }, () => RP.ZERO), 0)).toEqual({ totals: Array(15).fill(0) });
    for (let k = 0; k < 11; k++) expect(decodeTotals(MIXED, mixedSums(Array(11).fill(0), { [k]: BASE }), 0), `sum ${k}`).toEqual({ bad: k });
  });

  it('a sum that is no valid count gives {bad: k}, k its index among the sums (not among the entries)', () => {
    const n = 5;
    // A valid MIXED total: 5 ballots; sums in order g0 (packed D2 min 1), g1 entries ×4, g2 (D0), g3 (packed D2 min 0), g4 (packed D1), g5 entries ×3.
    const valid = [2 + 1 * B, 3, 0, 5, 1, 0, 1 + 2 * B, 4, 1, 2, 2];
    expect(decodeTotals(MIXED, mixedSums(valid), n)).toEqual({ totals: [2, 2, 1, 3, 0, 5, 1, 5, 1, 2, 1, 4, 1, 2, 2] });
    const cases: [number, Element, string][] = [
      [0, G((n + 1) * B), '(n + 1)·B: the second digit above n'],
      [0, G(B - 1), 'B − 1: the first digit above n'],
      [0, G(3 + 3 * B), 'digits 3 + 3 > n'],
      [0, G(n + 1), 'n + 1 in the first digit'],
      [0, G(-1), '−1'],
      [0, G(B * B), 'B²: a third digit'],
      [0, BASE.multiply(randomExponent()), 'a random element'],
      [1, G(n + 1), 'an entry at n + 1'],
      [4, G(-1), 'an entry at −1'],
      [5, BASE, 'a D = 0 group not at 0'],
      [6, G((n + 1) * B), 'min 0, second digit n + 1'],
      [6, G(n + 1), 'min 0, first digit n + 1'],
      [6, G(3 + 3 * B), 'min 0, digits 3 + 3 > n'],
      [7, G(n + 1), 'D = 1 at n + 1'],
      [7, G(B), 'D = 1 at B: no second digit'],
      [10, G(n + 1), 'the last entry at n + 1'],
    ];
    for (const [k, M, name] of cases) expect(decodeTotals(MIXED, mixedSums(valid, { [k]: M }), n), name).toEqual({ bad: k });
    expect(decodeTotals(MIXED, mixedSums(valid, { 3: G(n + 1), 8: G(-1) }), n)).toEqual({ bad: 3 }); // the first one
    expect(decodeTotals(MIXED, mixedSums(valid, { 6: G(n * B) }), n)).toHaveProperty('totals'); // controls: the bounds themselves
    expect(decodeTotals(MIXED, mixedSums(valid, { 0: G(n) }), n)).toHaveProperty('totals');
  });

  it('with many ballots, sums just past a valid count are bad on both sides of the 1024 baby steps', () => {
    const D2 = checkShape({ groups: [grp(3, 1, 1)] });
    for (const n of [1023, 1024, 1300]) {
      expect(decodeTotals(D2, [G((n + 1) * B)], n), `n=${n}`).toEqual({ bad: 0 });
      expect(decodeTotals(D2, [G(n + 1)], n), `n=${n}`).toEqual({ bad: 0 });
      expect(decodeTotals(D2, [G(1 + n * B)], n), `n=${n}`).toEqual({ bad: 0 });
      expect(decodeTotals(D2, [G(B - 1)], n), `n=${n}`).toEqual({ bad: 0 });
    }
  });

  it('refuses the wrong number of sums, a non-element, a bad n or shape with BAD_VALUE', () => {
    const valid = mixedSums([0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(decodeTotals(MIXED, valid, 1)).toHaveProperty('totals');
    expectCode(() => decodeTotals(MIXED, valid.slice(1), 1), 'BAD_VALUE');
    expectCode(() => decodeTotals(MIXED, [...valid, RP.ZERO], 1), 'BAD_VALUE');
    expectCode(() => decodeTotals(MIXED, [], 1), 'BAD_VALUE');
    // one sum per entry (the entry-wise count) is not what a shape with packed groups has
    expectCode(() => decodeTotals(MIXED, Array.from({ length: 15 }, () => RP.ZERO), 0), 'BAD_VALUE');
    expectCode(() => decodeTotals(MIXED, [null as unknown as Element, ...valid.slice(1)], 1), 'BAD_VALUE');
    expectCode(() => decodeTotals(MIXED, [...valid.slice(0, 10), 3 as unknown as Element], 1), 'BAD_VALUE');
    for (const n of [-1, 1.5, 100_001, NaN]) expectCode(() => decodeTotals(MIXED, valid, n), 'BAD_VALUE');
    expectCode(() => decodeTotals({ groups: [] }, [], 0), 'BAD_VALUE');
    expectCode(() => decodeTotals(null as unknown as BallotShape, [], 0), 'BAD_VALUE');
  });

  it('threshold decryption of a mixed shape’s sums gives the totals (t of n shares)', () => {
    const k = sharing(2, 3);
    const votes = [
      [[0, 0, 1], [1, 0, 1, 0], [1], [0, 1], [1, 0], [0, 0, 1]],
      [[1, 0, 0], [0, 0, 0, 0], [1], [0, 0], [0, 1], [0, 0, 0]],
      [[0, 0, 1], [0, 1, 1, 0], [1], [1, 0], [0, 1], [1, 0, 0]],
    ];
    const { ballots, counts } = castRandom(MIXED, k.Y.toBytes(), votes);
    const sums = sumCiphertexts(MIXED, ballots);
    const ctx = { ballotId: BALLOT, electionKey: k.Y.toBytes() };
    const shares = [3, 1].map((i) => decryptionShare(ctx, i, k.shares[i - 1]!, sums));
    expect(decodeTotals(MIXED, combineDecryptionShares(sums, shares), 3)).toEqual({ totals: counts });
    expect(counts).toEqual([1, 0, 2, 1, 1, 2, 0, 3, 1, 1, 1, 2, 1, 0, 1]);
  });
});
