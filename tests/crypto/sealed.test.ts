// Sealed selection vectors (crypto/sealed.ts, protocol §5), in both encodings of a group:
// entry-wise (each entry's ciphertext with its 0/1 proof, the group's sum proof) and packed
// (a single-choice group of at most two digits: one ciphertext of a message in {0, 1, B} with
// one disjunctive proof, B = 2^17), and shapes that mix them. Shapes, sealing and verification
// round trips, an independent prover written from the spec (accepted by the verifier), a
// failing check for every way a ballot can be wrong (each commitment, challenge and response,
// swapped ciphertexts and entries, proofs moved to another position, token, ballot or key,
// entries encrypting 2 or −1, group sums outside [min, max], packed messages outside their set,
// packed proofs hashed as interval proofs or at another index, proofs whose hash holds but
// whose equations do not), the wire decoder's exact codes, and batch verification with
// bisection (one bad ballot among good ones, all bad, and agreement with one-by-one
// verification). Verdicts are taken both ways: with the batched MSM (noble) and equation by
// equation on a group backend (libsodium, and the reference group) — `verdict` checks they agree.
import { beforeAll, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../crypto/bytes.ts';
import { groupBackend, referenceGroup, useBackend, type GroupBackend } from '../../crypto/backend.ts';
import { loadSodiumBackend } from '../../crypto/backend-sodium.ts';
import { DST_BALLOT_HASH, DST_BALLOT_PACKED_PROOF, DST_BALLOT_PROOF } from '../../crypto/dst.ts';
import { fields, message, u32be } from '../../crypto/encoding.ts';
import { BASE, ELL, RP, decodeElement, encodeExponent, hashToExponent, modL, randomExponent, type Element } from '../../crypto/group.ts';
import {
  PACKED_PROOF_INDEX, PACK_BASE, SUM_PROOF_INDEX, ballotHash, checkShape, ciphertextFromHex, ciphertextToHex, decodeCiphertext,
  decodeSumCiphertext, encodeCiphertext, encodeSealedBallot, packedDigits, packedValues, parseSealedBallot, sealBallot,
  sealedBallotBytes, sealedCiphertexts, sumCiphertextFromHex, sumCiphertexts, sumCount, sumSealedBallots, verifySealedBallot,
  verifySealedBallotWith, verifySealedBallots,
  type BallotGroup, type BallotShape, type Ciphertext, type IntervalProof, type SealContext, type SealedBallot,
  type SealedEntryGroup, type SealedPackedGroup,
} from '../../crypto/sealed.ts';
import { expectCode } from '../helpers/expect-code.ts';
import { B, selectionsOf, specMessage, specPacked, specValues, sumMessages } from '../helpers/packing.ts';

const BALLOT = 'ballot-s';
/** The spec's constants (protocol §5.1, §5.3), written out rather than imported. */
const SUM_INDEX = 0xffffffff;
const PACKED_INDEX = 0xfffffffe;

const x = randomExponent();
const Y = BASE.multiply(x);
const KEY = Y.toBytes();
const OTHER_KEY = BASE.multiply(randomExponent()).toBytes();
const TOKEN = sha256(utf8('token-1'));
const TOKEN2 = sha256(utf8('token-2'));
const ctx: SealContext = { ballotId: BALLOT, electionKey: KEY, tokenHash: TOKEN };

const group = (size: number, min: number, max: number) => ({ size, min, max });
/**
 * Entry-wise: three groups of four options, exactly one each (size − min = 3 > 2 digits, so
 * every entry has its own ciphertext and 0/1 proof, and each group a sum proof).
 */
const CHOICE: BallotShape = checkShape({ groups: [group(4, 1, 1), group(4, 1, 1), group(4, 1, 1)] });
/** Recommendation: pick at most 2 of 4 (entry-wise: max = 2). */
const PICK: BallotShape = checkShape({ groups: [group(4, 0, 2)] });
const CHOICE_VOTE = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]];

const mulG = (j: number): Element => (j === 0 ? RP.ZERO : j > 0 ? BASE.multiply(BigInt(j)) : BASE.multiply(BigInt(-j)).negate());

// ── An independent prover, written from protocol §5.3 (not from crypto/sealed.ts) ─────────

function contextOf(c: SealContext, g: number, e: number): Uint8Array {
  return fields(utf8(c.ballotId), c.electionKey, c.tokenHash, u32be(g), u32be(e));
}

/**
 * The spec's disjunctive prover over branch messages `values`: simulated branches k ≠ real, the
 * real branch with A = w·G, B = w·Y, c = H(dst; context, ...header, α, β, A_0, B_0, …). With
 * real = null (the message is none of `values`) this is the best a cheater can do: it answers
 * branch 0 as if it were real, which it cannot be. `tamper` adds G to A_k of branch k before
 * hashing, so the hash equation holds and only that branch's verification equation fails.
 */
function specDisjunctive(
  dst: string, context: Uint8Array, header: readonly Uint8Array[], values: readonly number[],
  alpha: Element, beta: Element, real: number | null, r: bigint, tamper?: number,
): Pick<IntervalProof, 'commitments' | 'challenges' | 'responses'> {
  const k0 = real ?? 0;
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  const commitments: { A: Element; B: Element }[] = [];
  const w = randomExponent();
  values.forEach((m, k) => {
    if (k === k0) {
      commitments.push({ A: BASE.multiply(w), B: Y.multiply(w) });
      cs.push(0n);
      ss.push(0n);
    } else {
      const c = randomExponent();
      const s = randomExponent();
      commitments.push({ A: BASE.multiply(s).subtract(alpha.multiply(c)), B: Y.multiply(s).subtract(beta.subtract(mulG(m)).multiply(c)) });
      cs.push(c);
      ss.push(s);
    }
    if (k === tamper) commitments[k] = { ...commitments[k]!, A: commitments[k]!.A.add(BASE) };
  });
  const c = hashToExponent(dst, context, ...header, alpha.toBytes(), beta.toBytes(), ...commitments.flatMap(({ A, B }) => [A.toBytes(), B.toBytes()]));
  const cm = modL(c - cs.reduce((a, b) => a + b, 0n));
  cs[k0] = cm;
  ss[k0] = modL(w + cm * r);
  return { commitments, challenges: cs, responses: ss };
}

/** An interval proof m ∈ [lo, hi] (DST_BALLOT_PROOF, header u32be(lo) ‖ u32be(hi)); `tamper` is a message j of [lo, hi]. */
function specProve(
  context: Uint8Array, alpha: Element, beta: Element, lo: number, hi: number, m: number, r: bigint, tamper?: number,
): IntervalProof {
  const values = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  const real = m >= lo && m <= hi ? m - lo : null;
  const t = tamper === undefined ? undefined : tamper - lo;
  return { lo, hi, ...specDisjunctive(DST_BALLOT_PROOF, context, [u32be(lo), u32be(hi)], values, alpha, beta, real, r, t) };
}

/** How a packed proof is made: the spec's way by default; each field replaced for the refusals. */
type PackedHow = { readonly dst?: string; readonly index?: number; readonly header?: (d: number) => Uint8Array[] };

/** A packed proof m ∈ specValues(D) (DST_BALLOT_PACKED_PROOF, header u32be(D) ‖ u32be(B)); `tamper` is a branch k. */
function specPackedProve(
  context: Uint8Array, alpha: Element, beta: Element, d: number, m: number, r: bigint, tamper?: number, how: PackedHow = {},
): IntervalProof {
  const values = specValues(d);
  const k = values.indexOf(m);
  const header = how.header ? how.header(d) : [u32be(d), u32be(B)];
  return { lo: 0, hi: d, ...specDisjunctive(how.dst ?? DST_BALLOT_PACKED_PROOF, context, header, values, alpha, beta, k < 0 ? null : k, r, tamper) };
}

/** Encrypt any integer m (also 2, −1 or B²): α = r·G, β = m·G + r·Y. */
function encrypt(m: number): { ct: Ciphertext; r: bigint } {
  const r = randomExponent();
  return { ct: { alpha: BASE.multiply(r), beta: mulG(m).add(Y.multiply(r)) }, r };
}

/** Per group: a selection (any integers for an entry-wise group), or for a packed group its message `{m}` directly. */
type SpecValues = readonly (readonly number[] | { readonly m: number })[];

/**
 * A ballot built by the spec prover from any values, with honest proof attempts throughout;
 * `tamper = [group, entry or SUM_INDEX or PACKED_INDEX, j]` tampers with one branch (see
 * specDisjunctive: j is a message of the interval, or a packed proof's branch); `how` changes
 * how the packed proofs are made.
 */
function specBallot(c: SealContext, shape: BallotShape, values: SpecValues, tamper?: readonly [number, number, number], how: PackedHow = {}): SealedBallot {
  const t = (gi: number, ei: number) => (tamper && tamper[0] === gi && tamper[1] === ei ? tamper[2] : undefined);
  return {
    groups: shape.groups.map((g, gi): SealedEntryGroup | SealedPackedGroup => {
      const v = values[gi]!;
      if (specPacked(g)) {
        const m = Array.isArray(v) ? specMessage(g, v) : (v as { m: number }).m;
        const { ct, r } = encrypt(m);
        const proof = specPackedProve(contextOf(c, gi, how.index ?? PACKED_INDEX), ct.alpha, ct.beta, g.size - g.min, m, r, t(gi, PACKED_INDEX), how);
        return { packed: { ciphertext: ct, proof } };
      }
      let R = 0n;
      let M = 0;
      let A = RP.ZERO;
      let Bs = RP.ZERO;
      const entries = (v as readonly number[]).map((m, ei) => {
        const { ct, r } = encrypt(m);
        R = modL(R + r);
        M += m;
        A = A.add(ct.alpha);
        Bs = Bs.add(ct.beta);
        return { ciphertext: ct, proof: specProve(contextOf(c, gi, ei), ct.alpha, ct.beta, 0, 1, m, r, t(gi, ei)) };
      });
      return { entries, sumProof: specProve(contextOf(c, gi, SUM_INDEX), A, Bs, g.min, g.max, M, R, t(gi, SUM_INDEX)) };
    }),
  };
}

