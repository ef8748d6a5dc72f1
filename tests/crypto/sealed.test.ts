// Sealed selection vectors (crypto/sealed.ts, protocol §5): shapes, sealing and verification
// round trips, an independent prover written from the spec (accepted by the verifier), a
// failing check for every way a ballot can be wrong (each commitment, challenge and response,
// swapped ciphertexts and entries, proofs moved to another position, token, ballot or key,
// entries encrypting 2 or −1, group sums outside [min, max], proofs whose hash holds but whose
// equations do not), the wire decoder's exact codes, and batch verification with bisection
// (one bad ballot among good ones, all bad, and agreement with one-by-one verification).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../crypto/bytes.ts';
import { DST_BALLOT_HASH, DST_BALLOT_PROOF } from '../../crypto/dst.ts';
import { fields, message, u32be } from '../../crypto/encoding.ts';
import { BASE, ELL, RP, decodeElement, encodeExponent, hashToExponent, modL, randomExponent, type Element } from '../../crypto/group.ts';
import {
  ballotHash, checkShape, ciphertextFromHex, ciphertextToHex, decodeCiphertext,
  decodeSumCiphertext, encodeCiphertext, encodeSealedBallot, parseSealedBallot, sealBallot, sealedBallotBytes,
  sumCiphertextFromHex, sumCiphertexts, verifySealedBallot, verifySealedBallots,
  type BallotShape, type Ciphertext, type IntervalProof, type SealContext, type SealedBallot,
} from '../../crypto/sealed.ts';
import { expectCode } from '../helpers/expect-code.ts';

const BALLOT = 'ballot-s';
const SUM_INDEX = 0xffffffff;

const x = randomExponent();
const Y = BASE.multiply(x);
const KEY = Y.toBytes();
const OTHER_KEY = BASE.multiply(randomExponent()).toBytes();
const TOKEN = sha256(utf8('token-1'));
const TOKEN2 = sha256(utf8('token-2'));
const ctx: SealContext = { ballotId: BALLOT, electionKey: KEY, tokenHash: TOKEN };

const group = (size: number, min: number, max: number) => ({ size, min, max });
/** Decision ballot: three nominees, agree / disagree / abstain, exactly one each. */
const DECISION: BallotShape = checkShape({ groups: [group(3, 1, 1), group(3, 1, 1), group(3, 1, 1)] });
/** Recommendation: pick at most 2 of 4. */
const PICK: BallotShape = checkShape({ groups: [group(4, 0, 2)] });
const DECISION_VOTE = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

const mulG = (j: number): Element => (j === 0 ? RP.ZERO : j > 0 ? BASE.multiply(BigInt(j)) : BASE.multiply(BigInt(-j)).negate());

// ── An independent prover, written from protocol §5.3 (not from crypto/sealed.ts) ─────────

function contextOf(c: SealContext, g: number, e: number): Uint8Array {
  return fields(utf8(c.ballotId), c.electionKey, c.tokenHash, u32be(g), u32be(e));
}

/**
 * The spec's prover: simulated branches j ≠ m, the real branch m with A_m = w·G, B_m = w·Y.
 * For m outside [lo, hi] this is the best a cheater can do: it answers branch lo as if it were
 * real, which it cannot be. `tamper` adds G to A_j of that branch before hashing, so the hash
 * equation holds and only the verification equation of that branch fails.
 */
function specProve(
  context: Uint8Array, alpha: Element, beta: Element, lo: number, hi: number, m: number, r: bigint, tamper?: number,
): IntervalProof {
  const real = m >= lo && m <= hi ? m : lo;
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  const commitments: { A: Element; B: Element }[] = [];
  const w = randomExponent();
  for (let j = lo; j <= hi; j++) {
    if (j === real) {
      commitments.push({ A: BASE.multiply(w), B: Y.multiply(w) });
      cs.push(0n);
      ss.push(0n);
    } else {
      const c = randomExponent();
      const s = randomExponent();
      commitments.push({ A: BASE.multiply(s).subtract(alpha.multiply(c)), B: Y.multiply(s).subtract(beta.subtract(mulG(j)).multiply(c)) });
      cs.push(c);
      ss.push(s);
    }
    if (j === tamper) commitments[j - lo] = { ...commitments[j - lo]!, A: commitments[j - lo]!.A.add(BASE) };
  }
  const c = hashToExponent(
    DST_BALLOT_PROOF, context, u32be(lo), u32be(hi), alpha.toBytes(), beta.toBytes(), ...commitments.flatMap(({ A, B }) => [A.toBytes(), B.toBytes()]),
  );
  const cm = modL(c - cs.reduce((a, b) => a + b, 0n));
  cs[real - lo] = cm;
  ss[real - lo] = modL(w + cm * r);
  return { lo, hi, commitments, challenges: cs, responses: ss };
}

/** Encrypt any integer m (also 2 or −1): α = r·G, β = m·G + r·Y. */
function encrypt(m: number): { ct: Ciphertext; r: bigint } {
  const r = randomExponent();
  return { ct: { alpha: BASE.multiply(r), beta: mulG(m).add(Y.multiply(r)) }, r };
}

