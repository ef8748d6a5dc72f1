/**
 * @module client/result
 * What the console, the projector, the tablet and the verifier show of any ballot: the result
 * table of a published ballot, as its kind draws it (client/kinds/: counts and outcome per
 * nominee; votes, shares and rank per candidate; grades and rates per person), the totals
 * line, and the round badge (第二轮) beside a title.
 */
import { Show } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import type { KindId, Round, Tally } from '../crypto/index.ts';
import { t } from './i18n.ts';
import { clientKind, type BallotLike } from './kinds/index.ts';
import { roundWord } from './words.ts';

export function ResultTable(props: { ballot: BallotLike; tally: Tally; class?: string }) {
  return <Dynamic component={clientKind(props.ballot.type).Result} ballot={props.ballot} tally={props.tally} class={props.class} />;
}

/** Totals line, one wording everywhere: 发出选票 7 张，收回 7 张，其中有效票 7 张、无效票 0 张. */
export function tallyLine(tally: Tally): string {
  return t('sec.ballot.counts', { issued: tally.issued, cast: tally.cast, valid: tally.valid, invalid: tally.invalid });
}

/** A void ballot's tally as it may be shown: the counts, no outcome, rank or flag (protocol §9.4). */
export function voidTally(tally: Tally): Tally {
  return { ...tally, items: tally.items.map((it) => ({ ...it, outcome: null, rank: null, flagged: null })) };
}

/** The heading of a result: 征求意见结果 for a consultation, 表决结果 otherwise. */
export function resultHeading(type: KindId): string {
  return type === 'consultation' ? t('res.heading.consultation') : t('sec.ballot.result');
}

/** 第二轮, beside the title of any round after the first. */
export function RoundBadge(props: { round: Round | undefined }) {
  return (
    <Show when={props.round && props.round.number > 1}>
      <span class="round-badge" data-testid="round-badge">{roundWord(props.round!.number)}</span>
    </Show>
  );
}
