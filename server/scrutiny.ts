/**
 * @module server/scrutiny
 * Scrutineers (监票人) and the meeting's key ceremony in the database (protocol §4.8). The
 * secretary names n scrutineers and a threshold t; each signs in on their own device with a
 * code and registers the device's public keys; once all n are registered the ceremony runs
 * among the devices, the server only storing and relaying their signed messages. The server
 * never holds a share: the ceremony's record is public and goes into every bundle.
 */
import { and, asc, eq } from 'drizzle-orm';
import {
  CryptoInputError, ceremonyFingerprint, checkCeremonyMessage, checkCeremonyParams, judgeComplaint, parseCeremonyAck, parseCeremonyCommit,
  parseCeremonyComplaint, parseCeremonyReveal, toHex, verifyCeremonyRecord,
  type CeremonyAck, type CeremonyCommit, type CeremonyComplaint, type CeremonyParams, type CeremonyRecord, type CeremonyReveal,
} from '../crypto/index.ts';
import { ceremonies, meetings, scrutineers, sessions } from '../schema/schema.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import { activeMeeting, newId, type PreparedCode } from './meetings.ts';

export type ScrutineerRow = typeof scrutineers.$inferSelect;
export type CeremonyRow = typeof ceremonies.$inferSelect;

/** The stored ceremony JSON: parameters once every device registered, and every message so far. */
export type StoredCeremony = {
  params: CeremonyParams | null;
  commits: CeremonyCommit[];
  reveals: CeremonyReveal[];
  acks: CeremonyAck[];
  complaints: CeremonyComplaint[];
};

/** Most scrutineers of one meeting (protocol §4.8). */
export const MAX_SCRUTINEERS = 15;
/** A device counts as online when it asked for anything this recently (ms). */
const ONLINE_MS = 15_000;

export function scrutineersOf(db: Db, meetingId: string): ScrutineerRow[] {
  return db.select().from(scrutineers).where(eq(scrutineers.meetingId, meetingId)).orderBy(asc(scrutineers.idx)).all();
}

export function ceremonyOf(db: Db, meetingId: string): { row: CeremonyRow; record: StoredCeremony } | null {
  const row = db.select().from(ceremonies).where(eq(ceremonies.meetingId, meetingId)).get();
  return row ? { row, record: JSON.parse(row.record) as StoredCeremony } : null;
}

/** The finished ceremony's public record and keys, or KEYS_NOT_READY. */
export function readyCeremony(db: Db, meetingId: string): { record: CeremonyRecord; publicKey: string; electionKey: string; fingerprint: string; t: number } {
  const c = ceremonyOf(db, meetingId);
  if (!c || c.row.status !== 'ready' || !c.record.params) throw new ApiError('KEYS_NOT_READY');
  const { params, commits, reveals, acks } = c.record;
  return { record: { params, commits, reveals, acks }, publicKey: c.row.publicKey!, electionKey: c.row.electionKey!, fingerprint: c.row.fingerprint!, t: c.row.t };
}

/**
 * Name the scrutineers of a meeting (replacing any earlier naming) with fresh sign-in codes.
 * Refused once the ceremony finished: the keys are bound to these devices.
 */
export function nameScrutineers(db: Db, meetingId: string, t: number, names: readonly string[], codes: readonly PreparedCode[]): { index: number; name: string; code: string }[] {
  if (names.length < 1 || names.length > MAX_SCRUTINEERS) throw new ApiError('BAD_REQUEST', `name 1 to ${MAX_SCRUTINEERS} scrutineers`);
  if (!Number.isSafeInteger(t) || t < 1 || t > names.length) throw new ApiError('BAD_REQUEST', 't must be between 1 and the number of scrutineers');
  if (new Set(names).size !== names.length) throw new ApiError('BAD_REQUEST', 'two scrutineers have the same name');
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const c = tx.select().from(ceremonies).where(eq(ceremonies.meetingId, meetingId)).get();
    if (c?.status === 'ready') throw new ApiError('BAD_STATE', 'the key ceremony has finished; its scrutineers hold the keys');
    tx.delete(scrutineers).where(eq(scrutineers.meetingId, meetingId)).run();
    tx.delete(sessions).where(eq(sessions.scrutineerMeeting, meetingId)).run();
    tx.delete(ceremonies).where(eq(ceremonies.meetingId, meetingId)).run();
    names.forEach((name, i) =>
      tx.insert(scrutineers).values({ meetingId, idx: i + 1, name, codeHash: codes[i]!.hash, codeUsed: false, signingKey: null, encryptionKey: null, lastSeenAt: null }).run(),
    );
    forgetTouches(db, meetingId);
    const empty: StoredCeremony = { params: null, commits: [], reveals: [], acks: [], complaints: [] };
    tx.insert(ceremonies).values({ meetingId, ceremonyId: newId('c'), t, status: 'waiting', record: JSON.stringify(empty), failure: null, publicKey: null, electionKey: null, fingerprint: null }).run();
    return names.map((name, i) => ({ index: i + 1, name, code: codes[i]!.code }));
  });
}