/**
 * A ballot built by the spec prover from any integer values, with honest proof attempts
 * throughout; `tamper = [group, entry or SUM_INDEX, j]` tampers with one branch (see specProve).
 */
function specBallot(c: SealContext, shape: BallotShape, values: readonly (readonly number[])[], tamper?: readonly [number, number, number]): SealedBallot {
  const t = (gi: number, ei: number) => (tamper && tamper[0] === gi && tamper[1] === ei ? tamper[2] : undefined);
  return {
    groups: shape.groups.map((g, gi) => {
      let R = 0n;
      let M = 0;
      let A = RP.ZERO;
      let B = RP.ZERO;
      const entries = values[gi]!.map((m, ei) => {
        const { ct, r } = encrypt(m);
        R = modL(R + r);
        M += m;
        A = A.add(ct.alpha);
        B = B.add(ct.beta);
        return { ciphertext: ct, proof: specProve(contextOf(c, gi, ei), ct.alpha, ct.beta, 0, 1, m, r, t(gi, ei)) };
      });
      return { entries, sumProof: specProve(contextOf(c, gi, SUM_INDEX), A, B, g.min, g.max, M, R, t(gi, SUM_INDEX)) };
    }),
  };
}

/** Byte offsets of the branches (A_j ‖ B_j ‖ c_j ‖ s_j, 128 bytes each) of every proof of a sealed ballot of `shape`. */
function branchOffsets(shape: BallotShape): number[] {
  const out: number[] = [];
  let off = 0;
  for (const g of shape.groups) {
    for (let e = 0; e < g.size; e++) {
      off += 64;
      for (let k = 0; k < 2; k++, off += 128) out.push(off);
    }
    for (let k = 0; k < g.max - g.min + 1; k++, off += 128) out.push(off);
  }
  return out;
}
/** Byte offsets of every exponent (challenge, response) in a sealed ballot of `shape`. */
const exponentOffsets = (shape: BallotShape): number[] => branchOffsets(shape).flatMap((o) => [o + 64, o + 96]);
/** Byte offsets of every commitment (A_j, B_j) in a sealed ballot of `shape`. */
const commitmentOffsets = (shape: BallotShape): number[] => branchOffsets(shape).flatMap((o) => [o, o + 32]);

/** Byte offset of entry e of group g (its α). */
function entryOffset(shape: BallotShape, g: number, e: number): number {
  let off = 0;
  for (let i = 0; i < g; i++) off += shape.groups[i]!.size * 320 + 128 * (shape.groups[i]!.max - shape.groups[i]!.min + 1);
  return off + 320 * e;
}
/** Byte offset and length of the sum proof of group g. */
function sumProofRange(shape: BallotShape, g: number): [number, number] {
  const gr = shape.groups[g]!;
  return [entryOffset(shape, g, gr.size), 128 * (gr.max - gr.min + 1)];
}

function leInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

const sealed: Uint8Array = sealBallot(ctx, DECISION, DECISION_VOTE);

// ── Shapes ────────────────────────────────────────────────────────────────────────────────

describe('checkShape', () => {
  it('accepts the three ballot kinds and returns a normalised copy', () => {
    const s = { groups: [group(3, 1, 1)] };
    const c = checkShape(s);
    expect(c).toEqual(s);
    expect(c).not.toBe(s);
    expect(checkShape({ groups: [group(20, 0, 5)] }).groups[0]).toEqual(group(20, 0, 5));
    expect(checkShape({ groups: Array.from({ length: 200 }, () => group(4, 1, 1)) }).groups).toHaveLength(200);
    expect(checkShape({ groups: Array.from({ length: 5 }, () => group(200, 0, 200)) }).groups).toHaveLength(5);
  });

  it('refuses a malformed shape with BAD_VALUE', () => {
    for (const bad of [
      null, 3, 'x', [], {}, { groups: [] }, { groups: 'x' }, { groups: [group(3, 1, 1)], extra: 1 },
      { groups: [{ size: 3, min: 1 }] }, { groups: [{ ...group(3, 1, 1), other: 0 }] },
      { groups: [group(0, 0, 0)] }, { groups: [group(3, 2, 1)] }, { groups: [group(3, -1, 1)] }, { groups: [group(3, 1, 4)] },
      { groups: [group(3.5, 1, 1)] }, { groups: [group(3, 1, 1.5)] }, { groups: [{ size: '3', min: 1, max: 1 }] },
    ])
      expectCode(() => checkShape(bad), 'BAD_VALUE');
  });

  it('refuses too many groups or entries with BAD_LENGTH', () => {
    expectCode(() => checkShape({ groups: Array.from({ length: 201 }, () => group(1, 0, 1)) }), 'BAD_LENGTH');
    expectCode(() => checkShape({ groups: [group(201, 0, 1)] }), 'BAD_LENGTH');
    expectCode(() => checkShape({ groups: Array.from({ length: 6 }, () => group(167, 0, 1)) }), 'BAD_LENGTH');
  });

  it('sealedBallotBytes: 320 bytes per entry and 128 per sum-proof branch', () => {
    expect(sealedBallotBytes(DECISION)).toBe(9 * 320 + 3 * 128);
    expect(sealedBallotBytes(DECISION)).toBe(3264);
    expect(sealedBallotBytes(PICK)).toBe(4 * 320 + 3 * 128);
    expect(sealBallot(ctx, PICK, [[0, 1, 0, 1]])).toHaveLength(sealedBallotBytes(PICK));
  });
});

