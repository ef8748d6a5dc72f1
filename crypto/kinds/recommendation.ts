/**
 * @module crypto/kinds/recommendation
 * 民主推荐 (`recommendation`): one post (拟推荐职位) with k places (职数) and its candidates
 * (参考人选). A voter marks at most k candidates — one group of one entry per candidate, min 0,
 * max k, so marking none is a valid blank ballot and an over-k ballot cannot be sealed. The
 * figures are for reference (参考): votes and a rank per candidate (1 = most; equal votes
 * share a rank: 1, 2, 2, 4), never an outcome; the rule, when it has a threshold, only flags a
 * candidate (e.g. 得票超过半数). Quorum two thirds of those entitled by default (protocol §8.2).
 */
import { refuse } from '../errors.ts';
import { text } from '../parse.ts';
import { thresholdMet } from '../rule.ts';
import { checkShape } from '../sealed.ts';
import { competitionRanks, type BallotKind, type KindDefinition } from './kind.ts';

/** The single option of a candidate's entry: selected (推荐). */
export const RECOMMENDATION_OPTIONS: readonly string[] = ['votes'];

/** Most candidates on one recommendation ballot (protocol §8.2). */
export const MAX_CANDIDATES = 200;

function params(def: KindDefinition): { post: string; seats: number } {
  return def.params as { post: string; seats: number };
}

export const recommendation: BallotKind = {
  id: 'recommendation',
  entitled: ['standing', 'full', 'alternate', 'participant'],
  attendingWithoutVote: [],
  optionSets: [RECOMMENDATION_OPTIONS],
  decides: false,
  outcomes: null,
  defaultRule: () => ({ option: 'votes', base: 'cast', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } }),
  checkDefinition(def) {
    const p = def.params as Record<string, unknown>;
    if (Object.keys(p).sort().join() !== 'post,seats') refuse('BAD_VALUE', 'ballot.params of a recommendation must be exactly {post, seats}');
    text(p.post, 'ballot.params.post');
    if (typeof p.seats !== 'number' || !Number.isSafeInteger(p.seats) || p.seats < 1 || p.seats > def.items.length)
      refuse('BAD_VALUE', `ballot.params.seats must be an integer from 1 to the number of candidates (${def.items.length})`);
    if (def.items.length > MAX_CANDIDATES) refuse('BAD_LENGTH', `a recommendation has at most ${MAX_CANDIDATES} candidates`);
  },
  shape(def) {
    return checkShape({ groups: [{ size: def.items.length, min: 0, max: params(def).seats }] });
  },
  count(def, totals, turnout) {
    const ranks = competitionRanks(def.items.map((_, i) => totals[i]!));
    return def.items.map((item, i) => {
      const t = turnout(i);
      const votes = totals[i]!;
      return {
        itemId: item.id,
        entitled: t.entitled,
        counts: { votes },
        outcome: null,
        rank: ranks[i]!,
        flagged: def.rule.threshold === null ? null : thresholdMet(def.rule, votes, t),
      };
    });
  },
};
