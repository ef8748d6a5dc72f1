/**
 * @module server/crypto-worker
 * Worker-thread side of the crypto pool: the CPU-heavy, database-free operations —
 * batched token verification, blind signing and receipt signing — so the event loop keeps
 * answering while a burst of casts is checked on both cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashCode } from './codes.ts';
import { decodeG1, findInvalidTokens, receiptSigner, signBlinded, toHex, tokenHash, type Receipt } from '../crypto/index.ts';

export type Job =
  | { id: number; op: 'verify'; publicKey: Uint8Array; ballotId: string; items: { token: Uint8Array; signature: Uint8Array }[] }
  | { id: number; op: 'sign'; secretKey: Uint8Array; blinded: Uint8Array }
  | { id: number; op: 'receipts'; serverKey: Uint8Array; ballotId: string; items: { token: Uint8Array; commitment: Uint8Array }[] }
  | { id: number; op: 'codeHashes'; salt: Uint8Array; codes: string[] };

// One receipt signer per server key (a server has one key; tests may use several).
const signers = new Map<string, (ballotId: string, tokenHash: Uint8Array, commitment: Uint8Array) => Receipt>();
function signerFor(secretKey: Uint8Array) {
  const k = toHex(secretKey);
  let s = signers.get(k);
  if (!s) signers.set(k, (s = receiptSigner(secretKey)));
  return s;
}

/** Run one job (also used inline when the pool has no workers). */
export function runJob(job: Job): unknown {
  switch (job.op) {
    case 'verify':
      // Invalid ones are classified: a signature that is no valid G1 point, or one that does not verify.
      return findInvalidTokens(job.publicKey, job.ballotId, job.items).map((i) => [i, pointValid(job.items[i]!.signature) ? 'BAD_TOKEN_SIGNATURE' : 'BAD_POINT']);
    case 'sign':
      return signBlinded(job.secretKey, job.blinded);
    case 'codeHashes':
      return job.codes.map((c) => hashCode(c, job.salt));
    case 'receipts':
      return job.items.map((it) => signerFor(job.serverKey)(job.ballotId, tokenHash(job.ballotId, it.token), it.commitment));
  }
}

function pointValid(bytes: Uint8Array): boolean {
  try {
    decodeG1(bytes);
    return true;
  } catch {
    return false;
  }
}

// Only in a thread the pool started: other workers may import this module (through the pool) too.
if (parentPort && (workerData as { role?: string } | null)?.role === 'crypto-pool') {
  const port = parentPort;
  port.on('message', (job: Job) => {
    try {
      port.postMessage({ id: job.id, result: runJob(job) });
    } catch (e) {
      port.postMessage({ id: job.id, error: String((e as Error)?.message ?? e), code: (e as { code?: string }).code });
    }
  });
  port.postMessage({ ready: true });
}