// ── The wire layout, written from protocol §5.2 ───────────────────────────────────────────

/**
 * Where each group of a sealed ballot of `shape` lies: its start and end, the offsets of its
 * ciphertexts (α; β follows at +32) and of its proofs' branches (A_k ‖ B_k ‖ c_k ‖ s_k, 128
 * bytes each). An entry-wise group is, per entry, α ‖ β ‖ 2 branches (320 bytes), then the sum
 * proof's max − min + 1 branches; a packed group is α ‖ β then D + 1 branches.
 */
type GroupLayout = { readonly start: number; readonly end: number; readonly packed: boolean; readonly ciphertexts: number[]; readonly branches: number[] };
function layout(shape: BallotShape): GroupLayout[] {
  let off = 0;
  return shape.groups.map((g) => {
    const start = off;
    const ciphertexts: number[] = [];
    const branches: number[] = [];
    if (specPacked(g)) {
      ciphertexts.push(off);
      off += 64;
      for (let k = 0; k <= g.size - g.min; k++, off += 128) branches.push(off);
    } else {
      for (let e = 0; e < g.size; e++) {
        ciphertexts.push(off);
        off += 64;
        for (let k = 0; k < 2; k++, off += 128) branches.push(off);
      }
      for (let k = 0; k < g.max - g.min + 1; k++, off += 128) branches.push(off);
    }
    return { start, end: off, packed: specPacked(g), ciphertexts, branches };
  });
}
/** Byte offsets of the branches of every proof of a sealed ballot of `shape`. */
const branchOffsets = (shape: BallotShape): number[] => layout(shape).flatMap((l) => l.branches);
/** Byte offsets of every exponent (challenge, response) in a sealed ballot of `shape`. */
const exponentOffsets = (shape: BallotShape): number[] => branchOffsets(shape).flatMap((o) => [o + 64, o + 96]);
/** Byte offsets of every commitment (A_j, B_j) in a sealed ballot of `shape`. */
const commitmentOffsets = (shape: BallotShape): number[] => branchOffsets(shape).flatMap((o) => [o, o + 32]);

/** Byte offset of entry e of entry-wise group g (its α). */
function entryOffset(shape: BallotShape, g: number, e: number): number {
  return layout(shape)[g]!.start + 320 * e;
}
/** Byte offset and length of the sum proof of entry-wise group g. */
function sumProofRange(shape: BallotShape, g: number): [number, number] {
  const gr = shape.groups[g]!;
  return [entryOffset(shape, g, gr.size), 128 * (gr.max - gr.min + 1)];
}

/** Group gi of a parsed ballot, which must be entry-wise / packed. */
function entryGroup(p: SealedBallot, gi: number): SealedEntryGroup {
  const g = p.groups[gi]!;
  if (!('entries' in g) || 'packed' in g) throw new Error(`group ${gi} is not entry-wise`);
  return g;
}
function packedGroup(p: SealedBallot, gi: number): SealedPackedGroup['packed'] {
  const g = p.groups[gi]!;
  if (!('packed' in g) || 'entries' in g) throw new Error(`group ${gi} is not packed`);
  return g.packed;
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

// ── Both verifiers ────────────────────────────────────────────────────────────────────────

let sodium: GroupBackend;
beforeAll(async () => {
  sodium = await loadSodiumBackend();
});

/**
 * Both verifiers' verdicts on wire bytes: the batched MSM (on the parsed ballot, which never
 * takes the equation-by-equation path; a ballot that does not parse is false) and equation by
 * equation on libsodium (what verifySealedBallot does with bytes under the fast backend). They
 * must agree; `verdict` returns their common answer. (The reference group equation by equation
 * is several times slower; it is checked on the valid ballots only, `verdictAll`.)
 */
function verdict(c: SealContext, shape: BallotShape, bytes: Uint8Array): boolean {
  let parsed: SealedBallot | null = null;
  try {
    parsed = parseSealedBallot(shape, bytes);
  } catch {
    parsed = null;
  }
  const v = {
    msm: parsed !== null && verifySealedBallot(c, shape, parsed),
    sodium: verifySealedBallotWith(sodium, c, shape, bytes),
  };
  expect(v.sodium, `verifiers disagree: ${JSON.stringify(v)}`).toBe(v.msm);
  return v.msm;
}
/** `verdict`, and also verifySealedBallot as configured (PIAOJUE_CRYPTO) and the reference group equation by equation. */
function verdictAll(c: SealContext, shape: BallotShape, bytes: Uint8Array): boolean {
  const v = verdict(c, shape, bytes);
  expect(verifySealedBallot(c, shape, bytes), 'configured').toBe(v);
  expect(verifySealedBallotWith(referenceGroup, c, shape, bytes), 'reference group').toBe(v);
  return v;
}

/** Run `f` with the reference group (batched MSM), then with the fast one (libsodium); restore what was in use. */
async function onBoth<T>(f: () => T): Promise<{ reference: T; fast: T }> {
  const before = groupBackend() === null ? 'reference' : 'fast';
  try {
    await useBackend('reference');
    expect(groupBackend()).toBeNull();
    const reference = f();
    await useBackend('fast');
    expect(groupBackend()?.name).toBe('libsodium');
    return { reference, fast: f() };
  } finally {
    await useBackend(before);
  }
}

const sealed: Uint8Array = sealBallot(ctx, CHOICE, CHOICE_VOTE);

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
    expect(sealedBallotBytes(CHOICE)).toBe(12 * 320 + 3 * 128);
    expect(sealedBallotBytes(CHOICE)).toBe(4224);
    expect(sealedBallotBytes(PICK)).toBe(4 * 320 + 3 * 128);
    expect(sealBallot(ctx, PICK, [[0, 1, 0, 1]])).toHaveLength(sealedBallotBytes(PICK));
  });
});

// ── Round trips ───────────────────────────────────────────────────────────────────────────

