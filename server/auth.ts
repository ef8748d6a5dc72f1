/**
 * @module server/auth
 * Who is calling: the secretary (password → session cookie), a member's tablet (sign-in
 * code → tablet cookie) or a scrutineer's device (sign-in code → scrutineer cookie). Passwords are hashed with scrypt; session ids and codes are random
 * and stored only as SHA-256 hashes, so a database reader cannot reuse them.
 */
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { and, eq, lt } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { equalBytes, fromHex, randomBytes, toHex, utf8 } from '../crypto/index.ts';
import { sessions, settings } from '../schema/schema.ts';
import type { Db } from './db.ts';
import { queries } from './queries.ts';
import { ApiError } from './errors.ts';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, dkLen: 32 } as const;
/** Secretary sessions end after this long without a request. */
export const SECRETARY_IDLE_MS = 2 * 60 * 60 * 1000;

/** `scrypt$N$r$p$salt$hash`, all parameters stored so they can be raised later. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const h = scrypt(utf8(password), salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${toHex(salt)}$${toHex(h)}`;
}

/** Constant-time check of a password against a stored scrypt hash. */
export function checkPassword(password: string, stored: string): boolean {
  const [alg, N, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !N || !r || !p || !salt || !hash) return false;
  const h = scrypt(utf8(password), fromHex(salt, undefined, 'salt'), { N: Number(N), r: Number(r), p: Number(p), dkLen: 32 });
  return equalBytes(h, fromHex(hash, 32, 'hash'));
}

/** Hash under which a session id or sign-in code is stored. */
export function secretHash(secret: string): string {
  return toHex(sha256(utf8(secret)));
}

/** Cookie names; `__Host-` prefix when served over HTTPS so the cookie is bound to this origin. */
function cookieName(c: Context, base: string): string {
  return new URL(c.req.url).protocol === 'https:' ? `__Host-${base}` : base;
}

function setSessionCookie(c: Context, base: string, value: string): void {
  const secure = new URL(c.req.url).protocol === 'https:';
  setCookie(c, cookieName(c, base), value, { httpOnly: true, sameSite: 'Strict', path: '/', secure });
}

export type SessionKind = 'secretary' | 'tablet' | 'scrutineer';
const COOKIE: Readonly<Record<SessionKind, string>> = { secretary: 'piaojue_sid', tablet: 'piaojue_tablet', scrutineer: 'piaojue_scrutineer' };

/**
 * Start a session of `kind` and set its cookie; returns nothing the caller could leak. A tablet
 * session names its member, a scrutineer session its meeting and index.
 */
export function startSession(db: Db, c: Context, kind: SessionKind, memberId: string | null, now: number, scrutineer?: { meetingId: string; index: number }): void {
  const sid = toHex(randomBytes(32));
  db.insert(sessions).values({
    idHash: secretHash(sid), kind, memberId, createdAt: now, lastSeenAt: now,
    scrutineerMeeting: scrutineer?.meetingId ?? null, scrutineerIndex: scrutineer?.index ?? null,
  }).run();
  setSessionCookie(c, COOKIE[kind], sid);
}

/** End the caller's session of `kind` (row deleted, cookie cleared). */
export function endSession(db: Db, c: Context, kind: SessionKind): void {
  const name = cookieName(c, COOKIE[kind]);
  const sid = getCookie(c, name);
  if (sid === undefined) return;
  db.delete(sessions).where(eq(sessions.idHash, secretHash(sid))).run();
  deleteCookie(c, name, { path: '/', secure: new URL(c.req.url).protocol === 'https:' });
}

function findSession(db: Db, c: Context, kind: SessionKind) {
  const sid = getCookie(c, cookieName(c, COOKIE[kind]));
  if (!sid || !/^[0-9a-f]{64}$/.test(sid)) return undefined;
  return queries(db).session.get({ idHash: secretHash(sid), kind });
}

/**
 * The caller's live session of any kind, as `kind:hash` (for per-device caps), or null. Reads the
 * cookies only; refreshes nothing.
 */
export function sessionOf(db: Db, c: Context, now: number): string | null {
  for (const kind of ['tablet', 'scrutineer', 'secretary'] as const) {
    const s = findSession(db, c, kind);
    if (s && (kind !== 'secretary' || now - s.lastSeenAt <= SECRETARY_IDLE_MS)) return `${kind}:${s.idHash}`;
  }
  return null;
}

export type AuthEnv = { Variables: { memberId: string; scrutineer: { meetingId: string; index: number } } };

/** Require a live secretary session; refreshes its idle timer. */
export const requireSecretary = (db: Db, now: () => number): MiddlewareHandler =>
  async function requireSecretary(c, next) {
    const s = findSession(db, c, 'secretary');
    const t = now();
    if (!s) throw new ApiError('NOT_SIGNED_IN');
    if (t - s.lastSeenAt > SECRETARY_IDLE_MS) {
      db.delete(sessions).where(eq(sessions.idHash, s.idHash)).run();
      throw new ApiError('NOT_SIGNED_IN', 'session expired');
    }
    // The idle timer is best effort: a read-only or full disk must not lock the secretary out of reading.
    try {
      db.update(sessions).set({ lastSeenAt: t }).where(eq(sessions.idHash, s.idHash)).run();
    } catch (e) {
      if (!/^SQLITE_(FULL|READONLY|IOERR|BUSY)/.test((e as { code?: string }).code ?? '')) throw e;
    }
    await next();
  };

/** Require a checked-in tablet; sets `memberId`. */
export const requireTablet = (db: Db): MiddlewareHandler<AuthEnv> =>
  async function requireTablet(c, next) {
    const s = findSession(db, c, 'tablet');
    if (!s || !s.memberId) throw new ApiError('NOT_CHECKED_IN');
    c.set('memberId', s.memberId);
    await next();
  };

/** Require a signed-in scrutineer device; sets `scrutineer` (meeting and index). */
export const requireScrutineer = (db: Db): MiddlewareHandler<AuthEnv> =>
  async function requireScrutineer(c, next) {
    const s = findSession(db, c, 'scrutineer');
    if (!s || !s.scrutineerMeeting || !s.scrutineerIndex) throw new ApiError('NOT_CHECKED_IN');
    c.set('scrutineer', { meetingId: s.scrutineerMeeting, index: s.scrutineerIndex });
    await next();
  };

/** Drop idle secretary sessions (housekeeping at start-up). */
export function pruneSessions(db: Db, now: number): void {
  db.delete(sessions).where(and(eq(sessions.kind, 'secretary'), lt(sessions.lastSeenAt, now - SECRETARY_IDLE_MS))).run();
}

/** The stored secretary password hash, if one is set. */
export function secretaryPasswordHash(db: Db): string | undefined {
  return db.select().from(settings).where(eq(settings.key, 'secretary_password')).get()?.value;
}

/** Set the secretary password (first start, or later change). */
export function setSecretaryPassword(db: Db, password: string): void {
  const value = hashPassword(password);
  db.insert(settings).values({ key: 'secretary_password', value }).onConflictDoUpdate({ target: settings.key, set: { value } }).run();
}

