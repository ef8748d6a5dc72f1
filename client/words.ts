/**
 * @module client/words
 * Turning protocol data into plain words: options, outcomes, member kinds, ballot kinds and
 * states, fractions (半数, 三分之二), the quorum, a round (第二轮). What a kind's rule and
 * result say is the kind's own (client/kinds/). Pure functions over crypto/ types, reactive
 * through `t`.
 */
import type { Fraction, Item, KindId, MemberKind, Outcome, Rule, RuleBase } from '../crypto/index.ts';
import { lang, t, type Key } from './i18n.ts';
import type { BallotStatus } from './types.ts';

export const optionWord = (o: string): string => t(`option.${o}` as Key);
export const outcomeWord = (o: Outcome): string => t(`outcome.${o}`);
export const kindWord = (k: MemberKind): string => t(`kind.${k}`);
export const typeWord = (k: KindId): string => t(`type.${k}`);
export const statusWord = (s: BallotStatus): string => t(`status.${s}`);

/** 1/2 → 半数, 2/3 → 三分之二, 1/3 → 三分之一, otherwise num/den. */
export function fractionWord(f: Fraction): string {
  if (f.num * 2 === f.den) return t('frac.half');
  if (f.num * 3 === f.den * 2) return t('frac.twoThirds');
  if (f.num * 3 === f.den) return t('frac.oneThird');
  return t('frac.other', { num: f.num, den: f.den });
}

/** Who a ballot kind counts: 常委 for a 常委会票决, 委员 for the full committee, 人员 otherwise. */
export const whoWord = (type: KindId): string => t(`rule.who.${type}`);

/** A rule's base for a kind: 应到会常委, 实到会委员, 收回票数. */
export function baseWord(base: RuleBase, type: KindId): string {
  return t(`rule.base.${base}`, { who: whoWord(type) });
}

/** A rule's base with its figure: 应到会常委 10 人, 收回票 7 张. */
export function baseCount(base: RuleBase, type: KindId, n: number): string {
  return t(`base.${base}.n`, { n, who: whoWord(type) });
}

/** The quorum part of a rule in words: 须有三分之二以上常委到会方可进行表决。 */
export function quorumSentence(rule: Rule, type: KindId): string {
  return rule.quorum ? t('rule.quorum', { frac: fractionWord(rule.quorum), who: whoWord(type) }) : t('rule.noQuorum');
}

/** "{nominee} 拟任 {post}". */
export function itemLabel(item: Item): string {
  return t('item.label', { nominee: item.nominee, post: item.post });
}

const DIGITS = '〇一二三四五六七八九';

/** 2 → 二, 10 → 十, 12 → 十二, 21 → 二十一 (1–99). */
export function chineseNumber(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) return String(n);
  if (n < 10) return DIGITS[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : DIGITS[tens]}十${ones ? DIGITS[ones] : ''}`;
}

/** 第二轮 / Round 2. */
export function roundWord(n: number): string {
  return t('round.n', { n: lang() === 'zh' ? chineseNumber(n) : n });
}

/** A short fingerprint of a hex key for reading aloud: first 4 groups of 4. */
export function fingerprint(hex: string): string {
  return (hex.slice(0, 16).match(/.{4}/g) ?? []).join(' ').toUpperCase();
}

// ---- alarms: a code or a status never reaches a person raw --------------------------------

/** What went wrong with an inclusion check that did not pass (not `missing` / `other-keys`, which have their own cards). */
export type CheckProblem = 'bad-bundle' | 'invalid-receipt' | 'other-ballot' | 'other-server';

/** The tablet's alarm for a failed inclusion check: the reason in words, then what to do. */
export function checkProblemWords(status: CheckProblem): string {
  return t('tablet.checkInvalid.hint', { reason: t(`tablet.check.reason.${status}`) });
}

/** Refusals of a cast by the server's checks of the ballot itself (token signature, MAC, proofs). */
const CAST_REJECTED: ReadonlySet<string> = new Set(['BAD_TOKEN_SIGNATURE', 'BAD_CAST_MAC', 'BAD_BALLOT_PROOF', 'BAD_REQUEST', 'BODY_TOO_LARGE']);

/**
 * Why the server refused a cast, for the member: casts go out without Accept-Language, so the
 * server's own message may be in the other language; the tablet says it in the member's words.
 */
export function castRefusalWords(code: string): string {
  if (code === 'DUPLICATE_TOKEN') return t('tablet.cast.duplicate');
  if (code === 'BAD_STATE') return t('tablet.lateCast');
  return t(CAST_REJECTED.has(code) ? 'tablet.cast.rejected' : 'tablet.cast.refused');
}

/**
 * The key ceremony's failure as a scrutineer's device can say it: which device, when the
 * technical record (English, for the console) names one; the record itself is not shown.
 */
export function ceremonyFailureWords(failure: string): string | null {
  if (/does not list this device/.test(failure)) return t('scr.ceremony.notListed');
  const device = /\bdevice (\d+)\b/.exec(failure);
  return device ? t('scr.ceremony.device', { n: Number(device[1]) }) : null;
}
