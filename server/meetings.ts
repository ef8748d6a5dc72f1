/**
 * @module server/meetings
 * Meetings, rosters, sign-in codes and attendance: the database side of the secretary's
 * set-up work and of a member's check-in. Check-in marks the member present and binds
 * the tablet to the member for token issuance only. Attendance stays true: "不是我" on the
 * tablet undoes the check-in, a re-issued code makes the member not signed in, and the
 * secretary records 请假 and 离会 — except where the change would falsify a ballot under way
 * (`assertMayLeave`).
 */
import { and, asc, count, eq, inArray, isNotNull } from 'drizzle-orm';
import { quorumMet, randomBytes, toHex, type BallotDefinition } from '../crypto/index.ts';
import { ballots, issuances, meetings, members, sessions } from '../schema/schema.ts';
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

/** A member's attendance: present (签到), absent (not signed in), 请假 (leave) or 离会 (left). */
export type Attendance = 'present' | 'absent' | 'leave' | 'left';
/** What the secretary may record of a member who is not present. */
export const ABSENCES = ['absent', 'leave', 'left'] as const;
export type Absence = (typeof ABSENCES)[number];

export function attendanceOf(m: MemberRow): Attendance {
  return m.present ? 'present' : (m.absence ?? 'absent');
}

/** What the secretary sees of a member (never the code, only whether one is live). */
export function memberView(m: MemberRow) {
  return {
    id: m.id, name: m.name, kind: m.kind, title: m.title, category: m.category, present: m.present,
    status: attendanceOf(m), hasCode: m.codeHash !== null && !m.codeUsed,
  };
}

/**
 * Refuse (ATTENDANCE_LOCKED) to count a present member absent while that would falsify a
 * ballot under way (open, or closed and awaiting its result): the bundle's roster is read at
 * publication, and the verifier refuses a token issued to a member not marked present, or a
 * quorum not met (protocol §10.1) — so the ballot could never be published. A member who asked
 * for a ballot of it stays present until its result is out; so does anyone whose absence would
 * bring it below its quorum.
 */
function assertMayLeave(db: Db, m: MemberRow): void {
  if (!m.present) return;
  const busy = db.select().from(ballots).where(and(eq(ballots.meetingId, m.meetingId), inArray(ballots.status, ['open', 'closed']))).all();
  if (!busy.length) return;
  const after = rosterOf(db, m.meetingId).map((x) => (x.id === m.id ? { ...x, present: false } : x));
  for (const b of busy) {
    const def = JSON.parse(b.definition) as BallotDefinition;
    if (!isEntitled(def, m)) continue;
    const held = db.select({ n: count() }).from(issuances).where(and(eq(issuances.ballotId, b.id), eq(issuances.memberId, m.id))).get()?.n ?? 0;
    const t = turnout(def, after);
    if (held > 0 || !quorumMet(def.rule, t.present, t.entitled))
      throw new ApiError('ATTENDANCE_LOCKED', held > 0 ? `${m.id} holds a ballot of ${b.id}` : `${b.id} would fall below its quorum`, { ballot: def.title });
  }
}

/** A member of the meeting, or NOT_FOUND. */
function memberOf(db: Db, meetingId: string, memberId: string): MemberRow {
  const m = db.select().from(members).where(and(eq(members.id, memberId), eq(members.meetingId, meetingId))).get();
  if (!m) throw new ApiError('NOT_FOUND', 'no such member');
  return m;
}

/**
 * The secretary records a member as not signed in, 请假 or 离会: the member no longer counts
 * as present and their tablet is signed out (a reload cannot vote as them). Refused, changing
 * nothing, while it would falsify a ballot under way (`assertMayLeave`).
 */
