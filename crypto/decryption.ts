/**
 * @module crypto/decryption
 * Threshold decryption of the homomorphic sums (protocol §9). Scrutineer i holds a Shamir
 * share x_i of the election secret key (Y = x·G, x = f(0)) and publishes, for each summed
 * ciphertext (α_k, β_k), the decryption factor D_{i,k} = x_i·α_k with a Chaum–Pedersen proof
 * that log_G(Y_i) = log_{α_k}(D_{i,k}), where Y_i = x_i·G is its public share. Any t valid
 * shares with distinct indices combine by Lagrange interpolation at 0 into
 *   M_k = β_k − Σ_i λ_i·D_{i,k} = m_k·G,
 * and the count m_k ∈ [0, n] is recovered by baby-step giant-step. Only totals are ever
 * decrypted; no single ballot is.
 */
import { mulAddUnsafe, type CurvePointCons } from '@noble/curves/abstract/curve.js';
import { fromHex, toHex, utf8 } from './bytes.ts';
import { DST_DECRYPTION_PROOF } from './dst.ts';
import { fields, u32be } from './encoding.ts';
import { refuse } from './errors.ts';
import {
  BASE, ELEMENT_BYTES, ELL, RP, decodeElement, dleqFromHex, dleqToHex, encodeElement, mulPublic, proveDleq, verifyDleq,
  type DleqProof, type Element,
} from './group.ts';
import { assertId } from './ids.ts';
import { PACK_BASE, checkShape, packedDigits, sumCount, type BallotShape, type Ciphertext } from './sealed.ts';
import { lagrangeAtZero } from './shamir.ts';

/** What every decryption proof is bound to: the ballot and the election key Y (32 bytes). */
export type DecryptionContext = { readonly ballotId: string; readonly electionKey: Uint8Array };

/**
 * Scrutineer `index`'s decryption share of the sums: one factor per sum and its proof, or
 * `null` for a sum whose α is the identity (no ballots: the factor is the identity too).
 */
export type DecryptionShare = {
  readonly index: number;
  readonly factors: readonly Element[];
  readonly proofs: readonly (DleqProof | null)[];
};

/** A decryption share as published (protocol §9.2): hex factors (64 digits) and proofs (128 digits). */
export type PublishedDecryptionShare = { readonly index: number; readonly factors: string[]; readonly proofs: string[] };

/** Largest count `discreteLog` searches (the bundle's ballot limit, protocol §7.3). */
export const MAX_COUNT = 100_000;

const ZERO_FACTOR = '00'.repeat(ELEMENT_BYTES);
const ZERO_PROOF = '00'.repeat(64);

/** Guard: a scrutineer index, an integer in 1…2^32 − 1 (it enters the proof context as a u32). */
function assertIndex(index: unknown, name = 'scrutineer index'): number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > 0xffffffff)
    refuse('BAD_VALUE', `${name} must be an integer in 1…4294967295`);
  return index;
}

function isElement(e: unknown): e is Element {
  return e instanceof RP;
}

function checkSums(sums: readonly Ciphertext[]): void {
  if (!Array.isArray(sums)) refuse('BAD_TYPE', 'sums must be an array');
  sums.forEach((c, k) => {
    if (typeof c !== 'object' || c === null || !isElement(c.alpha) || !isElement(c.beta)) refuse('BAD_TYPE', `sums[${k}] must be a ciphertext`);
  });
}

/** context = fields(utf8(ballotId), enc(Y), u32be(i), u32be(k)) (protocol §9.2). */
function proofContext(ballotId: string, electionKey: Uint8Array, index: number, k: number): Uint8Array {
  return fields(utf8(ballotId), electionKey, u32be(index), u32be(k));
}

function checkContext(ctx: DecryptionContext): { ballotId: string; electionKey: Uint8Array } {
  if (typeof ctx !== 'object' || ctx === null) refuse('BAD_TYPE', 'context must be {ballotId, electionKey}');
  const ballotId = assertId(ctx.ballotId, 'ballotId');
  decodeElement(ctx.electionKey, 'electionKey');
  return { ballotId, electionKey: ctx.electionKey };
}

/**
 * Scrutineer `index`'s decryption share of `sums` with its secret share x_i (protocol §9.2):
 * D_k = x_i·α_k (constant-time), proven with proveDleq(DST_DECRYPTION_PROOF, context,
 * {G, Y_i = x_i·G, α_k, D_k}). A sum with α_k = identity gets the identity and no proof.
 * @throws CryptoInputError BAD_VALUE (id, index), SCALAR_RANGE (x_i ∉ [1, ℓ)), BAD_TYPE (sums), codes of the key.
 */
