/**
 * @module crypto/group
 * ristretto255 (RFC 9496), the prime-order group of sealed ballots, of the election key and
 * of the scrutineer devices' share-encryption keys (protocol §4.6). Elements are the
 * 32-byte canonical RFC 9496 encoding; exponents (scalars mod ℓ) are 32 bytes
 * **little-endian**, as in RFC 9496, RFC 8032 and libsodium. All arithmetic is @noble/curves'.
 *
 * Also here: hashing to an exponent for Fiat–Shamir challenges, and the Chaum–Pedersen
 * proof of equal discrete logarithms (DLEQ) used for decryption shares and ceremony
 * complaints.
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, fromHex, randomBytes, toHex } from './bytes.ts';
import { message } from './encoding.ts';
import { refuse } from './errors.ts';

/** The ristretto255 point constructor. */
export const RP = ristretto255.Point;
/** An element of ristretto255. */
export type Element = InstanceType<typeof RP>;
/** ℓ = 2^252 + 27742317777372353535851937790883648493, the group order. */
export const ELL: bigint = RP.Fn.ORDER;
/** The generator G of RFC 9496. */
export const BASE: Element = RP.BASE;
/** Byte lengths of an element and of an exponent. */
export const ELEMENT_BYTES = 32;
export const EXPONENT_BYTES = 32;

const P = 2n ** 255n - 19n;

/** Integer of little-endian bytes. */
function leToInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Decode an element from its 32-byte encoding (protocol §4.6): RFC 9496 §4.3.1 decoding, then
 * the identity is refused. Codes: BAD_TYPE / BAD_LENGTH; POINT_NOT_CANONICAL when the field
 * element s is ≥ p or negative (odd); POINT_IDENTITY for the all-zero encoding; POINT_NOT_ON_CURVE
 * for every other string that RFC 9496 does not decode.
 */
export function decodeElement(bytes: Uint8Array, name = 'group element'): Element {
  abytes(bytes, ELEMENT_BYTES, name);
  const s = leToInt(bytes);
  if (s >= P || (s & 1n) === 1n) refuse('POINT_NOT_CANONICAL', `${name} is not a canonical ristretto255 encoding`);
  if (s === 0n) refuse('POINT_IDENTITY', `${name} is the identity`);
  try {
    return RP.fromBytes(bytes);
  } catch {
    return refuse('POINT_NOT_ON_CURVE', `${name} is not a ristretto255 element`);
  }
}

/** Decode an element from 64 lowercase hex digits. */
export function elementFromHex(hex: unknown, name = 'group element'): Element {
  return decodeElement(fromHex(hex, ELEMENT_BYTES, name), name);
}

/** The 32-byte encoding of an element (the identity encodes as 32 zero bytes). */
export function encodeElement(e: Element): Uint8Array {
  return e.toBytes();
}

/** Hex of an element's encoding. */
export function elementToHex(e: Element): string {
  return toHex(e.toBytes());
}

/**
 * Decode a 32-byte little-endian exponent in [0, ℓ) — or in [1, ℓ) with `nonzero` (secret keys).
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH, or SCALAR_RANGE when not reduced (or zero with `nonzero`).
 */
export function decodeExponent(bytes: Uint8Array, name = 'exponent', nonzero = false): bigint {
  abytes(bytes, EXPONENT_BYTES, name);
  const n = leToInt(bytes);
  if (n >= ELL || (nonzero && n === 0n)) refuse('SCALAR_RANGE', `${name} must be in [${nonzero ? 1 : 0}, ℓ)`);
  return n;
}

/** Decode an exponent from 64 lowercase hex digits. */
export function exponentFromHex(hex: unknown, name = 'exponent', nonzero = false): bigint {
  return decodeExponent(fromHex(hex, EXPONENT_BYTES, name), name, nonzero);
}