// ── Round trips ───────────────────────────────────────────────────────────────────────────

describe('sealBallot → parseSealedBallot → verifySealedBallot', () => {
  it('a decision ballot seals to the fixed size, parses, re-encodes identically and verifies', () => {
    expect(sealed).toHaveLength(sealedBallotBytes(DECISION));
    const parsed = parseSealedBallot(DECISION, sealed);
    expect(encodeSealedBallot(DECISION, parsed)).toEqual(sealed);
    expect(verifySealedBallot(ctx, DECISION, sealed)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, parsed)).toBe(true);
  });

  it('random shapes with random valid selections seal and verify (property)', () => {
    const groupArb = fc
      .integer({ min: 1, max: 4 })
      .chain((size) => fc.integer({ min: 0, max: size }).chain((min) => fc.record({ size: fc.constant(size), min: fc.constant(min), max: fc.integer({ min, max: size }) })));
    const caseArb = fc.array(groupArb, { minLength: 1, maxLength: 3 }).chain((groups) =>
      fc.tuple(
        fc.constant(groups),
        fc.tuple(
          ...groups.map((g) =>
            fc.integer({ min: g.min, max: g.max }).chain((k) =>
              fc.shuffledSubarray([...Array(g.size).keys()], { minLength: k, maxLength: k }).map((on) => Array.from({ length: g.size }, (_, i) => (on.includes(i) ? 1 : 0))),
            ),
          ),
        ),
      ),
    );
    fc.assert(
      fc.property(caseArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), ([groups, selections], tokenHash) => {
        const shape = checkShape({ groups });
        const c = { ...ctx, tokenHash };
        const bytes = sealBallot(c, shape, selections);
        expect(bytes).toHaveLength(sealedBallotBytes(shape));
        expect(verifySealedBallot(c, shape, bytes)).toBe(true);
        expect(verifySealedBallot({ ...c, tokenHash: TOKEN2 }, shape, bytes)).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('ballots built by the independent spec prover verify (also with non-normalised points)', () => {
    const b = specBallot(ctx, DECISION, DECISION_VOTE);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, encodeSealedBallot(DECISION, b))).toBe(true);
    const p = specBallot(ctx, PICK, [[0, 0, 0, 0]]);
    expect(verifySealedBallot(ctx, PICK, encodeSealedBallot(PICK, p))).toBe(true);
  });

  it('two seals of the same selections differ (fresh randomness), with opts.random they are reproducible', () => {
    expect(sealBallot(ctx, DECISION, DECISION_VOTE)).not.toEqual(sealed);
    const counter = () => {
      let n = 0n;
      return () => modL(0x1234567890abcdefn * ++n + 7n) || 1n;
    };
    const a = sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: counter() });
    expect(sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: counter() })).toEqual(a);
    expect(verifySealedBallot(ctx, PICK, a)).toBe(true);
    expectCode(() => sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: () => 0n }), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: () => ELL }), 'BAD_VALUE');
  });
});

describe('sealBallot refuses what a tablet must never send', () => {
  it('selections that do not fit the shape: BAD_VALUE', () => {
    for (const bad of [
      [[1, 0, 0], [0, 1, 0]], // a group missing
      [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], // a group too many
      [[1, 0], [0, 1, 0], [0, 0, 1]], // an entry missing
      [[1, 0, 0, 0], [0, 1, 0], [0, 0, 1]], // an entry too many
      [[2, 0, 0], [0, 1, 0], [0, 0, 1]], // entry 2
      [[-1, 1, 1], [0, 1, 0], [0, 0, 1]], // entry −1 (sum still 1)
      [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]],
      [[true, 0, 0], [0, 1, 0], [0, 0, 1]],
      [[1, 1, 0], [0, 1, 0], [0, 0, 1]], // two selections in a [1, 1] group
      [[0, 0, 0], [0, 1, 0], [0, 0, 1]], // none in a [1, 1] group
      'x', null,
    ])
      expectCode(() => sealBallot(ctx, DECISION, bad as number[][]), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, PICK, [[1, 1, 1, 0]]), 'BAD_VALUE');
  });

  it('a bad context or shape', () => {
    expectCode(() => sealBallot({ ...ctx, ballotId: 'a b' }, DECISION, DECISION_VOTE), 'BAD_VALUE');
    expectCode(() => sealBallot({ ...ctx, electionKey: new Uint8Array(32) }, DECISION, DECISION_VOTE), 'POINT_IDENTITY');
    expectCode(() => sealBallot({ ...ctx, electionKey: KEY.slice(1) }, DECISION, DECISION_VOTE), 'BAD_LENGTH');
    expectCode(() => sealBallot({ ...ctx, tokenHash: TOKEN.slice(1) }, DECISION, DECISION_VOTE), 'BAD_LENGTH');
    expectCode(() => sealBallot(ctx, { groups: [] }, []), 'BAD_VALUE');
  });
});

