/**
 * @module crypto/sealed
 * Sealed selection vectors (protocol §5): a ballot answer is, per group of entries, a vector
 * of 0/1 selections whose sum lies in the group's [min, max]. Each entry is encrypted with
 * exponential ElGamal under the election key Y on ristretto255,
 *   α = r·G,  β = m·G + r·Y,        m ∈ {0, 1}, r ← random exponent,
 * and carries a disjunctive Chaum–Pedersen proof (CDS94, as in Belenios and ElectionGuard)
 * that m ∈ [0, 1]; each group's sum ciphertext (Σα, Σβ) carries the same kind of proof that
 * Σm ∈ [min, max]. A single-choice group of at most two digits (max = 1, size − min ≤ 2: an
 * approval item's 同意/不同意/弃权) is instead *packed* (Cramer–Gennaro–Schoenmakers 1997): one
 * ciphertext of m ∈ {0, 1, B} (B = 2^17) with one disjunctive proof of 1 + size − min
 * branches, a third of the work. Every proof is bound to the ballot, the election key, the
 * token hash and its position, so a ballot cannot be replayed under another token or reshuffled.
 *
 * Proofs are in commitment form: each branch j carries its commitments (A_j, B_j) as well as
 * (c_j, s_j), so a verifier checks the challenge hashes first and then every verification
 * equation of one ballot — or of many — at once, as one random linear combination evaluated
 * by one multi-scalar multiplication (small-exponent batch verification, Bellare–Garay–Rabin
 * 1998). Sealing uses noble's constant-time multiplication only, and the same operations for
 * the real and the simulated branches. All point arithmetic is @noble/curves'.
 */
import { mulAddUnsafe, pippenger, type CurvePointCons } from '@noble/curves/abstract/curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, fromHex, joinBytes, randomBytes, toHex, utf8 } from './bytes.ts';
import { DST_BALLOT_HASH, DST_BALLOT_PACKED_PROOF, DST_BALLOT_PROOF } from './dst.ts';
import { fields, message, u32be } from './encoding.ts';
import { refuse } from './errors.ts';
import {
  BASE, ELEMENT_BYTES, ELL, EXPONENT_BYTES, RP, decodeElement, decodeExponent, encodeElement, encodeExponent,
  hashToExponent, modL, mulPublic, randomExponent, type Element,
} from './group.ts';
import { assertId } from './ids.ts';
import { groupBackend, type GroupBackend } from './backend.ts';

// ── Shapes ────────────────────────────────────────────────────────────────────────────────

/** One group of a ballot: `size` 0/1 entries whose sum lies in [min, max]. */
export type BallotGroup = { readonly size: number; readonly min: number; readonly max: number };
/** The shape of a ballot answer (protocol §5.1): its groups, in order. */
export type BallotShape = { readonly groups: readonly BallotGroup[] };

/** Limits of a shape (protocol §5.1). */
export const MAX_GROUPS = 200;
export const MAX_GROUP_SIZE = 200;
export const MAX_ENTRIES = 1000;

/** Value of entryIndex in the context of a group's sum proof (protocol §5.3). */
export const SUM_PROOF_INDEX = 0xffffffff;
/** Value of entryIndex in the context of a packed group's proof (protocol §5.3). */
export const PACKED_PROOF_INDEX = 0xfffffffe;

/**
 * Base of a packed group's digits (protocol §5.1): 2^17, above the bundle's ballot limit
 * (100 000, protocol §7.3), so no digit of a sum of valid ballots carries into the next.
 */
export const PACK_BASE = 131_072;
/** Most digits of a packed group (protocol §5.1); more would make the tally's search quadratic. */
export const PACK_DIGITS = 2;

/**
 * The digits D of a packed group (protocol §5.1): size − min when the group is single-choice
 * (max = 1) and that is at most PACK_DIGITS; null when the group is entry-wise.
 */
export function packedDigits(g: BallotGroup): number | null {
  return g.max === 1 && g.size - g.min <= PACK_DIGITS ? g.size - g.min : null;
}

/** The messages a packed group of D digits may encrypt: 0, then B^0 … B^(D−1) (protocol §5.1). */
export function packedValues(digits: number): number[] {
  return Array.from({ length: digits + 1 }, (_, k) => (k === 0 ? 0 : PACK_BASE ** (k - 1)));
}

