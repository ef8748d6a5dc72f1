/**
 * @module crypto/rule
 * Counting rules as data (protocol §8.1). A rule says which option is counted, against which
 * base (entitled, present or cast), what fraction must be exceeded (strict) or reached, and
 * the quorum to open. Integer arithmetic only: `count·den > base·num`. What "met" means — an
 * outcome or a flag — and each kind's default rule are the kind's (crypto/kinds/).
 */
import { refuse } from './errors.ts';

/** What the rule's threshold is measured against (应到 / 实到 / 收回票). */
export type RuleBase = 'entitled' | 'present' | 'cast';
export const RULE_BASES: readonly RuleBase[] = ['entitled', 'present', 'cast'];

/** A fraction num/den with 0 ≤ num ≤ den, 1 ≤ den ≤ 1000. */
export type Fraction = { readonly num: number; readonly den: number };

/**
 * A counting rule (protocol §8.1): the votes for `option` against `base` must exceed (strict) or
 * reach `threshold`. A deciding kind maps "met" to its outcome (通过, 不再作为人选); a reference
 * kind (recommendation, evaluation) shows it as a flag only, and may have no threshold at all.
 */
export type Rule = {
  readonly option: string;
  readonly base: RuleBase;
  readonly threshold: Fraction | null;
  readonly strict: boolean;
  /** Quorum to open: present·den ≥ entitled·num; null when the ballot may open with any attendance. */
  readonly quorum: Fraction | null;
};

/** The figures a rule may use as its base. */
export type Turnout = { readonly entitled: number; readonly present: number; readonly cast: number };

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
 * Guard: `rule` is a well-formed Rule with exactly the fields above, counting one of `options`;
 * a null threshold only where `thresholdOptional` (the reference kinds).
 * @returns a fresh normalised copy. @throws CryptoInputError BAD_VALUE.
 */
export function checkRule(rule: unknown, options: readonly string[], thresholdOptional = false): Rule {
  const r = rule as Rule;
  if (typeof rule !== 'object' || rule === null || Object.keys(rule).sort().join() !== 'base,option,quorum,strict,threshold')
    refuse('BAD_VALUE', 'rule must have exactly option, base, threshold, strict, quorum');
  if (!options.includes(r.option)) refuse('BAD_VALUE', `rule.option must be one of ${options.join(', ')}`);
  if (!RULE_BASES.includes(r.base)) refuse('BAD_VALUE', 'rule.base must be entitled, present or cast');
  if (typeof r.strict !== 'boolean') refuse('BAD_VALUE', 'rule.strict must be a boolean');
  if (r.threshold === null && !thresholdOptional) refuse('BAD_VALUE', 'rule.threshold is required for a ballot that decides');
  return {
    option: r.option,
    base: r.base,
    threshold: r.threshold === null ? null : checkFraction(r.threshold, 'rule.threshold'),
    strict: r.strict,
    quorum: r.quorum === null ? null : checkFraction(r.quorum, 'rule.quorum'),
  };
}

/** Is the threshold met by `count` votes for the rule's option, given the turnout? (protocol §8.1) False without a threshold. */
export function thresholdMet(rule: Rule, count: number, turnout: Turnout): boolean {
  if (!isCount(count)) refuse('BAD_VALUE', 'count must be a non-negative integer');
  const base = turnout[rule.base];
  if (!isCount(base)) refuse('BAD_VALUE', 'base must be a non-negative integer');
  if (rule.threshold === null) return false;
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
