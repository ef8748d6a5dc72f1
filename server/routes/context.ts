/**
 * @module server/routes/context
 * What every group of routes shares: the database, the event hub, the crypto pool, the
 * server key, the clock, the limiters and the helpers that touch more than one group
 * (codes hashed on the pool, the projector view, closing and publishing a ballot).
 */
import type { Context } from 'hono';
import { toHex } from '../../crypto/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { CryptoPool } from '../crypto-pool.ts';
import type { CastQueue } from '../cast-queue.ts';
import { codeTag, newCode, normalizeCode, storedCode, TAG_HEX } from '../codes.ts';
import { readJson } from '../http.ts';
import { object } from '../validate.ts';
import type { Db, Store } from '../db.ts';
import { ApiError } from '../errors.ts';
import type { Hub } from '../events.ts';
import { rateLimiter } from '../http.ts';
import { createIssuanceWaiters } from '../issuance.ts';
import { createStreams, type StreamLimits } from '../streams.ts';
import { getMeeting, rosterOf, type PreparedCode } from '../meetings.ts';
import { finalizeBallot, decryptionsOf } from '../publish.ts';
import { ceremonyOf, readyCeremony, scrutinyView } from '../scrutiny.ts';
import { ballotsOf, ballotView, castsOf, closeBallot, closedBallots, getBallot, storeSums, ballotsWithoutSums } from '../voting.ts';
import { ballotShape } from '../../crypto/index.ts';

export type AppContext = ReturnType<typeof createContext>;