// ── A failing check for every way a ballot can be wrong ──────────────────────────────────

/** `sealed` with `bytes` written at `off`. */
function withBytes(off: number, bytes: Uint8Array, base: Uint8Array = sealed): Uint8Array {
  const b = base.slice();
  b.set(bytes, off);
  return b;
}

describe('verifySealedBallot refuses', () => {
  it('any challenge or response changed by one, anywhere in the ballot', () => {
    const offsets = exponentOffsets(DECISION);
    expect(offsets).toHaveLength(9 * 4 + 3 * 2);
    for (const off of offsets) {
      const b = withBytes(off, encodeExponent(modL(leInt(sealed.subarray(off, off + 32)) + 1n)));
      expect(verifySealedBallot(ctx, DECISION, b), `exponent at ${off}`).toBe(false);
    }
  });

  it('any commitment A_j or B_j replaced by another element, anywhere in the ballot', () => {
    const offsets = commitmentOffsets(DECISION);
    expect(offsets).toHaveLength(2 * (9 * 2 + 3));
    for (const off of offsets) {
      const moved = decodeElement(sealed.subarray(off, off + 32)).add(BASE).toBytes();
      expect(verifySealedBallot(ctx, DECISION, withBytes(off, moved)), `commitment at ${off}`).toBe(false);
    }
  });

  it('challenges moved between two branches (their sum, hence the hash equation, unchanged): the batch equation fails', () => {
    for (const o of [branchOffsets(DECISION)[0]!, branchOffsets(DECISION)[4]!]) {
      const c0 = leInt(sealed.subarray(o + 64, o + 96));
      const c1 = leInt(sealed.subarray(o + 128 + 64, o + 128 + 96));
      const b = withBytes(o + 128 + 64, encodeExponent(modL(c1 - 5n)), withBytes(o + 64, encodeExponent(modL(c0 + 5n))));
      expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
    }
  });

  it('a commitment changed before hashing (the hash equation holds, one verification equation does not)', () => {
    for (const t of [[0, 0, 0], [0, 0, 1], [2, 1, 1], [1, SUM_INDEX, 1]] as const) {
      const b = specBallot(ctx, DECISION, DECISION_VOTE, t);
      expect(verifySealedBallot(ctx, DECISION, b), `tamper ${t}`).toBe(false);
      expect(verifySealedBallot(ctx, DECISION, encodeSealedBallot(DECISION, b)), `tamper ${t}`).toBe(false);
    }
    const p = specBallot(ctx, PICK, [[0, 1, 1, 0]], [0, SUM_INDEX, 2]);
    expect(verifySealedBallot(ctx, PICK, p)).toBe(false);
  });

  it('a challenge replaced by its non-reduced equivalent c + ℓ (SCALAR_RANGE, no malleability)', () => {
    const off = exponentOffsets(DECISION)[0]!;
    const b = withBytes(off, le32(leInt(sealed.subarray(off, off + 32)) + ELL));
    expectCode(() => parseSealedBallot(DECISION, b), 'SCALAR_RANGE');
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a ciphertext swapped between two entries (proofs left in place)', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 64), e0);
    b.set(sealed.subarray(e0, e0 + 64), e1);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a ciphertext moved to another entry (the same one twice, proofs left in place)', () => {
    const [e0, e1] = [entryOffset(DECISION, 1, 0), entryOffset(DECISION, 1, 2)];
    expect(verifySealedBallot(ctx, DECISION, withBytes(e1, sealed.subarray(e0, e0 + 64)))).toBe(false);
  });

  it('an entry proof moved to another entry (ciphertext left in place)', () => {
    const [e0, e1] = [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 0, 1)];
    expect(verifySealedBallot(ctx, DECISION, withBytes(e1 + 64, sealed.subarray(e0 + 64, e0 + 320)))).toBe(false);
  });

  it('whole entries (ciphertext and proof) swapped within a group: the group sum is unchanged, the position binding fails', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 320), e0);
    b.set(sealed.subarray(e0, e0 + 320), e1);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a sum proof moved to another group (same range)', () => {
    const [from, len] = sumProofRange(DECISION, 0);
    const [to] = sumProofRange(DECISION, 2);
    expect(verifySealedBallot(ctx, DECISION, withBytes(to, sealed.subarray(from, from + len)))).toBe(false);
  });

  it('whole groups swapped', () => {
    const g = sealedBallotBytes(DECISION) / 3;
    const b = sealed.slice();
    b.set(sealed.subarray(g, 2 * g), 0);
    b.set(sealed.subarray(0, g), g);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a ballot moved to another token, ballot or election key', () => {
    expect(verifySealedBallot({ ...ctx, tokenHash: TOKEN2 }, DECISION, sealed)).toBe(false);
    expect(verifySealedBallot({ ...ctx, ballotId: 'ballot-t' }, DECISION, sealed)).toBe(false);
    expect(verifySealedBallot({ ...ctx, electionKey: OTHER_KEY }, DECISION, sealed)).toBe(false);
  });

  it('an entry copied from another ballot under another token, at the same position', () => {
    const other = sealBallot({ ...ctx, tokenHash: TOKEN2 }, DECISION, DECISION_VOTE);
    const e = entryOffset(DECISION, 1, 1);
    // same vote, so the group sum still encrypts 1
    expect(verifySealedBallot(ctx, DECISION, withBytes(e, other.subarray(e, e + 320)))).toBe(false);
  });

  it('an entry encrypting 2 or −1 (group sum still in range)', () => {
    const control = specBallot(ctx, DECISION, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(verifySealedBallot(ctx, DECISION, control)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[2, -1, 0], [0, 1, 0], [0, 0, 1]]))).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 0], [-1, 1, 1], [0, 0, 1]]))).toBe(false);
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[2, 0, 0, 0]]))).toBe(false);
  });

  it('a group sum outside [min, max] with valid 0/1 proofs', () => {
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 1], [0, 1, 0], [0, 0, 1]]))).toBe(false); // 2 in [1, 1]
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 0], [0, 0, 0], [0, 0, 1]]))).toBe(false); // 0 in [1, 1]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 1, 0]]))).toBe(false); // 3 in [0, 2]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 0, 0]]))).toBe(true); // control
  });

  it('a sum proof for another range or a structure that does not match the shape', () => {
    const p = parseSealedBallot(DECISION, sealed);
    const g0 = p.groups[0]!;
    const sp = g0.sumProof;
    const wide = { lo: 1, hi: 2, commitments: [...sp.commitments, sp.commitments[0]!], challenges: [...sp.challenges, 0n], responses: [...sp.responses, 0n] };
    expect(verifySealedBallot(ctx, DECISION, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] })).toBe(false);
    expectCode(() => encodeSealedBallot(DECISION, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] }), 'BAD_VALUE');
    const short = { ...sp, commitments: [] };
    expectCode(() => encodeSealedBallot(DECISION, { groups: [{ ...g0, sumProof: short }, ...p.groups.slice(1)] }), 'BAD_LENGTH');
    expect(verifySealedBallot(ctx, DECISION, { groups: [{ ...g0, sumProof: short }, ...p.groups.slice(1)] })).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, { groups: p.groups.slice(1) })).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, { groups: [{ ...g0, entries: g0.entries.slice(1) }, ...p.groups.slice(1)] })).toBe(false);
    expect(verifySealedBallot(ctx, PICK, sealed)).toBe(false);
  });

  it('a parsed ballot with an identity element (ciphertext or commitment) or an exponent ≥ ℓ', () => {
    const p = parseSealedBallot(DECISION, sealed);
    const g0 = p.groups[0]!;
    const e0 = g0.entries[0]!;
    const withEntry = (entry: (typeof g0.entries)[number]): SealedBallot => ({ groups: [{ ...g0, entries: [entry, ...g0.entries.slice(1)] }, ...p.groups.slice(1)] });
    const zeroAlpha = withEntry({ ...e0, ciphertext: { alpha: RP.ZERO, beta: e0.ciphertext.beta } });
    const zeroB = withEntry({ ...e0, proof: { ...e0.proof, commitments: [e0.proof.commitments[0]!, { A: e0.proof.commitments[1]!.A, B: RP.ZERO }] } });
    const notPoint = withEntry({ ...e0, proof: { ...e0.proof, commitments: [{ A: 1n, B: BASE } as unknown as { A: Element; B: Element }, e0.proof.commitments[1]!] } });
    const bigC = withEntry({ ...e0, proof: { ...e0.proof, challenges: [e0.proof.challenges[0]! + ELL, e0.proof.challenges[1]!] } });
    for (const b of [zeroAlpha, zeroB, notPoint, bigC]) expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
    expectCode(() => encodeSealedBallot(DECISION, zeroAlpha), 'POINT_IDENTITY');
    expectCode(() => encodeSealedBallot(DECISION, zeroB), 'POINT_IDENTITY');
    expectCode(() => encodeSealedBallot(DECISION, notPoint), 'BAD_TYPE');
    expectCode(() => encodeSealedBallot(DECISION, withEntry({ ...e0, proof: { ...e0.proof, responses: [ELL, 0n] } })), 'SCALAR_RANGE');
  });

  it('never throws, whatever the arguments (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (c, s, b) => {
        expect(verifySealedBallot(c as SealContext, s as BallotShape, b as Uint8Array)).toBe(false);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3264, maxLength: 3264 }), (b) => {
        expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

// ── The wire decoder ──────────────────────────────────────────────────────────────────────

describe('parseSealedBallot codes', () => {
  const P = 2n ** 255n - 19n;
  const [firstA, firstB] = commitmentOffsets(DECISION);
  const lastB = commitmentOffsets(DECISION).at(-1)!;

  it('round-trips the commitments', () => {
    const p = parseSealedBallot(DECISION, sealed);
    expect(p.groups[0]!.entries[0]!.proof.commitments[0]!.A.toBytes()).toEqual(sealed.subarray(firstA!, firstA! + 32));
    expect(p.groups[2]!.sumProof.commitments[0]!.B.toBytes()).toEqual(sealed.subarray(lastB, lastB + 32));
  });

  it('truncated or extended bytes: BAD_LENGTH (and verify is false)', () => {
    for (const b of [sealed.slice(0, -1), sealed.slice(0, -128), new Uint8Array([...sealed, 0]), new Uint8Array(0)]) {
      expectCode(() => parseSealedBallot(DECISION, b), 'BAD_LENGTH');
      expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
    }
    expectCode(() => parseSealedBallot(DECISION, 'ab' as unknown as Uint8Array), 'BAD_TYPE');
  });

  it('a non-canonical element (s ≥ p, or s negative), ciphertext or commitment: POINT_NOT_CANONICAL', () => {
    for (const off of [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 2, 2) + 32, firstA!, firstB!, lastB]) {
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(P))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(P + 2n))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(1n))), 'POINT_NOT_CANONICAL');
      expect(verifySealedBallot(ctx, DECISION, withBytes(off, le32(P)))).toBe(false);
    }
  });

  it('the identity element, ciphertext or commitment: POINT_IDENTITY', () => {
    for (const off of [entryOffset(DECISION, 1, 0), entryOffset(DECISION, 1, 0) + 32, firstA!, firstB!, lastB]) {
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, new Uint8Array(32))), 'POINT_IDENTITY');
      expect(verifySealedBallot(ctx, DECISION, withBytes(off, new Uint8Array(32)))).toBe(false);
    }
  });

  it('a canonical string that is no element: POINT_NOT_ON_CURVE', () => {
    let s = 2n;
    for (;; s += 2n) {
      try {
        decodeElement(le32(s));
      } catch {
        break;
      }
    }
    for (const off of [entryOffset(DECISION, 0, 1), firstB!])
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(s))), 'POINT_NOT_ON_CURVE');
  });

  it('an exponent ≥ ℓ: SCALAR_RANGE, for a challenge, a response and a sum-proof exponent', () => {
    const offs = exponentOffsets(DECISION);
    for (const off of [offs[0]!, offs[1]!, offs[offs.length - 1]!]) {
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(ELL))), 'SCALAR_RANGE');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, new Uint8Array(32).fill(0xff))), 'SCALAR_RANGE');
    }
    expect(parseSealedBallot(DECISION, withBytes(offs[0]!, le32(ELL - 1n)))).toBeDefined();
  });
});