/** Number of sums of a shape (protocol §9.1): one per entry of an entry-wise group, one per packed group. */
export function sumCount(shape: BallotShape): number {
  return checkShape(shape).groups.reduce((n, g) => n + (packedDigits(g) === null ? g.size : 1), 0);
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

/**
 * Guard: `shape` is `{groups: [{size, min, max}, …]}` with exactly those members, 1 ≤ groups ≤ 200,
 * 1 ≤ size ≤ 200, 0 ≤ min ≤ max ≤ size, integers, at most 1000 entries in all (protocol §5.1).
 * @returns a fresh normalised copy. @throws CryptoInputError BAD_VALUE, or BAD_LENGTH for too many groups or entries.
 */
export function checkShape(shape: unknown): BallotShape {
  if (typeof shape !== 'object' || shape === null || Object.keys(shape).join() !== 'groups')
    refuse('BAD_VALUE', 'shape must be {groups}');
  const groups = (shape as { groups: unknown }).groups;
  if (!Array.isArray(groups) || groups.length < 1) refuse('BAD_VALUE', 'shape.groups must be a non-empty array');
  if (groups.length > MAX_GROUPS) refuse('BAD_LENGTH', `at most ${MAX_GROUPS} groups`);
  let total = 0;
  const out = groups.map((g: unknown, i): BallotGroup => {
    if (typeof g !== 'object' || g === null || Object.keys(g).sort().join() !== 'max,min,size')
      refuse('BAD_VALUE', `shape.groups[${i}] must be {size, min, max}`);
    const { size, min, max } = g as BallotGroup;
    if (!isInt(size) || !isInt(min) || !isInt(max)) refuse('BAD_VALUE', `shape.groups[${i}]: size, min and max must be integers`);
    if (size > MAX_GROUP_SIZE) refuse('BAD_LENGTH', `shape.groups[${i}]: at most ${MAX_GROUP_SIZE} entries`);
    if (size < 1 || min < 0 || min > max || max > size) refuse('BAD_VALUE', `shape.groups[${i}] must have 0 ≤ min ≤ max ≤ size, size ≥ 1`);
    total += size;
    return { size, min, max };
  });
  if (total > MAX_ENTRIES) refuse('BAD_LENGTH', `at most ${MAX_ENTRIES} entries in all`);
  return { groups: out };
}

/** Number of entries of a shape (the length of the flattened selection vector and of the sums). */
export function shapeEntries(shape: BallotShape): number {
  return checkShape(shape).groups.reduce((n, g) => n + g.size, 0);
}

// ── Ciphertexts ───────────────────────────────────────────────────────────────────────────

/** An exponential ElGamal ciphertext (α, β) = (r·G, m·G + r·Y). */
export type Ciphertext = { readonly alpha: Element; readonly beta: Element };

/** Byte length of a ciphertext: α ‖ β. */
export const CIPHERTEXT_BYTES = 2 * ELEMENT_BYTES;

/** α ‖ β, 64 bytes (an identity half encodes as 32 zero bytes). */
export function encodeCiphertext(c: Ciphertext): Uint8Array {
  if (typeof c !== 'object' || c === null || !(c.alpha instanceof RP) || !(c.beta instanceof RP))
    refuse('BAD_TYPE', 'ciphertext must be {alpha, beta} elements');
  return joinBytes([encodeElement(c.alpha), encodeElement(c.beta)]);
}

/** Decode a ballot entry's ciphertext: both halves canonical and not the identity (protocol §4.6). */
export function decodeCiphertext(bytes: Uint8Array, name = 'ciphertext'): Ciphertext {
  abytes(bytes, CIPHERTEXT_BYTES, name);
  return { alpha: decodeElement(bytes.subarray(0, 32), `${name} α`), beta: decodeElement(bytes.subarray(32), `${name} β`) };
}

/**
 * Decode a summed ciphertext (protocol §9.1): as `decodeCiphertext`, except that a half may be
 * the identity (32 zero bytes), which is what a sum over no ballots is.
 */
export function decodeSumCiphertext(bytes: Uint8Array, name = 'sum'): Ciphertext {
  abytes(bytes, CIPHERTEXT_BYTES, name);
  const half = (b: Uint8Array, n: string) => (b.every((x) => x === 0) ? RP.ZERO : decodeElement(b, n));
  return { alpha: half(bytes.subarray(0, 32), `${name} α`), beta: half(bytes.subarray(32), `${name} β`) };
}

/** Hex (128 digits) of a ciphertext. */
export function ciphertextToHex(c: Ciphertext): string {
  return toHex(encodeCiphertext(c));
}

/** Parse 128 hex digits as a ballot entry's ciphertext (no identity). */
export function ciphertextFromHex(hex: unknown, name = 'ciphertext'): Ciphertext {
  return decodeCiphertext(fromHex(hex, CIPHERTEXT_BYTES, name), name);
}

/** Parse 128 hex digits as a summed ciphertext (identity halves allowed). */
export function sumCiphertextFromHex(hex: unknown, name = 'sum'): Ciphertext {
  return decodeSumCiphertext(fromHex(hex, CIPHERTEXT_BYTES, name), name);
}


// ── Sealed ballots: types and wire format ─────────────────────────────────────────────────

/** The commitments (A_j, B_j) of branch j of an interval proof (protocol §5.3). */
export type BranchCommitment = { readonly A: Element; readonly B: Element };

/**
 * A disjunctive proof that a ciphertext (α, β) encrypts one of the messages m_k of its branches
 * (protocol §5.3): for each branch k the commitments (A_k, B_k), the challenge c_k and the
 * response s_k, with s_k·G = A_k + c_k·α, s_k·Y = B_k + c_k·(β − m_k·G) and Σ c_k ≡ c (mod ℓ).
 * An interval proof of [lo, hi] has m_k = lo + k; a packed group's proof has lo = 0, hi = D and
 * m_k = packedValues(D)[k].
 */
export type IntervalProof = {
  readonly lo: number;
  readonly hi: number;
  readonly commitments: readonly BranchCommitment[];
  readonly challenges: readonly bigint[];
  readonly responses: readonly bigint[];
};

/** An entry-wise group of a sealed ballot: each entry's ciphertext and 0/1 proof, then the group's sum proof. */
export type SealedEntryGroup = {
  readonly entries: readonly { readonly ciphertext: Ciphertext; readonly proof: IntervalProof }[];
  readonly sumProof: IntervalProof;
};
/** A packed group of a sealed ballot: one ciphertext and its proof over packedValues(D). */
export type SealedPackedGroup = { readonly packed: { readonly ciphertext: Ciphertext; readonly proof: IntervalProof } };
/** A sealed ballot: its groups in shape order, each entry-wise or packed as `packedDigits` says. */
export type SealedBallot = { readonly groups: readonly (SealedEntryGroup | SealedPackedGroup)[] };

/** What every proof of a sealed ballot is bound to. `electionKey` and `tokenHash` are 32 bytes. */
export type SealContext = { readonly ballotId: string; readonly electionKey: Uint8Array; readonly tokenHash: Uint8Array };

/**
 * Byte lengths on the wire: a branch of a proof is enc(A_j) ‖ enc(B_j) ‖ le32(c_j) ‖ le32(s_j)
 * (128 bytes); an entry is α ‖ β ‖ branch_0 ‖ branch_1 (320 bytes).
 */
export const BRANCH_BYTES = 2 * ELEMENT_BYTES + 2 * EXPONENT_BYTES;
export const ENTRY_BYTES = CIPHERTEXT_BYTES + 2 * BRANCH_BYTES;

/**
 * Bytes of one group on the wire (protocol §5.2): entry-wise size·320 + (max − min + 1)·128;
 * packed 64 + (D + 1)·128.
 */
function groupBytes(g: BallotGroup): number {
  const d = packedDigits(g);
  return d === null ? g.size * ENTRY_BYTES + (g.max - g.min + 1) * BRANCH_BYTES : CIPHERTEXT_BYTES + (d + 1) * BRANCH_BYTES;
}

/** Exact byte length of a sealed ballot of this shape (protocol §5.2): the sum of its groups' bytes. */
export function sealedBallotBytes(shape: BallotShape): number {
  return checkShape(shape).groups.reduce((n, g) => n + groupBytes(g), 0);
}

function checkProof(p: IntervalProof, lo: number, hi: number, name: string): void {
  if (typeof p !== 'object' || p === null || p.lo !== lo || p.hi !== hi) refuse('BAD_VALUE', `${name} must be a proof for [${lo}, ${hi}]`);
  const n = hi - lo + 1;
  if (!Array.isArray(p.commitments) || !Array.isArray(p.challenges) || !Array.isArray(p.responses))
    refuse('BAD_TYPE', `${name} must have commitment, challenge and response arrays`);
  if (p.commitments.length !== n || p.challenges.length !== n || p.responses.length !== n) refuse('BAD_LENGTH', `${name} must have ${n} branches`);
  p.commitments.forEach((cm: unknown, k) => {
    if (typeof cm !== 'object' || cm === null) refuse('BAD_TYPE', `${name} branch ${lo + k} must have commitments {A, B}`);
    checkPoint((cm as BranchCommitment).A, `${name} A_${lo + k}`);
    checkPoint((cm as BranchCommitment).B, `${name} B_${lo + k}`);
  });
  for (const x of [...p.challenges, ...p.responses])
    if (typeof x !== 'bigint' || x < 0n || x >= ELL) refuse('SCALAR_RANGE', `${name}: every exponent must be in [0, ℓ)`);
}

function checkPoint(e: unknown, name: string): Element {
  if (!(e instanceof RP)) refuse('BAD_TYPE', `${name} must be a ristretto255 element`);
  if (e.equals(RP.ZERO)) refuse('POINT_IDENTITY', `${name} is the identity`);
  return e;
}

function checkCiphertext(ct: unknown, name: string): void {
  if (typeof ct !== 'object' || ct === null) refuse('BAD_TYPE', `${name} must be a ciphertext {alpha, beta}`);
  checkPoint((ct as Ciphertext).alpha, `${name} α`);
  checkPoint((ct as Ciphertext).beta, `${name} β`);
}

/** The packed part of a sealed group, or null when the group is entry-wise. */
function packedOf(g: SealedEntryGroup | SealedPackedGroup): SealedPackedGroup['packed'] | null {
  return 'packed' in g ? g.packed : null;
}

/** The ciphertexts of a parsed sealed ballot in sum order (protocol §9.1): each entry's, and each packed group's one. */
export function sealedCiphertexts(sealed: SealedBallot): Ciphertext[] {
  return sealed.groups.flatMap((g) => {
    const p = packedOf(g);
    return p ? [p.ciphertext] : (g as SealedEntryGroup).entries.map((e) => e.ciphertext);
  });
}

/** Guard: `sealed` has exactly the structure of `shape`, valid elements (no identity) and reduced exponents. */
function checkSealed(shape: BallotShape, sealed: SealedBallot): void {
  if (typeof sealed !== 'object' || sealed === null || !Array.isArray(sealed.groups)) refuse('BAD_TYPE', 'sealed ballot must be {groups}');
  if (sealed.groups.length !== shape.groups.length) refuse('BAD_VALUE', `sealed ballot must have ${shape.groups.length} groups`);
  shape.groups.forEach((g, gi) => {
    const sg = sealed.groups[gi]!;
    if (typeof sg !== 'object' || sg === null) refuse('BAD_TYPE', `sealed group ${gi} must be an object`);
    const d = packedDigits(g);
    if (d !== null) {
      const p = packedOf(sg);
      if (p === null || typeof p !== 'object') refuse('BAD_VALUE', `sealed group ${gi} must be packed {ciphertext, proof}`);
      checkCiphertext(p.ciphertext, `group ${gi}`);
      checkProof(p.proof, 0, d, `group ${gi} packed proof`);
      return;
    }
    const eg = sg as SealedEntryGroup;
    if (!Array.isArray(eg.entries) || eg.entries.length !== g.size) refuse('BAD_VALUE', `sealed group ${gi} must have ${g.size} entries`);
    eg.entries.forEach((e, ei) => {
      if (typeof e !== 'object' || e === null) refuse('BAD_TYPE', `group ${gi} entry ${ei} must be {ciphertext, proof}`);
      checkCiphertext(e.ciphertext, `group ${gi} entry ${ei}`);
      checkProof(e.proof, 0, 1, `group ${gi} entry ${ei} proof`);
    });
    checkProof(eg.sumProof, g.min, g.max, `group ${gi} sum proof`);
  });
}

function encodeProof(p: IntervalProof): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < p.challenges.length; k++) {
    const { A, B } = p.commitments[k]!;
    out.push(encodeElement(A), encodeElement(B), encodeExponent(p.challenges[k]!), encodeExponent(p.responses[k]!));
  }
  return out;
}