export function decryptionShare(ctx: DecryptionContext, index: number, secretShare: bigint, sums: readonly Ciphertext[]): DecryptionShare {
  const { ballotId, electionKey } = checkContext(ctx);
  assertIndex(index);
  if (typeof secretShare !== 'bigint' || secretShare < 1n || secretShare >= ELL) refuse('SCALAR_RANGE', 'secret share must be in [1, ℓ)');
  checkSums(sums);
  const publicShare = BASE.multiply(secretShare);
  const factors: Element[] = [];
  const proofs: (DleqProof | null)[] = [];
  sums.forEach(({ alpha }, k) => {
    if (alpha.equals(RP.ZERO)) {
      factors.push(RP.ZERO);
      proofs.push(null);
      return;
    }
    const D = alpha.multiply(secretShare);
    factors.push(D);
    proofs.push(proveDleq(DST_DECRYPTION_PROOF, proofContext(ballotId, electionKey, index, k), { g1: BASE, h1: publicShare, g2: alpha, h2: D }, secretShare));
  });
  return { index, factors, proofs };
}

/** The published form of a share: the identity factor is 64 zeros, a missing proof 128 zeros (protocol §9.2). */
export function encodeDecryptionShare(s: DecryptionShare): PublishedDecryptionShare {
  if (typeof s !== 'object' || s === null || !Array.isArray(s.factors) || !Array.isArray(s.proofs)) refuse('BAD_TYPE', 'share must be {index, factors, proofs}');
  assertIndex(s.index);
  if (s.factors.length !== s.proofs.length) refuse('BAD_LENGTH', 'a share must have one proof per factor');
  return {
    index: s.index,
    factors: s.factors.map((f, k) => {
      if (!isElement(f)) refuse('BAD_TYPE', `factors[${k}] must be an element`);
      return toHex(encodeElement(f));
    }),
    proofs: s.proofs.map((p, k) => {
      const identity = s.factors[k]!.equals(RP.ZERO);
      if (identity !== (p === null)) refuse('BAD_VALUE', `proofs[${k}] must be null exactly when factors[${k}] is the identity`);
      return p === null ? ZERO_PROOF : dleqToHex(p);
    }),
  };
}

/**
 * Parse a published share for `count` sums (protocol §9.2). A factor of 64 zeros is the
 * identity and its proof must be 128 zeros (then `null`); any other factor is decoded with
 * `decodeElement` and its proof with `dleqFromHex`. Whether the identity is allowed at
 * position k depends on the sum, which `verifyDecryptionShare` checks.
 * @throws CryptoInputError BAD_TYPE, BAD_VALUE (index, or a proof for an identity factor), BAD_LENGTH, BAD_HEX, POINT_*, SCALAR_RANGE.
 */
export function parseDecryptionShare(json: unknown, count: number): DecryptionShare {
  if (typeof json !== 'object' || json === null) refuse('BAD_TYPE', 'share must be an object {index, factors, proofs}');
  if (!Number.isSafeInteger(count) || count < 0) refuse('BAD_VALUE', 'count must be a non-negative integer');
  const o = json as { index?: unknown; factors?: unknown; proofs?: unknown };
  const index = assertIndex(o.index, 'share index');
  if (!Array.isArray(o.factors) || !Array.isArray(o.proofs)) refuse('BAD_TYPE', 'share factors and proofs must be arrays');
  if (o.factors.length !== count || o.proofs.length !== count) refuse('BAD_LENGTH', `a share must have ${count} factors and ${count} proofs`);
  const factors: Element[] = [];
  const proofs: (DleqProof | null)[] = [];
  for (let k = 0; k < count; k++) {
    const f: unknown = o.factors[k];
    const p: unknown = o.proofs[k];
    if (f === ZERO_FACTOR) {
      fromHex(p, 64, `proofs[${k}]`);
      if (p !== ZERO_PROOF) refuse('BAD_VALUE', `proofs[${k}] of an identity factor must be 128 zeros`);
      factors.push(RP.ZERO);
      proofs.push(null);
    } else {
      factors.push(decodeElement(fromHex(f, ELEMENT_BYTES, `factors[${k}]`), `factors[${k}]`));
      proofs.push(dleqFromHex(p, `proofs[${k}]`));
    }
  }
  return { index, factors, proofs };
}

