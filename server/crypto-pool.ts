/**
 * @module server/crypto-pool
 * A small pool of worker threads for the server's CPU-bound crypto (one per core by
 * default). Batches are split across workers; with `size: 0` every job runs inline, which
 * tests use to exercise the same code path without threads.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import {
  CryptoInputError, RP, sumCount, decodeSumCiphertext, encodeCiphertext, fromHex, toHex,
  type BallotShape, type CastCheckInput, type CastCheckResult, type CryptoErrorCode, type Receipt,
} from '../crypto/index.ts';
import { runJob, type CastFault, type Job } from './crypto-worker.ts';

export type { CastFault };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Slot = { worker: Worker; ready: Promise<void>; load: number };
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type JobInput = Without<Job, 'id'>;

// Workers run TypeScript through tsx's loader, registered before the module is imported.
const WORKER_URL = new URL('./crypto-worker.ts', import.meta.url).href;
const BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); })`;

export type CryptoPool = ReturnType<typeof createCryptoPool>;

/** A worker's CryptoInputError again, with the same message (which already starts with its code). */
function inputError(code: CryptoErrorCode, message: string): CryptoInputError {
  const prefix = `${code}: `;
  return new CryptoInputError(code, message.startsWith(prefix) ? message.slice(prefix.length) : message);
}

/** Start `size` workers (default: one per core). */
export function createCryptoPool(size = availableParallelism()) {
  const pending = new Map<number, Pending>();
  let next = 1;
  const slots: Slot[] = [];
  for (let i = 0; i < size; i++) {
    const worker = new Worker(BOOT, { eval: true, workerData: { role: 'crypto-pool' } });
    worker.unref();
    const ready = new Promise<void>((res) => {
      worker.on('message', (m: { ready?: true; id?: number; result?: unknown; error?: string; code?: string }) => {
        if (m.ready) return res();
        const p = pending.get(m.id!);
        if (!p) return;
        pending.delete(m.id!);
        if (m.error !== undefined) p.reject(m.code ? inputError(m.code as CryptoErrorCode, m.error) : new Error(m.error));
        else p.resolve(m.result);
      });
    });
    worker.on('error', (e) => {
      for (const [, p] of pending) p.reject(e);
      pending.clear();
    });
    slots.push({ worker, ready, load: 0 });
  }

  async function run<T>(job: JobInput): Promise<T> {
    if (slots.length === 0) return runJob({ ...job, id: 0 } as Job) as T;
    const slot = slots.reduce((a, b) => (b.load < a.load ? b : a));
    slot.load++;
    try {
      await slot.ready;
      const id = next++;
      return await new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        slot.worker.ref();
        slot.worker.postMessage({ ...job, id });
      });
    } finally {
      slot.load--;
      if (slot.load === 0) slot.worker.unref();
    }
  }

  /**
   * Split `items` into one contiguous part per worker, from 4 items on: a sealed ballot's proofs
   * (≈ 7 ms on one core) outweigh the extra batched pairing product (≈ 3 ms) a second part costs.
   */
  function parts<T>(items: readonly T[]): { offset: number; part: T[] }[] {
    const n = Math.max(1, Math.min(slots.length, Math.ceil(items.length / 3)));
    const size = Math.ceil(items.length / n);
    const out: { offset: number; part: T[] }[] = [];
    for (let o = 0; o < items.length; o += size) out.push({ offset: o, part: items.slice(o, o + size) });
    return out;
  }

  const api = {
    size: slots.length,
    /** The casts refused by the crypto checks, by index: BAD_POINT, BAD_TOKEN_SIGNATURE or BAD_BALLOT_PROOF. */
    async verifyCasts(
      keys: { publicKey: Uint8Array; electionKey: Uint8Array }, ballotId: string, shape: BallotShape,
      items: readonly { token: Uint8Array; signature: Uint8Array; sealed: Uint8Array }[],
    ): Promise<Map<number, CastFault>> {
      const results = await Promise.all(
        parts(items).map(async ({ offset, part }) =>
          (await run<[number, CastFault][]>({ op: 'verifyCasts', ...keys, ballotId, shape, items: part })).map(([i, f]) => [i + offset, f] as const),
        ),
      );
      return new Map(results.flat());
    },
    /**
     * A CastChecker (crypto/verify.ts) on this pool, for the self-verification before
     * publishing. With `proofs: false` the ballot proofs, already checked when each cast was
     * accepted, are not checked again (they are the bulk of the work).
     */
    castChecker(proofs: boolean) {
      return async (input: CastCheckInput): Promise<CastCheckResult> => {
        const results = await Promise.all(
          parts(input.casts).map(async ({ offset, part }) => {
            const r = await run<CastCheckResult>({ op: 'checkCasts', input: { ...input, casts: part }, proofs });
            return { badTokens: r.badTokens.map((i) => i + offset), badProofs: r.badProofs.map((i) => i + offset) };
          }),
        );
        return { badTokens: results.flatMap((r) => r.badTokens), badProofs: results.flatMap((r) => r.badProofs) };
      };
    },
    /** Receipts for stored casts, in order. */
    async receipts(
      serverKey: Uint8Array, ballotId: string, keys: { publicKey: string; electionKey: string },
      items: readonly { token: Uint8Array; signature: Uint8Array; commitment: Uint8Array }[],
    ): Promise<Receipt[]> {
      const results = await Promise.all(parts(items).map(({ part }) => run<Receipt[]>({ op: 'receipts', serverKey, ballotId, ...keys, items: part })));
      return results.flat();
    },
    /**
     * The homomorphic sums over the sealed ballots (hex, `sumCount` of the shape), split across the workers (protocol §9.1):
     * at the close, and as the self-verification's SumsComputer (crypto/verify.ts). A ballot
     * that does not decode rejects with the error of the first such ballot, as one
     * `sumSealedBallots` over all of them would.
     */
    async sums(shape: BallotShape, sealed: readonly string[]): Promise<string[]> {
      const count = sumCount(shape);
      if (sealed.length === 0) return Array.from({ length: count }, () => toHex(encodeCiphertext({ alpha: RP.ZERO, beta: RP.ZERO })));
      const settled = await Promise.allSettled(parts(sealed).map(({ part }) => run<string[]>({ op: 'sums', shape, sealed: part })));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const results = settled.map((r) => (r as PromiseFulfilledResult<string[]>).value);
      return Array.from({ length: count }, (_, k) => {
        let alpha = RP.ZERO;
        let beta = RP.ZERO;
        for (const r of results) {
          const c = decodeSumCiphertext(fromHex(r[k]!, 64, 'sum'));
          alpha = alpha.add(c.alpha);
          beta = beta.add(c.beta);
        }
        return toHex(encodeCiphertext({ alpha, beta }));
      });
    },
    /** Stored forms of sign-in codes (server/codes.ts hashCode), in order. */
    async codeHashes(salt: Uint8Array, codes: readonly string[]): Promise<string[]> {
      const results = await Promise.all(parts(codes).map(({ part }) => run<string[]>({ op: 'codeHashes', salt, codes: part })));
      return results.flat();
    },
    /** Resolves once every worker has loaded (so timings exclude start-up). */
    async ready(): Promise<void> {
      await Promise.all(slots.map((s) => s.ready));
    },
    async close(): Promise<void> {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
  return api;
}
