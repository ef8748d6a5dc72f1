/**
 * @module crypto/sealed
 * Sealed selection vectors (protocol §5): a ballot answer is, per group of entries, a vector
 * of 0/1 selections whose sum lies in the group's [min, max]. Each entry is encrypted with
 * exponential ElGamal under the election key Y on ristretto255,
 *   α = r·G,  β = m·G + r·Y,        m ∈ {0, 1}, r ← random exponent,
 * and carries a disjunctive Chaum–Pedersen proof (CDS94, as in Belenios and ElectionGuard)
 * that m ∈ [0, 1]; each group's sum ciphertext (Σα, Σβ) carries the same kind of proof that
 * Σm ∈ [min, max]. Every proof is bound to the ballot, the election key, the token hash and
 * its position, so a ballot cannot be replayed under another token or reshuffled.
 *
 * Sealing uses noble's constant-time multiplication only, and the same operations for the
 * real and the simulated branches. Verification (the verifier's hot path) works on public
 * data: it splits each point into 2^(32i) multiples and evaluates all the multiplications of
 * a branch as one multi-scalar walk with shared doublings (not constant time).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, fromHex, joinBytes, toHex, utf8 } from './bytes.ts';
import { DST_BALLOT_HASH, DST_BALLOT_PROOF } from './dst.ts';
import { fields, message, u32be } from './encoding.ts';
import { refuse } from './errors.ts';
import {
  BASE, ELEMENT_BYTES, ELL, EXPONENT_BYTES, RP, decodeElement, decodeExponent, encodeElement, encodeExponent,
  hashToExponent, modL, mulPublic, randomExponent, type Element,
} from './group.ts';
import { assertId } from './ids.ts';

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

/** A proof that a ciphertext encrypts some m ∈ [lo, hi]: (c_j, s_j) for j = lo…hi (protocol §5.3). */
export type IntervalProof = {
  readonly lo: number;
  readonly hi: number;
  readonly challenges: readonly bigint[];
  readonly responses: readonly bigint[];
};

/** A sealed ballot: per group, each entry's ciphertext and 0/1 proof, then the group's sum proof. */
export type SealedBallot = {
  readonly groups: readonly {
    readonly entries: readonly { readonly ciphertext: Ciphertext; readonly proof: IntervalProof }[];
    readonly sumProof: IntervalProof;
  }[];
};

/** What every proof of a sealed ballot is bound to. `electionKey` and `tokenHash` are 32 bytes. */
export type SealContext = { readonly ballotId: string; readonly electionKey: Uint8Array; readonly tokenHash: Uint8Array };

/** Byte lengths on the wire: an entry is α ‖ β ‖ (c_0 ‖ s_0 ‖ c_1 ‖ s_1); a branch of a proof is c_j ‖ s_j. */
export const BRANCH_BYTES = 2 * EXPONENT_BYTES;
export const ENTRY_BYTES = CIPHERTEXT_BYTES + 2 * BRANCH_BYTES;

/** Exact byte length of a sealed ballot of this shape (protocol §5.2). */
export function sealedBallotBytes(shape: BallotShape): number {
  return checkShape(shape).groups.reduce((n, g) => n + g.size * ENTRY_BYTES + (g.max - g.min + 1) * BRANCH_BYTES, 0);
}

function checkProof(p: IntervalProof, lo: number, hi: number, name: string): void {
  if (typeof p !== 'object' || p === null || p.lo !== lo || p.hi !== hi) refuse('BAD_VALUE', `${name} must be a proof for [${lo}, ${hi}]`);
  const n = hi - lo + 1;
  if (!Array.isArray(p.challenges) || !Array.isArray(p.responses)) refuse('BAD_TYPE', `${name} must have challenge and response arrays`);
  if (p.challenges.length !== n || p.responses.length !== n) refuse('BAD_LENGTH', `${name} must have ${n} branches`);
  for (const x of [...p.challenges, ...p.responses])
    if (typeof x !== 'bigint' || x < 0n || x >= ELL) refuse('SCALAR_RANGE', `${name}: every exponent must be in [0, ℓ)`);
}

function checkPoint(e: unknown, name: string): Element {
  if (!(e instanceof RP)) refuse('BAD_TYPE', `${name} must be a ristretto255 element`);
  if (e.equals(RP.ZERO)) refuse('POINT_IDENTITY', `${name} is the identity`);
  return e;
}