// ── Hash, sums and ciphertext encodings ───────────────────────────────────────────────────

describe('ballotHash', () => {
  it('is SHA-256(message(DST_BALLOT_HASH, utf8(ballotId), bytes)) and depends on both', () => {
    const h = ballotHash(BALLOT, sealed);
    expect(h).toEqual(sha256(message(DST_BALLOT_HASH, utf8(BALLOT), sealed)));
    expect(h).toHaveLength(32);
    expect(ballotHash('ballot-t', sealed)).not.toEqual(h);
    const b = sealed.slice();
    b[5]! ^= 1;
    expect(ballotHash(BALLOT, b)).not.toEqual(h);
  });
  it('refuses a bad id (BAD_VALUE) and non-bytes (BAD_TYPE)', () => {
    expectCode(() => ballotHash('a/b', sealed), 'BAD_VALUE');
    expectCode(() => ballotHash(BALLOT, [1, 2] as unknown as Uint8Array), 'BAD_TYPE');
  });
});

describe('sumCiphertexts', () => {
  it('is (identity, identity) per entry for no ballots', () => {
    const sums = sumCiphertexts(DECISION, []);
    expect(sums).toHaveLength(9);
    for (const c of sums) {
      expect(c.alpha.equals(RP.ZERO)).toBe(true);
      expect(c.beta.equals(RP.ZERO)).toBe(true);
      expect(encodeCiphertext(c)).toEqual(new Uint8Array(64));
    }
  });

  it('is the entry-wise sum, flattened group by group, and decrypts to the counts with x', () => {
    const votes = [DECISION_VOTE, [[0, 1, 0], [0, 1, 0], [1, 0, 0]], [[1, 0, 0], [0, 0, 1], [0, 0, 1]]];
    const ballots = votes.map((v) => parseSealedBallot(DECISION, sealBallot(ctx, DECISION, v)));
    const sums = sumCiphertexts(DECISION, ballots);
    const flat = ballots.map((b) => b.groups.flatMap((g) => g.entries.map((e) => e.ciphertext)));
    sums.forEach((c, k) => {
      expect(c.alpha.equals(flat.reduce((a, f) => a.add(f[k]!.alpha), RP.ZERO))).toBe(true);
      const m = votes.reduce((a, v) => a + v[Math.floor(k / 3)]![k % 3]!, 0);
      expect(c.beta.subtract(c.alpha.multiply(x)).equals(mulG(m))).toBe(true);
    });
  });

  it('refuses a ballot of another structure (BAD_VALUE)', () => {
    const p = parseSealedBallot(DECISION, sealed);
    expectCode(() => sumCiphertexts(DECISION, [{ groups: p.groups.slice(1) }]), 'BAD_VALUE');
    expectCode(() => sumCiphertexts(PICK, [p]), 'BAD_VALUE');
  });
});