/**
 * Wire form of a sealed ballot (protocol §5.2), group by group: an entry-wise group is, for
 * each entry, α ‖ β ‖ A_0 ‖ B_0 ‖ c_0 ‖ s_0 ‖ A_1 ‖ B_1 ‖ c_1 ‖ s_1, then the sum proof's branches
 * A_j ‖ B_j ‖ c_j ‖ s_j for j = min…max; a packed group is α ‖ β then its D + 1 branches.
 * Elements are RFC 9496 encodings, exponents 32-byte little-endian.
 * @throws CryptoInputError when `sealed` does not have the structure of `shape` (codes as `parseSealedBallot`).
 */
export function encodeSealedBallot(shape: BallotShape, sealed: SealedBallot): Uint8Array {
  const s = checkShape(shape);
  checkSealed(s, sealed);
  const parts: Uint8Array[] = [];
  for (const g of sealed.groups) {
    const p = packedOf(g);
    if (p) parts.push(encodeElement(p.ciphertext.alpha), encodeElement(p.ciphertext.beta), ...encodeProof(p.proof));
    else {
      const eg = g as SealedEntryGroup;
      for (const e of eg.entries) parts.push(encodeElement(e.ciphertext.alpha), encodeElement(e.ciphertext.beta), ...encodeProof(e.proof));
      parts.push(...encodeProof(eg.sumProof));
    }
  }
  return joinBytes(parts);
}

/**
 * Decode a sealed ballot of `shape` with full validation (protocol §5.2): exact length, every
 * element (α, β, A_j, B_j) canonical and not the identity (`decodeElement`), every exponent in
 * [0, ℓ). Decoding does not check the proofs (`verifySealedBallot` does).
 * @throws CryptoInputError BAD_TYPE, BAD_LENGTH, POINT_NOT_CANONICAL, POINT_IDENTITY, POINT_NOT_ON_CURVE, SCALAR_RANGE.
 */
export function parseSealedBallot(shape: BallotShape, bytes: Uint8Array): SealedBallot {
  const s = checkShape(shape);
  abytes(bytes, sealedBallotBytes(s), 'sealed ballot');
  let off = 0;
  const take = (n: number) => bytes.subarray(off, (off += n));
  const proof = (lo: number, hi: number, name: string): IntervalProof => {
    const commitments: BranchCommitment[] = [];
    const challenges: bigint[] = [];
    const responses: bigint[] = [];
    for (let j = lo; j <= hi; j++) {
      const A = decodeElement(take(ELEMENT_BYTES), `${name} A_${j}`);
      const B = decodeElement(take(ELEMENT_BYTES), `${name} B_${j}`);
      commitments.push({ A, B });
      challenges.push(decodeExponent(take(EXPONENT_BYTES), `${name} c_${j}`));
      responses.push(decodeExponent(take(EXPONENT_BYTES), `${name} s_${j}`));
    }
    return { lo, hi, commitments, challenges, responses };
  };
  const ciphertext = (name: string): Ciphertext => {
    const alpha = decodeElement(take(ELEMENT_BYTES), `${name} α`);
    return { alpha, beta: decodeElement(take(ELEMENT_BYTES), `${name} β`) };
  };
  return {
    groups: s.groups.map((g, gi) => {
      const d = packedDigits(g);
      if (d !== null) {
        const ct = ciphertext(`group ${gi}`);
        return { packed: { ciphertext: ct, proof: proof(0, d, `group ${gi} packed proof`) } };
      }
      const entries = Array.from({ length: g.size }, (_, ei) => {
        const name = `group ${gi} entry ${ei}`;
        const ct = ciphertext(name);
        return { ciphertext: ct, proof: proof(0, 1, `${name} proof`) };
      });
      return { entries, sumProof: proof(g.min, g.max, `group ${gi} sum proof`) };
    }),
  };
}

/** The commitment hash c = SHA-256(message(DST_BALLOT_HASH, utf8(ballotId), sealed bytes)), 32 bytes (protocol §5.4). */
export function ballotHash(ballotId: string, bytes: Uint8Array): Uint8Array {
  assertId(ballotId, 'ballotId');
  abytes(bytes, undefined, 'sealed ballot');
  return sha256(message(DST_BALLOT_HASH, utf8(ballotId), bytes));
}

