/**
 * @module server/cast-queue
 * Group casting (protocol §6; issue "Benchmarks"): casts that arrive within a few
 * milliseconds of each other are verified together — one batched pairing check per worker
 * with bisection, so one forged cast cannot make good ones be refused — and committed in
 * one transaction (group commit, one fsync) before any receipt leaves. A cast is answered
 * only after its transaction is durable; a ballot closed meanwhile refuses the whole batch.
 */
import { fromHex, type Receipt } from '../crypto/index.ts';
import type { CryptoPool } from './crypto-pool.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import { storeCastBatch, type CastInput } from './voting.ts';

type Waiter = { cast: CastInput; resolve: (r: Receipt) => void; reject: (e: unknown) => void };

export type CastQueueOptions = {
  /** How long the first cast of a batch waits for others (ms). */
  readonly windowMs?: number;
  /** Largest batch. */
  readonly maxBatch?: number;
};

/** A per-ballot batching queue in front of `storeCastBatch`. */
export function createCastQueue(db: Db, serverKey: Uint8Array, pool: CryptoPool, opts: CastQueueOptions = {}) {
  const windowMs = opts.windowMs ?? 4;
  const maxBatch = opts.maxBatch ?? 512;
  const queues = new Map<string, { waiters: Waiter[]; timer: ReturnType<typeof setTimeout> | null; publicKey: string }>();

  async function flush(ballotId: string): Promise<void> {
    const q = queues.get(ballotId);
    if (!q || q.waiters.length === 0) return;
    const batch = q.waiters.splice(0, maxBatch);
    if (q.timer) clearTimeout(q.timer);
    q.timer = q.waiters.length ? setTimeout(() => void flush(ballotId), 0) : null;
    if (!q.waiters.length && !q.timer) queues.delete(ballotId);
    try {
      const bad = await pool.verifyTokens(fromHex(q.publicKey, 96, 'publicKey'), ballotId, batch.map((w) => w.cast));
      const good = batch.filter((_, i) => !bad.has(i));
      batch.forEach((w, i) => bad.has(i) && w.reject(new ApiError(bad.get(i)!)));
      // One transaction for the whole batch: durable (WAL + synchronous=FULL) before any receipt.
      const outcomes = storeCastBatch(db, ballotId, good.map((w) => w.cast));
      const stored = good.filter((_, i) => outcomes[i] === null);
      good.forEach((w, i) => outcomes[i] && w.reject(outcomes[i]));
      const receipts = await pool.receipts(serverKey, ballotId, stored.map((w) => w.cast));
      stored.forEach((w, i) => w.resolve(receipts[i]!));
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }

  return {
    /** Queue a cast whose fields are already length-checked; resolves with its receipt once durable. */
    submit(ballotId: string, publicKey: string, cast: CastInput): Promise<Receipt> {
      return new Promise<Receipt>((resolve, reject) => {
        let q = queues.get(ballotId);
        if (!q) queues.set(ballotId, (q = { waiters: [], timer: null, publicKey }));
        q.waiters.push({ cast, resolve, reject });
        if (q.waiters.length >= maxBatch) void flush(ballotId);
        else if (!q.timer) q.timer = setTimeout(() => void flush(ballotId), windowMs);
      });
    },
  };
}

export type CastQueue = ReturnType<typeof createCastQueue>;