/** 32-byte little-endian encoding of an exponent in [0, ℓ). */
export function encodeExponent(n: bigint): Uint8Array {
  if (typeof n !== 'bigint' || n < 0n || n >= ELL) refuse('SCALAR_RANGE', 'exponent must be in [0, ℓ)');
  const out = new Uint8Array(EXPONENT_BYTES);
  for (let i = 0, v = n; i < EXPONENT_BYTES; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** Hex of an exponent's encoding. */
export function exponentToHex(n: bigint): string {
  return toHex(encodeExponent(n));
}

/** n mod ℓ in [0, ℓ). */
export function modL(n: bigint): bigint {
  const r = n % ELL;
  return r < 0n ? r + ELL : r;
}

/** A uniformly random exponent in [1, ℓ): 64 CSPRNG bytes reduced mod ℓ (bias < 2⁻²⁵⁹), zero redrawn. */
export function randomExponent(): bigint {
  for (;;) {
    const n = leToInt(randomBytes(64)) % ELL;
    if (n !== 0n) return n;
  }
}

/**
 * Fiat–Shamir challenge: SHA-512(message(dst, …parts)) as a 64-byte little-endian integer mod ℓ
 * (protocol §4.6). The DST names the project, the version and the purpose.
 */
export function hashToExponent(dst: string, ...parts: Uint8Array[]): bigint {
  return leToInt(sha512(message(dst, ...parts))) % ELL;
}

/** x·P, or the identity for x = 0 (noble refuses a zero multiplier). Public inputs only: not constant time. */
export function mulPublic(p: Element, x: bigint): Element {
  return x === 0n ? RP.ZERO : p.multiplyUnsafe(x);
}

/** A Chaum–Pedersen proof (challenge, response), 64 bytes on the wire. */
export type DleqProof = { readonly challenge: bigint; readonly response: bigint };

/** The statement of a DLEQ proof: log_g1(h1) = log_g2(h2). */
export type DleqStatement = { readonly g1: Element; readonly h1: Element; readonly g2: Element; readonly h2: Element };

function dleqChallenge(dst: string, context: Uint8Array, st: DleqStatement, a: Element, b: Element): bigint {
  return hashToExponent(dst, context, st.g1.toBytes(), st.h1.toBytes(), st.g2.toBytes(), st.h2.toBytes(), a.toBytes(), b.toBytes());
}

/**
 * Prove knowledge of x with h1 = x·g1 and h2 = x·g2 (Chaum–Pedersen 1992, Fiat–Shamir with
 * `dst` and `context`, protocol §4.6): w ← random, a = w·g1, b = w·g2,
 * c = H(dst; context, g1, h1, g2, h2, a, b), s = w + c·x mod ℓ.
 */
export function proveDleq(dst: string, context: Uint8Array, st: DleqStatement, x: bigint): DleqProof {
  const w = randomExponent();
  const c = dleqChallenge(dst, context, st, st.g1.multiply(w), st.g2.multiply(w));
  return { challenge: c, response: modL(w + c * x) };
}

/** Check a DLEQ proof: recompute a = s·g1 − c·h1, b = s·g2 − c·h2 and the challenge. Never throws. */
export function verifyDleq(dst: string, context: Uint8Array, st: DleqStatement, proof: DleqProof): boolean {
  try {
    const { challenge: c, response: s } = proof;
    if (c < 0n || c >= ELL || s < 0n || s >= ELL) return false;
    const a = mulPublic(st.g1, s).subtract(mulPublic(st.h1, c));
    const b = mulPublic(st.g2, s).subtract(mulPublic(st.h2, c));
    return dleqChallenge(dst, context, st, a, b) === c;
  } catch {
    return false;
  }
}

/** Wire form of a DLEQ proof: challenge ‖ response, each 32 bytes little-endian, as 128 hex digits. */
export function dleqToHex(p: DleqProof): string {
  return exponentToHex(p.challenge) + exponentToHex(p.response);
}

/** Parse the wire form of a DLEQ proof. @throws CryptoInputError BAD_TYPE / BAD_HEX / BAD_LENGTH / SCALAR_RANGE. */
export function dleqFromHex(hex: unknown, name = 'proof'): DleqProof {
  const b = fromHex(hex, 2 * EXPONENT_BYTES, name);
  return { challenge: decodeExponent(b.subarray(0, 32), `${name} challenge`), response: decodeExponent(b.subarray(32), `${name} response`) };
}