/** Sign a scrutineer device in by the stored form of its code (single use). */
export function scrutineerCheckIn(db: Db, codeHash: string): ScrutineerRow {
  return db.transaction((tx) => {
    const s = tx.select().from(scrutineers).where(eq(scrutineers.codeHash, codeHash)).get();
    if (!s || s.codeUsed) throw new ApiError('BAD_CODE');
    const m = tx.select().from(meetings).where(eq(meetings.id, s.meetingId)).get();
    if (!m || m.status !== 'active') throw new ApiError('BAD_CODE');
    tx.update(scrutineers).set({ codeUsed: true }).where(and(eq(scrutineers.meetingId, s.meetingId), eq(scrutineers.idx, s.idx))).run();
    forgetTouches(db, s.meetingId, s.idx);
    return s;
  });
}

export function scrutineerRow(db: Db, meetingId: string, index: number): ScrutineerRow {
  const s = db.select().from(scrutineers).where(and(eq(scrutineers.meetingId, meetingId), eq(scrutineers.idx, index))).get();
  if (!s) throw new ApiError('NOT_CHECKED_IN');
  return s;
}

/**
 * How stale the stored "online" time may get (ms): a device polls many times a second, and a
 * durable write on each request cost the server more than the request itself. Well below
 * ONLINE_MS, so a device that keeps asking stays online.
 */
const TOUCH_MS = 5_000;
/** Per database: when each device's "online" time ("meeting index") was last written. */
const touched = new WeakMap<Db, Map<string, number>>();

/**
 * Note that a device asked for something (the secretary's "online" light): written only when
 * the stored time is TOUCH_MS old or more. Best effort.
 */
export function touchScrutineer(db: Db, meetingId: string, index: number, now: number): void {
  let seen = touched.get(db);
  if (!seen) touched.set(db, (seen = new Map()));
  const key = `${meetingId} ${index}`;
  const last = seen.get(key);
  if (last !== undefined && now >= last && now - last < TOUCH_MS) return;
  try {
    db.update(scrutineers).set({ lastSeenAt: now }).where(and(eq(scrutineers.meetingId, meetingId), eq(scrutineers.idx, index))).run();
    if (seen.size > 10_000) seen.clear();
    seen.set(key, now);
  } catch {
    // a full or read-only disk must not stop a device from reading
  }
}

/** A meeting's devices were named again (or device `index` signed in): their next request writes their time at once. */
function forgetTouches(db: Db, meetingId: string, index?: number): void {
  const seen = touched.get(db);
  if (!seen) return;
  if (index !== undefined) seen.delete(`${meetingId} ${index}`);
  else for (const key of [...seen.keys()]) if (key.startsWith(`${meetingId} `)) seen.delete(key);
}

const HEX32 = /^[0-9a-f]{64}$/;

/**
 * Register a device's public keys. Once every scrutineer has registered, the ceremony's
 * parameters are fixed and round 1 begins. The same keys again are accepted; other keys only
 * while the ceremony has not started.
 */
export function registerKeys(db: Db, meetingId: string, index: number, signingKey: string, encryptionKey: string): void {
  if (!HEX32.test(signingKey) || !HEX32.test(encryptionKey)) throw new ApiError('BAD_REQUEST', 'keys must be 32 bytes of lowercase hex');
  db.transaction((tx) => {
    const t = tx as unknown as Db;
    activeMeeting(t, meetingId);
    const me = scrutineerRow(t, meetingId, index);
    const c = ceremonyOf(t, meetingId);
    if (!c) throw new ApiError('BAD_STATE', 'no scrutineers are named');
    if (me.signingKey === signingKey && me.encryptionKey === encryptionKey) return;
    if (c.row.status !== 'waiting') throw new ApiError('BAD_STATE', 'the key ceremony has started with other keys for this device');
    tx.update(scrutineers).set({ signingKey, encryptionKey }).where(and(eq(scrutineers.meetingId, meetingId), eq(scrutineers.idx, index))).run();
    const all = scrutineersOf(t, meetingId);
    if (all.some((s) => !s.signingKey || !s.encryptionKey)) return;
    let params: CeremonyParams;
    try {
      params = checkCeremonyParams({
        ceremonyId: c.row.ceremonyId, n: all.length, t: c.row.t,
        devices: all.map((s) => ({ index: s.idx, name: s.name, signingKey: s.signingKey!, encryptionKey: s.encryptionKey! })),
      });
    } catch (e) {
      // e.g. a key that is not a valid point, or two devices with the same key: that device must register again.
      tx.update(scrutineers).set({ signingKey: null, encryptionKey: null }).where(and(eq(scrutineers.meetingId, meetingId), eq(scrutineers.idx, index))).run();
      throw new ApiError('BAD_REQUEST', e instanceof CryptoInputError ? e.message : 'invalid device keys');
    }
    saveCeremony(t, meetingId, { ...c.record, params }, { status: 'running' });
  });
}

function saveCeremony(db: Db, meetingId: string, record: StoredCeremony, set: Partial<CeremonyRow>): void {
  db.update(ceremonies).set({ record: JSON.stringify(record), ...set }).where(eq(ceremonies.meetingId, meetingId)).run();
}