/**
 * The homomorphic sums Σα, Σβ straight from the wire bytes of sealed ballots (protocol §9.1):
 * one per entry of an entry-wise group, one per packed group (`sumCount`), decoding only the
 * ciphertexts (every α and β fully validated), not the proofs: what a scrutineer device needs
 * to recompute the sums it is asked to decrypt, at a fraction of a full parse.
 * @throws CryptoInputError for a ballot of the wrong length or a ciphertext that does not decode.
 */
export function sumSealedBallots(shape: BallotShape, ballots: readonly Uint8Array[]): Ciphertext[] {
  const s = checkShape(shape);
  if (!Array.isArray(ballots)) refuse('BAD_TYPE', 'ballots must be an array');
  const size = sealedBallotBytes(s);
  const offsets = ciphertextOffsets(s);
  const gb = groupBackend();
  if (gb) {
    // On a fast group backend: the same validation, additions on the encodings.
    const zero: Uint8Array = new Uint8Array(ELEMENT_BYTES);
    const sums = sumHalves(ballots, size, offsets, zero, (acc, half, name) => {
      if (!gb.isElement(half)) decodeElement(half, name); // throws the protocol's code
      return gb.add(acc, half);
    });
    return sums.alphas.map((a, k) => decodeSumCiphertext(joinBytes([a, sums.betas[k]!])));
  }
  const sums = sumHalves(ballots, size, offsets, RP.ZERO, (acc: Element, half, name) => acc.add(decodeElement(half, name)));
  return sums.alphas.map((alpha, k) => ({ alpha, beta: sums.betas[k]! }));
}

/** Byte offsets, in a sealed ballot of shape `s`, of the ciphertexts that are summed, in sum order. */
function ciphertextOffsets(s: BallotShape): number[] {
  const out: number[] = [];
  let off = 0;
  for (const g of s.groups) {
    if (packedDigits(g) !== null) out.push(off);
    else for (let e = 0; e < g.size; e++) out.push(off + e * ENTRY_BYTES);
    off += groupBytes(g);
  }
  return out;
}

/** Σ over the ballots of the α and β halves at `offsets`, read from the wire bytes, with `add`. */
function sumHalves<T>(
  ballots: readonly Uint8Array[], size: number, offsets: readonly number[], zero: T,
  add: (acc: T, half: Uint8Array, name: string) => T,
): { alphas: T[]; betas: T[] } {
  const alphas: T[] = new Array(offsets.length).fill(zero);
  const betas: T[] = new Array(offsets.length).fill(zero);
  for (const b of ballots) {
    abytes(b, size, 'sealed ballot');
    offsets.forEach((off, k) => {
      alphas[k] = add(alphas[k]!, b.subarray(off, off + ELEMENT_BYTES), 'α');
      betas[k] = add(betas[k]!, b.subarray(off + ELEMENT_BYTES, off + CIPHERTEXT_BYTES), 'β');
    });
  }
  return { alphas, betas };
}

/**
 * The homomorphic sums of parsed sealed ballots of `shape` (protocol §9.1), as
 * `sumSealedBallots`: one per entry of an entry-wise group, one per packed group. With no
 * ballots every sum is (identity, identity).
 * @throws CryptoInputError BAD_VALUE / BAD_TYPE when a ballot does not have the structure of `shape`.
 */
export function sumCiphertexts(shape: BallotShape, ballots: readonly SealedBallot[]): Ciphertext[] {
  const s = checkShape(shape);
  if (!Array.isArray(ballots)) refuse('BAD_TYPE', 'ballots must be an array');
  const total = sumCount(s);
  const alphas: Element[] = new Array(total).fill(RP.ZERO);
  const betas: Element[] = new Array(total).fill(RP.ZERO);
  for (const b of ballots) {
    if (typeof b !== 'object' || b === null || !Array.isArray(b.groups) || b.groups.length !== s.groups.length)
      refuse('BAD_VALUE', `a sealed ballot must have ${s.groups.length} groups`);
    let k = 0;
    s.groups.forEach((g, gi) => {
      const sg = b.groups[gi];
      const packed = packedDigits(g) !== null;
      const cts = packed ? [sg && packedOf(sg)?.ciphertext] : (sg as SealedEntryGroup | undefined)?.entries?.map((e) => e.ciphertext);
      if (!Array.isArray(cts) || cts.length !== (packed ? 1 : g.size) || cts.some((c) => !c))
        refuse('BAD_VALUE', `sealed group ${gi} does not have the structure of its shape`);
      for (const ct of cts as Ciphertext[]) {
        if (!(ct.alpha instanceof RP) || !(ct.beta instanceof RP)) refuse('BAD_TYPE', 'ciphertext halves must be elements');
        alphas[k] = alphas[k]!.add(ct.alpha);
        betas[k] = betas[k]!.add(ct.beta);
        k++;
      }
    });
  }
  return alphas.map((alpha, k) => ({ alpha, beta: betas[k]! }));
}


// ── Context and challenge ─────────────────────────────────────────────────────────────────

/** context = fields(utf8(ballotId), enc(Y), tokenHash, u32be(groupIndex), u32be(entryIndex)) (protocol §5.3). */
function proofContext(ballotId: string, keyBytes: Uint8Array, tokenHash: Uint8Array, group: number, entry: number): Uint8Array {
  return fields(utf8(ballotId), keyBytes, tokenHash, u32be(group), u32be(entry));
}

/**
 * What one disjunctive proof states (protocol §5.3): the messages m_k of its branches, and how
 * its challenge is hashed from the encodings of (α, β) and of its commitments.
 */
type Statement = {
  readonly lo: number;
  readonly hi: number;
  readonly values: readonly number[];
  readonly challenge: (alpha: Uint8Array, beta: Uint8Array, commits: readonly Uint8Array[]) => bigint;
};

/** lo, lo + 1, …, hi. */
function span(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
}

/**
 * An interval proof m ∈ [lo, hi] (an entry's 0/1 proof, a group's sum proof), with
 * c = H(DST_BALLOT_PROOF; context, u32be(lo), u32be(hi), enc(α), enc(β), enc(A_lo), enc(B_lo), …,
 * enc(A_hi), enc(B_hi)).
 */
function intervalStatement(context: Uint8Array, lo: number, hi: number): Statement {
  return {
    lo, hi, values: span(lo, hi),
    challenge: (alpha, beta, commits) => hashToExponent(DST_BALLOT_PROOF, context, u32be(lo), u32be(hi), alpha, beta, ...commits),
  };
}

/**
 * A packed group's proof m ∈ packedValues(D), with
 * c = H(DST_BALLOT_PACKED_PROOF; context, u32be(D), u32be(B), enc(α), enc(β), enc(A_0), enc(B_0), …, enc(A_D), enc(B_D)).
 */
function packedStatement(context: Uint8Array, digits: number): Statement {
  return {
    lo: 0, hi: digits, values: packedValues(digits),
    challenge: (alpha, beta, commits) => hashToExponent(DST_BALLOT_PACKED_PROOF, context, u32be(digits), u32be(PACK_BASE), alpha, beta, ...commits),
  };
}

// ── Election keys: decoded once, in a small bounded cache ────────────────────────────────