/** Guard: `sealed` has exactly the structure of `shape`, valid elements (no identity) and reduced exponents. */
function checkSealed(shape: BallotShape, sealed: SealedBallot): void {
  if (typeof sealed !== 'object' || sealed === null || !Array.isArray(sealed.groups)) refuse('BAD_TYPE', 'sealed ballot must be {groups}');
  if (sealed.groups.length !== shape.groups.length) refuse('BAD_VALUE', `sealed ballot must have ${shape.groups.length} groups`);
  shape.groups.forEach((g, gi) => {
    const sg = sealed.groups[gi]!;
    if (typeof sg !== 'object' || sg === null || !Array.isArray(sg.entries) || sg.entries.length !== g.size)
      refuse('BAD_VALUE', `sealed group ${gi} must have ${g.size} entries`);
    sg.entries.forEach((e, ei) => {
      if (typeof e !== 'object' || e === null || typeof e.ciphertext !== 'object' || e.ciphertext === null)
        refuse('BAD_TYPE', `group ${gi} entry ${ei} must be {ciphertext, proof}`);
      checkPoint(e.ciphertext.alpha, `group ${gi} entry ${ei} α`);
      checkPoint(e.ciphertext.beta, `group ${gi} entry ${ei} β`);
      checkProof(e.proof, 0, 1, `group ${gi} entry ${ei} proof`);
    });
    checkProof(sg.sumProof, g.min, g.max, `group ${gi} sum proof`);
  });
}

function encodeProof(p: IntervalProof): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < p.challenges.length; k++) out.push(encodeExponent(p.challenges[k]!), encodeExponent(p.responses[k]!));
  return out;
}

/**
 * Wire form of a sealed ballot (protocol §5.2): for each group, for each entry α ‖ β ‖ c_0 ‖ s_0 ‖ c_1 ‖ s_1,
 * then the sum proof c_min ‖ s_min ‖ … ‖ c_max ‖ s_max. Exponents are 32-byte little-endian.
 * @throws CryptoInputError when `sealed` does not have the structure of `shape` (codes as `parseSealedBallot`).
 */
export function encodeSealedBallot(shape: BallotShape, sealed: SealedBallot): Uint8Array {
  const s = checkShape(shape);
  checkSealed(s, sealed);
  const parts: Uint8Array[] = [];
  for (const g of sealed.groups) {
    for (const e of g.entries) parts.push(encodeElement(e.ciphertext.alpha), encodeElement(e.ciphertext.beta), ...encodeProof(e.proof));
    parts.push(...encodeProof(g.sumProof));
  }
  return joinBytes(parts);
}

/**
 * Decode a sealed ballot of `shape` with full validation (protocol §5.2): exact length, every
 * element canonical and not the identity (`decodeElement`), every exponent in [0, ℓ).
 * Decoding does not check the proofs (`verifySealedBallot` does).
 * @throws CryptoInputError BAD_TYPE, BAD_LENGTH, POINT_NOT_CANONICAL, POINT_IDENTITY, POINT_NOT_ON_CURVE, SCALAR_RANGE.
 */
