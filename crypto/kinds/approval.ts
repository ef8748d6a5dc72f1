/**
 * @module crypto/kinds/approval
 * The kinds that approve or drop nominees one by one — 常委会票决, 全委会征求意见, 全委会表决:
 * one group per item with one entry per option (同意 / 不同意 / 弃权), exactly one selected; a
 * voter recused from an item leaves it blank (its group then has min 0). Each item's outcome is
 * the rule's threshold met or not, against that item's own turnout.
 */
import { thresholdMet, type Rule } from '../rule.ts';
import { refuse } from '../errors.ts';
import { perItemCounts, perItemShape, type BallotKind, type KindId, type MemberKind, type Outcome } from './kind.ts';

/** Option ids of an approval item (同意 / 不同意 / 弃权), in protocol order. */
export type ApprovalOption = 'agree' | 'disagree' | 'abstain';
export const APPROVAL_OPTIONS: readonly ApprovalOption[] = ['agree', 'disagree', 'abstain'];

export function approvalKind(spec: {
  readonly id: KindId;
  readonly entitled: readonly MemberKind[];
  readonly attendingWithoutVote?: readonly MemberKind[];
  readonly rule: Rule;
  readonly met: Outcome;
  readonly notMet: Outcome;
}): BallotKind {
  return {
    id: spec.id,
    entitled: spec.entitled,
    attendingWithoutVote: spec.attendingWithoutVote ?? [],
    optionSets: [APPROVAL_OPTIONS],
    decides: true,
    outcomes: { met: spec.met, notMet: spec.notMet },
    // A fresh copy each time: a caller that edits its rule cannot change the kind's default.
    defaultRule: () => ({ ...spec.rule, threshold: spec.rule.threshold && { ...spec.rule.threshold }, quorum: spec.rule.quorum && { ...spec.rule.quorum } }),
    checkDefinition(def) {
      if (Object.keys(def.params).length !== 0) refuse('BAD_VALUE', `ballot.params must be empty for a ${spec.id} ballot`);
    },
    shape: perItemShape,
    count(def, totals, turnout) {
      return perItemCounts(def, totals, turnout).map(({ item, counts, turnout: t }) => {
        const met = thresholdMet(def.rule, counts[def.rule.option]!, t);
        return { itemId: item.id, entitled: t.entitled, counts, outcome: met ? spec.met : spec.notMet, rank: null, flagged: null };
      });
    },
  };
}