type KeyState = {
  readonly bytes: Uint8Array;
  readonly hex: string;
  readonly Y: Element;
  /** A private copy of Y with noble's constant-time window table (sealing). */
  ct?: Element;
};

const KEY_CACHE_SIZE = 4;
const keyCache = new Map<string, KeyState>();

function keyState(electionKey: Uint8Array): KeyState {
  abytes(electionKey, ELEMENT_BYTES, 'electionKey');
  const hex = toHex(electionKey);
  const hit = keyCache.get(hex);
  if (hit) return hit;
  const st: KeyState = { bytes: electionKey.slice(), hex, Y: decodeElement(electionKey, 'electionKey') };
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(hex, st);
  return st;
}

function keyCT(k: KeyState): Element {
  if (!k.ct) k.ct = decodeElement(k.bytes).precompute(6, false);
  return k.ct;
}

function checkContext(ctx: SealContext): { ballotId: string; key: KeyState; tokenHash: Uint8Array } {
  if (typeof ctx !== 'object' || ctx === null) refuse('BAD_TYPE', 'context must be {ballotId, electionKey, tokenHash}');
  return { ballotId: assertId(ctx.ballotId, 'ballotId'), key: keyState(ctx.electionKey), tokenHash: abytes(ctx.tokenHash, 32, 'tokenHash') };
}

// ── Sealing ───────────────────────────────────────────────────────────────────────────────

/** m·G for a public m ≥ 0 (the packed base's multiple cached). */
const mulGCache = new Map<number, Element>();
function mulG(m: number): Element {
  if (m === 0) return RP.ZERO;
  if (m === 1) return BASE;
  let p = mulGCache.get(m);
  if (!p) mulGCache.set(m, (p = mulPublic(BASE, BigInt(m))));
  return p;
}

/** Constant-time x·P for a secret-dependent multiplication; the identity stays the identity. */
function ctMul(p: Element, x: bigint): Element {
  return p.equals(RP.ZERO) ? RP.ZERO : p.multiply(x);
}

/**
 * Disjunctive proof that (α, β) encrypts the message of branch `real` of `st` with randomness r
 * (protocol §5.3), as its wire branches A_k ‖ B_k ‖ c_k ‖ s_k. Every branch k draws (c′_k, s′_k)
 * and computes A_k = s′_k·G − c′_k·α, B_k = s′_k·Y − c′_k·(β − m_k·G) with the same constant-time
 * operations; the simulated branches keep (c′_k, s′_k). The real branch thereby commits to
 * w = s′ − c′·r (A = w·G, B = w·Y), and answers c_real = c − Σ_{k≠real} c_k,
 * s_real = w + c_real·r = s′ + (c_real − c′)·r.
 */
function proveBranches(
  st: Statement, Y: Element, alpha: Element, beta: Element, alphaEnc: Uint8Array, betaEnc: Uint8Array,
  real: number, r: bigint, rand: () => bigint,
): Uint8Array[] {
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  const commits: Uint8Array[] = [];
  for (const m of st.values) {
    const c = rand();
    const s = rand();
    const shifted = m === 0 ? beta : beta.subtract(mulG(m));
    commits.push(BASE.multiply(s).subtract(ctMul(alpha, c)).toBytes(), Y.multiply(s).subtract(ctMul(shifted, c)).toBytes());
    cs.push(c);
    ss.push(s);
  }
  const c = st.challenge(alphaEnc, betaEnc, commits);
  let others = c;
  for (const cj of cs) others -= cj;
  const out: Uint8Array[] = [];
  for (let k = 0; k < cs.length; k++) {
    const isReal = k === real;
    const cm = modL(others + cs[k]!); // c − Σ_{j≠k} c′_j
    const sm = modL(ss[k]! + (cm - cs[k]!) * r);
    out.push(commits[2 * k]!, commits[2 * k + 1]!, encodeExponent(isReal ? cm : cs[k]!), encodeExponent(isReal ? sm : ss[k]!));
  }
  return out;
}

function checkSelections(shape: BallotShape, selections: readonly (readonly number[])[]): void {
  if (!Array.isArray(selections) || selections.length !== shape.groups.length)
    refuse('BAD_VALUE', `selections must be an array of ${shape.groups.length} groups`);
  shape.groups.forEach((g, gi) => {
    const sel = selections[gi];
    if (!Array.isArray(sel) || sel.length !== g.size) refuse('BAD_VALUE', `selections[${gi}] must have ${g.size} entries`);
    let sum = 0;
    for (const x of sel) {
      if (x !== 0 && x !== 1) refuse('BAD_VALUE', `selections[${gi}] entries must be 0 or 1`);
      sum += x;
    }
    if (sum < g.min || sum > g.max) refuse('BAD_VALUE', `selections[${gi}] must select between ${g.min} and ${g.max} entries`);
  });
}

/**
 * The branch of a packed group's proof that a selection takes (protocol §5.1): with min 1,
 * entry 0 ↦ message 0 and entry j ↦ B^(j−1); with min 0, no selection ↦ 0 and entry j ↦ B^j.
 * Branch k encrypts packedValues(D)[k].
 */
function packedBranch(g: BallotGroup, sel: readonly number[]): number {
  const j = sel.indexOf(1);
  return j < 0 ? 0 : g.min === 1 ? j : j + 1;
}

/**
 * Seal a selection vector (protocol §5.2–§5.3): encrypt under the election key, prove every
 * entry-wise group's entries 0/1 and its sum in [min, max] and every packed group's message one
 * of its packedValues, and return the wire bytes. The randomness never leaves this function.
 * `opts.random` (values in [1, ℓ)) replaces the CSPRNG for test vectors only; it is drawn group
 * by group: for an entry-wise group per entry r, then (c′_0, s′_0), (c′_1, s′_1), then the sum
 * proof's (c′_j, s′_j) for j = min…max; for a packed group r, then (c′_k, s′_k) for k = 0…D.
 * @throws CryptoInputError BAD_VALUE for selections that do not fit the shape (wrong lengths, an
 * entry not 0/1, a group sum outside [min, max]) or a bad shape/id; codes of `decodeElement` for the key.
 */
