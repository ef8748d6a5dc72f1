/**
 * @module scripts/verify-worker
 * Worker thread of the verifier CLI: checks one slice of a bundle's token signatures
 * (batched, with bisection) and posts back the indices of the invalid ones.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { findInvalidTokens } from '../crypto/index.ts';

const { publicKey, ballotId, items } = workerData as {
  publicKey: Uint8Array;
  ballotId: string;
  items: { token: Uint8Array; signature: Uint8Array }[];
};
parentPort!.postMessage(findInvalidTokens(publicKey, ballotId, items));
