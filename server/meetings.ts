/**
 * @module server/meetings
 * Meetings, rosters, sign-in codes and attendance: the database side of the secretary's
 * set-up work and of a member's check-in. Check-in marks the member present and binds
 * the tablet to the member for token issuance only.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import { randomBytes, toHex, type BallotDefinition } from '../crypto/index.ts';
import { ballots, meetings, members, sessions } from '../schema/schema.ts';
import { isEntitled } from './ballot.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import type { RosterRow } from './roster.ts';

/** A random id with a one-letter prefix saying what it names. */
export function newId(prefix: 'm' | 'u' | 'b' | 'c'): string {
  return prefix + toHex(randomBytes(8));
}

export type MeetingRow = typeof meetings.$inferSelect;
export type MemberRow = typeof members.$inferSelect;

/** The meeting, or NOT_FOUND. */
export function getMeeting(db: Db, meetingId: string): MeetingRow {
  const m = db.select().from(meetings).where(eq(meetings.id, meetingId)).get();
  if (!m) throw new ApiError('NOT_FOUND', 'no such meeting');
  return m;
}

/** The meeting, which must not have ended. */
export function activeMeeting(db: Db, meetingId: string): MeetingRow {
  const m = getMeeting(db, meetingId);
  if (m.status !== 'active') throw new ApiError('MEETING_ENDED');
  return m;
}

export function createMeeting(db: Db, title: string, now: number): MeetingRow {
  const row = { id: newId('m'), title, status: 'active' as const, createdAt: now };
  db.insert(meetings).values(row).run();
  return row;
}

export function listMeetings(db: Db): MeetingRow[] {
  return db.select().from(meetings).orderBy(asc(meetings.createdAt)).all();
}

/** The roster in order. */
export function rosterOf(db: Db, meetingId: string): MemberRow[] {
  return db.select().from(members).where(eq(members.meetingId, meetingId)).orderBy(asc(members.seq)).all();
}

/** What the secretary sees of a member (never the code, only whether one is live). */
export function memberView(m: MemberRow) {
  return { id: m.id, name: m.name, kind: m.kind, title: m.title, category: m.category, present: m.present, hasCode: m.codeHash !== null && !m.codeUsed };
}

/** Replace the roster; refused once any ballot exists, since ballots refer to it. */
export function replaceRoster(db: Db, meetingId: string, rows: readonly RosterRow[]): MemberRow[] {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    if (tx.select({ id: ballots.id }).from(ballots).where(eq(ballots.meetingId, meetingId)).get())
      throw new ApiError('ROSTER_LOCKED');
    tx.delete(members).where(eq(members.meetingId, meetingId)).run();
    rows.forEach((r, seq) =>
      tx.insert(members).values({ id: newId('u'), meetingId, seq, name: r.name, kind: r.kind, title: r.title, category: r.category, present: false, codeHash: null, codeUsed: false }).run(),
    );
    return rosterOf(tx as unknown as Db, meetingId);
  });
}

/** A fresh code with its stored form (hashed on the worker pool by the caller). */
export type PreparedCode = { readonly code: string; readonly hash: string };

/** How many members of a meeting need a code (none yet; a used code means a checked-in tablet). */
export function membersWithoutCode(db: Db, meetingId: string): number {
  return rosterOf(db, meetingId).filter((m) => m.codeHash === null).length;
}

/**
 * Give every member without a code one of `fresh` (plaintext returned once, stored hashed).
 * A live code is kept; a used one means a checked-in tablet, which only an explicit re-issue replaces.
 */
export function issueCodes(db: Db, meetingId: string, fresh: readonly PreparedCode[]): { memberId: string; name: string; code: string }[] {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const need = rosterOf(tx as unknown as Db, meetingId).filter((m) => m.codeHash === null);
    if (need.length > fresh.length) throw new ApiError('BAD_STATE', 'the roster changed while codes were made; try again');
    return need.map((m, i) => {
      tx.update(members).set({ codeHash: fresh[i]!.hash, codeUsed: false }).where(eq(members.id, m.id)).run();
      return { memberId: m.id, name: m.name, code: fresh[i]!.code };
    });
  });
}

/** Re-issue one member's code (lost tablet): the old code and the tablet's session stop working. */
export function reissueCode(db: Db, meetingId: string, memberId: string, fresh: PreparedCode): { memberId: string; name: string; code: string } {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const m = tx.select().from(members).where(and(eq(members.id, memberId), eq(members.meetingId, meetingId))).get();
    if (!m) throw new ApiError('NOT_FOUND', 'no such member');
    tx.update(members).set({ codeHash: fresh.hash, codeUsed: false }).where(eq(members.id, m.id)).run();
    tx.delete(sessions).where(eq(sessions.memberId, m.id)).run();
    return { memberId: m.id, name: m.name, code: fresh.code };
  });
}

/** Check a member in by the stored form of the typed code: single use; marks present. Returns the member. */
export function checkIn(db: Db, codeHash: string): MemberRow {
  return db.transaction((tx) => {
    const m = tx.select().from(members).where(eq(members.codeHash, codeHash)).get();
    if (!m || m.codeUsed) throw new ApiError('BAD_CODE');
    const meeting = tx.select().from(meetings).where(eq(meetings.id, m.meetingId)).get();
    if (!meeting || meeting.status !== 'active') throw new ApiError('BAD_CODE');
    tx.update(members).set({ codeUsed: true, present: true }).where(eq(members.id, m.id)).run();
    return { ...m, codeUsed: true, present: true };
  });
}

/** End a meeting: codes expire, tablets and scrutineer devices are signed out. Refused while a ballot is open or awaiting its result. */
export function endMeeting(db: Db, meetingId: string): void {
  db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const busy = tx.select({ id: ballots.id }).from(ballots)
      .where(and(eq(ballots.meetingId, meetingId), inArray(ballots.status, ['open', 'closed']))).get();
    if (busy) throw new ApiError('BAD_STATE', 'a ballot is still open or awaiting its result');
    tx.update(meetings).set({ status: 'ended' }).where(eq(meetings.id, meetingId)).run();
    const ids = tx.select({ id: members.id }).from(members).where(eq(members.meetingId, meetingId)).all().map((r) => r.id);
    if (ids.length) tx.delete(sessions).where(inArray(sessions.memberId, ids)).run();
    tx.delete(sessions).where(eq(sessions.scrutineerMeeting, meetingId)).run(); // the scrutineer devices too
    tx.update(members).set({ codeHash: null }).where(and(eq(members.meetingId, meetingId), isNotNull(members.codeHash))).run();
  });
}

/** Entitled and present counts of a ballot definition over a roster. */
export function turnout(def: BallotDefinition, roster: readonly MemberRow[]) {
  const entitled = roster.filter((m) => isEntitled(def, m));
  return { entitled: entitled.length, present: entitled.filter((m) => m.present).length };
}