export function sealBallot(
  ctx: SealContext, shape: BallotShape, selections: readonly (readonly number[])[], opts: { random?: () => bigint } = {},
): Uint8Array {
  const { ballotId, key, tokenHash } = checkContext(ctx);
  const s = checkShape(shape);
  checkSelections(s, selections);
  const source = opts.random ?? randomExponent;
  const rand = (): bigint => {
    const x = source();
    if (typeof x !== 'bigint' || x < 1n || x >= ELL) refuse('BAD_VALUE', 'random exponents must be in [1, ℓ)');
    return x;
  };
  const Y = keyCT(key);
  const parts: Uint8Array[] = [];
  /** (α, β) = (r·G, m·G + r·Y) for a message m of `values`, chosen by index (constant-time multiplications). */
  const encrypt = (values: readonly number[], k: number, r: bigint) => {
    const alpha = BASE.multiply(r);
    const beta = Y.multiply(r).add(mulG(values[k]!));
    return { alpha, beta, alphaEnc: alpha.toBytes(), betaEnc: beta.toBytes() };
  };
  s.groups.forEach((g, gi) => {
    const d = packedDigits(g);
    if (d !== null) {
      const st = packedStatement(proofContext(ballotId, key.bytes, tokenHash, gi, PACKED_PROOF_INDEX), d);
      const k = packedBranch(g, selections[gi]!);
      const r = rand();
      const e = encrypt(st.values, k, r);
      parts.push(e.alphaEnc, e.betaEnc, ...proveBranches(st, Y, e.alpha, e.beta, e.alphaEnc, e.betaEnc, k, r, rand));
      return;
    }
    let R = 0n;
    let M = 0;
    let sumA = RP.ZERO;
    let sumB = RP.ZERO;
    selections[gi]!.forEach((m, ei) => {
      const st = intervalStatement(proofContext(ballotId, key.bytes, tokenHash, gi, ei), 0, 1);
      const r = rand();
      const e = encrypt(st.values, m, r);
      parts.push(e.alphaEnc, e.betaEnc, ...proveBranches(st, Y, e.alpha, e.beta, e.alphaEnc, e.betaEnc, m, r, rand));
      R = modL(R + r);
      M += m;
      sumA = sumA.add(e.alpha);
      sumB = sumB.add(e.beta);
    });
    const st = intervalStatement(proofContext(ballotId, key.bytes, tokenHash, gi, SUM_PROOF_INDEX), g.min, g.max);
    parts.push(...proveBranches(st, Y, sumA, sumB, sumA.toBytes(), sumB.toBytes(), M - g.min, R, rand));
  });
  return joinBytes(parts);
}

// ── Verification: challenge hashes, then one batched multi-scalar multiplication ────────
//
// For a set of proofs the verifier first checks every hash equation Σ_k c_k ≡ c (mod ℓ), c
// recomputed from the wire encodings. Then it draws, for every verification equation, an
// independent uniform weight in [1, 2^128) from the CSPRNG — u_k for s_k·G = A_k + c_k·α and
// v_k for s_k·Y = B_k + c_k·(β − m_k·G) — and checks their weighted sum with one MSM:
//
//   Σ u_k·A_k + Σ v_k·B_k + Σ (u_k·c_k)·α + Σ (v_k·c_k)·β
//     + [−Σ (u_k·s_k + v_k·c_k·m_k)]·G + [−Σ v_k·s_k]·Y  =  identity.
//
// The coefficients of each distinct point are merged: G once, each election key once, and a
// ciphertext's α (β) once, collecting its own branches and, for an entry of an entry-wise group,
// because the group's sum proof is on (Σα, Σβ), every branch of that sum proof — Σα is never
// formed as a point of the MSM. If every equation holds the sum is the identity whatever the
// weights; if one fails, it is the identity with probability ≤ 2⁻¹²⁸ over the weights
// (ristretto255 has prime order). Verification works on public data only and need not be
// constant time.

/** A ballot whose encoding and challenge hashes are good: only the batch equation is left. */
type Prechecked = { readonly Y: Element; readonly keyHex: string; readonly sealed: SealedBallot; readonly shape: BallotShape };

/** Σ_k c_k ≡ H(…) for one proof of statement `st` whose wire branches start at `off` in `bytes`. */
function hashHolds(st: Statement, p: IntervalProof, alpha: Uint8Array, beta: Uint8Array, bytes: Uint8Array, off: number): boolean {
  const commits: Uint8Array[] = [];
  let sum = 0n;
  for (let k = 0; k < p.challenges.length; k++, off += BRANCH_BYTES) {
    commits.push(bytes.subarray(off, off + ELEMENT_BYTES), bytes.subarray(off + ELEMENT_BYTES, off + 2 * ELEMENT_BYTES));
    sum += p.challenges[k]!;
  }
  return modL(sum) === st.challenge(alpha, beta, commits);
}

/**
 * Decode (bytes) or validate and encode (a parsed ballot), then check every challenge hash.
 * @returns null when the ballot is malformed, its context is bad or a hash equation fails.
 */
function precheck(ctx: SealContext, shape: BallotShape, input: Uint8Array | SealedBallot): Prechecked | null {
  try {
    const { ballotId, key, tokenHash } = checkContext(ctx);
    const bytes = input instanceof Uint8Array ? input : encodeSealedBallot(shape, input);
    const sealed = input instanceof Uint8Array ? parseSealedBallot(shape, input) : input;
    const context = (gi: number, ei: number) => proofContext(ballotId, key.bytes, tokenHash, gi, ei);
    let off = 0;
    for (let gi = 0; gi < shape.groups.length; gi++) {
      const g = shape.groups[gi]!;
      const sg = sealed.groups[gi]!;
      const packed = packedOf(sg);
      if (packed) {
        const st = packedStatement(context(gi, PACKED_PROOF_INDEX), packedDigits(g)!);
        const alpha = bytes.subarray(off, off + ELEMENT_BYTES);
        const beta = bytes.subarray(off + ELEMENT_BYTES, off + CIPHERTEXT_BYTES);
        if (!hashHolds(st, packed.proof, alpha, beta, bytes, off + CIPHERTEXT_BYTES)) return null;
        off += groupBytes(g);
        continue;
      }
      const eg = sg as SealedEntryGroup;
      let sumA = RP.ZERO;
      let sumB = RP.ZERO;
      for (let ei = 0; ei < eg.entries.length; ei++, off += ENTRY_BYTES) {
        const { ciphertext: ct, proof } = eg.entries[ei]!;
        const alpha = bytes.subarray(off, off + ELEMENT_BYTES);
        const beta = bytes.subarray(off + ELEMENT_BYTES, off + CIPHERTEXT_BYTES);
        if (!hashHolds(intervalStatement(context(gi, ei), 0, 1), proof, alpha, beta, bytes, off + CIPHERTEXT_BYTES)) return null;
        sumA = sumA.add(ct.alpha);
        sumB = sumB.add(ct.beta);
      }
      const st = intervalStatement(context(gi, SUM_PROOF_INDEX), g.min, g.max);
      if (!hashHolds(st, eg.sumProof, sumA.toBytes(), sumB.toBytes(), bytes, off)) return null;
      off += eg.sumProof.challenges.length * BRANCH_BYTES;
    }
    return { Y: key.Y, keyHex: key.hex, sealed, shape };
  } catch {
    return null;
  }
}

/** Uniform weights in [1, 2^128) from the platform CSPRNG, drawn 256 at a time. */
function weightSource(): () => bigint {
  const PER_DRAW = 256;
  let view: DataView = new DataView(new ArrayBuffer(0));
  let next = PER_DRAW;
  return () => {
    for (;;) {
      if (next === PER_DRAW) {
        const b = randomBytes(16 * PER_DRAW);
        view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        next = 0;
      }
      const i = 16 * next++;
      const w = (view.getBigUint64(i, true) << 64n) | view.getBigUint64(i + 8, true);
      if (w !== 0n) return w;
    }
  };
}

// noble's ristretto255 constructor is a valid CurvePointCons at run time; its Fp typing is narrower.
const CONS = RP as unknown as CurvePointCons<Element>;

