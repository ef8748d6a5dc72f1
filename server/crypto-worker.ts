/**
 * @module server/crypto-worker
 * Worker-thread side of the crypto pool: the CPU-heavy, database-free operations — batched
 * token verification and sealed-ballot proof checks of casts, receipt signing, the
 * homomorphic sums, sign-in code hashing — so the event loop keeps answering while a burst
 * of casts is checked on both cores.
 */
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import { hashCode } from './codes.ts';
import {
  backend, backendChoice, checkCasts, encodeCiphertext, findInvalidTokens, fromHex, signReceipt, sumSealedBallots, toHex,
  tokenHash, useBackend, verifySealedBallots, type BallotShape, type CastCheckInput, type Ciphertext, type Receipt,
} from '../crypto/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

/** Why a cast was refused by the crypto checks. */
export type CastFault = 'BAD_POINT' | 'BAD_TOKEN_SIGNATURE' | 'BAD_BALLOT_PROOF';

export type Job =
  | { id: number; op: 'verifyCasts'; publicKey: Uint8Array; electionKey: Uint8Array; ballotId: string; shape: BallotShape; items: { token: Uint8Array; signature: Uint8Array; sealed: Uint8Array }[] }
  | { id: number; op: 'checkCasts'; input: CastCheckInput; proofs: boolean }
  | { id: number; op: 'receipts'; serverKey: Uint8Array; ballotId: string; publicKey: string; electionKey: string; items: { token: Uint8Array; signature: Uint8Array; commitment: Uint8Array }[] }
  | { id: number; op: 'sums'; shape: BallotShape; sealed: string[] }
  | { id: number; op: 'codeHashes'; salt: Uint8Array; codes: string[] };

/**
 * Ed25519 signing with Node's OpenSSL (RFC 8032, deterministic: the same bytes as crypto/
 * ed25519.ts, tests/server/receipt-signer.test.ts), several times faster than noble's for the
 * receipts of every cast. The key object is made once per key from its 32-byte seed.
 */
const signingKeys = new Map<string, KeyObject>();
export function opensslSign(secretKey: Uint8Array, msg: Uint8Array): Uint8Array {
  const k = toHex(secretKey);
  let key = signingKeys.get(k);
  if (!key) {
    // PKCS#8 of an Ed25519 private key: the fixed RFC 8410 prefix, then the seed.
    key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(secretKey)]), format: 'der', type: 'pkcs8' });
    signingKeys.set(k, key);
  }
  return new Uint8Array(nodeSign(null, msg, key));
}

// The server key's public half, derived once per key (it costs half a signature).
const publicKeys = new Map<string, string>();
function publicOf(secretKey: Uint8Array): string {
  const k = toHex(secretKey);
  let p = publicKeys.get(k);
  if (!p) publicKeys.set(k, (p = toHex(ed25519.getPublicKey(secretKey))));
  return p;
}

/** Run one job (also used inline when the pool has no workers). */
export function runJob(job: Job): unknown {
  switch (job.op) {
    case 'verifyCasts': {
      // Token signatures batched; then the sealed ballots' proofs of the casts whose token is
      // good, batched too (one MSM, bisected on failure).
      const bad = new Map<number, CastFault>();
      for (const i of findInvalidTokens(job.publicKey, job.ballotId, job.items))
        bad.set(i, pointValid(job.items[i]!.signature) ? 'BAD_TOKEN_SIGNATURE' : 'BAD_POINT');
      const rest = job.items.flatMap((_, i) => (bad.has(i) ? [] : [i]));
      const items = rest.map((i) => {
        const it = job.items[i]!;
        return { ctx: { ballotId: job.ballotId, electionKey: job.electionKey, tokenHash: tokenHash(job.ballotId, it.token) }, bytes: it.sealed };
      });
      for (const k of verifySealedBallots(job.shape, items)) bad.set(rest[k]!, 'BAD_BALLOT_PROOF');
      return [...bad];
    }
    case 'checkCasts':
      return checkCasts(job.input, { proofs: job.proofs });
    case 'receipts': {
      const serverKey = publicOf(job.serverKey);
      return job.items.map((it): Receipt =>
        signReceipt(job.serverKey, serverKey, {
          ballotId: job.ballotId, tokenHash: toHex(tokenHash(job.ballotId, it.token)), sigma: toHex(it.signature),
          commitment: toHex(it.commitment), publicKey: job.publicKey, electionKey: job.electionKey,
        }, opensslSign),
      );
    }
    case 'sums': {
      return sumSealedBallots(job.shape, job.sealed.map((h) => fromHex(h, undefined, 'sealed'))).map((c: Ciphertext) => toHex(encodeCiphertext(c)));
    }
    case 'codeHashes':
      return job.codes.map((c) => hashCode(c, job.salt));
  }
}

function pointValid(bytes: Uint8Array): boolean {
  try {
    backend().decodeG1(bytes);
    return true;
  } catch {
    return false;
  }
}

// Only in a thread the pool started: other workers may import this module (through the pool) too.
if (parentPort && (workerData as { role?: string } | null)?.role === 'crypto-pool') {
  const port = parentPort;
  // The same backend as the main thread (PIAOJUE_CRYPTO), loaded before the first job.
  await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO));
  port.on('message', (job: Job) => {
    try {
      port.postMessage({ id: job.id, result: runJob(job) });
    } catch (e) {
      port.postMessage({ id: job.id, error: String((e as Error)?.message ?? e), code: (e as { code?: string }).code });
    }
  });
  port.postMessage({ ready: true });
}
