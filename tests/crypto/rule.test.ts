// Counting rules (crypto/rule.ts, protocol §8): the default decision and consultation rules at
// and around their thresholds, the 2/3 quorum, the present/cast base variants, and checkRule's
// refusal of every malformed rule.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  APPROVAL_OPTIONS, CryptoInputError, KINDS, checkRule as checkRuleOf, quorumMet, thresholdMet,
  type Rule, type RuleBase, type Turnout,
} from '../../crypto/index.ts';

// The approval kinds' rules, as crypto/kinds/ defines them.
type ApprovalKind = 'decision' | 'consultation';
const defaultRule = (type: ApprovalKind) => KINDS[type].defaultRule(APPROVAL_OPTIONS);
const OUTCOMES = { decision: KINDS.decision.outcomes, consultation: KINDS.consultation.outcomes };
const outcomeOf = (type: ApprovalKind, rule: Rule, count: number, t: Turnout) => (thresholdMet(rule, count, t) ? KINDS[type].outcomes!.met : KINDS[type].outcomes!.notMet);
const checkRule = (rule: unknown) => checkRuleOf(rule, APPROVAL_OPTIONS);

function expectBadValue(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CryptoInputError);
  expect((thrown as CryptoInputError).code).toBe('BAD_VALUE');
}

const decision = defaultRule('decision');
const consultation = defaultRule('consultation');
const turnout = (entitled: number, present = entitled, cast = present): Turnout => ({ entitled, present, cast });

describe('defaultRule', () => {
  it('decision: agree, base entitled, strictly more than 1/2, quorum 2/3', () => {
    expect(decision).toEqual({ option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } });
  });
  it('consultation: disagree, base entitled, strictly more than 1/2, no quorum', () => {
    expect(consultation).toEqual({ option: 'disagree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: null });
  });
  it('both pass checkRule unchanged', () => {
    expect(checkRule(decision)).toEqual(decision);
    expect(checkRule(consultation)).toEqual(consultation);
  });
  it('outcome names: decision passed/failed, consultation dropped/kept', () => {
    expect(OUTCOMES).toEqual({ decision: { met: 'passed', notMet: 'failed' }, consultation: { met: 'dropped', notMet: 'kept' } });
  });
});

describe('decision: passes iff agree × 2 > entitled', () => {
  it('matches the formula for every agree count and size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.nat(5000), (entitled, a) => {
        const agree = a % (entitled + 1);
        expect(outcomeOf('decision', decision, agree, turnout(entitled))).toBe(agree * 2 > entitled ? 'passed' : 'failed');
      }),
      { numRuns: 500 },
    );
  });

  it('exactly half fails and half + 1 passes for every even size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2500 }), (half) => {
        const entitled = half * 2;
        expect(outcomeOf('decision', decision, half, turnout(entitled))).toBe('failed');
        expect(outcomeOf('decision', decision, half + 1, turnout(entitled))).toBe('passed');
      }),
      { numRuns: 200 },
    );
  });

  it('floor(n/2) fails and floor(n/2) + 1 passes for every odd size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2500 }), (k) => {
        const entitled = k * 2 + 1;
        expect(outcomeOf('decision', decision, k, turnout(entitled))).toBe('failed');
        expect(outcomeOf('decision', decision, k + 1, turnout(entitled))).toBe('passed');
      }),
      { numRuns: 200 },
    );
  });

  it('examples: 6 of 11 passes, 5 of 11 fails, 5 of 10 fails, 6 of 10 passes', () => {
    expect(outcomeOf('decision', decision, 6, turnout(11))).toBe('passed');
    expect(outcomeOf('decision', decision, 5, turnout(11))).toBe('failed');
    expect(outcomeOf('decision', decision, 5, turnout(10))).toBe('failed');
    expect(outcomeOf('decision', decision, 6, turnout(10))).toBe('passed');
  });

  it('counts against entitled, not present or cast', () => {
    // 4 of 7 present all agree, 9 entitled: 4 × 2 = 8 ≤ 9, so it fails.
    expect(outcomeOf('decision', decision, 4, turnout(9, 7, 4))).toBe('failed');
  });
});

