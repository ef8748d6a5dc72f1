/**
 * @module crypto/receipt
 * Server signatures (protocol §6.2, §7.2): Ed25519 (crypto/ed25519.ts) over domain-separated
 * messages. A receipt is the server's signed promise that a cast with this token hash, σ and
 * commitment hash was accepted on this ballot under these two ballot keys; a receipt whose cast
 * is missing from the
 * published bundle is proof that the server misbehaved.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes, fromHex, toHex, utf8 } from './bytes.ts';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { DST_RECEIPT } from './dst.ts';
import { message } from './encoding.ts';
import { assertId } from './ids.ts';
import { obj } from './parse.ts';
import { G1_BYTES, G2_BYTES } from './points.ts';
import { ELEMENT_BYTES } from './group.ts';

/** Ed25519 key and signature lengths. */
export const SERVER_KEY_BYTES = 32;
export const SERVER_SIGNATURE_BYTES = 64;

/** A fresh Ed25519 server key pair (32-byte secret seed, 32-byte public key). */
export function generateServerKey(seed?: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = seed ? abytes(seed, 32, 'seed') : ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** Ed25519 signature of `msg` with the server's secret key. */
export function serverSign(secretKey: Uint8Array, msg: Uint8Array): Uint8Array {
  return ed25519Sign(secretKey, msg);
}

/** Strict Ed25519 verification (crypto/ed25519.ts); never throws on bad data. */
export function serverVerify(publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array): boolean {
  return ed25519Verify(publicKey, msg, signature);
}

/** A v2 cast receipt (protocol §6.2): the server's signed promise, binding σ and both ballot keys. */
export type Receipt = {
  readonly ballotId: string;
  readonly tokenHash: string;
  readonly sigma: string;
  readonly commitment: string;
  readonly publicKey: string;
  readonly electionKey: string;
  readonly serverKey: string;
  readonly signature: string;
};

/** message(DST_RECEIPT, ballotId, tokenHash, σ, c, publicKey, electionKey) (protocol §6.2). */
export function receiptMessage(r: Omit<Receipt, 'serverKey' | 'signature'>): Uint8Array {
  return message(
    DST_RECEIPT,
    utf8(assertId(r.ballotId, 'ballotId')),
    fromHex(r.tokenHash, 32, 'tokenHash'),
    fromHex(r.sigma, G1_BYTES, 'sigma'),
    fromHex(r.commitment, 32, 'commitment'),
    fromHex(r.publicKey, G2_BYTES, 'publicKey'),
    fromHex(r.electionKey, ELEMENT_BYTES, 'electionKey'),
  );
}

/**
 * Sign a receipt with the server key (`serverKey` is that key's public half, hex). `sign` may
 * be another RFC 8032 Ed25519 implementation (the server's workers use Node's OpenSSL one):
 * Ed25519 signatures are deterministic, so every correct implementation gives the same bytes.
 */
export function signReceipt(
  secretKey: Uint8Array, serverKey: string, r: Omit<Receipt, 'serverKey' | 'signature'>,
  sign: (secretKey: Uint8Array, msg: Uint8Array) => Uint8Array = serverSign,
): Receipt {
  return Object.freeze({ ...r, serverKey, signature: toHex(sign(secretKey, receiptMessage(r))) });
}

/** A receipt of exactly the documented shape with a valid server signature. Never throws. */
export function verifyReceipt(receipt: unknown): receipt is Receipt {
  try {
    const r = obj(receipt, ['ballotId', 'tokenHash', 'sigma', 'commitment', 'publicKey', 'electionKey', 'serverKey', 'signature'], 'receipt') as Receipt;
    return serverVerify(fromHex(r.serverKey, SERVER_KEY_BYTES, 'serverKey'), receiptMessage(r), fromHex(r.signature, SERVER_SIGNATURE_BYTES, 'signature'));
  } catch {
    return false;
  }
}