/**
 * Below this many points (≈ 8 ballots of 3×3) the batch equation is evaluated with noble's
 * `mulAddUnsafe`, an interleaved wNAF walk whose cost follows the scalars' lengths, so the
 * 128-bit weights of the commitments cost half (one 3×3 ballot: 6.5 ms against 11.9 ms);
 * from it on with noble's `pippenger`, whose cost per point falls with the number of points
 * but not with the scalars' lengths. Either way: one MSM, the same equation.
 */
const PIPPENGER_FROM = 512;

/** Does the batch equation of these prechecked ballots hold, under fresh weights? One MSM. */
function batchHolds(ballots: readonly Prechecked[]): boolean {
  const weight = weightSource();
  const points: Element[] = [];
  const scalars: bigint[] = [];
  let g = 0n;
  const keys = new Map<string, { Y: Element; y: bigint }>();
  for (const b of ballots) {
    let y = 0n;
    /** Every branch's commitments into the MSM; returns the coefficients of its α and β. */
    const branches = (p: IntervalProof, values: readonly number[]): { uc: bigint; vc: bigint } => {
      let uc = 0n;
      let vc = 0n;
      for (let k = 0; k < p.challenges.length; k++) {
        const c = p.challenges[k]!;
        const s = p.responses[k]!;
        const u = weight();
        const v = weight();
        const { A, B } = p.commitments[k]!;
        points.push(A, B);
        scalars.push(u, v);
        uc += u * c;
        vc += v * c;
        g += u * s + v * c * BigInt(values[k]!);
        y += v * s;
      }
      return { uc, vc };
    };
    b.sealed.groups.forEach((sg, gi) => {
      const shapeGroup = b.shape.groups[gi]!;
      const packed = packedOf(sg);
      if (packed) {
        const { uc, vc } = branches(packed.proof, packedValues(packedDigits(shapeGroup)!));
        points.push(packed.ciphertext.alpha, packed.ciphertext.beta);
        scalars.push(modL(uc), modL(vc));
        return;
      }
      const eg = sg as SealedEntryGroup;
      const a = eg.entries.map((e) => branches(e.proof, [0, 1])); // coefficients of each entry's α and β
      const sum = branches(eg.sumProof, span(shapeGroup.min, shapeGroup.max));
      eg.entries.forEach((e, ei) => {
        points.push(e.ciphertext.alpha, e.ciphertext.beta);
        scalars.push(modL(a[ei]!.uc + sum.uc), modL(a[ei]!.vc + sum.vc));
      });
    });
    const k = keys.get(b.keyHex);
    if (k) k.y += y;
    else keys.set(b.keyHex, { Y: b.Y, y });
  }
  points.push(BASE);
  scalars.push(modL(-g));
  for (const { Y, y } of keys.values()) {
    points.push(Y);
    scalars.push(modL(-y));
  }
  const sum = points.length < PIPPENGER_FROM ? mulAddUnsafe(CONS, points, scalars) : pippenger(CONS, points, scalars);
  return sum.equals(RP.ZERO);
}

/** `batchHolds`, with anything noble might throw counted as a failure (bisection then finds the ballot). */
function holds(ballots: readonly Prechecked[]): boolean {
  try {
    return batchHolds(ballots);
  } catch {
    return false;
  }
}

/** Once a failing set has at most this many ballots, each is checked alone. */
const BISECT_ALONE = 4;

/**
 * The indices (into `all`) of `idx` whose ballots fail their batch equation. `knownBad`: the
 * enclosing set failed and its other half passed, so this set's combined check is skipped.
 * A ballot is reported bad only after failing a check alone; a good ballot never fails one
 * (its equations hold for every weight), so it is never reported.
 */
function failing(all: readonly Prechecked[], idx: readonly number[], knownBad: boolean): number[] {
  if (idx.length === 0) return [];
  if (idx.length === 1) return holds([all[idx[0]!]!]) ? [] : [idx[0]!];
  if (!knownBad && holds(idx.map((i) => all[i]!))) return [];
  if (idx.length <= BISECT_ALONE) return idx.filter((i) => !holds([all[i]!]));
  const mid = idx.length >> 1;
  const left = failing(all, idx.slice(0, mid), false);
  return [...left, ...failing(all, idx.slice(mid), left.length === 0)];
}

// ── Verification on a fast group backend: every equation on its own ─────────────────────
//
// libsodium (crypto/backend-sodium.ts) multiplies several times faster than noble but has no
// multi-scalar multiplication, so with it each proof is checked by itself, on the wire
// encodings: every element canonical and not the identity, every exponent reduced, every
// challenge hash, then s_k·G = A_k + c_k·α and s_k·Y = B_k + c_k·(β − m_k·G) for its branches
// (two random linear combinations when it has several, `proofHolds`). This accepts the ballots
// that the batched check accepts (both err with probability ≤ 2⁻¹²⁸ only), as
// tests/crypto/backend.test.ts checks on tampered ballots.

const BASE_ENC = BASE.toBytes();