export function parseSealedBallot(shape: BallotShape, bytes: Uint8Array): SealedBallot {
  const s = checkShape(shape);
  abytes(bytes, sealedBallotBytes(s), 'sealed ballot');
  let off = 0;
  const take = (n: number) => bytes.subarray(off, (off += n));
  const proof = (lo: number, hi: number, name: string): IntervalProof => {
    const challenges: bigint[] = [];
    const responses: bigint[] = [];
    for (let j = lo; j <= hi; j++) {
      challenges.push(decodeExponent(take(EXPONENT_BYTES), `${name} c_${j}`));
      responses.push(decodeExponent(take(EXPONENT_BYTES), `${name} s_${j}`));
    }
    return { lo, hi, challenges, responses };
  };
  return {
    groups: s.groups.map((g, gi) => {
      const entries = Array.from({ length: g.size }, (_, ei) => {
        const name = `group ${gi} entry ${ei}`;
        const alpha = decodeElement(take(ELEMENT_BYTES), `${name} α`);
        const beta = decodeElement(take(ELEMENT_BYTES), `${name} β`);
        return { ciphertext: { alpha, beta }, proof: proof(0, 1, `${name} proof`) };
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
 * Entry-wise homomorphic sums of sealed ballots of `shape` (protocol §9.1): one ciphertext per
 * entry, flattened group by group. With no ballots every sum is (identity, identity).
 * @throws CryptoInputError BAD_VALUE / BAD_TYPE when a ballot does not have the structure of `shape`.
 */
export function sumCiphertexts(shape: BallotShape, ballots: readonly SealedBallot[]): Ciphertext[] {
  const s = checkShape(shape);
  if (!Array.isArray(ballots)) refuse('BAD_TYPE', 'ballots must be an array');
  const total = s.groups.reduce((n, g) => n + g.size, 0);
  const alphas: Element[] = new Array(total).fill(RP.ZERO);
  const betas: Element[] = new Array(total).fill(RP.ZERO);
  for (const b of ballots) {
    if (typeof b !== 'object' || b === null || !Array.isArray(b.groups) || b.groups.length !== s.groups.length)
      refuse('BAD_VALUE', `a sealed ballot must have ${s.groups.length} groups`);
    let k = 0;
    s.groups.forEach((g, gi) => {
      const entries = b.groups[gi]?.entries;
      if (!Array.isArray(entries) || entries.length !== g.size) refuse('BAD_VALUE', `sealed group ${gi} must have ${g.size} entries`);
      for (const e of entries) {
        const { alpha, beta } = e.ciphertext;
        if (!(alpha instanceof RP) || !(beta instanceof RP)) refuse('BAD_TYPE', 'ciphertext halves must be elements');
        alphas[k] = alphas[k]!.add(alpha);
        betas[k] = betas[k]!.add(beta);
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

/** c = H(DST_BALLOT_PROOF; context, u32be(lo), u32be(hi), α, β, A_lo, B_lo, …, A_hi, B_hi) (protocol §5.3). */
function challenge(context: Uint8Array, lo: number, hi: number, alpha: Element, beta: Element, commits: Uint8Array[]): bigint {
  return hashToExponent(DST_BALLOT_PROOF, context, u32be(lo), u32be(hi), encodeElement(alpha), encodeElement(beta), ...commits);
}

// ── Election keys: decoded once, with their precomputations, in a small bounded cache ────

type KeyState = {
  readonly bytes: Uint8Array;
  readonly Y: Element;
  /** A private copy of Y with noble's constant-time window table (sealing). */
  ct?: Element;
  /** Y's split table (verification). */
  split?: Split;
};

const KEY_CACHE_SIZE = 4;
const keyCache = new Map<string, KeyState>();

function keyState(electionKey: Uint8Array): KeyState {
  abytes(electionKey, ELEMENT_BYTES, 'electionKey');
  const hex = toHex(electionKey);
  const hit = keyCache.get(hex);
  if (hit) return hit;
  const st: KeyState = { bytes: electionKey.slice(), Y: decodeElement(electionKey, 'electionKey') };
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(hex, st);
  return st;
}

function keyCT(k: KeyState): Element {
  if (!k.ct) k.ct = decodeElement(k.bytes).precompute(6, false);
  return k.ct;
}

function keySplit(k: KeyState): Split {
  if (!k.split) k.split = splitOf(piecesOf(k.Y), W_FIX);
  return k.split;
}

function checkContext(ctx: SealContext): { ballotId: string; key: KeyState; tokenHash: Uint8Array } {
  if (typeof ctx !== 'object' || ctx === null) refuse('BAD_TYPE', 'context must be {ballotId, electionKey, tokenHash}');
  return { ballotId: assertId(ctx.ballotId, 'ballotId'), key: keyState(ctx.electionKey), tokenHash: abytes(ctx.tokenHash, 32, 'tokenHash') };
}

// ── Sealing ───────────────────────────────────────────────────────────────────────────────

/** m·G for a public m ≥ 0. */
function mulG(m: number): Element {
  return mulPublic(BASE, BigInt(m));
}

/**
 * Interval proof that (α, β) encrypts m ∈ [lo, hi] with randomness r (protocol §5.3).
 * Every branch j draws (c′_j, s′_j) and computes A_j = s′_j·G − c′_j·α, B_j = s′_j·Y − c′_j·(β − j·G)
 * with the same constant-time operations; the simulated branches keep (c′_j, s′_j). The real
 * branch m thereby commits to w = s′_m − c′_m·r (A_m = w·G, B_m = w·Y), and answers
 * c_m = c − Σ_{j≠m} c_j, s_m = w + c_m·r = s′_m + (c_m − c′_m)·r.
 */
function proveInterval(
  context: Uint8Array, Y: Element, alpha: Element, beta: Element, lo: number, hi: number, m: number, r: bigint, rand: () => bigint,
): IntervalProof {
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  const commits: Uint8Array[] = [];
  for (let j = lo; j <= hi; j++) {
    const c = rand();
    const s = rand();
    const shifted = j === 0 ? beta : beta.subtract(mulG(j));
    commits.push(BASE.multiply(s).subtract(ctMul(alpha, c)).toBytes(), Y.multiply(s).subtract(ctMul(shifted, c)).toBytes());
    cs.push(c);
    ss.push(s);
  }
  const c = challenge(context, lo, hi, alpha, beta, commits);
  let others = c;
  for (const cj of cs) others -= cj;
  const challenges: bigint[] = [];
  const responses: bigint[] = [];
  for (let k = 0; k < cs.length; k++) {
    const real = lo + k === m;
    const cm = modL(others + cs[k]!); // c − Σ_{j≠k} c′_j
    const sm = modL(ss[k]! + (cm - cs[k]!) * r);
    challenges.push(real ? cm : cs[k]!);
    responses.push(real ? sm : ss[k]!);
  }
  return { lo, hi, challenges, responses };
}

/** Constant-time x·P for a secret-dependent multiplication; the identity stays the identity. */
function ctMul(p: Element, x: bigint): Element {
  return p.equals(RP.ZERO) ? RP.ZERO : p.multiply(x);
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
 * Seal a selection vector (protocol §5.2–§5.3): encrypt every entry under the election key,
 * prove each 0/1 and each group sum in [min, max], and return the wire bytes. The randomness
 * never leaves this function. `opts.random` (values in [1, ℓ)) replaces the CSPRNG for test
 * vectors only; it is drawn per group, per entry: r, then (c′_0, s′_0), (c′_1, s′_1); then the
 * sum proof's (c′_j, s′_j) for j = min…max.
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
  const mG = [RP.ZERO, BASE] as const;
  const groups = s.groups.map((g, gi) => {
    let R = 0n;
    let M = 0;
    let sumA = RP.ZERO;
    let sumB = RP.ZERO;
    const entries = selections[gi]!.map((m, ei) => {
      const r = rand();
      const alpha = BASE.multiply(r);
      const beta = Y.multiply(r).add(mG[m]!);
      const proof = proveInterval(proofContext(ballotId, key.bytes, tokenHash, gi, ei), Y, alpha, beta, 0, 1, m, r, rand);
      R = modL(R + r);
      M += m;
      sumA = sumA.add(alpha);
      sumB = sumB.add(beta);
      return { ciphertext: { alpha, beta }, proof };
    });
    const sumProof = proveInterval(proofContext(ballotId, key.bytes, tokenHash, gi, SUM_PROOF_INDEX), Y, sumA, sumB, g.min, g.max, M, R, rand);
    return { entries, sumProof };
  });
  return encodeSealedBallot(s, { groups });
}

// ── Verification ──────────────────────────────────────────────────────────────────────────
//
// Verification is the verifier's hot path and works on public data only, so it need not be
// constant time. Each point P is split into pieces P_i = 2^(PIECE_BITS·i)·P, i < PIECES, each
// with a table of odd multiples; the width-w NAF digit of a scalar at position PIECE_BITS·i + o
// goes to piece i at offset o, so a multi-scalar walk needs only PIECE_BITS doublings, shared by
// all its terms. The pieces of a sum are the sums of the pieces: a group's sum costs additions.
//
// The walk runs on the extended twisted Edwards coordinates of ristretto255's internal
// representatives (RFC 9496 §4: the group law is edwards25519's), with the complete
// formulas dbl-2008-hwcd and add-2008-hwcd-3 (a = −1), and a lazy reduction mod p = 2^255 − 19
// that keeps every value below 2^256 after a product. Points come in through noble's affine
// coordinates and go out through noble's `fromAffine` and RFC 9496 encoding; every output is
// hashed, so an arithmetic error can only make a proof fail. Tests compare with noble.

const FP = RP.Fp;
const P = FP.ORDER;
const P4 = 4n * P;
const LOW255 = (1n << 255n) - 1n;
/** 2·d, d = −121665/121666 mod p, the edwards25519 constant (RFC 8032 §5.1). */
const D2 = FP.mul(2n, FP.div(P - 121665n, 121666n));

/** x mod p up to a small multiple: for x < 2^518 the result is < 2^256. */
function fr(x: bigint): bigint {
  x = (x & LOW255) + 19n * (x >> 255n);
  return (x & LOW255) + 19n * (x >> 255n);
}

/** Extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z; each value < 2^256. */
type Ext = { readonly X: bigint; readonly Y: bigint; readonly Z: bigint; readonly T: bigint };
/** A point ready to be added: (Y + X, Y − X, 2d·T, 2·Z), unreduced sums. */
type Cached = { readonly ypx: bigint; readonly ymx: bigint; readonly t2d: bigint; readonly z2: bigint };

const EXT_ZERO: Ext = { X: 0n, Y: 1n, Z: 1n, T: 0n };

function toExt(e: Element): Ext {
  const { x, y } = e.toAffine();
  return { X: x, Y: y, Z: 1n, T: fr(x * y) };
}

function cached(p: Ext): Cached {
  return { ypx: p.Y + p.X, ymx: p.Y + P4 - p.X, t2d: fr(p.T * D2), z2: 2n * p.Z };
}

/**
 * 2·P (dbl-2008-hwcd with a = −1, signs folded so that no value goes negative). It does not
 * read T; `withT = false` skips computing it, for a doubling that only another doubling follows.
 */
function dbl(p: Ext, withT = true): Ext {
  const { X, Y, Z } = p;
  const A = fr(X * X);
  const B = fr(Y * Y);
  const C = 2n * fr(Z * Z);
  const s = X + Y;
  const H = A + B;
  const E = H + P4 - fr(s * s);
  const G = A + P4 - B;
  const F = C + G;
  return { X: fr(E * F), Y: fr(G * H), Z: fr(F * G), T: withT ? fr(E * H) : 0n };
}

/** P + Q, or P − Q with `negate` (add-2008-hwcd-3, a = −1, k = 2d). */
function add(p: Ext, q: Cached, negate = false): Ext {
  const A = fr((p.Y + P4 - p.X) * (negate ? q.ypx : q.ymx));
  const B = fr((p.Y + p.X) * (negate ? q.ymx : q.ypx));
  const C = fr(p.T * q.t2d);
  const D = fr(p.Z * q.z2);
  const E = B + P4 - A;
  const H = B + A;
  const F = negate ? D + C : D + P4 - C;
  const G = negate ? D + P4 - C : D + C;
  return { X: fr(E * F), Y: fr(G * H), Z: fr(F * G), T: fr(E * H) };
}

/** RFC 9496 encoding through noble: affine coordinates (one inversion), `fromAffine`, `toBytes`. */
function encodeSlow(p: Ext): Uint8Array {
  const iz = FP.inv(p.Z % P);
  return RP.fromAffine({ x: fr(p.X * iz) % P, y: fr(p.Y * iz) % P }).toBytes();
}

/** RFC 9496 constants (§4.1): SQRT_M1 = √−1 and INVSQRT_A_MINUS_D = 1/√(a − d), the non-negative roots. */
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;
const INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578n;
const D = FP.div(P - 121665n, 121666n);

/**
 * RFC 9496 encodings of 2·Q for each Q, with one batched inversion and no square root: the
 * "double-and-encode" batch of the ristretto255 design (as curve25519-dalek's
 * double_and_compress_batch). With e = 2XY, f = Z² + dT², g = Y² + X², h = Z² − dT²:
 * 1/Z₂ = eg/(eg·fh), 1/T₂ = fh/(eg·fh) for the doubled point, and the encoding follows without
 * an inverse square root. A degenerate Q (eg·fh = 0, e.g. 2·Q the identity) goes through noble.
 */
function encodeDoubled(points: readonly Ext[]): Uint8Array[] {
  const st = points.map(({ X, Y, Z, T }) => {
    const XX = fr(X * X);
    const YY = fr(Y * Y);
    const ZZ = fr(Z * Z);
    const dTT = fr(fr(T * T) * D);
    const e = fr(X * (Y + Y)) % P;
    const f = (ZZ + dTT) % P;
    const g = (YY + XX) % P;
    const h = (ZZ + P4 - dTT) % P;
    const eg = fr(e * g);
    const fh = fr(f * h);
    return { e, f, g, h, eg, fh, efgh: fr(eg * fh) % P };
  });
  const live = st.filter((x) => x.efgh !== 0n);
  const inv = FP.invertBatch(live.map((x) => x.efgh));
  let k = 0;
  return st.map((x, i) => {
    if (x.efgh === 0n) return encodeSlow(dbl(points[i]!));
    const iv = inv[k++]!;
    const zInv = fr(x.eg * iv);
    const tInv = fr(x.fh * iv);
    const rotate = (fr(x.eg * zInv) % P & 1n) === 1n;
    const e = rotate ? x.g : x.e;
    let g = rotate ? (P - x.e) % P : x.g;
    const h = rotate ? fr(x.f * SQRT_M1) : x.h;
    const magic = rotate ? SQRT_M1 : INVSQRT_A_MINUS_D;
    if ((fr(fr(h * e) * zInv) % P & 1n) === 1n) g = (P - g) % P;
    let s = fr(fr((h + P4 - g) * fr(magic * fr(g * tInv)))) % P;
    if ((s & 1n) === 1n) s = P - s;
    return FP.toBytes(s);
  });
}

const PIECES = 8;
const PIECE_BITS = 32; // PIECES·PIECE_BITS = 256 ≥ 254, the longest NAF of an exponent < ℓ < 2^253
const DIGITS = PIECES * PIECE_BITS;
/** NAF widths: 4 for per-ballot points (tables of 4), 8 for G and Y (tables of 64, built once). */
const W_VAR = 4;
const W_FIX = 8;

/** Per piece, the odd multiples [P_i, 3·P_i, …, (2^(w−1) − 1)·P_i]. */
type Split = readonly (readonly Cached[])[];

function piecesOf(e: Element): Ext[] {
  const out = [toExt(e)];
  let q = out[0]!;
  for (let i = 1; i < PIECES; i++) {
    for (let k = 1; k <= PIECE_BITS; k++) q = dbl(q, k === PIECE_BITS);
    out.push(q);
  }
  return out;
}

function splitOf(pieces: readonly Ext[], w: number): Split {
  const size = 1 << (w - 2);
  return pieces.map((p) => {
    const twice = cached(dbl(p));
    const t = [p];
    for (let j = 1; j < size; j++) t.push(add(t[j - 1]!, twice));
    return t.map(cached);
  });
}

let baseSplit: Split | undefined;
function gSplit(): Split {
  return (baseSplit ??= splitOf(piecesOf(BASE), W_FIX));
}

/** Width-w NAF digits of 0 ≤ n < 2^253, least significant first, DIGITS long. */
function naf(n: bigint, w: number): Int8Array {
  const bits = new Uint8Array(DIGITS + w + 2);
  for (let i = 0, v = n; v > 0n; i += 32, v >>= 32n) {
    let x = Number(v & 0xffffffffn);
    for (let k = 0; k < 32; k++, x >>>= 1) bits[i + k] = x & 1;
  }
  const d = new Int8Array(DIGITS);
  const size = 1 << w;
  for (let i = 0; i < DIGITS; ) {
    if (bits[i] === 0) {
      i++;
      continue;
    }
    let v = 0;
    for (let k = 0; k < w; k++) v |= bits[i + k]! << k;
    if (v >= size >> 1) {
      v -= size; // negative digit: carry 2^w into position i + w
      let j = i + w;
      while (bits[j] === 1) bits[j++] = 0;
      bits[j] = 1;
    }
    d[i] = v;
    i += w;
  }
  return d;
}

/** One term ±n·P of a walk: P's split, n's NAF digits (of the split's width), the sign. */
type Term = readonly [Split, Int8Array, boolean];

/** Σ ±n·P over the terms, with PIECE_BITS shared doublings. */
function walk(terms: readonly Term[]): Ext {
  let acc = EXT_ZERO;
  let started = false;
  for (let o = PIECE_BITS - 1; o >= 0; o--) {
    if (started) acc = dbl(acc);
    for (const [split, digits, negate] of terms) {
      for (let i = 0; i < PIECES; i++) {
        const dg = digits[i * PIECE_BITS + o]!;
        if (dg === 0) continue;
        acc = add(acc, split[i]![(dg < 0 ? -dg - 1 : dg - 1) >> 1]!, dg > 0 === negate);
        started = true;
      }
    }
  }
  return acc;
}

/** 1/2 mod ℓ. */
const HALF = (ELL + 1n) / 2n;

/** Check one interval proof on (α, β), given with their splits. */
function checkInterval(
  context: Uint8Array, ySplit: Split, alpha: Element, beta: Element, aSplit: Split, bSplit: Split, p: IntervalProof,
): boolean {
  const G = gSplit();
  const points: Ext[] = [];
  let sum = 0n;
  for (let k = 0; k < p.challenges.length; k++) {
    const j = p.lo + k;
    const c = p.challenges[k]!;
    // A_j = s_j·G − c_j·α;  B_j = s_j·Y − c_j·(β − j·G) = s_j·Y − c_j·β + (c_j·j)·G.
    // The walks compute A_j/2 and B_j/2 (halved scalars), which encodeDoubled encodes doubled.
    const dc = naf(modL(c * HALF), W_VAR);
    const ds = naf(modL(p.responses[k]! * HALF), W_FIX);
    points.push(walk([[G, ds, false], [aSplit, dc, true]]));
    const bTerms: Term[] = [[ySplit, ds, false], [bSplit, dc, true]];
    if (j !== 0) bTerms.push([G, naf(modL(c * BigInt(j) * HALF), W_FIX), false]);
    points.push(walk(bTerms));
    sum += c;
  }
  return modL(sum) === challenge(context, p.lo, p.hi, alpha, beta, encodeDoubled(points));
}

/**
 * Check every proof of a sealed ballot (protocol §5.3) — each entry's 0/1 proof and each group's
 * sum proof, against this ballot, election key, token hash and position. Accepts the wire bytes
 * (decoded with full validation) or a parsed ballot. Never throws: any malformed input is `false`.
 */
export function verifySealedBallot(ctx: SealContext, shape: BallotShape, bytes: Uint8Array | SealedBallot): boolean {
  try {
    const { ballotId, key, tokenHash } = checkContext(ctx);
    const s = checkShape(shape);
    const sealed = bytes instanceof Uint8Array ? parseSealedBallot(s, bytes) : bytes;
    if (!(bytes instanceof Uint8Array)) checkSealed(s, sealed);
    const ySplit = keySplit(key);
    for (let gi = 0; gi < s.groups.length; gi++) {
      const sg = sealed.groups[gi]!;
      const aSum: Ext[] = new Array(PIECES).fill(EXT_ZERO);
      const bSum: Ext[] = new Array(PIECES).fill(EXT_ZERO);
      let alpha = RP.ZERO;
      let beta = RP.ZERO;
      for (let ei = 0; ei < sg.entries.length; ei++) {
        const { ciphertext: ct, proof } = sg.entries[ei]!;
        const aSplit = splitOf(piecesOf(ct.alpha), W_VAR);
        const bSplit = splitOf(piecesOf(ct.beta), W_VAR);
        const context = proofContext(ballotId, key.bytes, tokenHash, gi, ei);
        if (!checkInterval(context, ySplit, ct.alpha, ct.beta, aSplit, bSplit, proof)) return false;
        for (let i = 0; i < PIECES; i++) {
          aSum[i] = add(aSum[i]!, aSplit[i]![0]!);
          bSum[i] = add(bSum[i]!, bSplit[i]![0]!);
        }
        alpha = alpha.add(ct.alpha);
        beta = beta.add(ct.beta);
      }
      const context = proofContext(ballotId, key.bytes, tokenHash, gi, SUM_PROOF_INDEX);
      if (!checkInterval(context, ySplit, alpha, beta, splitOf(aSum, W_VAR), splitOf(bSum, W_VAR), sg.sumProof)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** @internal For tests: Σ ±n·P by the verifier's walk, as an element (compare with noble). */
export function _walkForTest(terms: readonly { point: Element; scalar: bigint; negate?: boolean; fixed?: boolean }[]): Element {
  const t: Term[] = terms.map(({ point, scalar, negate = false, fixed = false }) => {
    if (typeof scalar !== 'bigint' || scalar < 0n || scalar >= ELL) refuse('SCALAR_RANGE', 'scalar must be in [0, ℓ)');
    const w = fixed ? W_FIX : W_VAR;
    return [splitOf(piecesOf(point), w), naf(scalar, w), negate];
  });
  return RP.fromBytes(encodeSlow(walk(t)));
}

/** @internal For tests: the batched encodings of 2·P for each P, by the verifier's encoder. */
export function _encodeDoubledForTest(points: readonly Element[]): Uint8Array[] {
  return encodeDoubled(points.map(toExt));
}
