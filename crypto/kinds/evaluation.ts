/**
 * @module crypto/kinds/evaluation
 * 民主测评 (`evaluation`): per person evaluated exactly one grade — by default 优秀 / 称职 /
 * 基本称职 / 不称职, or 满意 / 基本满意 / 不满意 / 不了解 — one group per person of one entry per
 * grade, min = max = 1 (min 0 where the voter is recused from that person). The figures are
 * for reference: the count of each grade; the rule, when it has a threshold (e.g. 不称职 over
 * one third of the ballots), only flags a person as a 提示 (protocol §8.2).
 */
import { refuse } from '../errors.ts';
import { thresholdMet } from '../rule.ts';
import { perItemCounts, perItemShape, type BallotKind } from './kind.ts';

/** 优秀 / 称职 / 基本称职 / 不称职. */
export const COMPETENCE_GRADES: readonly string[] = ['excellent', 'competent', 'basic', 'incompetent'];
/** 满意 / 基本满意 / 不满意 / 不了解. */
export const SATISFACTION_GRADES: readonly string[] = ['satisfied', 'fairly_satisfied', 'dissatisfied', 'unknown'];

export const evaluation: BallotKind = {
  id: 'evaluation',
  entitled: ['standing', 'full', 'alternate', 'participant'],
  attendingWithoutVote: [],
  optionSets: [COMPETENCE_GRADES, SATISFACTION_GRADES],
  decides: false,
  outcomes: null,
  defaultRule: (options) => ({ option: options.at(-1) === 'unknown' ? 'dissatisfied' : 'incompetent', base: 'cast', threshold: null, strict: true, quorum: null }),
  checkDefinition(def) {
    if (Object.keys(def.params).length !== 0) refuse('BAD_VALUE', 'ballot.params must be empty for an evaluation ballot');
  },
  shape: perItemShape,
  count(def, totals, turnout) {
    return perItemCounts(def, totals, turnout).map(({ item, counts, turnout: t }) => ({
      itemId: item.id,
      entitled: t.entitled,
      counts,
      outcome: null,
      rank: null,
      flagged: def.rule.threshold === null ? null : thresholdMet(def.rule, counts[def.rule.option]!, t),
    }));
  },
};
