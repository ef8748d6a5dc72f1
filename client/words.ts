/**
 * @module client/words
 * Turning protocol data into plain words: a counting rule as a sentence, an item's result
 * as "同意票 6 > 应到会 11 人的半数 → 通过", outcomes, kinds and ballot states. Pure
 * functions over crypto/ types, reactive through `t`.
 */
import { OUTCOMES, type BallotType, type Fraction, type Item, type ItemTally, type MemberKind, type OptionId, type Outcome, type Rule, type Tally } from '../crypto/index.ts';
import { t, type Key } from './i18n.ts';
import type { BallotStatus } from './types.ts';

export const optionWord = (o: OptionId | string): string => t(`option.${o}` as Key);
export const outcomeWord = (o: Outcome): string => t(`outcome.${o}`);
export const kindWord = (k: MemberKind): string => t(`kind.${k}`);
export const typeWord = (k: BallotType): string => t(`type.${k}`);
export const statusWord = (s: BallotStatus): string => t(`status.${s}`);

/** 1/2 → 半数, 2/3 → 三分之二, otherwise num/den. */
export function fractionWord(f: Fraction): string {
  if (f.num * 2 === f.den) return t('frac.half');
  if (f.num * 3 === f.den * 2) return t('frac.twoThirds');
  return t('frac.other', { num: f.num, den: f.den });
}

/** The rule as one sentence, e.g. 同意票超过应到会人数的半数，为“通过”；否则为“未通过”。 */
export function ruleSentence(type: BallotType, rule: Rule): string {
  return t('rule.sentence', {
    option: optionWord(rule.option),
    cmp: t(rule.strict ? 'rule.cmp.strict' : 'rule.cmp.reach'),
    base: t(`rule.base.${rule.base}`),
    frac: fractionWord(rule.threshold),
    met: outcomeWord(OUTCOMES[type].met),
    notMet: outcomeWord(OUTCOMES[type].notMet),
  });
}

/** The quorum part of a rule in words. */
export function quorumSentence(rule: Rule): string {
  return rule.quorum ? t('rule.quorum', { frac: fractionWord(rule.quorum) }) : t('rule.noQuorum');
}

/** "{nominee} 拟任 {post}". */
export function itemLabel(item: Item): string {
  return t('item.label', { nominee: item.nominee, post: item.post });
}

/** Why an item came out as it did: 同意票 6 > 应到会 11 人的半数 → 通过. */
export function resultSentence(type: BallotType, rule: Rule, tally: Tally, item: ItemTally): string {
  const count = item.counts[rule.option];
  const met = item.outcome === OUTCOMES[type].met;
  const op = rule.strict ? (met ? '>' : '≤') : met ? '≥' : '<';
  const n = tally[rule.base];
  return t('rule.result', {
    option: optionWord(rule.option),
    count,
    op,
    base: t(`base.${rule.base}.n`, { n }),
    frac: fractionWord(rule.threshold),
    outcome: outcomeWord(item.outcome),
  });
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