describe('sealBallot → parseSealedBallot → verifySealedBallot', () => {
  it('an entry-wise ballot (3 groups of one in four) seals to the fixed size, parses, re-encodes identically and verifies', () => {
    expect(sealed).toHaveLength(sealedBallotBytes(CHOICE));
    const parsed = parseSealedBallot(CHOICE, sealed);
    expect(encodeSealedBallot(CHOICE, parsed)).toEqual(sealed);
    expect(verifySealedBallot(ctx, CHOICE, sealed)).toBe(true);
    expect(verifySealedBallot(ctx, CHOICE, parsed)).toBe(true);
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
    const b = specBallot(ctx, CHOICE, CHOICE_VOTE);
    expect(verifySealedBallot(ctx, CHOICE, b)).toBe(true);
    expect(verifySealedBallot(ctx, CHOICE, encodeSealedBallot(CHOICE, b))).toBe(true);
    const p = specBallot(ctx, PICK, [[0, 0, 0, 0]]);
    expect(verifySealedBallot(ctx, PICK, encodeSealedBallot(PICK, p))).toBe(true);
  });

  it('two seals of the same selections differ (fresh randomness), with opts.random they are reproducible', () => {
    expect(sealBallot(ctx, CHOICE, CHOICE_VOTE)).not.toEqual(sealed);
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
      [[1, 0, 0, 0], [0, 1, 0, 0]], // a group missing
      [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]], // a group too many
      [[1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // an entry missing
      [[1, 0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // an entry too many
      [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // entry 2
      [[-1, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // entry −1 (sum still 1)
      [[0.5, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
      [[true, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
      [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // two selections in a [1, 1] group
      [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], // none in a [1, 1] group
      'x', null,
    ])
      expectCode(() => sealBallot(ctx, CHOICE, bad as number[][]), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, PICK, [[1, 1, 1, 0]]), 'BAD_VALUE');
  });

  it('a bad context or shape', () => {
    expectCode(() => sealBallot({ ...ctx, ballotId: 'a b' }, CHOICE, CHOICE_VOTE), 'BAD_VALUE');
    expectCode(() => sealBallot({ ...ctx, electionKey: new Uint8Array(32) }, CHOICE, CHOICE_VOTE), 'POINT_IDENTITY');
    expectCode(() => sealBallot({ ...ctx, electionKey: KEY.slice(1) }, CHOICE, CHOICE_VOTE), 'BAD_LENGTH');
    expectCode(() => sealBallot({ ...ctx, tokenHash: TOKEN.slice(1) }, CHOICE, CHOICE_VOTE), 'BAD_LENGTH');
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
    const offsets = exponentOffsets(CHOICE);
    expect(offsets).toHaveLength(12 * 4 + 3 * 2);
    for (const off of offsets) {
      const b = withBytes(off, encodeExponent(modL(leInt(sealed.subarray(off, off + 32)) + 1n)));
      expect(verdict(ctx, CHOICE, b), `exponent at ${off}`).toBe(false);
    }
  });

  it('any commitment A_j or B_j replaced by another element, anywhere in the ballot', () => {
    const offsets = commitmentOffsets(CHOICE);
    expect(offsets).toHaveLength(2 * (12 * 2 + 3));
    for (const off of offsets) {
      const moved = decodeElement(sealed.subarray(off, off + 32)).add(BASE).toBytes();
      expect(verdict(ctx, CHOICE, withBytes(off, moved)), `commitment at ${off}`).toBe(false);
    }
  });

  it('challenges moved between two branches (their sum, hence the hash equation, unchanged): the batch equation fails', () => {
    for (const o of [branchOffsets(CHOICE)[0]!, branchOffsets(CHOICE)[4]!]) {
      const c0 = leInt(sealed.subarray(o + 64, o + 96));
      const c1 = leInt(sealed.subarray(o + 128 + 64, o + 128 + 96));
      const b = withBytes(o + 128 + 64, encodeExponent(modL(c1 - 5n)), withBytes(o + 64, encodeExponent(modL(c0 + 5n))));
      expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
    }
  });

  it('a commitment changed before hashing (the hash equation holds, one verification equation does not)', () => {
    for (const t of [[0, 0, 0], [0, 0, 1], [2, 3, 1], [1, SUM_INDEX, 1]] as const) {
      const b = specBallot(ctx, CHOICE, CHOICE_VOTE, t);
      expect(verifySealedBallot(ctx, CHOICE, b), `tamper ${t}`).toBe(false);
      expect(verdict(ctx, CHOICE, encodeSealedBallot(CHOICE, b)), `tamper ${t}`).toBe(false);
    }
    const p = specBallot(ctx, PICK, [[0, 1, 1, 0]], [0, SUM_INDEX, 2]);
    expect(verifySealedBallot(ctx, PICK, p)).toBe(false);
  });

  it('a challenge replaced by its non-reduced equivalent c + ℓ (SCALAR_RANGE, no malleability)', () => {
    const off = exponentOffsets(CHOICE)[0]!;
    const b = withBytes(off, le32(leInt(sealed.subarray(off, off + 32)) + ELL));
    expectCode(() => parseSealedBallot(CHOICE, b), 'SCALAR_RANGE');
    expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
  });

  it('a ciphertext swapped between two entries (proofs left in place)', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(CHOICE, 0, 0), entryOffset(CHOICE, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 64), e0);
    b.set(sealed.subarray(e0, e0 + 64), e1);
    expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
  });

  it('a ciphertext moved to another entry (the same one twice, proofs left in place)', () => {
    const [e0, e1] = [entryOffset(CHOICE, 1, 0), entryOffset(CHOICE, 1, 2)];
    expect(verifySealedBallot(ctx, CHOICE, withBytes(e1, sealed.subarray(e0, e0 + 64)))).toBe(false);
  });

  it('an entry proof moved to another entry (ciphertext left in place)', () => {
    const [e0, e1] = [entryOffset(CHOICE, 0, 0), entryOffset(CHOICE, 0, 1)];
    expect(verifySealedBallot(ctx, CHOICE, withBytes(e1 + 64, sealed.subarray(e0 + 64, e0 + 320)))).toBe(false);
  });

  it('whole entries (ciphertext and proof) swapped within a group: the group sum is unchanged, the position binding fails', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(CHOICE, 0, 0), entryOffset(CHOICE, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 320), e0);
    b.set(sealed.subarray(e0, e0 + 320), e1);
    expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
  });

  it('a sum proof moved to another group (same range)', () => {
    const [from, len] = sumProofRange(CHOICE, 0);
    const [to] = sumProofRange(CHOICE, 2);
    expect(verifySealedBallot(ctx, CHOICE, withBytes(to, sealed.subarray(from, from + len)))).toBe(false);
  });

  it('whole groups swapped', () => {
    const g = sealedBallotBytes(CHOICE) / 3;
    const b = sealed.slice();
    b.set(sealed.subarray(g, 2 * g), 0);
    b.set(sealed.subarray(0, g), g);
    expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
  });

  it('a ballot moved to another token, ballot or election key', () => {
    expect(verdict(ctx, CHOICE, sealed)).toBe(true);
    expect(verdict({ ...ctx, tokenHash: TOKEN2 }, CHOICE, sealed)).toBe(false);
    expect(verdict({ ...ctx, ballotId: 'ballot-t' }, CHOICE, sealed)).toBe(false);
    expect(verdict({ ...ctx, electionKey: OTHER_KEY }, CHOICE, sealed)).toBe(false);
  });

  it('an entry copied from another ballot under another token, at the same position', () => {
    const other = sealBallot({ ...ctx, tokenHash: TOKEN2 }, CHOICE, CHOICE_VOTE);
    const e = entryOffset(CHOICE, 1, 1);
    // same vote, so the group sum still encrypts 1
    expect(verifySealedBallot(ctx, CHOICE, withBytes(e, other.subarray(e, e + 320)))).toBe(false);
  });

  it('an entry encrypting 2 or −1 (group sum still in range)', () => {
    const control = specBallot(ctx, CHOICE, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
    expect(verifySealedBallot(ctx, CHOICE, control)).toBe(true);
    expect(verifySealedBallot(ctx, CHOICE, specBallot(ctx, CHOICE, [[2, -1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))).toBe(false);
    expect(verifySealedBallot(ctx, CHOICE, specBallot(ctx, CHOICE, [[1, 0, 0, 0], [-1, 1, 1, 0], [0, 0, 1, 0]]))).toBe(false);
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[2, 0, 0, 0]]))).toBe(false);
  });

  it('a group sum outside [min, max] with valid 0/1 proofs', () => {
    expect(verifySealedBallot(ctx, CHOICE, specBallot(ctx, CHOICE, [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))).toBe(false); // 2 in [1, 1]
    expect(verifySealedBallot(ctx, CHOICE, specBallot(ctx, CHOICE, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]))).toBe(false); // 0 in [1, 1]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 1, 0]]))).toBe(false); // 3 in [0, 2]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 0, 0]]))).toBe(true); // control
  });

  it('a sum proof for another range or a structure that does not match the shape', () => {
    const p = parseSealedBallot(CHOICE, sealed);
    const g0 = entryGroup(p, 0);
    const sp = g0.sumProof;
    const wide = { lo: 1, hi: 2, commitments: [...sp.commitments, sp.commitments[0]!], challenges: [...sp.challenges, 0n], responses: [...sp.responses, 0n] };
    expect(verifySealedBallot(ctx, CHOICE, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] })).toBe(false);
    expectCode(() => encodeSealedBallot(CHOICE, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] }), 'BAD_VALUE');
    const short = { ...sp, commitments: [] };
    expectCode(() => encodeSealedBallot(CHOICE, { groups: [{ ...g0, sumProof: short }, ...p.groups.slice(1)] }), 'BAD_LENGTH');
    expect(verifySealedBallot(ctx, CHOICE, { groups: [{ ...g0, sumProof: short }, ...p.groups.slice(1)] })).toBe(false);
    expect(verifySealedBallot(ctx, CHOICE, { groups: p.groups.slice(1) })).toBe(false);
    expect(verifySealedBallot(ctx, CHOICE, { groups: [{ ...g0, entries: g0.entries.slice(1) }, ...p.groups.slice(1)] })).toBe(false);
    expect(verifySealedBallot(ctx, PICK, sealed)).toBe(false);
  });

  it('a parsed ballot with an identity element (ciphertext or commitment) or an exponent ≥ ℓ', () => {
    const p = parseSealedBallot(CHOICE, sealed);
    const g0 = entryGroup(p, 0);
    const e0 = g0.entries[0]!;
    const withEntry = (entry: (typeof g0.entries)[number]): SealedBallot => ({ groups: [{ ...g0, entries: [entry, ...g0.entries.slice(1)] }, ...p.groups.slice(1)] });
    const zeroAlpha = withEntry({ ...e0, ciphertext: { alpha: RP.ZERO, beta: e0.ciphertext.beta } });
    const zeroB = withEntry({ ...e0, proof: { ...e0.proof, commitments: [e0.proof.commitments[0]!, { A: e0.proof.commitments[1]!.A, B: RP.ZERO }] } });
    const notPoint = withEntry({ ...e0, proof: { ...e0.proof, commitments: [{ A: 1n, B: BASE } as unknown as { A: Element; B: Element }, e0.proof.commitments[1]!] } });
    const bigC = withEntry({ ...e0, proof: { ...e0.proof, challenges: [e0.proof.challenges[0]! + ELL, e0.proof.challenges[1]!] } });
    for (const b of [zeroAlpha, zeroB, notPoint, bigC]) expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
    expectCode(() => encodeSealedBallot(CHOICE, zeroAlpha), 'POINT_IDENTITY');
    expectCode(() => encodeSealedBallot(CHOICE, zeroB), 'POINT_IDENTITY');
    expectCode(() => encodeSealedBallot(CHOICE, notPoint), 'BAD_TYPE');
    expectCode(() => encodeSealedBallot(CHOICE, withEntry({ ...e0, proof: { ...e0.proof, responses: [ELL, 0n] } })), 'SCALAR_RANGE');
  });

  it('never throws, whatever the arguments (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (c, s, b) => {
        expect(verifySealedBallot(c as SealContext, s as BallotShape, b as Uint8Array)).toBe(false);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4224, maxLength: 4224 }), (b) => {
        expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

// ── The wire decoder ──────────────────────────────────────────────────────────────────────

describe('parseSealedBallot codes', () => {
  const P = 2n ** 255n - 19n;
  const [firstA, firstB] = commitmentOffsets(CHOICE);
  const lastB = commitmentOffsets(CHOICE).at(-1)!;

  it('round-trips the commitments', () => {
    const p = parseSealedBallot(CHOICE, sealed);
    expect(entryGroup(p, 0).entries[0]!.proof.commitments[0]!.A.toBytes()).toEqual(sealed.subarray(firstA!, firstA! + 32));
    expect(entryGroup(p, 2).sumProof.commitments[0]!.B.toBytes()).toEqual(sealed.subarray(lastB, lastB + 32));
  });

  it('truncated or extended bytes: BAD_LENGTH (and verify is false)', () => {
    for (const b of [sealed.slice(0, -1), sealed.slice(0, -128), new Uint8Array([...sealed, 0]), new Uint8Array(0)]) {
      expectCode(() => parseSealedBallot(CHOICE, b), 'BAD_LENGTH');
      expect(verifySealedBallot(ctx, CHOICE, b)).toBe(false);
    }
    expectCode(() => parseSealedBallot(CHOICE, 'ab' as unknown as Uint8Array), 'BAD_TYPE');
  });

  it('a non-canonical element (s ≥ p, or s negative), ciphertext or commitment: POINT_NOT_CANONICAL', () => {
    for (const off of [entryOffset(CHOICE, 0, 0), entryOffset(CHOICE, 2, 2) + 32, firstA!, firstB!, lastB]) {
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, le32(P))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, le32(P + 2n))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, le32(1n))), 'POINT_NOT_CANONICAL');
      expect(verifySealedBallot(ctx, CHOICE, withBytes(off, le32(P)))).toBe(false);
    }
  });

  it('the identity element, ciphertext or commitment: POINT_IDENTITY', () => {
    for (const off of [entryOffset(CHOICE, 1, 0), entryOffset(CHOICE, 1, 0) + 32, firstA!, firstB!, lastB]) {
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, new Uint8Array(32))), 'POINT_IDENTITY');
      expect(verifySealedBallot(ctx, CHOICE, withBytes(off, new Uint8Array(32)))).toBe(false);
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
    for (const off of [entryOffset(CHOICE, 0, 1), firstB!])
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, le32(s))), 'POINT_NOT_ON_CURVE');
  });

  it('an exponent ≥ ℓ: SCALAR_RANGE, for a challenge, a response and a sum-proof exponent', () => {
    const offs = exponentOffsets(CHOICE);
    for (const off of [offs[0]!, offs[1]!, offs[offs.length - 1]!]) {
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, le32(ELL))), 'SCALAR_RANGE');
      expectCode(() => parseSealedBallot(CHOICE, withBytes(off, new Uint8Array(32).fill(0xff))), 'SCALAR_RANGE');
    }
    expect(parseSealedBallot(CHOICE, withBytes(offs[0]!, le32(ELL - 1n)))).toBeDefined();
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
    const sums = sumCiphertexts(CHOICE, []);
    expect(sums).toHaveLength(12);
    for (const c of sums) {
      expect(c.alpha.equals(RP.ZERO)).toBe(true);
      expect(c.beta.equals(RP.ZERO)).toBe(true);
      expect(encodeCiphertext(c)).toEqual(new Uint8Array(64));
    }
  });

  it('is the entry-wise sum, flattened group by group, and decrypts to the counts with x', () => {
    const votes = [CHOICE_VOTE, [[0, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]], [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]];
    const ballots = votes.map((v) => parseSealedBallot(CHOICE, sealBallot(ctx, CHOICE, v)));
    const sums = sumCiphertexts(CHOICE, ballots);
    const flat = ballots.map((b) => b.groups.flatMap((_, gi) => entryGroup(b, gi).entries.map((e) => e.ciphertext)));
    sums.forEach((c, k) => {
      expect(c.alpha.equals(flat.reduce((a, f) => a.add(f[k]!.alpha), RP.ZERO))).toBe(true);
      const m = votes.reduce((a, v) => a + v[Math.floor(k / 4)]![k % 4]!, 0);
      expect(c.beta.subtract(c.alpha.multiply(x)).equals(mulG(m))).toBe(true);
    });
  });

  it('refuses a ballot of another structure (BAD_VALUE)', () => {
    const p = parseSealedBallot(CHOICE, sealed);
    expectCode(() => sumCiphertexts(CHOICE, [{ groups: p.groups.slice(1) }]), 'BAD_VALUE');
    expectCode(() => sumCiphertexts(PICK, [p]), 'BAD_VALUE');
  });
});