describe('ciphertext encodings', () => {
  const c = parseSealedBallot(DECISION, sealed).groups[0]!.entries[0]!.ciphertext;

  it('round-trip as 64 bytes and 128 hex digits', () => {
    const b = encodeCiphertext(c);
    expect(b).toEqual(sealed.subarray(0, 64));
    const d = decodeCiphertext(b);
    expect(d.alpha.equals(c.alpha) && d.beta.equals(c.beta)).toBe(true);
    const h = ciphertextToHex(c);
    expect(h).toMatch(/^[0-9a-f]{128}$/);
    expect(ciphertextFromHex(h).beta.equals(c.beta)).toBe(true);
    expect(sumCiphertextFromHex(h).alpha.equals(c.alpha)).toBe(true);
  });

  it('only the sum decoder accepts the identity', () => {
    expectCode(() => decodeCiphertext(new Uint8Array(64)), 'POINT_IDENTITY');
    expectCode(() => ciphertextFromHex('00'.repeat(64)), 'POINT_IDENTITY');
    const z = decodeSumCiphertext(new Uint8Array(64));
    expect(z.alpha.equals(RP.ZERO) && z.beta.equals(RP.ZERO)).toBe(true);
    const half = new Uint8Array([...new Uint8Array(32), ...c.beta.toBytes()]);
    expect(sumCiphertextFromHex(Buffer.from(half).toString('hex')).beta.equals(c.beta)).toBe(true);
  });

  it('refuse bad lengths, hex and encodings with their codes', () => {
    expectCode(() => decodeCiphertext(new Uint8Array(63)), 'BAD_LENGTH');
    expectCode(() => decodeSumCiphertext(new Uint8Array(65)), 'BAD_LENGTH');
    expectCode(() => ciphertextFromHex('AB'.repeat(64)), 'BAD_HEX');
    expectCode(() => sumCiphertextFromHex('00'.repeat(63)), 'BAD_LENGTH');
    expectCode(() => decodeSumCiphertext(new Uint8Array(64).fill(0xff)), 'POINT_NOT_CANONICAL');
    expectCode(() => encodeCiphertext({ alpha: c.alpha } as Ciphertext), 'BAD_TYPE');
  });
});

