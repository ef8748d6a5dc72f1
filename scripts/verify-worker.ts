/**
 * @module scripts/verify-worker
 * Worker thread of the verifier CLI: runs the per-cast checks (batched token signatures with
 * bisection, each sealed ballot's proofs) on one slice of a bundle's casts and posts back the
 * indices of the bad ones.
 */
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import { backendChoice, checkCasts, useBackend, type CastCheckInput } from '../crypto/index.ts';

await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO));
parentPort!.postMessage(checkCasts(workerData as CastCheckInput));
