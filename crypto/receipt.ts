/**
 * @module crypto/receipt
 * Server signatures (protocol §6.2, §7.2): Ed25519 (RFC 8032) over domain-separated
 * messages. A receipt is the server's signed promise that a cast with this token hash and
 * commitment was accepted on this ballot; a receipt whose cast is missing from the
 * published bundle is proof that the server misbehaved.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes, fromHex, toHex, utf8 } from './bytes.ts';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { DST_RECEIPT } from './dst.ts';
import { message } from './encoding.ts';
import { assertId } from './ids.ts';
import { COMMITMENT_BYTES } from './commitment.ts';

/** Ed25519 key and signature lengths. */
export const SERVER_KEY_BYTES = 32;
export const SERVER_SIGNATURE_BYTES = 64;

/** A cast receipt as sent to a device and kept on it (all byte fields lowercase hex). */
export type Receipt = {
  readonly ballotId: string;
  readonly tokenHash: string;
  readonly commitment: string;
  readonly serverKey: string;
  readonly signature: string;
};

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

/** The signed message of a receipt: message(DST_RECEIPT, ballotId, tokenHash, commitment) (protocol §6.2). */
export function receiptMessage(ballotId: string, tokenHash: Uint8Array, commitment: Uint8Array): Uint8Array {
  return message(DST_RECEIPT, utf8(assertId(ballotId, 'ballotId')), abytes(tokenHash, 32, 'tokenHash'), abytes(commitment, COMMITMENT_BYTES, 'commitment'));
}

/** Issue a receipt for an accepted cast. */
export function signReceipt(secretKey: Uint8Array, ballotId: string, tokenHash: Uint8Array, commitment: Uint8Array): Receipt {
  return receiptSigner(secretKey)(ballotId, tokenHash, commitment);
}

/**
 * A receipt-signing function for one server key, with its public key derived once — the
 * server signs hundreds of receipts a second, and deriving the key costs half a signature.
 */
export function receiptSigner(secretKey: Uint8Array): (ballotId: string, tokenHash: Uint8Array, commitment: Uint8Array) => Receipt {
  const serverKey = toHex(ed25519.getPublicKey(abytes(secretKey, 32, 'server secret key')));
  return (ballotId, tokenHash, commitment) =>
    Object.freeze({
      ballotId,
      tokenHash: toHex(tokenHash),
      commitment: toHex(commitment),
      serverKey,
      signature: toHex(serverSign(secretKey, receiptMessage(ballotId, tokenHash, commitment))),
    });
}

/** True iff the receipt is well formed and signed by its `serverKey`. Never throws on bad data. */
export function verifyReceipt(receipt: Receipt): boolean {
  try {
    return serverVerify(
      fromHex(receipt.serverKey, SERVER_KEY_BYTES, 'serverKey'),
      receiptMessage(receipt.ballotId, fromHex(receipt.tokenHash, 32, 'tokenHash'), fromHex(receipt.commitment, COMMITMENT_BYTES, 'commitment')),
      fromHex(receipt.signature, SERVER_SIGNATURE_BYTES, 'signature'),
    );
  } catch {
    return false;
  }
}