export function recordAbsence(db: Db, meetingId: string, memberId: string, absence: Absence): MemberRow {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const m = memberOf(tx as unknown as Db, meetingId, memberId);
    assertMayLeave(tx as unknown as Db, m);
    const row = { present: false, absence: absence === 'absent' ? null : absence };
    tx.update(members).set(row).where(eq(members.id, m.id)).run();
    tx.delete(sessions).where(eq(sessions.memberId, m.id)).run();
    return { ...m, ...row };
  });
}

/**
 * "不是我": the person at the tablet is not the member the code named. The tablet's session
 * ends in any case; the member is absent again unless that would falsify a ballot under way
 * (then they hold a ballot from another tablet and stay present). The code stays used: it was
 * in the wrong hands, and the member gets a new one from the secretary.
 */
export function undoCheckIn(db: Db, memberId: string): { member: MemberRow; absent: boolean } {
  return db.transaction((tx) => {
    const m = tx.select().from(members).where(eq(members.id, memberId)).get();
    if (!m) throw new ApiError('NOT_CHECKED_IN');
    tx.delete(sessions).where(eq(sessions.memberId, m.id)).run();
    try {
      assertMayLeave(tx as unknown as Db, m);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ATTENDANCE_LOCKED') return { member: m, absent: false };
      throw e;
    }
    tx.update(members).set({ present: false, absence: null }).where(eq(members.id, m.id)).run();
    return { member: { ...m, present: false, absence: null }, absent: true };
  });
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

/**
 * Re-issue the codes of some members (lost tablet or slip), one of `fresh` each, all or none:
 * the old code and the tablet's session stop working, and the member is not signed in until the
 * new code is used — except a member holding a ballot under way (`assertMayLeave`), who stays
 * present so that ballot can still be published (their new tablet picks the ballot up again).
 */
export function reissueCodes(db: Db, meetingId: string, memberIds: readonly string[], fresh: readonly PreparedCode[]): { memberId: string; name: string; code: string }[] {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    if (new Set(memberIds).size !== memberIds.length) throw new ApiError('BAD_REQUEST', 'a member is listed twice');
    if (fresh.length < memberIds.length) throw new ApiError('BAD_STATE', 'not enough codes were made; try again');
    return memberIds.map((id, i) => {
      const m = memberOf(tx as unknown as Db, meetingId, id);
      let present = false;
      try {
        assertMayLeave(tx as unknown as Db, m);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 'ATTENDANCE_LOCKED')) throw e;
        present = true;
      }
      tx.update(members).set({ codeHash: fresh[i]!.hash, codeUsed: false, present }).where(eq(members.id, m.id)).run();
      tx.delete(sessions).where(eq(sessions.memberId, m.id)).run();
      return { memberId: m.id, name: m.name, code: fresh[i]!.code };
    });
  });
}

/** Check a member in by the stored form of the typed code: single use; marks present. Returns the member. */
export function checkIn(db: Db, codeHash: string): MemberRow {
  return db.transaction((tx) => {
    const m = tx.select().from(members).where(eq(members.codeHash, codeHash)).get();
    if (!m || m.codeUsed) throw new ApiError('BAD_CODE');
    const meeting = tx.select().from(meetings).where(eq(meetings.id, m.meetingId)).get();
    if (!meeting || meeting.status !== 'active') throw new ApiError('BAD_CODE');
    tx.update(members).set({ codeUsed: true, present: true, absence: null }).where(eq(members.id, m.id)).run();
    return { ...m, codeUsed: true, present: true, absence: null };
  });
}

/** End a meeting: codes expire, tablets and scrutineer devices are signed out. Refused while a ballot is open or awaiting its result. */
export function endMeeting(db: Db, meetingId: string): void {
  db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, meetingId);
    const busy = tx.select({ id: ballots.id, definition: ballots.definition }).from(ballots)
      .where(and(eq(ballots.meetingId, meetingId), inArray(ballots.status, ['open', 'closed']))).get();
    if (busy) throw new ApiError('BALLOT_IN_PROGRESS', 'a ballot is still open or awaiting its result', { ballot: (JSON.parse(busy.definition) as BallotDefinition).title });
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