/**
 * Check a share against scrutineer `share.index`'s public share Y_i and the sums (protocol §9.2).
 * @returns the sorted indices k whose factor fails: its proof does not verify, or it is the
 * identity (without proof) while α_k is not, or the other way round. [] means the share is good.
 * Never throws: a malformed context, public share, sum vector or share gives every index
 * (at least [0]).
 */
export function verifyDecryptionShare(ctx: DecryptionContext, publicShare: Element, sums: readonly Ciphertext[], share: DecryptionShare): number[] {
  const n = Array.isArray(sums) ? sums.length : 0;
  const all = () => (n > 0 ? Array.from({ length: n }, (_, k) => k) : [0]);
  try {
    const { ballotId, electionKey } = checkContext(ctx);
    checkSums(sums);
    if (!isElement(publicShare) || publicShare.equals(RP.ZERO)) return all();
    if (typeof share !== 'object' || share === null || !Array.isArray(share.factors) || !Array.isArray(share.proofs)) return all();
    const index = assertIndex(share.index);
    if (share.factors.length !== n || share.proofs.length !== n) return all();
    const bad: number[] = [];
    for (let k = 0; k < n; k++) {
      const alpha = sums[k]!.alpha;
      const D = share.factors[k];
      const proof = share.proofs[k];
      let ok = false;
      try {
        if (!isElement(D)) ok = false;
        else if (alpha.equals(RP.ZERO)) ok = D.equals(RP.ZERO) && proof === null;
        else
          ok =
            !D.equals(RP.ZERO) &&
            proof !== null &&
            proof !== undefined &&
            verifyDleq(DST_DECRYPTION_PROOF, proofContext(ballotId, electionKey, index, k), { g1: BASE, h1: publicShare, g2: alpha, h2: D }, proof);
      } catch {
        ok = false;
      }
      if (!ok) bad.push(k);
    }
    return bad;
  } catch {
    return all();
  }
}

/**
 * Combine exactly the shares given (t of them, distinct indices, already verified) into
 * M_k = β_k − Σ_i λ_i·D_{i,k} = m_k·G, with λ_i = lagrangeAtZero(indices, i, ℓ) (protocol §9.3).
 * @throws CryptoInputError BAD_VALUE (no shares, repeated index), BAD_LENGTH (a share of another length), BAD_TYPE.
 */
export function combineDecryptionShares(sums: readonly Ciphertext[], shares: readonly DecryptionShare[]): Element[] {
  checkSums(sums);
  if (!Array.isArray(shares) || shares.length === 0) refuse('BAD_VALUE', 'at least one decryption share is needed');
  for (const s of shares) {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.factors)) refuse('BAD_TYPE', 'share must be {index, factors, proofs}');
    assertIndex(s.index);
    if (s.factors.length !== sums.length) refuse('BAD_LENGTH', `every share must have ${sums.length} factors`);
    s.factors.forEach((f: unknown, k: number) => {
      if (!isElement(f)) refuse('BAD_TYPE', `factors[${k}] of share ${s.index} must be an element`);
    });
  }
  const indices = shares.map((s) => s.index);
  const lambdas = indices.map((i) => lagrangeAtZero(indices, i, ELL));
  // Σ λ_i·D_{i,k} in one interleaved walk (noble's Strauss–Shamir; public data). noble's
  // ristretto255 constructor is a valid CurvePointCons at run time; its Fp typing is narrower.
  const cons = RP as unknown as CurvePointCons<Element>;
  return sums.map(({ beta }, k) => beta.subtract(mulAddUnsafe(cons, shares.map((s) => s.factors[k]!), lambdas)));
}

// ── Discrete logarithm of a small count ──────────────────────────────────────────────────

/**
 * Baby steps j·G keyed by encoding, grown on demand to the largest count asked for (0…n for n
 * ballots; callers keep n ≤ MAX_COUNT, the bundle's ballot limit): a count is one look-up.
 */
const baby = new Map<string, number>();
let babyNext = RP.ZERO; // (baby.size)·G

function babySteps(size: number): void {
  while (baby.size < size) {
    baby.set(toHex(babyNext.toBytes()), baby.size);
    babyNext = babyNext.add(BASE);
  }
}

