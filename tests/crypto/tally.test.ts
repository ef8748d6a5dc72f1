// The count (crypto/tally.ts, protocol §9): tallyFromCounts — counts as they come out of the
// decryption, one per (item, option) entry of the selection vector — against a naive count of the
// same casts written here, for random rosters, rules and casts; the rule's edges (exactly half,
// the quorum) decided by integers.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  APPROVAL_OPTIONS, KINDS, tallyFromCounts,
  type Item, type ApprovalOption, type Rule, type TallyMember,
} from '../../crypto/index.ts';

type BallotType = 'decision' | 'consultation';
const defaultRule = (type: BallotType) => KINDS[type].defaultRule(APPROVAL_OPTIONS);

const option = fc.constantFrom<ApprovalOption>('agree', 'disagree', 'abstain');
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
    openings: fc.array(fc.array(option, { minLength: nItems, maxLength: nItems }), { maxLength: 40 }),
  }),
);

/** The per-entry totals the decryption gives for these casts: entry item·3 + option. */
function entryCounts(items: number, casts: readonly (readonly ApprovalOption[])[]): number[] {
  const c = new Array(items * APPROVAL_OPTIONS.length).fill(0);
  for (const choices of casts) choices.forEach((o, i) => c[i * APPROVAL_OPTIONS.length + APPROVAL_OPTIONS.indexOf(o)]++);
  return c;
}

const def = (s: { type: BallotType; rule: Rule; items: Item[] }) => ({ type: s.type, rule: s.rule, items: s.items, options: [...APPROVAL_OPTIONS], params: {}, recusedItems: [] });

/** The count done the slow, obvious way. */
function naive(s: { type: BallotType; rule: Rule; items: Item[]; roster: TallyMember[]; openings: ApprovalOption[][] }) {
  const entitled = s.roster.length;
  let present = 0;
  let issued = 0;
  for (const m of s.roster) {
    if (m.present) present += 1;
    if (m.issued >= 1) issued += 1;
  }
  const cast = s.openings.length;
  let valid = 0;
  valid = cast;
  const base = { entitled, present, cast }[s.rule.base];
  const items = s.items.map((item, i) => {
    const counts: Record<string, number> = { agree: 0, disagree: 0, abstain: 0 };
    for (const o of s.openings) counts[o[i]!] = counts[o[i]!]! + 1;
    const lhs = BigInt(counts[s.rule.option]!) * BigInt(s.rule.threshold!.den);
    const rhs = BigInt(base) * BigInt(s.rule.threshold!.num);
    const met = s.rule.strict ? lhs > rhs : lhs >= rhs;
    const outcome = s.type === 'decision' ? (met ? 'passed' : 'failed') : met ? 'dropped' : 'kept';
    return { itemId: item.id, entitled, counts, outcome, rank: null, flagged: null };
  });
  return { entitled, present, issued, cast, valid, invalid: cast - valid, items };
}

describe('tallyFromCounts', () => {
  it('equals a naive count of the same casts for random rosters, rules and casts (property)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const got = tallyFromCounts(def(s), s.roster, s.openings.length, entryCounts(s.items.length, s.openings));
        expect(got).toEqual(naive(s));
      }),
      { numRuns: 300 },
    );
  });
  it('every cast is valid: sealed ballots carry proofs that they are well formed', () => {
    const s = { type: 'decision' as const, rule: defaultRule('decision'), items: [{ id: 'i1', nominee: 'N', post: 'P' }] };
    const t = tallyFromCounts(def(s), [{ present: true, issued: 1 }], 1, [1, 0, 0]);
    expect([t.valid, t.invalid]).toEqual([1, 0]);
  });
  it('decision: exactly half of the entitled fails, one more passes', () => {
    const s = { type: 'decision' as const, rule: defaultRule('decision'), items: [{ id: 'i1', nominee: 'N', post: 'P' }] };
    const roster = Array.from({ length: 10 }, () => ({ present: true, issued: 1 }));
    expect(tallyFromCounts(def(s), roster, 10, [5, 5, 0]).items[0]!.outcome).toBe('failed');
    expect(tallyFromCounts(def(s), roster, 10, [6, 4, 0]).items[0]!.outcome).toBe('passed');
  });
  it('consultation: dropped only when more than half of the entitled disagree', () => {
    const s = { type: 'consultation' as const, rule: defaultRule('consultation'), items: [{ id: 'i1', nominee: 'N', post: 'P' }] };
    const roster = Array.from({ length: 9 }, () => ({ present: true, issued: 1 }));
    expect(tallyFromCounts(def(s), roster, 9, [5, 4, 0]).items[0]!.outcome).toBe('kept');
    expect(tallyFromCounts(def(s), roster, 9, [4, 5, 0]).items[0]!.outcome).toBe('dropped');
  });
  it('counts a member issued several tokens once in issued', () => {
    const s = { type: 'decision' as const, rule: defaultRule('decision'), items: [{ id: 'i1', nominee: 'N', post: 'P' }] };
    expect(tallyFromCounts(def(s), [{ present: true, issued: 3 }, { present: true, issued: 0 }], 0, [0, 0, 0]).issued).toBe(1);
  });
});
