/**
 * @module server/app
 * The hono application: every route of docs/api.md, composed from the small middleware
 * in http.ts and auth.ts and the database functions in meetings.ts and voting.ts.
 * `createApp` takes its dependencies explicitly so tests can run it on a temporary DB.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { isWellFormed, toHex, type BallotDefinition, type Bundle, checkReceipt, type Receipt, G1_BYTES, SALT_BYTES, COMMITMENT_BYTES, TOKEN_BYTES } from '../crypto/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { checkPassword, endSession, requireSecretary, requireTablet, secretaryPasswordHash, startSession, type AuthEnv } from './auth.ts';
import { definitionFromRequest, isEntitled } from './ballot.ts';
import type { Db, Store } from './db.ts';
import { ApiError, language, renderError } from './errors.ts';
import type { Hub } from './events.ts';
import type { CryptoPool } from './crypto-pool.ts';
import { createCastQueue, type CastQueueOptions } from './cast-queue.ts';
import { createIssueQueue } from './issue-queue.ts';
import { newCode, normalizeCode } from './codes.ts';
import { loadCodeSalt } from './keys.ts';
import { rateLimiter, readJson, sameOrigin, securityHeaders } from './http.ts';
import {
  activeMeeting, checkIn, createMeeting, endMeeting, getMeeting, issueCodes, listMeetings, memberView, membersWithoutCode,
  reissueCode, replaceRoster, rosterOf, newId, type PreparedCode,
} from './meetings.ts';
import { parseRosterCsv, parseRosterJson, problemText } from './roster.ts';
import { hexBytes, id, object, text } from './validate.ts';
import {
  allowReissue, ballotView, ballotsOf, closeBallot, createBallot, finalizeBallot,
  getBallot, openBallot, storeOpening,
} from './voting.ts';
import { issuances, members } from '../schema/schema.ts';
import { and, eq } from 'drizzle-orm';

export type AppDeps = {
  readonly store: Store;
  /** Ed25519 secret key of this server (receipts, bundles). */
  readonly serverKey: Uint8Array;
  readonly hub: Hub;
  readonly now?: () => number;
  /** Worker pool for CPU-bound crypto (size 0: inline). */
  readonly pool: CryptoPool;
  /** Batching window and size of the cast queue. */
  readonly castQueue?: CastQueueOptions;
  /** Optional static-file handler for the built client (production). */
  readonly client?: (app: Hono<AuthEnv>) => void;
  /** Log each request line (method, path, status) — never bodies, cookies or addresses. */
  readonly log?: (line: string) => void;
};

