// The count (crypto/tally.ts, protocol §9): computeTally against a naive count written here,
// for random rosters, rules and openings; unopened (null) ballots are cast but invalid.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  OPTIONS, computeTally, defaultRule, validChoices,
  type BallotType, type Item, type OptionId, type Rule, type TallyMember,
} from '../../crypto/index.ts';

const option = fc.constantFrom<OptionId>('agree', 'disagree', 'abstain');
const fraction = fc.integer({ min: 1, max: 1000 }).chain((den) => fc.record({ num: fc.integer({ min: 0, max: den }), den: fc.constant(den) }));
const rule: fc.Arbitrary<Rule> = fc.record({
  option,
  base: fc.constantFrom('entitled', 'present', 'cast'),
  threshold: fraction,
  strict: fc.boolean(),
  quorum: fc.option(fraction, { nil: null }),
});
const member: fc.Arbitrary<TallyMember> = fc.record({ present: fc.boolean(), issued: fc.integer({ min: 0, max: 3 }) });

const scenario = fc.integer({ min: 1, max: 6 }).chain((nItems) =>
  fc.record({
    type: fc.constantFrom<BallotType>('decision', 'consultation'),
    rule,
    items: fc.constant(Array.from({ length: nItems }, (_, i): Item => ({ id: `item-${i}`, nominee: `N${i}`, post: `P${i}` }))),
    roster: fc.array(member, { maxLength: 40 }),
    openings: fc.array(fc.option(fc.array(option, { minLength: nItems, maxLength: nItems }), { nil: null, freq: 4 }), { maxLength: 40 }),
  }),
);

/** The count done the slow, obvious way. */
function naive(s: { type: BallotType; rule: Rule; items: Item[]; roster: TallyMember[]; openings: (OptionId[] | null)[] }) {
  const entitled = s.roster.length;
  let present = 0;
  let issued = 0;
  for (const m of s.roster) {
    if (m.present) present += 1;
    if (m.issued >= 1) issued += 1;
  }
  const cast = s.openings.length;
  let valid = 0;
  for (const o of s.openings) if (o !== null) valid += 1;
  const base = { entitled, present, cast }[s.rule.base];
  const items = s.items.map((item, i) => {
    const counts = { agree: 0, disagree: 0, abstain: 0 };
    for (const o of s.openings) if (o !== null) counts[o[i]!] += 1;
    const lhs = BigInt(counts[s.rule.option]) * BigInt(s.rule.threshold.den);
    const rhs = BigInt(base) * BigInt(s.rule.threshold.num);
    const met = s.rule.strict ? lhs > rhs : lhs >= rhs;
    const outcome = s.type === 'decision' ? (met ? 'passed' : 'failed') : met ? 'dropped' : 'kept';
    return { itemId: item.id, counts, outcome };
  });
  return { entitled, present, issued, cast, valid, invalid: cast - valid, items };
}

describe('computeTally', () => {
  it('equals a naive count for random rosters, rules and openings (property)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        expect(computeTally(s.type, s.rule, s.items, s.roster, s.openings)).toEqual(naive(s));
      }),
      { numRuns: 300 },
    );
  });

  it('counts null openings as cast but invalid, and never in any item', () => {
    const items: Item[] = [{ id: 'i1', nominee: 'A', post: 'B' }];
    const roster = Array.from({ length: 3 }, () => ({ present: true, issued: 1 }));
    const t = computeTally('decision', defaultRule('decision'), items, roster, [null, null, ['agree']]);
    expect(t).toMatchObject({ entitled: 3, present: 3, issued: 3, cast: 3, valid: 1, invalid: 2 });
    expect(t.items[0]!.counts).toEqual({ agree: 1, disagree: 0, abstain: 0 });
    expect(t.items[0]!.outcome).toBe('failed'); // 1 × 2 > 3 is false
  });

  it('an all-null ballot has zero counts and every item fails (decision) / is kept (consultation)', () => {
    const items: Item[] = [{ id: 'i1', nominee: 'A', post: 'B' }, { id: 'i2', nominee: 'C', post: 'D' }];
    const roster = [{ present: true, issued: 1 }];
    const d = computeTally('decision', defaultRule('decision'), items, roster, [null]);
    const c = computeTally('consultation', defaultRule('consultation'), items, roster, [null]);
    expect(d.items.map((i) => i.outcome)).toEqual(['failed', 'failed']);
    expect(c.items.map((i) => i.outcome)).toEqual(['kept', 'kept']);
    expect(d.valid).toBe(0);
  });

  it('counts a member issued several tokens once in issued', () => {
    const t = computeTally('decision', defaultRule('decision'), [{ id: 'i', nominee: 'n', post: 'p' }], [{ present: true, issued: 3 }], []);
    expect(t.issued).toBe(1);
  });
});

describe('validChoices', () => {
  it('accepts exactly one option per item', () => {
    expect(validChoices(['agree', 'abstain'], 2)).toBe(true);
    expect(validChoices([], 0)).toBe(true);
  });

  it('refuses a wrong count, an unknown option, or a non-array', () => {
    expect(validChoices(['agree'], 2)).toBe(false);
    expect(validChoices(['agree', 'agree', 'agree'], 2)).toBe(false);
    expect(validChoices(['agree', 'maybe'], 2)).toBe(false);
    expect(validChoices(['agree', 'toString'], 2)).toBe(false);
    expect(validChoices(['Agree'], 1)).toBe(false);
    expect(validChoices([1], 1)).toBe(false);
    expect(validChoices('agree', 1)).toBe(false);
    expect(validChoices(null, 0)).toBe(false);
  });

  it('accepts every list of OPTIONS of the right length (property)', () => {
    fc.assert(
      fc.property(fc.array(option, { maxLength: 10 }), (cs) => {
        expect(validChoices(cs, cs.length)).toBe(true);
        expect(validChoices(cs, cs.length + 1)).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect(OPTIONS).toEqual(['agree', 'disagree', 'abstain']);
  });
});