describe('ciphertext encodings', () => {
  const c = entryGroup(parseSealedBallot(CHOICE, sealed), 0).entries[0]!.ciphertext;

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
  const votes = [CHOICE_VOTE, [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]], [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]];
  /** 30 good ballots, each under its own token. */
  const good = Array.from({ length: 30 }, (_, i) => ({ ctx: ctxAt(i), bytes: sealBallot(ctxAt(i), CHOICE, votes[i % 3]!) }));

  /** Ways to make ballot i bad: each must be refused by verifySealedBallot too. */
  const spoil = {
    /** a response changed: the hash equations hold, the batch equation does not */
    response: (i: number) => {
      const off = exponentOffsets(CHOICE)[2 * (i % 27) + 1]!;
      return { ctx: ctxAt(i), bytes: withBytes(off, encodeExponent(modL(leInt(good[i]!.bytes.subarray(off, off + 32)) + 1n)), good[i]!.bytes) };
    },
    /** a commitment changed before hashing: only the batch equation fails */
    commitment: (i: number) => ({ ctx: ctxAt(i), bytes: specBallot(ctxAt(i), CHOICE, votes[i % 3]!, [i % 3, i % 2 ? SUM_INDEX : i % 3, i % 2 ? 1 : (i >> 1) % 2]) }),
    /** an entry encrypting 2 */
    two: (i: number) => ({ ctx: ctxAt(i), bytes: encodeSealedBallot(CHOICE, specBallot(ctxAt(i), CHOICE, [[2, -1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])) }),
    /** a challenge changed: a hash equation fails */
    challenge: (i: number) => {
      const off = exponentOffsets(CHOICE)[2 * (i % 27)]!;
      return { ctx: ctxAt(i), bytes: withBytes(off, encodeExponent(modL(leInt(good[i]!.bytes.subarray(off, off + 32)) + 1n)), good[i]!.bytes) };
    },
    /** another token */
    token: (i: number) => ({ ctx: { ...ctxAt(i), tokenHash: TOKEN2 }, bytes: good[i]!.bytes }),
    /** does not decode */
    truncated: (i: number) => ({ ctx: ctxAt(i), bytes: good[i]!.bytes.slice(0, -1) }),
    identity: (i: number) => ({ ctx: ctxAt(i), bytes: withBytes(commitmentOffsets(CHOICE)[i % 54]!, new Uint8Array(32), good[i]!.bytes) }),
  } as const;

  it('all good: no index (bytes and parsed ballots, mixed)', () => {
    expect(verifySealedBallots(CHOICE, good)).toEqual([]);
    const mixed = good.slice(0, 6).map((it, i) => (i % 2 ? { ...it, bytes: parseSealedBallot(CHOICE, it.bytes) } : it));
    expect(verifySealedBallots(CHOICE, mixed)).toEqual([]);
    expect(verifySealedBallots(CHOICE, [])).toEqual([]);
    expect(verifySealedBallots(CHOICE, [good[7]!])).toEqual([]);
  });

  it('30 good ballots with one bad one in the middle: exactly that index, for every kind of fault', () => {
    for (const [kind, make] of Object.entries(spoil)) {
      const items = [...good.slice(0, 15), make(15), ...good.slice(15)];
      expect(items).toHaveLength(31);
      expect(verifySealedBallot(items[15]!.ctx, CHOICE, items[15]!.bytes), kind).toBe(false);
      expect(verifySealedBallots(CHOICE, items), kind).toEqual([15]);
    }
  });

  it('all bad: every index', () => {
    const kinds = Object.values(spoil);
    const items = Array.from({ length: 14 }, (_, i) => kinds[i % kinds.length]!(i));
    expect(verifySealedBallots(CHOICE, items)).toEqual(items.map((_, i) => i));
    const equationOnly = Array.from({ length: 9 }, (_, i) => spoil.response(i));
    expect(verifySealedBallots(CHOICE, equationOnly)).toEqual(equationOnly.map((_, i) => i));
  });

  it('ballots under different election keys and shapes of ballots in one batch', () => {
    const k2: SealContext = { ...ctxAt(0), electionKey: OTHER_KEY };
    const other = { ctx: k2, bytes: sealBallot(k2, CHOICE, CHOICE_VOTE) };
    expect(verifySealedBallots(CHOICE, [good[0]!, other, good[1]!])).toEqual([]);
    expect(verifySealedBallots(CHOICE, [good[0]!, { ...other, ctx: ctxAt(0) }, { ...good[1]!, ctx: k2 }])).toEqual([1, 2]);
    const pick = { ctx: ctxAt(3), bytes: sealBallot(ctxAt(3), PICK, [[1, 0, 0, 1]]) };
    expect(verifySealedBallots(CHOICE, [good[0]!, pick])).toEqual([1]);
    expect(verifySealedBallots(PICK, [good[0]!, pick])).toEqual([0]);
  });

  it('never throws: a bad shape makes every ballot bad, a malformed item is bad', () => {
    expect(verifySealedBallots({ groups: [] }, good.slice(0, 3))).toEqual([0, 1, 2]);
    expect(verifySealedBallots(null as unknown as BallotShape, good.slice(0, 2))).toEqual([0, 1]);
    const junk = [null, 3, {}, { ctx: null, bytes: good[0]!.bytes }, { ctx: ctxAt(0), bytes: 'x' }, { ctx: ctxAt(0), bytes: { groups: 1 } }];
    expect(verifySealedBallots(CHOICE, [good[0]!, ...(junk as never[]), good[1]!])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(verifySealedBallots(CHOICE, 'x' as never)).toEqual([]);
  });

  it('reports progress after each ballot is decoded and hashed', () => {
    const seen: number[] = [];
    verifySealedBallots(CHOICE, good.slice(0, 3), { onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([1, 2, 3]);
    expect(verifySealedBallots(CHOICE, good.slice(0, 2), { onProgress: () => { throw new Error('x'); } })).toEqual([]);
  });

  it('agrees with one-by-one verification on random mixes of good and bad ballots (property)', () => {
    const kinds: ('good' | keyof typeof spoil)[] = ['good', 'good', 'good', ...(Object.keys(spoil) as (keyof typeof spoil)[])];
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.nat({ max: good.length - 1 }), kind: fc.constantFrom(...kinds), parsed: fc.boolean() }), { maxLength: 14 }),
        (spec) => {
          const items = spec.map(({ i, kind, parsed }) => {
            const it = kind === 'good' ? good[i]! : spoil[kind](i);
            return parsed && kind === 'good' ? { ...it, bytes: parseSealedBallot(CHOICE, it.bytes as Uint8Array) } : it;
          });
          const alone = items.flatMap((it, k) => (verifySealedBallot(it.ctx, CHOICE, it.bytes) ? [] : [k]));
          expect(alone).toEqual(spec.flatMap((s, k) => (s.kind === 'good' ? [] : [k])));
          expect(verifySealedBallots(CHOICE, items)).toEqual(alone);
        },
      ),
      { numRuns: 8 },
    );
  });
});