/** Remote address for rate limiting only; never stored or logged. */
export function clientKey(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

export function createContext(deps: { store: Store; serverKey: Uint8Array; hub: Hub; pool: CryptoPool; now: () => number; codeSalt: Uint8Array; castQueue: CastQueue; streams?: Partial<StreamLimits> }) {
  const { store, hub, pool, now, codeSalt } = deps;
  const db: Db = store.db;
  const waiters = createIssuanceWaiters();
  const finalizing = new Set<string>();

  // Is there a live (unused) member or scrutineer code with this tag? An index range scan each.
  // A code stored before tags existed (no dot) may be anything: then every code is hashed.
  const tagged = [
    store.sqlite.prepare('SELECT 1 FROM members WHERE code_hash >= ? AND code_hash < ? AND code_used = 0 LIMIT 1'),
    store.sqlite.prepare('SELECT 1 FROM scrutineers WHERE code_hash >= ? AND code_hash < ? AND code_used = 0 LIMIT 1'),
  ];
  const untagged = [
    store.sqlite.prepare(`SELECT 1 FROM members WHERE code_hash IS NOT NULL AND substr(code_hash, ${TAG_HEX + 1}, 1) <> '.' AND code_used = 0 LIMIT 1`),
    store.sqlite.prepare(`SELECT 1 FROM scrutineers WHERE code_hash IS NOT NULL AND substr(code_hash, ${TAG_HEX + 1}, 1) <> '.' AND code_used = 0 LIMIT 1`),
  ];
  const anyUntagged = () => untagged.some((q) => q.get() !== undefined);
  // New codes are always tagged, so once none is left untagged none comes back: checked at start, then only while some are.
  let untaggedLeft = anyUntagged();
  const liveTag = (tag: string): boolean =>
    tagged.some((q) => q.get(`${tag}.`, `${tag}/`) !== undefined) || (untaggedLeft && (untaggedLeft = anyUntagged()));

  /** The fingerprint of a meeting's finished ceremony, or null. */
  const fingerprintOf = (meetingId: string): string | null => ceremonyOf(db, meetingId)?.row.fingerprint ?? null;

  // One rendering of a meeting's screen view serves every event stream of a change notice
  // (hundreds of tablets) and the connects of the next 50 ms, instead of one database pass each.
  const screenCache = new Map<string, { at: number; json: string }>();
  const screenJson = (mid: string): string => {
    const hit = screenCache.get(mid);
    const t = now();
    if (hit && t - hit.at < 50) return hit.json;
    const json = JSON.stringify(ctx.screenView(mid));
    screenCache.set(mid, { at: t, json });
    return json;
  };

  const ctx = {
    ...deps,
    db,
    waiters,
    streams: createStreams(hub, screenJson, deps.streams),
    serverPublicKey: toHex(ed25519.getPublicKey(deps.serverKey)),
    limits: {
      login: rateLimiter(10, 60_000, now),
      // Every wrong password costs a full scrypt (~0.1 s) on the event loop: a cap over all clients
      // keeps a guesser with many addresses from starving casts, and bounds the guessing rate.
      loginGlobal: rateLimiter(30, 60_000, now),
      checkin: rateLimiter(10, 60_000, now),
      checkinGlobal: rateLimiter(200, 60_000, now),
      checkinTag: rateLimiter(3, 60_000, now),
      checkinHashed: rateLimiter(200, 60_000, now),
      /** Sign-in attempts refused by their tag (no hash) and hashed, since start (tests, the soak). */
      counts: { refusedByTag: 0, hashed: 0 },
    },
    fingerprintOf,

    /**
     * Sign in with a code (a member's tablet or a scrutineer's device). Every attempt is counted
     * synchronously, before any slow work, so no burst of concurrent attempts races past a limit;
     * a right code hands its count back. Two lanes (server/codes.ts):
     * - a code whose fast tag matches no live code is certainly wrong: refused at once, without
     *   the slow hash, 10 a minute per client address and 200 in all, then `RATE_LIMITED`;
     * - a code whose tag matches a live one may be right: hashed on the pool, under limits per
     *   tag (3 wrong a minute) and in all (200 wrong a minute) but none per address, so a lock-out
     *   of the address a whole room shares (NAT) never blocks a member's correct code.
     * `use` turns the code's stored form into the session, in one transaction with it, so a code
     * is used up only with its session.
     */
    async checkInWithCode<T>(c: Context, use: (stored: string) => T): Promise<T> {
      const who = clientKey(c);
      const body = object(await readJson(c), ['code']);
      const code = typeof body.code === 'string' && body.code.length <= 40 ? normalizeCode(body.code) : null;
      const tag = code ? codeTag(code, codeSalt) : null;
      if (!code || !tag || !liveTag(tag)) {
        if (!ctx.limits.checkin.take(who) || !ctx.limits.checkinGlobal.take('all')) throw new ApiError('RATE_LIMITED');
        ctx.limits.counts.refusedByTag++;
        throw new ApiError('BAD_CODE');
      }
      if (!ctx.limits.checkinTag.take(tag)) throw new ApiError('RATE_LIMITED');
      if (!ctx.limits.checkinHashed.take('all')) {
        ctx.limits.checkinTag.give(tag);
        throw new ApiError('RATE_LIMITED');
      }
      let handBack = true;
      try {
        ctx.limits.counts.hashed++;
        const [hash] = await pool.codeHashes(codeSalt, [code]);
        return db.transaction(() => use(storedCode(tag, hash!)));
      } catch (e) {
        // Only a wrong code keeps its count; a full disk or a failed hash is not a guess.
        if (e instanceof ApiError && e.code === 'BAD_CODE') handBack = false;
        throw e;
      } finally {
        if (handBack) {
          ctx.limits.checkinTag.give(tag);
          ctx.limits.checkinHashed.give('all');
        }
      }
    },

    /** Fresh sign-in codes with their stored forms (tag and slow scrypt hash, on the worker pool). */
    async prepareCodes(n: number): Promise<PreparedCode[]> {
      const codes = Array.from({ length: n }, newCode);
      const hashes = await pool.codeHashes(codeSalt, codes);
      return codes.map((code, i) => ({ code, hash: storedCode(codeTag(code, codeSalt), hashes[i]!) }));
    },

    /** A ballot as everybody may see it. */
    view(ballotId: string) {
      const { row } = getBallot(db, ballotId);
      return ballotView(db, row, rosterOf(db, row.meetingId), fingerprintOf(row.meetingId));
    },

    /** The public projector view of a meeting: counts, the fingerprint and published results only. */
    screenView(meetingId: string) {
      const meeting = getMeeting(db, meetingId);
      const roster = rosterOf(db, meetingId);
      const fp = fingerprintOf(meetingId);
      return {
        meeting: { id: meeting.id, title: meeting.title, status: meeting.status },
        members: roster.length,
        present: roster.filter((m) => m.present).length,
        scrutiny: scrutinyView(db, meetingId, now()),
        ballots: ballotsOf(db, meetingId).map((b) => ballotView(db, b, roster, fp)),
      };
    },

    /**
     * Close a ballot: no more casts, then the sums from exactly the stored casts (worker pool),
     * then the scrutineer devices are told to decrypt.
     */
    async close(ballotId: string): Promise<void> {
      closeBallot(store, ballotId);
      await ctx.computeSums(ballotId);
    },
    async computeSums(ballotId: string): Promise<void> {
      const { row, def } = getBallot(db, ballotId);
      const sums = await pool.sums(ballotShape(def), castsOf(db, ballotId).map((c) => c.sealed));
      storeSums(db, ballotId, sums);
      hub.notify(row.meetingId, 'scrutiny');
    },

    /**
     * Assemble, self-verify and publish a closed ballot (server/publish.ts), the per-cast token
     * checks and the verifier's recount of the sums on the worker pool.
     */
    finalize(ballotId: string) {
      return finalizeBallot(store, deps.serverKey, ballotId, pool.castChecker(false), (shape, sealed) => pool.sums(shape, sealed));
    },

    /**
     * `publishIfReady` once the current request has been answered: the assembly is seconds of
     * work, which must not hold up the answer to the share that completes the t.
     */
    publishSoon(ballotId: string): void {
      setImmediate(() => void ctx.publishIfReady(ballotId));
    },

    /**
     * Publish once t valid decryption shares are in; one attempt at a time per ballot. Never
     * rejects: a failure (a full disk, a self-check that fails) leaves the ballot closed, to be
     * published at the next share, the next start, or the secretary's 公布结果.
     */
    async publishIfReady(ballotId: string): Promise<void> {
      if (finalizing.has(ballotId)) return;
      finalizing.add(ballotId);
      try {
        const { row } = getBallot(db, ballotId);
        if (row.status !== 'closed' || decryptionsOf(db, ballotId).length < readyCeremony(db, row.meetingId).t) return;
        await ctx.finalize(ballotId);
        hub.notify(row.meetingId, 'ballot');
      } catch (e) {
        console.error(`[piaojue] publishing ${ballotId} failed: ${e instanceof ApiError ? e.code : (e as Error)?.message}`);
      } finally {
        finalizing.delete(ballotId);
      }
    },
    /** At start: sums for ballots closed before a crash cut them short, then the publications t shares already allow. */
    async resume(): Promise<void> {
      try {
        for (const id of ballotsWithoutSums(db)) await ctx.computeSums(id);
        for (const id of closedBallots(db)) await ctx.publishIfReady(id);
      } catch (e) {
        console.error(`[piaojue] resuming after a restart failed: ${(e as Error)?.message}`);
      }
    },
  };
  return ctx;
}