/** One ceremony message from device `index`, in whichever round it belongs to. */
export type CeremonyInput = { commit?: unknown; reveal?: unknown; ack?: unknown; complaint?: unknown };

/**
 * Store a device's ceremony message after checking its shape and that it is the sender's own.
 * The same message again is accepted; a different one for a round already sent is refused.
 * When all n acks are in, the record is checked as the verifier will (verifyCeremonyRecord)
 * and the keys are published; a complaint ends the ceremony, naming who cheated.
 */
export function ceremonyMessage(db: Db, meetingId: string, index: number, body: CeremonyInput): void {
  db.transaction((tx) => {
    const t = tx as unknown as Db;
    activeMeeting(t, meetingId);
    const c = ceremonyOf(t, meetingId);
    if (!c || c.row.status !== 'running' || !c.record.params) throw new ApiError('BAD_STATE', 'no key ceremony is running');
    const rec = c.record;
    const wrap = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw new ApiError('CEREMONY_MESSAGE', e instanceof CryptoInputError ? e.message : 'malformed ceremony message');
      }
    };
    const put = <T extends { index?: number; from?: number }>(list: T[], msg: T, who: number) => {
      if (who !== index) throw new ApiError('CEREMONY_MESSAGE', 'a device sends only its own messages');
      const prev = list.find((m) => (m.index ?? m.from) === who);
      if (prev) {
        if (JSON.stringify(prev) !== JSON.stringify(msg)) throw new ApiError('CEREMONY_MESSAGE', 'this device already sent another message in this round');
        return false;
      }
      list.push(msg);
      list.sort((a, b) => (a.index ?? a.from)! - (b.index ?? b.from)!);
      return true;
    };
    // Each message is checked as it arrives (signature, and a reveal against its commit), so a bad
    // one is refused with its sender named instead of stalling the ceremony.
    const checked = <T>(m: T, wrapped: Parameters<typeof checkCeremonyMessage>[2]): T => {
      const why = checkCeremonyMessage(rec.params!, rec, wrapped);
      if (why) throw new ApiError('CEREMONY_MESSAGE', why);
      return m;
    };
    if (body.commit !== undefined) {
      const commit = wrap(() => parseCeremonyCommit(body.commit));
      put(rec.commits, checked(commit, { commit }), commit.index);
    } else if (body.reveal !== undefined) {
      if (rec.commits.length < rec.params!.n) throw new ApiError('CEREMONY_MESSAGE', 'reveal only after every device committed');
      const reveal = wrap(() => parseCeremonyReveal(body.reveal));
      put(rec.reveals, checked(reveal, { reveal }), reveal.index);
    } else if (body.ack !== undefined) {
      if (rec.reveals.length < rec.params!.n) throw new ApiError('CEREMONY_MESSAGE', 'acknowledge only after every device revealed');
      const ack = wrap(() => parseCeremonyAck(body.ack));
      put(rec.acks, checked(ack, { ack }), ack.index);
    } else if (body.complaint !== undefined) {
      const complaint = wrap(() => parseCeremonyComplaint(body.complaint));
      put(rec.complaints, complaint, complaint.from);
      const verdict = judgeComplaint(rec.params!, rec.reveals, complaint);
      const who = verdict === 'accused-cheated' ? complaint.against : complaint.from;
      const failure = verdict === 'invalid' ? `device ${complaint.from} sent an invalid complaint` : `device ${who} cheated in the key ceremony (${verdict})`;
      return saveCeremony(t, meetingId, rec, { status: 'failed', failure });
    } else throw new ApiError('BAD_REQUEST', 'send one of commit, reveal, ack, complaint');

    if (rec.acks.length === rec.params!.n) {
      const v = verifyCeremonyRecord({ params: rec.params!, commits: rec.commits, reveals: rec.reveals, acks: rec.acks });
      if (!v.ok) return saveCeremony(t, meetingId, rec, { status: 'failed', failure: v.detail });
      return saveCeremony(t, meetingId, rec, {
        status: 'ready', publicKey: toHex(v.tokenPublicKey), electionKey: toHex(v.electionKey), fingerprint: ceremonyFingerprint(v.transcript),
      });
    }
    saveCeremony(t, meetingId, rec, {});
  });
}

/** What the secretary and the projector see of the scrutiny: names, device state, fingerprint (never a code). */
export function scrutinyView(db: Db, meetingId: string, now: number) {
  const list = scrutineersOf(db, meetingId);
  const c = ceremonyOf(db, meetingId);
  return {
    n: list.length,
    t: c?.row.t ?? 0,
    scrutineers: list.map((s) => ({
      index: s.idx, name: s.name, hasCode: s.codeHash !== null && !s.codeUsed, registered: s.signingKey !== null,
      online: s.lastSeenAt !== null && now - s.lastSeenAt < ONLINE_MS,
    })),
    ceremony: {
      status: c ? c.row.status : ('unnamed' as const),
      fingerprint: c?.row.fingerprint ?? null,
      failure: c?.row.failure ?? null,
    },
  };
}