/**
 * The m ∈ [0, max] with m·G = M, or null if there is none (protocol §9.3): a look-up among the
 * cached baby steps 0…max (built once, up to MAX_COUNT + 1 of them).
 * @throws CryptoInputError BAD_TYPE (M), BAD_VALUE (max not an integer in [0, 100000]).
 */
export function discreteLog(M: Element, max: number): number | null {
  if (!isElement(M)) refuse('BAD_TYPE', 'M must be an element');
  if (!Number.isSafeInteger(max) || max < 0 || max > MAX_COUNT) refuse('BAD_VALUE', `max must be an integer in [0, ${MAX_COUNT}]`);
  babySteps(max + 1);
  const j = baby.get(toHex(M.toBytes())); // the table may be longer than max + 1
  return j !== undefined && j <= max ? j : null;
}

/**
 * Counts from the sums and t shares: discreteLog(combineDecryptionShares(sums, shares)[k], max)
 * for each k (null where no count in [0, max] matches).
 * @throws CryptoInputError as `combineDecryptionShares` and `discreteLog`.
 */
export function decryptCounts(sums: readonly Ciphertext[], shares: readonly DecryptionShare[], max: number): (number | null)[] {
  return combineDecryptionShares(sums, shares).map((M) => discreteLog(M, max));
}

/** B·G, the giant step of a packed sum's second digit. */
let packGiant: Element | null = null;

/**
 * The digits (d_0, d_1) of a two-digit packed sum M = (d_0 + d_1·B)·G with d_0 + d_1 ≤ n, or
 * null (protocol §9.3). As d_0 ≤ n < B they are unique; they are found by trying d_1 = 0…n,
 * one look-up each among the cached baby steps 0…n: at most n + 1 subtractions.
 */
function packedDigitsOf(M: Element, n: number): [number, number] | null {
  packGiant ??= mulPublic(BASE, BigInt(PACK_BASE));
  babySteps(n + 1);
  let cur = M;
  for (let hi = 0; hi <= n; hi++, cur = cur.subtract(packGiant)) {
    const lo = baby.get(toHex(cur.toBytes()));
    if (lo !== undefined && lo <= n - hi) return [lo, hi];
  }
  return null;
}

/**
 * Per-entry totals of the n ballots summed into `decrypted` (protocol §9.3): `decrypted[k]` is
 * the k-th decrypted sum m_k·G of a ballot of `shape`, one per entry of an entry-wise group and
 * one per packed group (`sumCount`). An entry's total is in [0, n]. A packed group's sum is
 * Σ d_i·B^i with D digits, each ≥ 0, Σ d_i ≤ n: with min 1, entry 0 has n − Σ d_i and entry j
 * has d_(j−1); with min 0, entry j has d_j.
 * @returns the totals, flattened group by group, or `{ bad: k }` for the first sum that decodes to none.
 * @throws CryptoInputError BAD_VALUE for a bad shape, n or number of sums.
 */
export function decodeTotals(shape: BallotShape, decrypted: readonly Element[], n: number): { totals: number[] } | { bad: number } {
  const s = checkShape(shape);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_COUNT) refuse('BAD_VALUE', `n must be an integer in [0, ${MAX_COUNT}]`);
  if (!Array.isArray(decrypted) || decrypted.length !== sumCount(s)) refuse('BAD_VALUE', `${sumCount(s)} sums expected, ${decrypted?.length} given`);
  const totals: number[] = [];
  let k = 0;
  for (const g of s.groups) {
    const d = packedDigits(g);
    if (d === null) {
      for (let e = 0; e < g.size; e++, k++) {
        if (!isElement(decrypted[k])) refuse('BAD_VALUE', `sum ${k} is missing`);
        const c = discreteLog(decrypted[k]!, n);
        if (c === null) return { bad: k };
        totals.push(c);
      }
      continue;
    }
    const M = decrypted[k];
    if (!isElement(M)) refuse('BAD_VALUE', `sum ${k} is missing`);
    let digits: number[] | null;
    if (d === 0) digits = M.equals(RP.ZERO) ? [] : null;
    else if (d === 1) {
      const c = discreteLog(M, n);
      digits = c === null ? null : [c];
    } else digits = packedDigitsOf(M, n);
    if (digits === null) return { bad: k };
    totals.push(...(g.min === 1 ? [n - digits.reduce((a, b) => a + b, 0), ...digits] : digits));
    k++;
  }
  return { totals };
}

