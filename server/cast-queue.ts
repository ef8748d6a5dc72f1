/**
 * @module server/cast-queue
 * Group casting (protocol §6, §12): casts that arrive within a few milliseconds of each
 * other are verified together — one batched pairing check per worker with bisection, so one
 * forged cast cannot make good ones be refused, then each sealed ballot's proofs — and
 * committed in one transaction (group commit, one fsync) before any receipt leaves. A cast is
 * answered only after its transaction is durable; a ballot closed meanwhile refuses the whole
 * batch. The queue is bounded: past `maxPending` waiting casts a cast is refused with BUSY
 * (the tablet retries), so a flood cannot grow the server's memory. Casts reach this queue
 * only after their MAC checked (server/routes/anon.ts), so an outsider's costs no curve work.
 */
import { fromHex, type BallotShape, type Receipt } from '../crypto/index.ts';
import type { CryptoPool } from './crypto-pool.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import { storeCastBatch, type CastInput } from './voting.ts';

type Waiter = { cast: CastInput; resolve: (r: Receipt) => void; reject: (e: unknown) => void };

/** The ballot facts a cast is checked against. */
export type CastBallot = { readonly publicKey: string; readonly electionKey: string; readonly shape: BallotShape };

export type CastQueueOptions = {
  /** How long the first cast of a batch waits for others (ms). */
  readonly windowMs?: number;
  /** Largest batch. */
  readonly maxBatch?: number;
  /** Most casts waiting across all ballots before BUSY. */
  readonly maxPending?: number;
};

/** A per-ballot batching queue in front of `storeCastBatch`. */
export function createCastQueue(db: Db, serverKey: Uint8Array, pool: CryptoPool, opts: CastQueueOptions = {}) {
  const windowMs = opts.windowMs ?? 4;
  const maxBatch = opts.maxBatch ?? 512;
  const maxPending = opts.maxPending ?? 4096;
  let pending = 0;
  // Group commit: while one batch is being verified and committed, later casts gather into
  // the next batch, so the batch size grows with the load and each batch costs one pairing
  // product and one fsync.
  const queues = new Map<string, { waiters: Waiter[]; timer: ReturnType<typeof setTimeout> | null; busy: boolean; ballot: CastBallot }>();

  function schedule(ballotId: string): void {
    const q = queues.get(ballotId);
    if (!q || q.busy || q.timer || q.waiters.length === 0) return;
    if (q.waiters.length >= maxBatch) void flush(ballotId);
    else q.timer = setTimeout(() => void flush(ballotId), windowMs);
  }

  async function flush(ballotId: string): Promise<void> {
    const q = queues.get(ballotId)!;
    if (q.timer) clearTimeout(q.timer);
    q.timer = null;
    q.busy = true;
    const batch = q.waiters.splice(0, maxBatch);
    pending -= batch.length;
    let stored: Waiter[] = [];
    const keys = { publicKey: fromHex(q.ballot.publicKey, 96, 'publicKey'), electionKey: fromHex(q.ballot.electionKey, 32, 'electionKey') };
    try {
      const bad = await pool.verifyCasts(keys, ballotId, q.ballot.shape, batch.map((w) => w.cast));
      const good = batch.filter((_, i) => !bad.has(i));
      batch.forEach((w, i) => bad.has(i) && w.reject(new ApiError(bad.get(i)!)));
      // One transaction for the whole batch: durable (WAL + synchronous=FULL) before any receipt.
      const outcomes = storeCastBatch(db, ballotId, good.map((w) => w.cast));
      stored = good.filter((_, i) => outcomes[i] === null);
      good.forEach((w, i) => outcomes[i] && w.reject(outcomes[i]));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      // The next batch is verified while this one's receipts are signed.
      q.busy = false;
      if (q.waiters.length) void flush(ballotId);
      else queues.delete(ballotId);
    }
    if (stored.length === 0) return;
    try {
      const receipts = await pool.receipts(serverKey, ballotId, q.ballot, stored.map((w) => w.cast));
      stored.forEach((w, i) => w.resolve(receipts[i]!));
    } catch (e) {
      // The casts are stored; an identical retry gets its receipt.
      for (const w of stored) w.reject(e);
    }
  }

  return {
    /** Queue a cast whose fields are already length- and MAC-checked; resolves with its receipt once durable. */
    submit(ballotId: string, ballot: CastBallot, cast: CastInput): Promise<Receipt> {
      if (pending >= maxPending) return Promise.reject(new ApiError('BUSY'));
      pending++;
      return new Promise<Receipt>((resolve, reject) => {
        let q = queues.get(ballotId);
        if (!q) queues.set(ballotId, (q = { waiters: [], timer: null, busy: false, ballot }));
        q.waiters.push({ cast, resolve, reject });
        schedule(ballotId);
      });
    },
  };
}

export type CastQueue = ReturnType<typeof createCastQueue>;
