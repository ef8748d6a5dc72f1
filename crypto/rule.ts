/**
 * @module crypto/rule
 * Counting rules as data (protocol §8). A rule says which option is counted, against which
 * base (entitled, present or cast), what fraction must be exceeded (strict) or reached, and
 * what the outcome is when the threshold is met. Integer arithmetic only: `count·den > base·num`.
 * Defaults follow the county's regulations:
 *  - decision (常委会票决): passes iff agree·2 > entitled; opens only if present·3 ≥ entitled·2;
 *  - consultation (全委会征求意见): dropped iff disagree·2 > entitled.
 */
import { refuse } from './errors.ts';

/** Ballot types of protocol v1. */
export type BallotType = 'decision' | 'consultation';
export const BALLOT_TYPES: readonly BallotType[] = ['decision', 'consultation'];

/** Option ids of decision and consultation items (同意 / 不同意 / 弃权). */
export type OptionId = 'agree' | 'disagree' | 'abstain';
export const OPTIONS: readonly OptionId[] = ['agree', 'disagree', 'abstain'];

/** What the rule's threshold is measured against (应到 / 实到 / 收回票). */
export type RuleBase = 'entitled' | 'present' | 'cast';
export const RULE_BASES: readonly RuleBase[] = ['entitled', 'present', 'cast'];

/** A fraction num/den with 0 ≤ num ≤ den, 1 ≤ den ≤ 1000. */
export type Fraction = { readonly num: number; readonly den: number };

/** Outcome of one item. */
export type Outcome = 'passed' | 'failed' | 'kept' | 'dropped';

/** A counting rule (protocol §8.1). */
export type Rule = {
  readonly option: OptionId;
  readonly base: RuleBase;
  readonly threshold: Fraction;
  readonly strict: boolean;
  /** Quorum to open: present·den ≥ entitled·num; null when the ballot may open with any attendance. */
  readonly quorum: Fraction | null;
};

/** The figures a rule may use as its base. */
export type Turnout = { readonly entitled: number; readonly present: number; readonly cast: number };

/** Default rule of each ballot type (protocol §8.2). */
export function defaultRule(type: BallotType): Rule {
  if (type === 'decision')
    return { option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } };
  return { option: 'disagree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: null };
}

/** Outcome when the threshold is met, and when it is not, per ballot type. */
export const OUTCOMES: Readonly<Record<BallotType, { met: Outcome; notMet: Outcome }>> = {
  decision: { met: 'passed', notMet: 'failed' },
  consultation: { met: 'dropped', notMet: 'kept' },
};

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function checkFraction(f: unknown, name: string): Fraction {
  const x = f as Fraction;
  if (typeof f !== 'object' || f === null || Object.keys(f).sort().join() !== 'den,num')
    refuse('BAD_VALUE', `${name} must be {num, den}`);
  if (!isCount(x.num) || !isCount(x.den) || x.den < 1 || x.den > 1000 || x.num > x.den)
    refuse('BAD_VALUE', `${name} must have integers 0 ≤ num ≤ den ≤ 1000, den ≥ 1`);
  return { num: x.num, den: x.den };
}

/**
 * Guard: `rule` is a well-formed Rule with exactly the fields above.
 * @returns a fresh normalised copy. @throws CryptoInputError BAD_VALUE.
 */
export function checkRule(rule: unknown): Rule {
  const r = rule as Rule;
  if (typeof rule !== 'object' || rule === null || Object.keys(rule).sort().join() !== 'base,option,quorum,strict,threshold')
    refuse('BAD_VALUE', 'rule must have exactly option, base, threshold, strict, quorum');
  if (!OPTIONS.includes(r.option)) refuse('BAD_VALUE', 'rule.option must be agree, disagree or abstain');
  if (!RULE_BASES.includes(r.base)) refuse('BAD_VALUE', 'rule.base must be entitled, present or cast');
  if (typeof r.strict !== 'boolean') refuse('BAD_VALUE', 'rule.strict must be a boolean');
  return {
    option: r.option,
    base: r.base,
    threshold: checkFraction(r.threshold, 'rule.threshold'),
    strict: r.strict,
    quorum: r.quorum === null ? null : checkFraction(r.quorum, 'rule.quorum'),
  };
}

/** Is the threshold met by `count` votes for the rule's option, given the turnout? (protocol §8.1) */
export function thresholdMet(rule: Rule, count: number, turnout: Turnout): boolean {
  if (!isCount(count)) refuse('BAD_VALUE', 'count must be a non-negative integer');
  const base = turnout[rule.base];
  if (!isCount(base)) refuse('BAD_VALUE', 'base must be a non-negative integer');
  // Cross-multiplied integers: no floating point near a threshold. Values stay far below 2^53.
  const lhs = count * rule.threshold.den;
  const rhs = base * rule.threshold.num;
  return rule.strict ? lhs > rhs : lhs >= rhs;
}

/** Does attendance meet the rule's quorum? `present·den ≥ entitled·num`; true when the rule has none. */
export function quorumMet(rule: Rule, present: number, entitled: number): boolean {
  if (!isCount(present) || !isCount(entitled)) refuse('BAD_VALUE', 'present and entitled must be non-negative integers');
  if (rule.quorum === null) return true;
  return present * rule.quorum.den >= entitled * rule.quorum.num;
}

/** Outcome of an item of a ballot of `type` with `count` votes for the rule's option. */
export function outcomeOf(type: BallotType, rule: Rule, count: number, turnout: Turnout): Outcome {
  return thresholdMet(rule, count, turnout) ? OUTCOMES[type].met : OUTCOMES[type].notMet;
}
