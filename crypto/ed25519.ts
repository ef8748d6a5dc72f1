/**
 * @module crypto/ed25519
 * The one Ed25519 verification of the protocol (protocol §6.2), for the server's receipts and
 * bundles and the scrutineer devices' ceremony messages and issuance logs. It is defined by
 * its equation and the encodings it refuses, not by a library flag, so that an implementation
 * on another library (OpenSSL, libsodium) accepts exactly the same signatures:
 *  - the public key A and the point R decode under RFC 8032 §5.1.3 with y < p (no
 *    non-canonical encodings), and neither is of small order (honest RFC 8032 keys and
 *    signatures never are; libsodium refuses both too);
 *  - S, read little-endian, is < L;
 *  - k = SHA-512(R ‖ A ‖ M) mod L, and [S]B = R + [k]A holds exactly — the cofactorless
 *    equation, which refuses any R with a torsion component (the cofactored equation of
 *    noble's `zip215: false` accepts some of those, OpenSSL's check does not).
 * Signing is RFC 8032 pure Ed25519 (deterministic), through noble.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, concatBytes } from './bytes.ts';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

function leInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** RFC 8032 Ed25519 signature of `msg` with a 32-byte secret seed. */
export function ed25519Sign(secretKey: Uint8Array, msg: Uint8Array): Uint8Array {
  return ed25519.sign(msg, abytes(secretKey, 32, 'Ed25519 secret key'));
}

/** The 32-byte public key of a secret seed. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(abytes(secretKey, 32, 'Ed25519 secret key'));
}

/** Is this a valid public key: canonical, on the curve, not of small order? Never throws. */
export function ed25519KeyValid(publicKey: Uint8Array): boolean {
  try {
    return !Point.fromBytes(abytes(publicKey, 32, 'Ed25519 key'), false).isSmallOrder();
  } catch {
    return false;
  }
}

/** Strict Ed25519 verification as defined above. Never throws: any malformed input gives false. */
export function ed25519Verify(publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array): boolean {
  try {
    abytes(publicKey, 32, 'Ed25519 key');
    abytes(signature, 64, 'Ed25519 signature');
    const A = Point.fromBytes(publicKey, false);
    if (A.isSmallOrder()) return false;
    const R = Point.fromBytes(signature.subarray(0, 32), false);
    if (R.isSmallOrder()) return false;
    const S = leInt(signature.subarray(32));
    if (S >= L) return false;
    const k = leInt(sha512(concatBytes(signature.subarray(0, 32), publicKey, msg))) % L;
    const SB = S === 0n ? Point.ZERO : Point.BASE.multiplyUnsafe(S);
    const kA = k === 0n ? Point.ZERO : A.multiplyUnsafe(k);
    return SB.equals(R.add(kA));
  } catch {
    return false;
  }
}
