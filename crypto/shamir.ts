/**
 * @module crypto/shamir
 * Shamir secret sharing arithmetic over a prime field (protocol §4.7): evaluating a
 * polynomial at a participant index and Lagrange coefficients at zero. Used with the
 * BLS12-381 scalar field r (token key) and the ristretto255 order ℓ (election key).
 * Participants are numbered 1…n; index 0 is the shared secret. Integers only, modular
 * inverses by noble's field implementation.
 */
import { Field } from '@noble/curves/abstract/modular.js';
import { refuse } from './errors.ts';

const fields = new Map<bigint, ReturnType<typeof Field>>();
function F(order: bigint) {
  let f = fields.get(order);
  if (!f) fields.set(order, (f = Field(order)));
  return f;
}

/** f(x) = Σ coeffs[k]·x^k mod order (Horner). */
export function evalPolynomial(coeffs: readonly bigint[], x: bigint, order: bigint): bigint {
  const f = F(order);
  let acc = 0n;
  for (let k = coeffs.length - 1; k >= 0; k--) acc = f.add(f.mul(acc, f.create(x)), f.create(coeffs[k]!));
  return acc;
}

/**
 * λ_i = Π_{j∈S, j≠i} j / (j − i) mod order: the Lagrange coefficient at 0 of participant i
 * in the set S of distinct indices (each in 1…order−1).
 * @throws CryptoInputError BAD_VALUE if i ∉ S or an index repeats or is out of range.
 */
export function lagrangeAtZero(indices: readonly number[], i: number, order: bigint): bigint {
  const f = F(order);
  if (new Set(indices).size !== indices.length) refuse('BAD_VALUE', 'participant indices must be distinct');
  if (!indices.includes(i)) refuse('BAD_VALUE', 'participant is not in the set');
  let num = 1n;
  let den = 1n;
  for (const j of indices) {
    if (!Number.isSafeInteger(j) || j < 1) refuse('BAD_VALUE', 'participant index must be a positive integer');
    if (j === i) continue;
    num = f.mul(num, BigInt(j));
    den = f.mul(den, f.create(BigInt(j - i)));
  }
  return f.div(num, den);
}