// ── Batch verification ────────────────────────────────────────────────────────────────────

describe('verifySealedBallots', () => {
  const tokenAt = (i: number) => sha256(utf8(`batch-token-${i}`));
  const ctxAt = (i: number): SealContext => ({ ...ctx, tokenHash: tokenAt(i) });
  const votes = [DECISION_VOTE, [[0, 1, 0], [0, 0, 1], [1, 0, 0]], [[0, 0, 1], [1, 0, 0], [0, 1, 0]]];
  /** 50 good ballots, each under its own token. */
  const good = Array.from({ length: 50 }, (_, i) => ({ ctx: ctxAt(i), bytes: sealBallot(ctxAt(i), DECISION, votes[i % 3]!) }));

  /** Ways to make ballot i bad: each must be refused by verifySealedBallot too. */
  const spoil = {
    /** a response changed: the hash equations hold, the batch equation does not */
    response: (i: number) => {
      const off = exponentOffsets(DECISION)[2 * (i % 21) + 1]!;
      return { ctx: ctxAt(i), bytes: withBytes(off, encodeExponent(modL(leInt(good[i]!.bytes.subarray(off, off + 32)) + 1n)), good[i]!.bytes) };
    },
    /** a commitment changed before hashing: only the batch equation fails */
    commitment: (i: number) => ({ ctx: ctxAt(i), bytes: specBallot(ctxAt(i), DECISION, votes[i % 3]!, [i % 3, i % 2 ? SUM_INDEX : i % 3, i % 2 ? 1 : (i >> 1) % 2]) }),
    /** an entry encrypting 2 */
    two: (i: number) => ({ ctx: ctxAt(i), bytes: encodeSealedBallot(DECISION, specBallot(ctxAt(i), DECISION, [[2, -1, 0], [0, 1, 0], [0, 0, 1]])) }),
    /** a challenge changed: a hash equation fails */
    challenge: (i: number) => {
      const off = exponentOffsets(DECISION)[2 * (i % 21)]!;
      return { ctx: ctxAt(i), bytes: withBytes(off, encodeExponent(modL(leInt(good[i]!.bytes.subarray(off, off + 32)) + 1n)), good[i]!.bytes) };
    },
    /** another token */
    token: (i: number) => ({ ctx: { ...ctxAt(i), tokenHash: TOKEN2 }, bytes: good[i]!.bytes }),
    /** does not decode */
    truncated: (i: number) => ({ ctx: ctxAt(i), bytes: good[i]!.bytes.slice(0, -1) }),
    identity: (i: number) => ({ ctx: ctxAt(i), bytes: withBytes(commitmentOffsets(DECISION)[i % 42]!, new Uint8Array(32), good[i]!.bytes) }),
  } as const;

  it('all good: no index (bytes and parsed ballots, mixed)', () => {
    expect(verifySealedBallots(DECISION, good)).toEqual([]);
    const mixed = good.slice(0, 6).map((it, i) => (i % 2 ? { ...it, bytes: parseSealedBallot(DECISION, it.bytes) } : it));
    expect(verifySealedBallots(DECISION, mixed)).toEqual([]);
    expect(verifySealedBallots(DECISION, [])).toEqual([]);
    expect(verifySealedBallots(DECISION, [good[7]!])).toEqual([]);
  });

  it('50 good ballots with one bad one in the middle: exactly that index, for every kind of fault', () => {
    for (const [kind, make] of Object.entries(spoil)) {
      const items = [...good.slice(0, 25), make(25), ...good.slice(25)];
      expect(items).toHaveLength(51);
      expect(verifySealedBallot(items[25]!.ctx, DECISION, items[25]!.bytes), kind).toBe(false);
      expect(verifySealedBallots(DECISION, items), kind).toEqual([25]);
    }
  });

  it('all bad: every index', () => {
    const kinds = Object.values(spoil);
    const items = Array.from({ length: 14 }, (_, i) => kinds[i % kinds.length]!(i));
    expect(verifySealedBallots(DECISION, items)).toEqual(items.map((_, i) => i));
    const equationOnly = Array.from({ length: 9 }, (_, i) => spoil.response(i));
    expect(verifySealedBallots(DECISION, equationOnly)).toEqual(equationOnly.map((_, i) => i));
  });

  it('ballots under different election keys and shapes of ballots in one batch', () => {
    const k2: SealContext = { ...ctxAt(0), electionKey: OTHER_KEY };
    const other = { ctx: k2, bytes: sealBallot(k2, DECISION, DECISION_VOTE) };
    expect(verifySealedBallots(DECISION, [good[0]!, other, good[1]!])).toEqual([]);
    expect(verifySealedBallots(DECISION, [good[0]!, { ...other, ctx: ctxAt(0) }, { ...good[1]!, ctx: k2 }])).toEqual([1, 2]);
    const pick = { ctx: ctxAt(3), bytes: sealBallot(ctxAt(3), PICK, [[1, 0, 0, 1]]) };
    expect(verifySealedBallots(DECISION, [good[0]!, pick])).toEqual([1]);
    expect(verifySealedBallots(PICK, [good[0]!, pick])).toEqual([0]);
  });

  it('never throws: a bad shape makes every ballot bad, a malformed item is bad', () => {
    expect(verifySealedBallots({ groups: [] }, good.slice(0, 3))).toEqual([0, 1, 2]);
    expect(verifySealedBallots(null as unknown as BallotShape, good.slice(0, 2))).toEqual([0, 1]);
    const junk = [null, 3, {}, { ctx: null, bytes: good[0]!.bytes }, { ctx: ctxAt(0), bytes: 'x' }, { ctx: ctxAt(0), bytes: { groups: 1 } }];
    expect(verifySealedBallots(DECISION, [good[0]!, ...(junk as never[]), good[1]!])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(verifySealedBallots(DECISION, 'x' as never)).toEqual([]);
  });

  it('reports progress after each ballot is decoded and hashed', () => {
    const seen: number[] = [];
    verifySealedBallots(DECISION, good.slice(0, 3), { onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([1, 2, 3]);
    expect(verifySealedBallots(DECISION, good.slice(0, 2), { onProgress: () => { throw new Error('x'); } })).toEqual([]);
  });

  it('agrees with one-by-one verification on random mixes of good and bad ballots (property)', () => {
    const kinds: ('good' | keyof typeof spoil)[] = ['good', 'good', 'good', ...(Object.keys(spoil) as (keyof typeof spoil)[])];
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.nat({ max: good.length - 1 }), kind: fc.constantFrom(...kinds), parsed: fc.boolean() }), { maxLength: 14 }),
        (spec) => {
          const items = spec.map(({ i, kind, parsed }) => {
            const it = kind === 'good' ? good[i]! : spoil[kind](i);
            return parsed && kind === 'good' ? { ...it, bytes: parseSealedBallot(DECISION, it.bytes as Uint8Array) } : it;
          });
          const alone = items.flatMap((it, k) => (verifySealedBallot(it.ctx, DECISION, it.bytes) ? [] : [k]));
          expect(alone).toEqual(spec.flatMap((s, k) => (s.kind === 'good' ? [] : [k])));
          expect(verifySealedBallots(DECISION, items)).toEqual(alone);
        },
      ),
      { numRuns: 8 },
    );
  });
});
