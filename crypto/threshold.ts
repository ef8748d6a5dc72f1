/**
 * @module crypto/threshold
 * Threshold blind BLS issuance (protocol §4.7). The ballot token key sk is never held in
 * one place: device j of n holds a Shamir share s_j = f(j) of sk = f(0) over the BLS12-381
 * scalar field r, and publishes pk_j = s_j·g2. Issuance of one token needs t devices:
 *
 *   device j:  S′_j = s_j·B                         (partial signature on the blinded point B)
 *   anyone:    e(S′_j, g2) = e(B, pk_j)              (each partial checked against its share key)
 *   anyone:    S′ = Σ_{j∈S} λ_j·S′_j,  |S| = t       (Lagrange at 0, so S′ = sk·B)
 *   device:    σ = r⁻¹·S′                            (unblindSignature, checked under pk)
 *
 * Public shares come from Feldman commitments C_0…C_{t−1} of f (C_k = a_k·g2, or the sums of
 * every dealer's commitments after the ceremony, §4.8): pk_j = Σ_k j^k·C_k. The same for the
 * election key in ristretto255.
 */
import { backend } from './backend.ts';
import { refuse } from './errors.ts';
import { RP, type Element } from './group.ts';
import { Fr, G2, type G2Point } from './points.ts';
import { lagrangeAtZero } from './shamir.ts';

/** Largest number of scrutineer devices (n ≤ 15); device indices are 1…MAX_DEVICES. */
export const MAX_DEVICES = 15;

/** A partial signature of device `index` (1…MAX_DEVICES) on one blinded point. */
export type IndexedPartial = { readonly index: number; readonly partial: Uint8Array };

/** Guard: a device index, an integer in 1…MAX_DEVICES. @throws CryptoInputError BAD_VALUE. */
export function assertDeviceIndex(index: unknown, name = 'device index'): number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > MAX_DEVICES)
    refuse('BAD_VALUE', `${name} must be an integer in 1…${MAX_DEVICES}`);
  return index;
}

/**
 * Device side: the partial signature S′_j = s_j·B on a validated blinded point B (protocol §4.7).
 * The multiplication is noble's constant-time one (the share is secret).
 * @throws CryptoInputError SCALAR_RANGE for a share outside [1, r); BAD_TYPE / BAD_LENGTH / POINT_* for a bad B.
 */
export function partialSign(share: bigint, blinded: Uint8Array): Uint8Array {
  if (typeof share !== 'bigint' || share <= 0n || share >= Fr.ORDER) refuse('SCALAR_RANGE', 'key share must be in [1, r)');
  // B is public: the backend validates it; the share is secret: noble's constant-time multiplication.
  const b = backend();
  return b.toReferenceG1(b.decodeG1(blinded, 'blinded point')).multiply(share).toBytes(true);
}

/**
 * Check one partial signature against the device's public share: e(S′_j, g2) = e(B, pk_j),
 * computed as the single pairing product e(S′_j, −g2)·e(B, pk_j) = 1 (protocol §4.7).
 * Never throws: any malformed share key, blinded point or partial gives `false`.
 */
export function verifyPartial(publicShare: Uint8Array, blinded: Uint8Array, partial: Uint8Array): boolean {
  const b = backend();
  try {
    const pkj = b.decodeG2(publicShare, 'public share');
    const B = b.decodeG1(blinded, 'blinded point');
    const S = b.decodeG1(partial, 'partial signature');
    return b.pairingIsOne([
      { g1: S, g2: b.g2Base(), negate: true },
      { g1: B, g2: pkj },
    ]);
  } catch {
    return false;
  }
}

/**
 * Combine partial signatures on one blinded point: S′ = Σ_j λ_j·S′_j with λ_j the Lagrange
 * coefficients at 0 over exactly the given indices, mod r (protocol §4.7). With t valid
 * partials (check each with `verifyPartial` first) this is sk·B, to be passed to
 * `unblindSignature`. Fewer than t, or a bad partial, give a point that does not verify.
 * @returns the 48-byte compressed S′.
 * @throws CryptoInputError BAD_TYPE (not an array), BAD_LENGTH (none, or more than MAX_DEVICES),
 *   BAD_VALUE (an index out of range or repeated), POINT_* (a partial that does not decode, or a
 *   sum that is the identity).
 */
export function combinePartials(partials: readonly IndexedPartial[]): Uint8Array {
  if (!Array.isArray(partials)) refuse('BAD_TYPE', 'partials must be an array');
  if (partials.length === 0 || partials.length > MAX_DEVICES) refuse('BAD_LENGTH', `need 1…${MAX_DEVICES} partial signatures`);
  const indices = partials.map((p, k) => {
    if (typeof p !== 'object' || p === null) refuse('BAD_TYPE', `partials[${k}] must be an object`);
    return assertDeviceIndex(p.index, `partials[${k}].index`);
  });
  if (new Set(indices).size !== indices.length) refuse('BAD_VALUE', 'partial signatures must come from distinct devices');
  // Partials and coefficients are public: a variable-time multi-scalar multiplication is fine.
  const b = backend();
  const points = partials.map((p, k) => b.decodeG1(p.partial, `partials[${k}].partial`));
  const acc = b.msmG1(points, partials.map((p) => lagrangeAtZero(indices, p.index, Fr.ORDER)));
  if (b.isZeroG1(acc)) refuse('POINT_IDENTITY', 'the combined signature is the point at infinity');
  return b.encodeG1(acc);
}

/** Horner evaluation Σ_k x^k·C_k over public points (variable time). */
function evalCommitments<P extends { add(o: P): P; multiplyUnsafe(s: bigint): P }>(commitments: readonly P[], x: bigint): P {
  let acc = commitments[commitments.length - 1]!;
  for (let k = commitments.length - 2; k >= 0; k--) acc = acc.multiplyUnsafe(x).add(commitments[k]!);
  return acc;
}

function checkCommitments(commitments: readonly unknown[], index: number): void {
  if (!Array.isArray(commitments)) refuse('BAD_TYPE', 'commitments must be an array');
  if (commitments.length === 0 || commitments.length > MAX_DEVICES) refuse('BAD_LENGTH', `need 1…${MAX_DEVICES} commitments`);
  assertDeviceIndex(index);
}

/**
 * Feldman public share of device `index` in G2: Σ_k index^k·C_k, where C_k = a_k·g2 commit
 * to the coefficients of the sharing polynomial (protocol §4.7). Equals s_index·g2 when the
 * shares are honest. The result may be the identity for adversarial commitments; callers
 * that publish it check.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH for the list, BAD_VALUE for the index.
 */
export function publicShareG2(commitments: readonly G2Point[], index: number): G2Point {
  checkCommitments(commitments, index);
  if (!commitments.every((c) => c instanceof G2)) refuse('BAD_TYPE', 'commitments must be G2 points');
  return evalCommitments(commitments, BigInt(index));
}

/**
 * Feldman public share of device `index` in ristretto255: Σ_k index^k·E_k (protocol §4.7), the
 * election key share x_index·G when the shares are honest.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH for the list, BAD_VALUE for the index.
 */
export function publicShareElement(commitments: readonly Element[], index: number): Element {
  checkCommitments(commitments, index);
  if (!commitments.every((c) => c instanceof RP)) refuse('BAD_TYPE', 'commitments must be ristretto255 elements');
  return evalCommitments(commitments, BigInt(index));
}