// ══ Packed groups (protocol §5.1–§5.3) ═══════════════════════════════════════════════════

/** Every packed form: D = 0, 1, 2 with min 1 (size D + 1) and D = 1, 2 with min 0 (size D). */
const FORMS: readonly BallotGroup[] = [group(1, 1, 1), group(2, 1, 1), group(3, 1, 1), group(1, 0, 1), group(2, 0, 1)];
const formName = (g: BallotGroup) => `group(${g.size}, ${g.min}, ${g.max}) D=${g.size - g.min}`;
/** The approval ballot: three nominees, agree / disagree / abstain, exactly one each — three packed groups of D = 2. */
const APPROVAL: BallotShape = checkShape({ groups: [group(3, 1, 1), group(3, 1, 1), group(3, 1, 1)] });
const APPROVAL_VOTE = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]; // messages 0, 1, B
/** Packed and entry-wise groups in one ballot; every packed form, most at a non-zero offset. */
const MIXED: BallotShape = checkShape({
  groups: [group(3, 1, 1), group(4, 0, 2), group(2, 0, 1), group(1, 1, 1), group(4, 1, 1), group(1, 0, 1), group(2, 1, 1)],
});
const MIXED_VOTE = [[0, 0, 1], [1, 0, 1, 0], [0, 1], [1], [0, 0, 1, 0], [1], [1, 0]];
/** Lighter mixed shapes for the many-ballot tests: packed, entry-wise, packed; and every packed form behind a one-entry entry-wise group. */
const LITE: BallotShape = checkShape({ groups: [group(3, 1, 1), group(3, 0, 2), group(2, 0, 1)] });
const ALL_FORMS: BallotShape = checkShape({ groups: [group(1, 0, 0), ...FORMS] });
const ALL_FORMS_VOTE = [[0], [1], [0, 1], [0, 0, 1], [1], [0, 1]];
/** An entry-wise group of one entry that must be 0: the cheapest prefix putting a packed group at index 1. */
const PREFIX = group(1, 0, 0);
const approval = sealBallot(ctx, APPROVAL, APPROVAL_VOTE);
const mixed = sealBallot(ctx, MIXED, MIXED_VOTE);
/** Does `ct` decrypt (with x) to m: β − x·α = m·G? */
const decryptsTo = (ct: Ciphertext, m: number): boolean => ct.beta.subtract(ct.alpha.multiply(x)).equals(mulG(m));
/** `base` with the exponent at `off` increased by one. */
const bump = (base: Uint8Array, off: number): Uint8Array => withBytes(off, encodeExponent(modL(leInt(base.subarray(off, off + 32)) + 1n)), base);
/** `base` with the 64 bytes at `a` and `b` exchanged (or `len` bytes). */
function swapped(base: Uint8Array, a: number, b: number, len = 64): Uint8Array {
  const out = base.slice();
  out.set(base.subarray(b, b + len), a);
  out.set(base.subarray(a, a + len), b);
  return out;
}
/** Messages outside every packed group's set (0, 1, B): a proof of one cannot be answered. */
const OUTSIDE = [2, B + 1, 2 * B, B * B, -1];

describe('packed groups: which groups, their messages and sizes', () => {
  it('packedDigits is size − min exactly for max = 1 and size − min ≤ 2 (every group up to size 6)', () => {
    for (let size = 1; size <= 6; size++)
      for (let min = 0; min <= size; min++)
        for (let max = min; max <= size; max++) {
          const g = group(size, min, max);
          expect(packedDigits(g), JSON.stringify(g)).toBe(specPacked(g) ? size - min : null);
        }
    expect(FORMS.map((g) => packedDigits(g))).toEqual([0, 1, 2, 1, 2]);
    for (const g of [group(4, 1, 1), group(3, 0, 1), group(2, 0, 2), group(2, 1, 2), group(1, 0, 0), group(3, 1, 2)]) expect(packedDigits(g)).toBeNull();
  });

  it('the constants and message sets are the spec’s', () => {
    expect(PACK_BASE).toBe(B);
    expect(PACKED_PROOF_INDEX).toBe(PACKED_INDEX);
    expect(SUM_PROOF_INDEX).toBe(SUM_INDEX);
    expect([0, 1, 2].map((d) => packedValues(d))).toEqual([[0], [0, 1], [0, 1, B]]);
    for (const d of [0, 1, 2]) expect(packedValues(d)).toEqual(specValues(d));
  });

  it('sealedBallotBytes: 64 + (D + 1)·128 per packed group; sumCount: one sum per packed group', () => {
    expect(FORMS.map((g) => sealedBallotBytes(checkShape({ groups: [g] })))).toEqual([192, 320, 448, 320, 448]);
    expect(sealedBallotBytes(APPROVAL)).toBe(3 * 448);
    expect(sealedBallotBytes(MIXED)).toBe(448 + (4 * 320 + 3 * 128) + 448 + 192 + (4 * 320 + 128) + 320 + 320);
    expect(sealedBallotBytes(MIXED)).toBe(layout(MIXED).at(-1)!.end);
    expect(approval).toHaveLength(1344);
    expect(mixed).toHaveLength(4800);
    expect(sumCount(APPROVAL)).toBe(3);
    expect(sumCount(MIXED)).toBe(1 + 4 + 1 + 1 + 4 + 1 + 1);
    expect(sumCount(CHOICE)).toBe(12);
    expectCode(() => sumCount({ groups: [] }), 'BAD_VALUE');
  });
});

describe('packed groups: seal → parse → re-encode → verify', () => {
  it('every form, every valid selection, alone and after an entry-wise group: parses packed, re-encodes identically, verifies both ways, decrypts to its message', () => {
    for (const g of FORMS)
      for (const sel of selectionsOf(g))
        for (const [shape, vote, gi] of [
          [checkShape({ groups: [g] }), [sel], 0],
          [checkShape({ groups: [group(4, 0, 2), g] }), [[0, 1, 1, 0], sel], 1],
        ] as const) {
          const name = `${formName(g)} ${JSON.stringify(sel)} at ${gi}`;
          const bytes = sealBallot(ctx, shape, vote);
          expect(bytes, name).toHaveLength(sealedBallotBytes(shape));
          const p = parseSealedBallot(shape, bytes);
          const pk = packedGroup(p, gi);
          const d = g.size - g.min;
          expect(pk.proof.lo, name).toBe(0);
          expect(pk.proof.hi, name).toBe(d);
          expect([pk.proof.commitments.length, pk.proof.challenges.length, pk.proof.responses.length]).toEqual([d + 1, d + 1, d + 1]);
          const at = layout(shape)[gi]!.start;
          expect(encodeCiphertext(pk.ciphertext), name).toEqual(bytes.subarray(at, at + 64));
          expect(pk.proof.commitments[d]!.B.toBytes(), name).toEqual(bytes.subarray(at + 64 + 128 * d + 32, at + 64 + 128 * d + 64));
          expect(encodeSealedBallot(shape, p), name).toEqual(bytes);
          expect(verdictAll(ctx, shape, bytes), name).toBe(true);
          expect(verifySealedBallot(ctx, shape, p), name).toBe(true);
          expect(decryptsTo(pk.ciphertext, specMessage(g, sel)), name).toBe(true);
          expect(verdict({ ...ctx, tokenHash: TOKEN2 }, shape, bytes), name).toBe(false);
        }
  });

  it('the approval and the mixed ballot: fixed size, round trip, both verifiers, ciphertexts in sum order decrypting to the spec’s messages', () => {
    for (const [shape, bytes, vote] of [[APPROVAL, approval, APPROVAL_VOTE], [MIXED, mixed, MIXED_VOTE]] as const) {
      expect(bytes).toHaveLength(sealedBallotBytes(shape));
      const p = parseSealedBallot(shape, bytes);
      expect(p.groups.map((g) => ('packed' in g ? 'packed' : 'entries'))).toEqual(shape.groups.map((g) => (specPacked(g) ? 'packed' : 'entries')));
      expect(encodeSealedBallot(shape, p)).toEqual(bytes);
      expect(verdictAll(ctx, shape, bytes)).toBe(true);
      expect(verifySealedBallot(ctx, shape, p)).toBe(true);
      const cts = sealedCiphertexts(p);
      expect(cts).toHaveLength(sumCount(shape));
      const offs = layout(shape).flatMap((l) => l.ciphertexts);
      cts.forEach((ct, k) => expect(encodeCiphertext(ct)).toEqual(bytes.subarray(offs[k]!, offs[k]! + 64)));
      const ms = sumMessages(shape, vote);
      cts.forEach((ct, k) => expect(decryptsTo(ct, ms[k]!), `sum ${k}`).toBe(true));
    }
    expect(sumMessages(APPROVAL, APPROVAL_VOTE)).toEqual([0, 1, B]);
  });

  it('ballots built by the independent spec prover verify both ways, for every message of every form', () => {
    for (const g of FORMS) {
      const shape = checkShape({ groups: [group(2, 0, 2), g] });
      for (const m of specValues(g.size - g.min)) {
        const b = specBallot(ctx, shape, [[1, 0], { m }]);
        expect(verifySealedBallot(ctx, shape, b), `${formName(g)} m=${m}`).toBe(true);
        expect(verdict(ctx, shape, encodeSealedBallot(shape, b)), `${formName(g)} m=${m}`).toBe(true);
      }
    }
    expect(verdict(ctx, MIXED, encodeSealedBallot(MIXED, specBallot(ctx, MIXED, MIXED_VOTE)))).toBe(true);
    expect(verdict(ctx, APPROVAL, encodeSealedBallot(APPROVAL, specBallot(ctx, APPROVAL, APPROVAL_VOTE)))).toBe(true);
  });

  it('opts.random is drawn group by group — a packed group’s r, then (c′_k, s′_k) for k = 0…D — and reproduces the ballot', () => {
    const counter = () => {
      let n = 0n;
      const draw = () => modL(0x1234567890abcdefn * ++n + 7n) || 1n;
      return { draw, drawn: () => n };
    };
    const a = counter();
    const bytes = sealBallot(ctx, APPROVAL, APPROVAL_VOTE, { random: a.draw });
    expect(a.drawn()).toBe(3n * (1n + 2n * 3n));
    expect(sealBallot(ctx, APPROVAL, APPROVAL_VOTE, { random: counter().draw })).toEqual(bytes);
    expect(verdict(ctx, APPROVAL, bytes)).toBe(true);
    const nth = (n: bigint) => modL(0x1234567890abcdefn * n + 7n) || 1n;
    const p = parseSealedBallot(APPROVAL, bytes);
    [1n, 8n, 15n].forEach((n, gi) => expect(packedGroup(p, gi).ciphertext.alpha.equals(BASE.multiply(nth(n))), `r of group ${gi}`).toBe(true));
    const m = counter();
    sealBallot(ctx, MIXED, MIXED_VOTE, { random: m.draw });
    expect(m.drawn()).toBe(BigInt(7 + (4 * 5 + 2 * 3) + 7 + 3 + (4 * 5 + 2) + 5 + 5));
  });

  it('random mixed shapes with random valid selections seal, verify both ways and decrypt to the spec’s messages (property)', () => {
    const groupArb = fc.oneof(
      fc.constantFrom(...FORMS),
      fc.integer({ min: 1, max: 4 }).chain((size) => fc.integer({ min: 0, max: size }).chain((min) => fc.record({ size: fc.constant(size), min: fc.constant(min), max: fc.integer({ min, max: size }) }))),
    );
    const caseArb = fc.array(groupArb, { minLength: 1, maxLength: 4 }).chain((groups) =>
      fc.tuple(fc.constant(groups), fc.tuple(...groups.map((g) => fc.constantFrom(...selectionsOf(g))))),
    );
    fc.assert(
      fc.property(caseArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), ([groups, vote], tokenHash) => {
        const shape = checkShape({ groups });
        const c = { ...ctx, tokenHash };
        const bytes = sealBallot(c, shape, vote);
        expect(bytes).toHaveLength(layout(shape).at(-1)!.end);
        expect(verdict(c, shape, bytes)).toBe(true);
        const ms = sumMessages(shape, vote);
        sealedCiphertexts(parseSealedBallot(shape, bytes)).forEach((ct, k) => expect(decryptsTo(ct, ms[k]!)).toBe(true));
        expect(verdict({ ...c, tokenHash: TOKEN2 }, shape, bytes)).toBe(false);
      }),
      { numRuns: 12 },
    );
  });

  it('sealBallot refuses a packed group’s invalid selections (BAD_VALUE)', () => {
    for (const bad of [[[1, 1, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0], [0, 1, 0], [0, 0, 1]], [[2, 0, 0], [0, 1, 0], [0, 0, 1]], [[-1, 1, 1], [0, 1, 0], [0, 0, 1]]])
      expectCode(() => sealBallot(ctx, APPROVAL, bad), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, checkShape({ groups: [group(2, 0, 1)] }), [[1, 1]]), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, checkShape({ groups: [group(1, 1, 1)] }), [[0]]), 'BAD_VALUE');
  });
});