describe('quorum: opens iff present × 3 ≥ entitled × 2', () => {
  it('matches the formula (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.nat(5000), (entitled, p) => {
        const present = p % (entitled + 1);
        expect(quorumMet(decision, present, entitled)).toBe(present * 3 >= entitled * 2);
      }),
      { numRuns: 500 },
    );
  });

  it('exactly 2/3 opens and one fewer does not (property over sizes divisible by 3)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1500 }), (third) => {
        const entitled = third * 3;
        expect(quorumMet(decision, third * 2, entitled)).toBe(true);
        expect(quorumMet(decision, third * 2 - 1, entitled)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('ceil(2n/3) opens and one fewer does not, for every size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (entitled) => {
        const need = Math.ceil((entitled * 2) / 3);
        expect(quorumMet(decision, need, entitled)).toBe(true);
        expect(quorumMet(decision, need - 1, entitled)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('examples: 8 of 11 opens, 7 of 11 does not; 6 of 9 opens, 5 of 9 does not', () => {
    expect(quorumMet(decision, 8, 11)).toBe(true);
    expect(quorumMet(decision, 7, 11)).toBe(false);
    expect(quorumMet(decision, 6, 9)).toBe(true);
    expect(quorumMet(decision, 5, 9)).toBe(false);
  });

  it('a rule with no quorum opens with any attendance', () => {
    expect(quorumMet(consultation, 0, 100)).toBe(true);
  });

  it('refuses negative or fractional attendance with BAD_VALUE', () => {
    expectBadValue(() => quorumMet(decision, -1, 3));
    expectBadValue(() => quorumMet(decision, 1.5, 3));
    expectBadValue(() => quorumMet(decision, 2, NaN));
  });
});

describe('consultation: dropped iff disagree × 2 > base', () => {
  const withBase = (base: RuleBase): Rule => ({ ...consultation, base });

  it('default base entitled, and the present and cast variants, match the formula (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RuleBase>('entitled', 'present', 'cast'),
        fc.integer({ min: 0, max: 3000 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (base, entitled, p, c, d) => {
          const present = p % (entitled + 1);
          const cast = c % (present + 1);
          const disagree = d % (cast + 1);
          const t = turnout(entitled, present, cast);
          expect(outcomeOf('consultation', withBase(base), disagree, t)).toBe(disagree * 2 > t[base] ? 'dropped' : 'kept');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('exactly half of the base keeps the item, half + 1 drops it, for each base', () => {
    const t = turnout(20, 14, 10);
    for (const base of ['entitled', 'present', 'cast'] as const) {
      const half = t[base] / 2;
      expect(outcomeOf('consultation', withBase(base), half, t)).toBe('kept');
      expect(outcomeOf('consultation', withBase(base), half + 1, t)).toBe('dropped');
    }
  });

  it('the same votes drop the item against cast but keep it against entitled', () => {
    const t = turnout(20, 12, 10);
    expect(outcomeOf('consultation', withBase('cast'), 6, t)).toBe('dropped');
    expect(outcomeOf('consultation', withBase('entitled'), 6, t)).toBe('kept');
  });
});

describe('thresholdMet', () => {
  it('a non-strict rule is met at exactly the fraction, a strict one is not', () => {
    const t = turnout(9);
    const twoThirds: Rule = { ...decision, threshold: { num: 2, den: 3 }, strict: false };
    expect(thresholdMet(twoThirds, 6, t)).toBe(true);
    expect(thresholdMet(twoThirds, 5, t)).toBe(false);
    expect(thresholdMet({ ...twoThirds, strict: true }, 6, t)).toBe(false);
    expect(thresholdMet({ ...twoThirds, strict: true }, 7, t)).toBe(true);
  });

  it('matches exact rational comparison for any fraction (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat(), fc.boolean(), fc.nat(5000), fc.nat(5000), (den, n, strict, base, count) => {
        const num = n % (den + 1);
        const rule: Rule = { ...decision, threshold: { num, den }, strict };
        // count/base vs num/den with BigInt, independent of the implementation's cross-multiplication
        const l = BigInt(count) * BigInt(den);
        const r = BigInt(base) * BigInt(num);
        expect(thresholdMet(rule, count, turnout(base))).toBe(strict ? l > r : l >= r);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a negative, fractional or NaN count with BAD_VALUE', () => {
    for (const c of [-1, 0.5, NaN, Infinity]) expectBadValue(() => thresholdMet(decision, c, turnout(5)));
  });

  it('refuses a bad base figure with BAD_VALUE', () => {
    expectBadValue(() => thresholdMet(decision, 1, turnout(-5)));
  });
});

describe('checkRule refuses bad shapes (BAD_VALUE)', () => {
  const ok = decision as unknown as Record<string, unknown>;
  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', 'decision'],
    ['an array', []],
    ['a missing field', (({ quorum: _q, ...r }) => r)(decision)],
    ['an extra field', { ...ok, note: 'x' }],
    ['an unknown option', { ...ok, option: 'yes' }],
    ['an unknown base', { ...ok, base: 'members' }],
    ['a string strict', { ...ok, strict: 'true' }],
    ['a threshold num > den', { ...ok, threshold: { num: 3, den: 2 } }],
    ['a threshold den 0', { ...ok, threshold: { num: 0, den: 0 } }],
    ['a threshold den > 1000', { ...ok, threshold: { num: 1, den: 1001 } }],
    ['a fractional threshold', { ...ok, threshold: { num: 0.5, den: 1 } }],
    ['a negative threshold', { ...ok, threshold: { num: -1, den: 2 } }],
    ['a threshold with an extra key', { ...ok, threshold: { num: 1, den: 2, x: 1 } }],
    ['a threshold as an array', { ...ok, threshold: [1, 2] }],
    ['a quorum left undefined', { ...ok, quorum: undefined }],
    ['a quorum num > den', { ...ok, quorum: { num: 4, den: 3 } }],
    ['a quorum as a number', { ...ok, quorum: 0.66 }],
    ['a string threshold', { ...ok, threshold: '1/2' }],
  ];
  for (const [name, rule] of bad) it(`refuses ${name}`, () => expectBadValue(() => checkRule(rule)));

  it('returns a fresh copy (not the same object) of a valid rule', () => {
    const r = { ...decision, threshold: { num: 1, den: 1000 }, quorum: null, strict: false };
    const c = checkRule(r);
    expect(c).toEqual(r);
    expect(c).not.toBe(r);
    expect(c.threshold).not.toBe(r.threshold);
  });
});
