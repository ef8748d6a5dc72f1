/**
 * @module client/record/lines
 * The record's words that more than one sheet uses, pure over the bundle's tally and the
 * meeting view: the heading of a ballot's sheet by kind, the one line of ballots issued, cast,
 * valid and invalid, 应到 / 实到, a hash in groups, and the attendance lists (请假 and 离会 only
 * where the meeting view gives a member such a status).
 */
import type { KindId, Tally } from '../../crypto/index.ts';
import { t, type Key } from '../i18n.ts';
import type { MemberView } from '../types.ts';

/** The sheet's heading by kind: 表决结果单, 征求意见结果, 推荐票统计表, 测评结果统计表. */
export function sheetHeading(type: KindId): string {
  return t(`record.heading.${type}` as Key);
}

/** 发出选票 7 张，收回 7 张，其中有效票 7 张、无效票 0 张. */
export function countsLine(tally: Tally): string {
  return t('record.counts', { issued: tally.issued, cast: tally.cast, valid: tally.valid, invalid: tally.invalid });
}

/** 应到 10 人，实到 9 人. */
export function turnoutLine(tally: Tally): string {
  return t('record.turnout', { entitled: tally.entitled, present: tally.present });
}

/** A 64-hex-digit hash in groups of eight, so a printed line breaks between groups and a reader keeps their place. */
export function groupedHash(hex: string): string {
  return (hex.match(/.{1,8}/g) ?? []).join(' ');
}

/** Attendance of a member as the meeting view tells it; 请假 and 离会 only where the view gives them. */
export type Attendance = 'present' | 'leave' | 'left' | 'absent';

/** The statuses a meeting view may give a member beside `present`, by the words that may name them. */
const STATUS_WORDS: Readonly<Record<string, Attendance>> = {
  leave: 'leave', excused: 'leave', on_leave: 'leave', onLeave: 'leave',
  left: 'left', departed: 'left',
  present: 'present', absent: 'absent',
};

export function attendanceOf(m: MemberView): Attendance {
  const extra = m as MemberView & { status?: unknown; attendance?: unknown };
  const word = typeof extra.status === 'string' ? extra.status : typeof extra.attendance === 'string' ? extra.attendance : null;
  const status = word === null ? undefined : STATUS_WORDS[word];
  if (status === 'leave' || status === 'left') return status;
  return m.present ? 'present' : 'absent';
}

/** The members by attendance, in roster order. */
export function attendanceLists(members: readonly MemberView[]): Record<Attendance, MemberView[]> {
  const out: Record<Attendance, MemberView[]> = { present: [], leave: [], left: [], absent: [] };
  for (const m of members) out[attendanceOf(m)].push(m);
  return out;
}