describe('packed groups: verifySealedBallot refuses (both verifiers)', () => {
  /** Offsets of the branches of the packed proofs of `shape`. */
  const packedBranches = (shape: BallotShape) => layout(shape).flatMap((l) => (l.packed ? l.branches : []));

  it('any challenge or response changed by one, anywhere in the approval ballot and in every packed proof of the mixed one', () => {
    expect(packedBranches(APPROVAL)).toEqual(branchOffsets(APPROVAL));
    expect(packedBranches(MIXED)).toHaveLength(3 + 3 + 1 + 2 + 2);
    for (const [shape, bytes] of [[APPROVAL, approval], [MIXED, mixed]] as const) {
      const offsets = packedBranches(shape).flatMap((o) => [o + 64, o + 96]);
      for (const off of offsets) expect(verdict(ctx, shape, bump(bytes, off)), `exponent at ${off}`).toBe(false);
    }
    expect(exponentOffsets(APPROVAL)).toHaveLength(3 * 3 * 2);
  });

  it('any commitment A_k or B_k replaced by another element, anywhere in the approval ballot and in every packed proof of the mixed one', () => {
    for (const [shape, bytes] of [[APPROVAL, approval], [MIXED, mixed]] as const)
      for (const off of packedBranches(shape).flatMap((o) => [o, o + 32])) {
        const moved = decodeElement(bytes.subarray(off, off + 32)).add(BASE).toBytes();
        expect(verdict(ctx, shape, withBytes(off, moved, bytes)), `commitment at ${off}`).toBe(false);
      }
  });

  it('challenges moved between two branches of a packed proof (hash equation unchanged): the equations fail', () => {
    for (const gi of [0, 2, 5, 6]) {
      const o = layout(MIXED)[gi]!.branches[0]!;
      const c0 = leInt(mixed.subarray(o + 64, o + 96));
      const c1 = leInt(mixed.subarray(o + 128 + 64, o + 128 + 96));
      const b = withBytes(o + 128 + 64, encodeExponent(modL(c1 - 5n)), withBytes(o + 64, encodeExponent(modL(c0 + 5n)), mixed));
      expect(verdict(ctx, MIXED, b), `group ${gi}`).toBe(false);
    }
  });

  it('a commitment of any branch of any packed proof changed before hashing (only one verification equation fails)', () => {
    expect(verdict(ctx, ALL_FORMS, encodeSealedBallot(ALL_FORMS, specBallot(ctx, ALL_FORMS, ALL_FORMS_VOTE)))).toBe(true);
    ALL_FORMS.groups.forEach((g, gi) => {
      if (!specPacked(g)) return;
      for (let k = 0; k <= g.size - g.min; k++) {
        const b = specBallot(ctx, ALL_FORMS, ALL_FORMS_VOTE, [gi, PACKED_INDEX, k]);
        expect(verifySealedBallot(ctx, ALL_FORMS, b), `group ${gi} branch ${k}`).toBe(false);
        expect(verdict(ctx, ALL_FORMS, encodeSealedBallot(ALL_FORMS, b)), `group ${gi} branch ${k}`).toBe(false);
      }
    });
  });

  it('α, β or both swapped between two packed groups, α and β exchanged, an entry’s ciphertext in a packed group (proofs left in place)', () => {
    const [a0, a1] = [layout(APPROVAL)[0]!.start, layout(APPROVAL)[1]!.start];
    expect(verdict(ctx, APPROVAL, swapped(approval, a0, a1))).toBe(false);
    expect(verdict(ctx, APPROVAL, swapped(approval, a0, a1, 32))).toBe(false); // α only
    expect(verdict(ctx, APPROVAL, swapped(approval, a0 + 32, a1 + 32, 32))).toBe(false); // β only
    expect(verdict(ctx, APPROVAL, swapped(approval, a0, a0 + 32, 32))).toBe(false); // α ↔ β
    const [m0, m2] = [layout(MIXED)[0]!.start, layout(MIXED)[2]!.start];
    expect(verdict(ctx, MIXED, swapped(mixed, m0, m2))).toBe(false); // D = 2 groups, min 1 and min 0
    const entry = layout(MIXED)[1]!.ciphertexts[0]!;
    expect(verdict(ctx, MIXED, withBytes(layout(MIXED)[5]!.start, mixed.subarray(entry, entry + 64), mixed))).toBe(false);
  });

  it('whole packed groups swapped or copied (same form, another position), or copied from another token’s ballot', () => {
    const [g0, g2] = [layout(APPROVAL)[0]!, layout(APPROVAL)[2]!];
    expect(verdict(ctx, APPROVAL, swapped(approval, g0.start, g2.start, 448))).toBe(false);
    expect(verdict(ctx, APPROVAL, withBytes(g2.start, approval.subarray(g0.start, g0.end), approval))).toBe(false);
    const [m5, m6] = [layout(MIXED)[5]!, layout(MIXED)[6]!]; // group(1, 0, 1) and group(2, 1, 1): both D = 1, 320 bytes
    expect(m5.end - m5.start).toBe(m6.end - m6.start);
    expect(verdict(ctx, MIXED, swapped(mixed, m5.start, m6.start, 320))).toBe(false);
    const other = sealBallot({ ...ctx, tokenHash: TOKEN2 }, APPROVAL, APPROVAL_VOTE); // same vote: same messages
    expect(verdict(ctx, APPROVAL, withBytes(g2.start, other.subarray(g2.start, g2.end), approval))).toBe(false);
  });

  it('a packed message outside its set (2, B + 1, 2B, B², −1; B for D = 1; 1 for D = 0) with the spec prover’s best attempt', () => {
    for (const g of FORMS) {
      const shape = checkShape({ groups: [PREFIX, g] });
      const d = g.size - g.min;
      const outside = [...OUTSIDE, ...(d === 1 ? [B] : d === 0 ? [1, B] : [B - 1, B ** 2 + 1])];
      for (const m of outside) {
        const b = specBallot(ctx, shape, [[0], { m }]);
        expect(verifySealedBallot(ctx, shape, b), `${formName(g)} m=${m}`).toBe(false);
        expect(verdict(ctx, shape, encodeSealedBallot(shape, b)), `${formName(g)} m=${m}`).toBe(false);
      }
    }
    // Two selections of a min-1 group: entry 1 and entry 2 together would be 1 + B.
    expect(verdict(ctx, APPROVAL, encodeSealedBallot(APPROVAL, specBallot(ctx, APPROVAL, [[1, 0, 0], { m: 1 + B }, [0, 0, 1]])))).toBe(false);
  });

  it('a packed proof hashed with the interval DST, at the SUM or an entry index, or over another header: refused; the spec’s way: accepted', () => {
    const ways: [string, PackedHow, boolean][] = [
      ['spec', {}, true],
      ['interval DST', { dst: DST_BALLOT_PROOF }, false],
      ['interval DST and header u32be(0) ‖ u32be(D)', { dst: DST_BALLOT_PROOF, header: (d) => [u32be(0), u32be(d)] }, false],
      ['as an entry proof (interval DST, header, entry 0)', { dst: DST_BALLOT_PROOF, header: (d) => [u32be(0), u32be(d)], index: 0 }, false],
      ['SUM index', { index: SUM_INDEX }, false],
      ['entry index 0', { index: 0 }, false],
      ['index 0xfffffffd', { index: 0xfffffffd }, false],
      ['header u32be(D + 1)', { header: (d) => [u32be(d + 1), u32be(B)] }, false],
      ['header u32be(2B)', { header: (d) => [u32be(d), u32be(2 * B)] }, false],
      ['header without B', { header: (d) => [u32be(d)] }, false],
      ['ballot-hash DST', { dst: DST_BALLOT_HASH }, false],
    ];
    for (const g of FORMS) {
      const shape = checkShape({ groups: [PREFIX, g] });
      ways.forEach(([name, how, ok], w) => {
          const sels = selectionsOf(g);
          const sel = sels[w % sels.length]!;
          const b = encodeSealedBallot(shape, specBallot(ctx, shape, [[0], sel], undefined, how));
          expect(verdict(ctx, shape, b), `${formName(g)} ${JSON.stringify(sel)}: ${name}`).toBe(ok);
        });
    }
  });

  it('a packed ballot under another token, ballot id or election key', () => {
    for (const [shape, bytes] of [[APPROVAL, approval], [MIXED, mixed]] as const) {
      expect(verdict(ctx, shape, bytes)).toBe(true);
      expect(verdict({ ...ctx, tokenHash: TOKEN2 }, shape, bytes)).toBe(false);
      expect(verdict({ ...ctx, ballotId: 'ballot-t' }, shape, bytes)).toBe(false);
      expect(verdict({ ...ctx, electionKey: OTHER_KEY }, shape, bytes)).toBe(false);
    }
    const k2 = { ...ctx, electionKey: OTHER_KEY };
    expect(verdict(k2, APPROVAL, sealBallot(k2, APPROVAL, APPROVAL_VOTE))).toBe(true);
  });

  it('a parsed packed group with a bad structure, identity element, non-point or exponent ≥ ℓ; a group of the other kind', () => {
    const p = parseSealedBallot(MIXED, mixed);
    const pk = packedGroup(p, 2); // group(2, 0, 1), D = 2
    const withPacked = (packed: unknown): SealedBallot => ({ groups: p.groups.map((g, gi) => (gi === 2 ? ({ packed } as SealedPackedGroup) : g)) });
    const cases: [string, SealedBallot, string][] = [
      ['α identity', withPacked({ ...pk, ciphertext: { alpha: RP.ZERO, beta: pk.ciphertext.beta } }), 'POINT_IDENTITY'],
      ['β identity', withPacked({ ...pk, ciphertext: { alpha: pk.ciphertext.alpha, beta: RP.ZERO } }), 'POINT_IDENTITY'],
      ['B_2 identity', withPacked({ ...pk, proof: { ...pk.proof, commitments: [...pk.proof.commitments.slice(0, 2), { A: BASE, B: RP.ZERO }] } }), 'POINT_IDENTITY'],
      ['A_0 not a point', withPacked({ ...pk, proof: { ...pk.proof, commitments: [{ A: 1n, B: BASE }, ...pk.proof.commitments.slice(1)] } }), 'BAD_TYPE'],
      ['no ciphertext', withPacked({ proof: pk.proof }), 'BAD_TYPE'],
      ['hi = D + 1', withPacked({ ...pk, proof: { ...pk.proof, hi: 3 } }), 'BAD_VALUE'],
      ['lo = 1', withPacked({ ...pk, proof: { ...pk.proof, lo: 1 } }), 'BAD_VALUE'],
      ['two branches', withPacked({ ...pk, proof: { ...pk.proof, commitments: pk.proof.commitments.slice(1) } }), 'BAD_LENGTH'],
      ['c_1 + ℓ', withPacked({ ...pk, proof: { ...pk.proof, challenges: [pk.proof.challenges[0]!, pk.proof.challenges[1]! + ELL, pk.proof.challenges[2]!] } }), 'SCALAR_RANGE'],
      ['s_0 = −1', withPacked({ ...pk, proof: { ...pk.proof, responses: [-1n, ...pk.proof.responses.slice(1)] } }), 'SCALAR_RANGE'],
      ['packed group given entry-wise', { groups: p.groups.map((g, gi) => (gi === 2 ? entryGroup(p, 1) : g)) }, 'BAD_VALUE'],
      ['entry-wise group given packed', { groups: p.groups.map((g, gi) => (gi === 1 ? p.groups[0]! : g)) }, 'BAD_VALUE'],
      ['a group missing', { groups: p.groups.slice(1) }, 'BAD_VALUE'],
    ];
    for (const [name, b, code] of cases) {
      expect(verifySealedBallot(ctx, MIXED, b), name).toBe(false);
      expectCode(() => encodeSealedBallot(MIXED, b), code as never);
    }
    expect(verifySealedBallot(ctx, MIXED, withPacked(pk))).toBe(true); // control
    expect(verifySealedBallot(ctx, APPROVAL, p)).toBe(false);
    expect(verdict(ctx, CHOICE, approval)).toBe(false);
    expect(verdict(ctx, APPROVAL, sealed)).toBe(false);
  });

  it('never throws on random bytes of a packed shape’s length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1344, maxLength: 1344 }), (b) => {
        expect(verdict(ctx, APPROVAL, b)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

describe('parseSealedBallot codes at packed offsets', () => {
  const P = 2n ** 255n - 19n;
  /** Every element position of the packed groups worth naming: α, β, the first A and B, the last B. */
  const elementOffsets = (shape: BallotShape) =>
    layout(shape).flatMap((l) => (l.packed ? [l.start, l.start + 32, l.branches[0]!, l.branches[0]! + 32, l.branches.at(-1)! + 32] : []));
  const exponents = (shape: BallotShape) => layout(shape).flatMap((l) => (l.packed ? [l.branches[0]! + 64, l.branches[0]! + 96, l.branches.at(-1)! + 64, l.branches.at(-1)! + 96] : []));
  let offCurve = 2n;
  for (;; offCurve += 2n) {
    try {
      decodeElement(le32(offCurve));
    } catch {
      break;
    }
  }

  it('truncated or extended bytes: BAD_LENGTH (and verify is false)', () => {
    for (const b of [approval.slice(0, -1), approval.slice(0, -128), new Uint8Array([...approval, 0]), mixed.slice(64)]) {
      expectCode(() => parseSealedBallot(APPROVAL, b), 'BAD_LENGTH');
      expect(verdict(ctx, APPROVAL, b)).toBe(false);
    }
  });

  it('a non-canonical element: POINT_NOT_CANONICAL; the identity: POINT_IDENTITY; no element: POINT_NOT_ON_CURVE — at every packed α, β, A, B', () => {
    for (const [shape, bytes] of [[APPROVAL, approval], [MIXED, mixed]] as const) {
      const offs = elementOffsets(shape);
      expect(offs).toHaveLength(5 * layout(shape).filter((l) => l.packed).length);
      for (const off of offs) {
        for (const bad of [le32(P), le32(P + 2n), le32(1n)])
          expectCode(() => parseSealedBallot(shape, withBytes(off, bad, bytes)), 'POINT_NOT_CANONICAL');
        expectCode(() => parseSealedBallot(shape, withBytes(off, new Uint8Array(32), bytes)), 'POINT_IDENTITY');
        expectCode(() => parseSealedBallot(shape, withBytes(off, le32(offCurve), bytes)), 'POINT_NOT_ON_CURVE');
        if (shape === APPROVAL)
          for (const bad of [le32(P), new Uint8Array(32), le32(offCurve)]) expect(verdict(ctx, shape, withBytes(off, bad, bytes)), `bad element at ${off}`).toBe(false);
      }
    }
  });

  it('an exponent ≥ ℓ at a packed proof’s first and last c and s: SCALAR_RANGE; ℓ − 1 parses (and fails)', () => {
    for (const [shape, bytes] of [[APPROVAL, approval], [MIXED, mixed]] as const)
      for (const off of exponents(shape)) {
        expectCode(() => parseSealedBallot(shape, withBytes(off, le32(ELL), bytes)), 'SCALAR_RANGE');
        expectCode(() => parseSealedBallot(shape, withBytes(off, new Uint8Array(32).fill(0xff), bytes)), 'SCALAR_RANGE');
        const nonReduced = withBytes(off, le32(leInt(bytes.subarray(off, off + 32)) + ELL), bytes);
        expectCode(() => parseSealedBallot(shape, nonReduced), 'SCALAR_RANGE');
        expect(parseSealedBallot(shape, withBytes(off, le32(ELL - 1n), bytes))).toBeDefined();
        if (shape === APPROVAL) {
          expect(verdict(ctx, shape, nonReduced), `c + ℓ at ${off}`).toBe(false);
          expect(verdict(ctx, shape, withBytes(off, le32(ELL - 1n), bytes))).toBe(false);
        }
      }
  });
});

describe('packed groups: sums', () => {
  const votes = [MIXED_VOTE, [[1, 0, 0], [0, 0, 0, 0], [0, 0], [1], [1, 0, 0, 0], [0], [0, 1]], [[0, 1, 0], [0, 1, 1, 0], [1, 0], [1], [0, 0, 0, 1], [1], [1, 0]]];
  const ballots = votes.map((v, i) => sealBallot({ ...ctx, tokenHash: sha256(utf8(`sum-${i}`)) }, MIXED, v));

  it('one sum per entry of an entry-wise group and per packed group, decrypting to the sums of the spec’s messages; bytes and parsed agree on both backends', async () => {
    const sums = sumCiphertexts(MIXED, ballots.map((b) => parseSealedBallot(MIXED, b)));
    expect(sums).toHaveLength(sumCount(MIXED));
    const per = votes.map((v) => sumMessages(MIXED, v));
    sums.forEach((c, k) => expect(decryptsTo(c, per.reduce((a, m) => a + m[k]!, 0)), `sum ${k}`).toBe(true));
    expect(decryptsTo(sums[0]!, 1 + 0 + B)).toBe(true); // group(3, 1, 1): entries 2, 0, 1
    const hex = sums.map((c) => ciphertextToHex(c));
    const wire = await onBoth(() => sumSealedBallots(MIXED, ballots).map((c) => ciphertextToHex(c)));
    expect(wire).toEqual({ reference: hex, fast: hex });
  });

  it('no ballots: (identity, identity) per sum; a ballot of another shape is refused', async () => {
    for (const s of [sumCiphertexts(APPROVAL, []), sumSealedBallots(APPROVAL, [])]) {
      expect(s).toHaveLength(3);
      for (const c of s) expect(encodeCiphertext(c)).toEqual(new Uint8Array(64));
    }
    expectCode(() => sumCiphertexts(CHOICE, [parseSealedBallot(APPROVAL, approval)]), 'BAD_VALUE');
    expectCode(() => sumCiphertexts(APPROVAL, [parseSealedBallot(CHOICE, sealed)]), 'BAD_VALUE');
    const codes = await onBoth(() => {
      try {
        sumSealedBallots(APPROVAL, [mixed]);
        return 'accepted';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    });
    expect(codes).toEqual({ reference: 'BAD_LENGTH', fast: 'BAD_LENGTH' });
  });
});

describe('verifySealedBallots with packed and mixed shapes (batched MSM and libsodium)', () => {
  const tokenAt = (i: number) => sha256(utf8(`packed-batch-${i}`));
  const ctxAt = (i: number): SealContext => ({ ...ctx, tokenHash: tokenAt(i) });
  const approvalSels = selectionsOf(group(3, 1, 1));
  const voteAt = (shape: BallotShape, i: number): number[][] =>
    shape.groups.map((g, gi) => {
      const s = selectionsOf(g);
      return s[(i + gi * 7 + (i >> 2)) % s.length]!;
    });
  expect(approvalSels).toHaveLength(3);
  const sealAll = (shape: BallotShape, n: number) => Array.from({ length: n }, (_, i) => ({ ctx: ctxAt(i), bytes: sealBallot(ctxAt(i), shape, voteAt(shape, i)) }));
  const goodApproval = sealAll(APPROVAL, 24);
  const goodMixed = sealAll(LITE, 8);

  /** Ways to make ballot i of `shape` bad, each in a packed group; `good` holds the good ballots. */
  function spoilers(shape: BallotShape, good: readonly { ctx: SealContext; bytes: Uint8Array }[]) {
    const lay = layout(shape);
    const packed = lay.flatMap((l, gi) => (l.packed ? [gi] : []));
    const packedExps = packed.flatMap((gi) => lay[gi]!.branches.flatMap((o) => [o + 64, o + 96]));
    const packedCommits = packed.flatMap((gi) => lay[gi]!.branches.flatMap((o) => [o, o + 32]));
    const pg = (i: number) => packed[i % packed.length]!;
    const spec = (i: number, tamper?: readonly [number, number, number], how?: PackedHow, values: SpecValues = voteAt(shape, i)) =>
      ({ ctx: ctxAt(i), bytes: encodeSealedBallot(shape, specBallot(ctxAt(i), shape, values, tamper, how)) });
    return {
      response: (i: number) => ({ ctx: ctxAt(i), bytes: bump(good[i]!.bytes, packedExps[(2 * i + 1) % packedExps.length]!) }),
      challenge: (i: number) => ({ ctx: ctxAt(i), bytes: bump(good[i]!.bytes, packedExps[(2 * i) % packedExps.length]!) }),
      commitment: (i: number) => {
        const gi = pg(i);
        const g = shape.groups[gi]!;
        return spec(i, [gi, PACKED_INDEX, i % (g.size - g.min + 1)]);
      },
      outside: (i: number) => spec(i, undefined, undefined, voteAt(shape, i).map((v, gi) => (gi === pg(i) ? { m: OUTSIDE[i % OUTSIDE.length]! } : v))),
      intervalDst: (i: number) => spec(i, undefined, { dst: DST_BALLOT_PROOF }),
      sumIndex: (i: number) => spec(i, undefined, { index: SUM_INDEX }),
      swapped: (i: number) => ({ ctx: ctxAt(i), bytes: swapped(good[i]!.bytes, lay[packed[0]!]!.start, lay[packed[1]!]!.start) }),
      token: (i: number) => ({ ctx: { ...ctxAt(i), tokenHash: TOKEN2 }, bytes: good[i]!.bytes }),
      key: (i: number) => ({ ctx: { ...ctxAt(i), electionKey: OTHER_KEY }, bytes: good[i]!.bytes }),
      truncated: (i: number) => ({ ctx: ctxAt(i), bytes: good[i]!.bytes.slice(0, -1) }),
      identity: (i: number) => ({ ctx: ctxAt(i), bytes: withBytes(packedCommits[i % packedCommits.length]!, new Uint8Array(32), good[i]!.bytes) }),
    };
  }
  const spoilApproval = spoilers(APPROVAL, goodApproval);
  const spoilMixed = spoilers(LITE, goodMixed);

  it('all good: no index, on both backends (bytes, and parsed mixed in)', async () => {
    for (const [shape, good] of [[APPROVAL, goodApproval], [LITE, goodMixed]] as const) {
      const withParsed = good.map((it, i) => (i % 3 ? it : { ...it, bytes: parseSealedBallot(shape, it.bytes) }));
      const v = await onBoth(() => [verifySealedBallots(shape, good), verifySealedBallots(shape, withParsed)]);
      expect(v).toEqual({ reference: [[], []], fast: [[], []] });
    }
  });

  it('24 good approval ballots with one bad one in the middle: exactly that index, for every kind of fault, on both backends', async () => {
    for (const [kind, make] of Object.entries(spoilApproval)) {
      const bad = make(12);
      expect(verdict(bad.ctx, APPROVAL, bad.bytes), kind).toBe(false);
      const items = [...goodApproval.slice(0, 12), bad, ...goodApproval.slice(12)];
      const v = await onBoth(() => verifySealedBallots(APPROVAL, items));
      expect(v, kind).toEqual({ reference: [12], fast: [12] });
    }
  });

  it('mixed ballots with bad ones of every kind at known places: exactly those, on both backends', async () => {
    for (const [kind, make] of Object.entries(spoilMixed)) {
      const items = goodMixed.map((it, i) => (i === 1 || i === 4 || i === 7 ? make(i) : it));
      expect(verdict(items[4]!.ctx, LITE, items[4]!.bytes), kind).toBe(false);
      const v = await onBoth(() => verifySealedBallots(LITE, items));
      expect(v, kind).toEqual({ reference: [1, 4, 7], fast: [1, 4, 7] });
    }
  });

  it('all bad: every index, on both backends', async () => {
    const kinds = Object.values(spoilApproval);
    const items = Array.from({ length: 22 }, (_, i) => kinds[i % kinds.length]!(i % goodApproval.length));
    const v = await onBoth(() => verifySealedBallots(APPROVAL, items));
    expect(v).toEqual({ reference: items.map((_, i) => i), fast: items.map((_, i) => i) });
    const equationOnly = Array.from({ length: 9 }, (_, i) => spoilApproval.commitment(i));
    const w = await onBoth(() => verifySealedBallots(APPROVAL, equationOnly));
    expect(w).toEqual({ reference: equationOnly.map((_, i) => i), fast: equationOnly.map((_, i) => i) });
  });

  it('ballots of the other shape in the batch are bad', async () => {
    const items = [goodApproval[0]!, goodMixed[0]!, goodApproval[1]!, { ctx: ctxAt(3), bytes: sealed }];
    const v = await onBoth(() => [verifySealedBallots(APPROVAL, items), verifySealedBallots(LITE, items)]);
    expect(v).toEqual({ reference: [[1, 3], [0, 2, 3]], fast: [[1, 3], [0, 2, 3]] });
  });

  it('agrees with one-by-one verification on random mixes of good and bad mixed-shape ballots (property)', () => {
    const kinds: ('good' | keyof typeof spoilMixed)[] = ['good', 'good', 'good', ...(Object.keys(spoilMixed) as (keyof typeof spoilMixed)[])];
    fc.assert(
      fc.property(
        fc.array(fc.record({ i: fc.nat({ max: goodMixed.length - 1 }), kind: fc.constantFrom(...kinds), parsed: fc.boolean() }), { maxLength: 10 }),
        (spec) => {
          const items = spec.map(({ i, kind, parsed }) => {
            const it = kind === 'good' ? goodMixed[i]! : spoilMixed[kind](i);
            return parsed && kind === 'good' ? { ...it, bytes: parseSealedBallot(LITE, it.bytes) as Uint8Array | SealedBallot } : it;
          });
          const alone = items.flatMap((it, k) => (verifySealedBallot(it.ctx, LITE, it.bytes) ? [] : [k]));
          expect(alone).toEqual(spec.flatMap((s, k) => (s.kind === 'good' ? [] : [k])));
          expect(verifySealedBallots(LITE, items)).toEqual(alone);
        },
      ),
      { numRuns: 6 },
    );
  });
});
