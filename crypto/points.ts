/**
 * @module crypto/points
 * BLS12-381 group elements and scalars at the protocol boundary (protocol §4.2).
 * Only compressed encodings are accepted (48 bytes in G1, 96 in G2), and a point is
 * accepted only if it decodes, lies on the curve, lies in the prime-order subgroup, is
 * not the identity, and re-encodes to the very same bytes (canonical). Each refusal is a
 * CryptoInputError with its own code. All arithmetic is @noble/curves'.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { abytes, equalBytes, fromHex, randomBytes, toHex } from './bytes.ts';
import { refuse } from './errors.ts';

/** A point of G1 (signatures, token messages). */
export type G1Point = WeierstrassPoint<bigint>;
/** A point of G2 (ballot public keys). */
export type G2Point = WeierstrassPoint<ReturnType<typeof bls12_381.fields.Fp2.create>>;

/** The G1 and G2 point constructors. */
export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;
/** The scalar field Fr; its ORDER is the prime group order r. */
export const Fr = bls12_381.fields.Fr;

/** Byte lengths of the encodings used on the wire. */
export const G1_BYTES = 48;
export const G2_BYTES = 96;
export const SCALAR_BYTES = 32;

type PointCons<P> = { fromBytes(b: Uint8Array): P };

const Fp = bls12_381.fields.Fp;
const Fp2 = bls12_381.fields.Fp2;

/** Big-endian integer of 48 bytes, with the three flag bits of the first byte cleared. */
function coordinate(bytes: Uint8Array, offset: number, masked: boolean): bigint {
  let n = 0n;
  for (let i = 0; i < 48; i++) n = (n << 8n) | BigInt(i === 0 && masked ? bytes[offset]! & 0x1f : bytes[offset + i]!);
  return n;
}

/** Does some curve point have this x (y² = x³ + b has a root)? Decided with noble's field ops. */
function hasY(x: bigint | [bigint, bigint]): boolean {
  try {
    if (typeof x === 'bigint') Fp.sqrt(Fp.add(Fp.pow(x, 3n), G1.CURVE().b));
    else {
      const X = Fp2.fromBigTuple(x);
      Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(X), X), G2.CURVE().b));
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Each refusal code is decided by checking the bytes and the maths in order — flags, field
 * range, curve equation, subgroup, canonical form — never by reading a library's error text.
 */
function decodePoint<P extends { is0(): boolean; toBytes(c?: boolean): Uint8Array; assertValidity(): void }>(
  Point: PointCons<P>,
  bytes: Uint8Array,
  len: number,
  name: string,
): P {
  abytes(bytes, len, name);
  const flags = bytes[0]!;
  if ((flags & 0x80) === 0) refuse('POINT_NOT_COMPRESSED', `${name} must use the compressed encoding`);
  if (flags & 0x40) {
    // Infinity flag: the only valid form is 0xc0 00…00, and it is the identity, which
    // the protocol never accepts (a signature or key equal to it is trivially forgeable).
    const identity = flags === 0xc0 && bytes.slice(1).every((b) => b === 0);
    refuse(identity ? 'POINT_IDENTITY' : 'POINT_NOT_CANONICAL', identity ? `${name} is the point at infinity` : `${name} has invalid infinity flags`);
  }
  let p: P;
  try {
    p = Point.fromBytes(bytes);
    p.assertValidity();
  } catch {
    // Refused: find out why from the bytes and the maths (slow path, bad input only).
    // x in G1; x = c1·u + c0 in G2, c1 first (ZCash encoding). Every coordinate must be < p.
    const xs = len === G1_BYTES ? [coordinate(bytes, 0, true)] : [coordinate(bytes, 0, true), coordinate(bytes, 48, false)];
    if (xs.some((c) => c >= Fp.ORDER)) refuse('POINT_NOT_CANONICAL', `${name} has a coordinate outside the field`);
    if (!hasY(len === G1_BYTES ? xs[0]! : [xs[1]!, xs[0]!])) refuse('POINT_NOT_ON_CURVE', `${name} is not a point on the curve`);
    refuse('POINT_NOT_IN_SUBGROUP', `${name} is not in the prime-order subgroup`);
  }
  if (p.is0()) refuse('POINT_IDENTITY', `${name} is the point at infinity`);
  if (!equalBytes(p.toBytes(true), bytes)) refuse('POINT_NOT_CANONICAL', `${name} is not canonically encoded`);
  return p;
}

/**
 * Decode a compressed G1 point, fully validated (protocol §4.2).
 * @throws CryptoInputError with a POINT_* code, BAD_TYPE or BAD_LENGTH.
 */
export function decodeG1(bytes: Uint8Array, name = 'G1 point'): G1Point {
  return decodePoint<G1Point>(G1, bytes, G1_BYTES, name);
}

/**
 * Decode a compressed G2 point, fully validated (protocol §4.2).
 * @throws CryptoInputError with a POINT_* code, BAD_TYPE or BAD_LENGTH.
 */
export function decodeG2(bytes: Uint8Array, name = 'G2 point'): G2Point {
  return decodePoint<G2Point>(G2 as unknown as PointCons<G2Point>, bytes, G2_BYTES, name);
}

/** Decode a G1 point from its wire hex (96 lowercase hex digits). */
export function g1FromHex(hex: unknown, name = 'G1 point'): G1Point {
  return decodeG1(fromHex(hex, G1_BYTES, name), name);
}

/** Decode a G2 point from its wire hex (192 lowercase hex digits). */
export function g2FromHex(hex: unknown, name = 'G2 point'): G2Point {
  return decodeG2(fromHex(hex, G2_BYTES, name), name);
}

/** Compressed encoding of a G1 or G2 point, as hex. */
export function pointToHex(p: G1Point | G2Point): string {
  return toHex(p.toBytes(true));
}

/**
 * Decode a 32-byte big-endian scalar in [1, r) (protocol §4.2).
 * @throws CryptoInputError SCALAR_RANGE for 0 or values ≥ r.
 */
export function decodeScalar(bytes: Uint8Array, name = 'scalar'): bigint {
  abytes(bytes, SCALAR_BYTES, name);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (n === 0n || n >= Fr.ORDER) refuse('SCALAR_RANGE', `${name} must be in [1, r)`);
  return n;
}

/** 32-byte big-endian encoding of a scalar in [1, r). */
export function encodeScalar(n: bigint): Uint8Array {
  if (typeof n !== 'bigint' || n <= 0n || n >= Fr.ORDER) refuse('SCALAR_RANGE', 'scalar must be in [1, r)');
  const out = new Uint8Array(SCALAR_BYTES);
  for (let i = SCALAR_BYTES - 1, v = n; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** A uniformly random scalar in [1, r), from 48 CSPRNG bytes reduced mod r-1 (bias < 2^-128). */
export function randomScalar(): bigint {
  const bytes = randomBytes(48);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n % (Fr.ORDER - 1n)) + 1n;
}

/**
 * RFC 9380 hash_to_curve for G1, suite BLS12381G1_XMD:SHA-256_SSWU_RO_, with the given DST.
 * The result is never the identity except with negligible probability, and lies in G1.
 */
export function hashToG1(msg: Uint8Array, dst: string): G1Point {
  abytes(msg, undefined, 'message');
  return bls12_381.G1.hashToCurve(msg, { DST: dst }) as unknown as G1Point;
}
