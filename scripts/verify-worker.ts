/**
 * @module scripts/verify-worker
 * Worker thread of the verifier CLI: runs the per-cast checks (batched token signatures with
 * bisection, each sealed ballot's proofs) on one slice of a bundle's casts and posts back the
 * indices of the bad ones.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkCasts, type CastCheckInput } from '../crypto/index.ts';

parentPort!.postMessage(checkCasts(workerData as CastCheckInput));