/** Remote address for rate limiting only; never stored or logged. */
function clientKey(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

/** The public projector view of a meeting: counts and published results only. */
function screenView(db: Db, meetingId: string) {
  const meeting = getMeeting(db, meetingId);
  const roster = rosterOf(db, meetingId);
  return {
    meeting: { id: meeting.id, title: meeting.title, status: meeting.status },
    members: roster.length,
    present: roster.filter((m) => m.present).length,
    ballots: ballotsOf(db, meetingId).map((b) => ballotView(db, b, roster)),
  };
}

/** Build the application. */
export function createApp(deps: AppDeps) {
  const { store, serverKey, hub, pool } = deps;
  const castQueue = createCastQueue(store.db, serverKey, pool, deps.castQueue);
  const issueQueue = createIssueQueue(store.db, pool);
  const codeSalt = loadCodeSalt(store.db);
  const { db } = store;
  const now = deps.now ?? Date.now;
  const serverPublicKey = toHex(ed25519.getPublicKey(serverKey));
  const loginLimit = rateLimiter(10, 60_000, now);
  // Every wrong password costs a full scrypt (~0.1 s) on the event loop: a cap over all clients
  // keeps a guesser with many addresses from starving casts, and bounds the guessing rate.
  const loginGlobal = rateLimiter(30, 60_000, now);
  const checkinLimit = rateLimiter(10, 60_000, now);
  const checkinGlobal = rateLimiter(200, 60_000, now);
  const secretary = requireSecretary(db, now);
  // One rendering of a meeting's screen view serves every SSE subscriber of a notification
  // (hundreds of tablets), instead of one database pass each.
  const screenCache = new Map<string, { at: number; json: string }>();
  const screenJson = (mid: string): string => {
    const hit = screenCache.get(mid);
    const t = Date.now();
    if (hit && t - hit.at < 50) return hit.json;
    const json = JSON.stringify(screenView(db, mid));
    screenCache.set(mid, { at: t, json });
    return json;
  };
  const tablet = requireTablet(db);

  const app = new Hono<AuthEnv>();
  app.onError((err, c) => renderError(err, c));
  app.notFound((c) => renderError(new ApiError('NOT_FOUND'), c));
  app.use('*', securityHeaders());
  if (deps.log) {
    const log = deps.log;
    app.use('*', async function requestLog(c, next) {
      await next();
      log(`${c.req.method} ${c.req.path} ${c.res.status}`);
    });
  }

  // ---- secretary -------------------------------------------------------------------------
  app.use('/api/secretary/*', sameOrigin());
  app.use('/api/meetings/*', sameOrigin());
  app.use('/api/meetings', sameOrigin());

  app.post('/api/secretary/login', async (c) => {
    // Only wrong passwords count towards the limits (a guessing attempt), per client and in all.
    const who = clientKey(c);
    if (loginGlobal.exhausted('all') || loginLimit.exhausted(who)) throw new ApiError('RATE_LIMITED');
    const body = object(await readJson(c), ['password']);
    const stored = secretaryPasswordHash(db);
    // A lone surrogate has no UTF-8 form, so it cannot be the password (and must not reach scrypt's utf8()).
    if (typeof body.password !== 'string' || body.password.length > 200 || !isWellFormed(body.password) || !stored || !checkPassword(body.password, stored)) {
      loginLimit.take(who);
      loginGlobal.take('all');
      throw new ApiError('BAD_PASSWORD');
    }
    endSession(db, c, 'secretary'); // rotate: a fresh id at every login
    startSession(db, c, 'secretary', null, now());
    return c.json({ ok: true });
  });
  app.post('/api/secretary/logout', async (c) => {
    endSession(db, c, 'secretary');
    return c.json({ ok: true });
  });
  app.get('/api/secretary/me', secretary, (c) => c.json({ signedIn: true, serverKey: serverPublicKey }));

  app.get('/api/meetings', secretary, (c) => c.json({ meetings: listMeetings(db) }));
  app.post('/api/meetings', secretary, async (c) => {
    const body = object(await readJson(c), ['title']);
    return c.json({ meeting: createMeeting(db, text(body.title, 'title'), now()) }, 201);
  });
  app.get('/api/meetings/:mid', secretary, (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    const meeting = getMeeting(db, mid);
    const roster = rosterOf(db, mid);
    return c.json({ meeting, members: roster.map(memberView), ballots: ballotsOf(db, mid).map((b) => ballotView(db, b, roster)) });
  });
  // Roster: the same parser answers the preview (every line as read, problems in words)
  // and the import (refused with the problems unless every line is valid).
  const readRoster = async (c: Context) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const body = object(await readJson(c, 1024 * 1024), [], ['members', 'csv']);
    if ((body.members === undefined) === (body.csv === undefined)) throw new ApiError('BAD_REQUEST', 'give either members or csv');
    if (body.csv !== undefined && typeof body.csv !== 'string') throw new ApiError('BAD_REQUEST', 'csv must be text');
    const parsed = body.csv !== undefined ? parseRosterCsv(body.csv as string) : parseRosterJson(body.members);
    const lang = language(c.req.header('accept-language'));
    const problems = parsed.problems.map((p) => ({ line: p.line, code: p.code, error: problemText(p, lang) }));
    return { mid, parsed, problems };
  };
  app.post('/api/meetings/:mid/roster/preview', secretary, async (c) => {
    const { parsed, problems } = await readRoster(c);
    return c.json({ lines: parsed.lines, problems });
  });
  app.post('/api/meetings/:mid/roster', secretary, async (c) => {
    const { mid, parsed, problems } = await readRoster(c);
    if (problems.length) throw new ApiError('ROSTER_INVALID', undefined, { lines: problems });
    const roster = replaceRoster(db, mid, parsed.rows);
    hub.notify(mid, 'attendance');
    return c.json({ members: roster.map(memberView) });
  });
  // Codes are hashed (slow scrypt, server/codes.ts) on the worker pool, then stored in one transaction.
  const prepareCodes = async (n: number): Promise<PreparedCode[]> => {
    const codes = Array.from({ length: n }, newCode);
    const hashes = await pool.codeHashes(codeSalt, codes);
    return codes.map((code, i) => ({ code, hash: hashes[i]! }));
  };
  app.post('/api/meetings/:mid/codes', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    return c.json({ codes: issueCodes(db, mid, await prepareCodes(membersWithoutCode(db, mid))) });
  });
  app.post('/api/meetings/:mid/members/:memberId/code', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    const memberId = id(c.req.param('memberId'), 'member');
    activeMeeting(db, mid);
    const out = reissueCode(db, mid, memberId, (await prepareCodes(1))[0]!);
    hub.notify(mid, 'attendance');
    return c.json(out);
  });
  app.post('/api/meetings/:mid/end', secretary, (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    endMeeting(db, mid);
    hub.notify(mid, 'meeting');
    return c.json({ ok: true });
  });
  app.post('/api/meetings/:mid/ballots', secretary, async (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    activeMeeting(db, mid);
    const memberIds = new Set(rosterOf(db, mid).map((m) => m.id));
    const def = definitionFromRequest(await readJson(c), { ballotId: newId('b'), meetingId: mid, itemId: (i) => `i${i + 1}` }, memberIds);
    const row = createBallot(db, def);
    hub.notify(mid, 'ballot');
    return c.json({ ballot: ballotView(db, row, rosterOf(db, mid)) }, 201);
  });

  // Ballot actions by the secretary.
  const secretaryBallot = (path: string, act: (bid: string, c: Context) => Promise<unknown> | unknown) =>
    app.post(`/api/ballots/:bid/${path}`, sameOrigin(), secretary, async (c) => {
      const bid = id(c.req.param('bid'), 'ballot');
      const extra = await act(bid, c);
      const { row } = getBallot(db, bid);
      hub.notify(row.meetingId, 'ballot');
      return c.json({ ballot: ballotView(db, row, rosterOf(db, row.meetingId)), ...(extra ?? {}) });
    });
  secretaryBallot('open', (bid) => openBallot(db, bid));
  secretaryBallot('close', (bid) => closeBallot(store, bid));
  secretaryBallot('finalize', async (bid) => void (await finalizeBallot(store, serverKey, bid, pool.checkTokens)));
  secretaryBallot('reissue', async (bid, c) => {
    const body = object(await readJson(c), ['memberId']);
    allowReissue(db, bid, id(body.memberId, 'memberId'));
  });

  // ---- tablet ------------------------------------------------------------------------------
  app.post('/api/checkin', async (c) => {
    // Only failed codes count, per client and in all: every tablet of a room may share one
    // address (NAT, protocol §11.2), and a large meeting checks in hundreds at once.
    const who = clientKey(c);
    if (checkinGlobal.exhausted('all') || checkinLimit.exhausted(who)) throw new ApiError('RATE_LIMITED');
    const body = object(await readJson(c), ['code']);
    let m;
    try {
      const code = typeof body.code === 'string' && body.code.length <= 40 ? normalizeCode(body.code) : null;
      if (!code) throw new ApiError('BAD_CODE');
      const [codeHash] = await pool.codeHashes(codeSalt, [code]);
      // One transaction: the code is used up only together with the new tablet session, so a
      // write that fails (disk full) or a crash in between never leaves a used code without a tablet.
      m = db.transaction(() => {
        const member = checkIn(db, codeHash!);
        endSession(db, c, 'tablet');
        startSession(db, c, 'tablet', member.id, now());
        return member;
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'BAD_CODE') {
        checkinLimit.take(who);
        checkinGlobal.take('all');
      }
      throw e;
    }
    hub.notify(m.meetingId, 'attendance');
    const meeting = getMeeting(db, m.meetingId);
    return c.json({ member: { id: m.id, name: m.name, kind: m.kind, title: m.title }, meeting: { id: meeting.id, title: meeting.title } });
  });
  app.get('/api/tablet', tablet, (c) => {
    const m = db.select().from(members).where(eq(members.id, c.get('memberId'))).get();
    if (!m) throw new ApiError('NOT_CHECKED_IN');
    const meeting = getMeeting(db, m.meetingId);
    const roster = rosterOf(db, m.meetingId);
    const ballots = ballotsOf(db, m.meetingId).map((b) => {
      const def = JSON.parse(b.definition) as BallotDefinition;
      const iss = db.select().from(issuances).where(and(eq(issuances.ballotId, b.id), eq(issuances.memberId, m.id))).get();
      return { ...ballotView(db, b, roster), eligible: isEntitled(def, m), issued: (iss?.issued ?? 0) > 0 };
    });
    return c.json({ member: { id: m.id, name: m.name, kind: m.kind, title: m.title }, meeting: { id: meeting.id, title: meeting.title, status: meeting.status }, ballots });
  });
  app.post('/api/ballots/:bid/issue', tablet, async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c), ['blinded']);
    const blinded = hexBytes(body.blinded, G1_BYTES, 'blinded');
    const signed = await issueQueue.issue({ ballotId: bid, memberId: c.get('memberId'), blinded });
    hub.notify(getBallot(db, bid).row.meetingId, 'ballot');
    return c.json({ signed: toHex(signed) });
  });

  // ---- anonymous ---------------------------------------------------------------------------
  // These routes never read a cookie or the caller's address, and log nothing of the body.
  app.get('/api/server-key', (c) => c.json({ serverKey: serverPublicKey }));
  app.get('/api/ballots/:bid', (c) => {
    const { row } = getBallot(db, id(c.req.param('bid'), 'ballot'));
    return c.json(ballotView(db, row, rosterOf(db, row.meetingId)));
  });
  app.post('/api/ballots/:bid/cast', async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c), ['token', 'signature', 'commitment']);
    const cast = {
      token: hexBytes(body.token, TOKEN_BYTES, 'token'),
      signature: hexBytes(body.signature, G1_BYTES, 'signature'),
      commitment: hexBytes(body.commitment, COMMITMENT_BYTES, 'commitment'),
    };
    const { row } = getBallot(db, bid);
    if (row.status !== 'open' || !row.publicKey) throw new ApiError('BAD_STATE', 'the ballot is not open for casting');
    const receipt = await castQueue.submit(bid, row.publicKey, cast);
    hub.notify(row.meetingId, 'ballot');
    return c.json({ receipt });
  });
  app.post('/api/ballots/:bid/openings', async (c) => {
    const bid = id(c.req.param('bid'), 'ballot');
    const body = object(await readJson(c), ['token', 'choices', 'salt']);
    storeOpening(db, bid, hexBytes(body.token, TOKEN_BYTES, 'token'), body.choices, hexBytes(body.salt, SALT_BYTES, 'salt'));
    const { row } = getBallot(db, bid);
    hub.notify(row.meetingId, 'ballot');
    return c.json({ ok: true });
  });
  app.get('/api/ballots/:bid/bundle', (c) => {
    const { row } = getBallot(db, id(c.req.param('bid'), 'ballot'));
    if (!row.bundle) throw new ApiError('NOT_PUBLISHED');
    return c.body(row.bundle, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });
  app.post('/api/ballots/:bid/receipt', async (c) => {
    const { row } = getBallot(db, id(c.req.param('bid'), 'ballot'));
    const body = object(await readJson(c), ['receipt']);
    const r = object(body.receipt, ['ballotId', 'tokenHash', 'commitment', 'serverKey', 'signature'], [], 'receipt') as unknown as Receipt;
    if (!row.bundle) throw new ApiError('NOT_PUBLISHED');
    const bundle = JSON.parse(row.bundle) as Bundle;
    return c.json({ ...checkReceipt(bundle, r), merkleRoot: bundle.merkleRoot });
  });
  app.get('/api/meetings/:mid/screen', (c) => c.json(screenView(db, id(c.req.param('mid'), 'meeting'))));
  app.get('/api/meetings/:mid/events', (c) => {
    const mid = id(c.req.param('mid'), 'meeting');
    getMeeting(db, mid);
    return streamSSE(c, async (stream) => {
      let closed = false;
      const queue: string[] = ['hello'];
      let wake: (() => void) | null = null;
      const unsubscribe = hub.subscribe(mid, (kind) => {
        queue.push(kind);
        wake?.();
      });
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      while (!closed) {
        while (queue.length && !closed) {
          const kind = queue.shift()!;
          await stream.writeSSE({ event: kind === 'hello' ? 'state' : kind, data: screenJson(mid) });
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 25_000); // heartbeat
        });
        wake = null;
        if (!queue.length && !closed) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
    });
  });

  deps.client?.(app);
  return app;
}

/** Type of the app, for the typed client `hc<AppType>()`. */
export type AppType = ReturnType<typeof createApp>;