function leExponent(b: Uint8Array): bigint | null {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n < ELL ? n : null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Weights of `proofHolds`' combinations: one CSPRNG source for the thread, drawn 256 at a time. */
const combinationWeights = weightSource();

/** One disjunctive proof of statement `st` on (α, β) whose wire branches start at `off`. */
function proofHolds(gb: GroupBackend, Y: Uint8Array, st: Statement, bytes: Uint8Array, off: number, alpha: Uint8Array, beta: Uint8Array): boolean {
  const commits: Uint8Array[] = [];
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  let sum = 0n;
  for (let k = 0; k < st.values.length; k++, off += BRANCH_BYTES) {
    const A = bytes.subarray(off, off + ELEMENT_BYTES);
    const B = bytes.subarray(off + ELEMENT_BYTES, off + 2 * ELEMENT_BYTES);
    const c = leExponent(bytes.subarray(off + 2 * ELEMENT_BYTES, off + 2 * ELEMENT_BYTES + EXPONENT_BYTES));
    const sj = leExponent(bytes.subarray(off + 2 * ELEMENT_BYTES + EXPONENT_BYTES, off + BRANCH_BYTES));
    if (!gb.isElement(A) || !gb.isElement(B) || c === null || sj === null) return false;
    commits.push(A, B);
    cs.push(c);
    ss.push(sj);
    sum += c;
  }
  if (modL(sum) !== st.challenge(alpha, beta, commits)) return false;
  if (st.values.length === 1) {
    // One branch: its two equations as they stand.
    const [c, sj, m] = [cs[0]!, ss[0]!, st.values[0]!];
    if (!sameBytes(gb.mulBase(sj), gb.add(commits[0]!, gb.mul(alpha, c)))) return false;
    const shifted = m === 0 ? beta : gb.sub(beta, m === 1 ? BASE_ENC : gb.mulBase(BigInt(m)));
    return sameBytes(gb.mul(Y, sj), gb.add(commits[1]!, gb.mul(shifted, c)));
  }
  // Several branches: the G-equations of all branches as one random linear combination, and
  // the Y-equations as another (weights w_0 = 1, the others uniform in [1, 2^128) from the
  // CSPRNG, drawn after the proof was read): with S = Σ w_k·s_k, C = Σ w_k·c_k, J = Σ w_k·c_k·m_k,
  //   S·G = Σ w_k·A_k + C·α   and   S·Y = Σ w_k·B_k + C·β − J·G.
  // Both hold if every branch's equations do; if one fails, a combination holds with
  // probability ≤ 2⁻¹²⁸ (ristretto255 has prime order). One multiplication fewer per branch.
  const weight = combinationWeights;
  let S = 0n;
  let C = 0n;
  let J = 0n;
  let sumA = commits[0]!;
  let sumB = commits[1]!;
  for (let k = 0; k < st.values.length; k++) {
    const w = k === 0 ? 1n : weight();
    S += w * ss[k]!;
    C += w * cs[k]!;
    J += w * cs[k]! * BigInt(st.values[k]!);
    if (k > 0) {
      sumA = gb.add(sumA, gb.mul(commits[2 * k]!, w));
      sumB = gb.add(sumB, gb.mul(commits[2 * k + 1]!, w));
    }
  }
  [S, C, J] = [modL(S), modL(C), modL(J)];
  if (!sameBytes(gb.mulBase(S), gb.add(sumA, gb.mul(alpha, C)))) return false;
  return sameBytes(gb.mul(Y, S), gb.sub(gb.add(sumB, gb.mul(beta, C)), gb.mulBase(J)));
}

/** Every check of `verifySealedBallot` on a fast group backend, equation by equation. */
function holdsByEquations(gb: GroupBackend, ctx: SealContext, shape: BallotShape, bytes: Uint8Array): boolean {
  const { ballotId, key, tokenHash } = checkContext(ctx);
  if (bytes.length !== sealedBallotBytes(shape)) return false;
  const Y = key.bytes;
  const context = (gi: number, ei: number) => proofContext(ballotId, Y, tokenHash, gi, ei);
  let off = 0;
  for (let gi = 0; gi < shape.groups.length; gi++) {
    const g = shape.groups[gi]!;
    const d = packedDigits(g);
    if (d !== null) {
      const alpha = bytes.subarray(off, off + ELEMENT_BYTES);
      const beta = bytes.subarray(off + ELEMENT_BYTES, off + CIPHERTEXT_BYTES);
      if (!gb.isElement(alpha) || !gb.isElement(beta)) return false;
      if (!proofHolds(gb, Y, packedStatement(context(gi, PACKED_PROOF_INDEX), d), bytes, off + CIPHERTEXT_BYTES, alpha, beta)) return false;
      off += groupBytes(g);
      continue;
    }
    let sumA: Uint8Array = new Uint8Array(ELEMENT_BYTES);
    let sumB: Uint8Array = new Uint8Array(ELEMENT_BYTES);
    for (let ei = 0; ei < g.size; ei++, off += ENTRY_BYTES) {
      const alpha = bytes.subarray(off, off + ELEMENT_BYTES);
      const beta = bytes.subarray(off + ELEMENT_BYTES, off + CIPHERTEXT_BYTES);
      if (!gb.isElement(alpha) || !gb.isElement(beta)) return false;
      if (!proofHolds(gb, Y, intervalStatement(context(gi, ei), 0, 1), bytes, off + CIPHERTEXT_BYTES, alpha, beta)) return false;
      sumA = gb.add(sumA, alpha);
      sumB = gb.add(sumB, beta);
    }
    if (!proofHolds(gb, Y, intervalStatement(context(gi, SUM_PROOF_INDEX), g.min, g.max), bytes, off, sumA, sumB)) return false;
    off += (g.max - g.min + 1) * BRANCH_BYTES;
  }
  return true;
}

/** `holdsByEquations`, with anything that throws (a malformed input) counted as a failure. */
function holdsOnBackend(gb: GroupBackend, ctx: SealContext, shape: BallotShape, bytes: Uint8Array): boolean {
  try {
    return holdsByEquations(gb, ctx, shape, bytes);
  } catch {
    return false;
  }
}

/** Test hook: the equation-by-equation verifier on a given group backend (tests/crypto/backend.test.ts). */
export function verifySealedBallotWith(gb: GroupBackend, ctx: SealContext, shape: BallotShape, bytes: Uint8Array): boolean {
  try {
    return holdsOnBackend(gb, ctx, checkShape(shape), bytes);
  } catch {
    return false;
  }
}

/**
 * Check every proof of a sealed ballot (protocol §5.3) — each entry's 0/1 proof and each group's
 * sum proof, against this ballot, election key, token hash and position: the challenge hashes,
 * then all verification equations in one batched MSM (a false proof passes with probability
 * ≤ 2⁻¹²⁸). Accepts the wire bytes (decoded with full validation) or a parsed ballot.
 * Never throws: any malformed input is `false`.
 */
export function verifySealedBallot(ctx: SealContext, shape: BallotShape, bytes: Uint8Array | SealedBallot): boolean {
  try {
    const gb = groupBackend();
    if (gb && bytes instanceof Uint8Array) return holdsOnBackend(gb, ctx, checkShape(shape), bytes);
    const p = precheck(ctx, checkShape(shape), bytes);
    return p !== null && holds([p]);
  } catch {
    return false;
  }
}

/**
 * Check many sealed ballots of one shape (protocol §5.3), each with its own context: the
 * indices, ascending, of those whose proofs fail — what `verifySealedBallot` would refuse one
 * by one. Every challenge hash is checked per ballot; then all the ballots' verification
 * equations go into one MSM with fresh weights. If it fails, the set is bisected, each half
 * with fresh weights, down to sets of at most 4 ballots checked one by one: one bad ballot
 * costs O(log n) more MSMs (of n points in all), and a ballot is refused only after failing
 * a check alone, so a good one never is. A ballot that does not decode
 * (or whose context is bad) is simply bad. `opts.onProgress(done)` is called after each
 * ballot's decoding and hash checks. Never throws (a bad shape makes every ballot bad).
 */
export function verifySealedBallots(
  shape: BallotShape, items: readonly { readonly ctx: SealContext; readonly bytes: Uint8Array | SealedBallot }[],
  opts: { onProgress?: (done: number) => void } = {},
): number[] {
  if (!Array.isArray(items)) return [];
  const everything = () => items.map((_, i) => i);
  try {
    let s: BallotShape;
    try {
      s = checkShape(shape);
    } catch {
      return everything();
    }
    const bad: number[] = [];
    const ok: number[] = [];
    const progress = (i: number) => {
      try {
        opts.onProgress?.(i + 1);
      } catch {
        // a progress callback cannot change the result
      }
    };
    const gb = groupBackend();
    if (gb && items.every((it) => typeof it === 'object' && it !== null && it.bytes instanceof Uint8Array)) {
      items.forEach((it, i) => {
        if (!holdsOnBackend(gb, it.ctx, s, it.bytes as Uint8Array)) bad.push(i);
        progress(i);
      });
      return bad;
    }
    const pre = items.map((it, i) => {
      const p = typeof it === 'object' && it !== null ? precheck(it.ctx, s, it.bytes) : null;
      (p ? ok : bad).push(i);
      progress(i);
      return p;
    }) as Prechecked[];
    bad.push(...failing(pre, ok, false));
    return bad.sort((x, y) => x - y);
  } catch {
    return everything();
  }
}
