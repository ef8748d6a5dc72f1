/**
 * @module crypto/bytes
 * Byte helpers every other module uses at its entry: guards that check a value is a
 * Uint8Array of the expected length and return it, strict lowercase hex, UTF-8 and
 * constant-time comparison. Nothing here knows about curves or the protocol.
 */
import { bytesToHex, concatBytes, hexToBytes, randomBytes as nobleRandom } from '@noble/hashes/utils.js';
import { refuse } from './errors.ts';

export { concatBytes };

/**
 * Guard: `value` is a Uint8Array (of exactly `length` bytes when given).
 * @returns the same array, so it can be used inline.
 * @throws CryptoInputError BAD_TYPE or BAD_LENGTH.
 */
export function abytes(value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) refuse('BAD_TYPE', `${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length)
    refuse('BAD_LENGTH', `${name} must be ${length} bytes, got ${value.length}`);
  return value;
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/**
 * Strict hex decoder for wire and bundle fields: lowercase only, even length, and an exact
 * byte length when given, so each byte string has exactly one text form.
 * @throws CryptoInputError BAD_TYPE, BAD_HEX or BAD_LENGTH.
 */
export function fromHex(hex: unknown, length: number | undefined, name: string): Uint8Array {
  if (typeof hex !== 'string') refuse('BAD_TYPE', `${name} must be a hex string`);
  if (!HEX_RE.test(hex)) refuse('BAD_HEX', `${name} must be lowercase hex of even length`);
  if (length !== undefined && hex.length !== length * 2)
    refuse('BAD_LENGTH', `${name} must be ${length} bytes (${length * 2} hex digits), got ${hex.length / 2}`);
  return hexToBytes(hex);
}

/**
 * Concatenate many byte strings without spreading them into one call: a bundle encodes
 * to ~10⁵ parts, more arguments than a browser Web Worker's stack takes.
 */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(abytes(bytes, undefined, 'bytes'));
}

/** UTF-8 encoding of a well-formed string (lone surrogates are refused, so decoding round-trips). */
export function utf8(text: string): Uint8Array {
  if (typeof text !== 'string') refuse('BAD_TYPE', 'text must be a string');
  if (!isWellFormed(text)) refuse('BAD_VALUE', 'text contains a lone surrogate');
  return new TextEncoder().encode(text);
}

/** True when `text` has no lone UTF-16 surrogate (Node 20 lacks String#isWellFormed everywhere we run). */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** Constant-time equality of two byte strings (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Bytewise lexicographic comparison, the one order used for sorting ballots (protocol §6). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** `n` bytes from the platform CSPRNG (WebCrypto in browsers and Node). */
export function randomBytes(n: number): Uint8Array {
  return nobleRandom(n);
}
