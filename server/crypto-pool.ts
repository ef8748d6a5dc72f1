/**
 * @module server/crypto-pool
 * A small pool of worker threads for the server's CPU-bound crypto (one per core by
 * default). Batches are split across workers; with `size: 0` every job runs inline, which
 * tests use to exercise the same code path without threads.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { CryptoInputError, type CryptoErrorCode, type Receipt } from '../crypto/index.ts';
import { runJob, type Job } from './crypto-worker.ts';

/** Why a cast's token signature was refused. */
export type TokenFault = 'BAD_POINT' | 'BAD_TOKEN_SIGNATURE';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Slot = { worker: Worker; ready: Promise<void>; load: number };
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type JobInput = Without<Job, 'id'>;

// Workers run TypeScript through tsx's loader, registered before the module is imported.
const WORKER_URL = new URL('./crypto-worker.ts', import.meta.url).href;
const BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); })`;

export type CryptoPool = ReturnType<typeof createCryptoPool>;

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
        if (m.error !== undefined) p.reject(m.code ? new CryptoInputError(m.code as CryptoErrorCode, m.error) : new Error(m.error));
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

  /** Split `items` into one contiguous part per worker. */
  function parts<T>(items: readonly T[]): { offset: number; part: T[] }[] {
    const n = Math.max(1, Math.min(slots.length, Math.ceil(items.length / 8)));
    const size = Math.ceil(items.length / n);
    const out: { offset: number; part: T[] }[] = [];
    for (let o = 0; o < items.length; o += size) out.push({ offset: o, part: items.slice(o, o + size) });
    return out;
  }

  const api = {
    size: slots.length,
    /** The invalid token signatures, by index: BAD_POINT (not a valid G1 point) or BAD_TOKEN_SIGNATURE. */
    async verifyTokens(publicKey: Uint8Array, ballotId: string, items: readonly { token: Uint8Array; signature: Uint8Array }[]): Promise<Map<number, TokenFault>> {
      const results = await Promise.all(
        parts(items).map(async ({ offset, part }) =>
          (await run<[number, TokenFault][]>({ op: 'verify', publicKey, ballotId, items: part })).map(([i, f]) => [i + offset, f] as const),
        ),
      );
      return new Map(results.flat());
    },
    /** A TokenChecker (crypto/verify.ts) on this pool: indices of the invalid signatures. */
    checkTokens: async (publicKey: Uint8Array, ballotId: string, items: readonly { token: Uint8Array; signature: Uint8Array }[]): Promise<number[]> =>
      [...(await api.verifyTokens(publicKey, ballotId, items)).keys()],
    /** S' = sk·B. */
    signBlinded(secretKey: Uint8Array, blinded: Uint8Array): Promise<Uint8Array> {
      return run<Uint8Array>({ op: 'sign', secretKey, blinded });
    },
    /** Receipts for stored casts, in order. */
    async receipts(serverKey: Uint8Array, ballotId: string, items: readonly { token: Uint8Array; commitment: Uint8Array }[]): Promise<Receipt[]> {
      const results = await Promise.all(parts(items).map(({ part }) => run<Receipt[]>({ op: 'receipts', serverKey, ballotId, items: part })));
      return results.flat();
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
