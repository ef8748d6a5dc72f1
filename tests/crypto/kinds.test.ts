// Ballot kinds (crypto/kinds/, issue 10; protocol §5, §7, §8, §9, §10): each kind's count and
// outcome (tallyFromCounts) against a naive count written here, at its edges — exactly half,
// base variants, per-item recusal, competition ranks, blank ballots, flags at the threshold, the
// quorum; the answer as groups of selections (answerSelections) and what sealing and
// verification accept; parseDefinition refusing every malformed new member; and, on real
// in-memory bundles of the new kinds (tests/helpers/election.ts), one tampered and re-signed
// bundle per new verifier check, failing with exactly that check.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  APPROVAL_OPTIONS, BASE, COMPETENCE_GRADES, KINDS, RECOMMENDATION_OPTIONS, SATISFACTION_GRADES,
  answerSelections, ballotShape, packedDigits, parseSealedBallot, bundleId, choicesAnswer, parseDefinition, quorumMet, sealBallot, sealedBallotBytes,
  tallyFromCounts, verifyBundle, verifySealedBallot,
  type BallotShape, type SealedPackedGroup, type CryptoErrorCode, type Item, type KindDefinition, type KindId, type MemberKind, type RecusedItems, type Rule,
  type TallyMember,
} from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';
import { resign, runElection, type Election } from '../helpers/election.ts';

type ApprovalKind = 'decision' | 'consultation' | 'plenary';
const APPROVAL_KINDS: readonly ApprovalKind[] = ['decision', 'consultation', 'plenary'];
/** What each deciding kind calls "threshold met" and "not met" (protocol §8.1). */
const OUTCOMES: Record<ApprovalKind, [string, string]> = { decision: ['passed', 'failed'], consultation: ['dropped', 'kept'], plenary: ['passed', 'failed'] };

const itemsOf = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, nominee: `N${i}`, post: `P${i}` }));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ── Arbitraries ──────────────────────────────────────────────────────────────────────────

const fraction = fc.integer({ min: 1, max: 12 }).chain((den) => fc.record({ num: fc.integer({ min: 0, max: den }), den: fc.constant(den) }));
const ruleOf = (options: readonly string[], thresholdOptional: boolean): fc.Arbitrary<Rule> =>
  fc.record({
    option: fc.constantFrom(...options),
    base: fc.constantFrom('entitled' as const, 'present' as const, 'cast' as const),
    threshold: thresholdOptional ? fc.option(fraction, { nil: null }) : fraction,
    strict: fc.boolean(),
    quorum: fc.option(fraction, { nil: null }),
  });

/** A roster (ids u0, u1, …) and, per member, the item indices they are recused from (increasing; mostly none). */
const rosterWithRecusal = (nItems: number) =>
  fc.array(
    fc.record({
      present: fc.boolean(),
      issued: fc.integer({ min: 0, max: 2 }),
      recused: fc.oneof({ weight: 3, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.subarray(range(nItems), { minLength: 1 }) }),
    }),
    { maxLength: 25 },
  ).map((ms) => ({
    roster: ms.map((m, j): TallyMember => ({ memberId: `u${j}`, present: m.present, issued: m.issued })),
    recusal: ms.map((m) => m.recused),
    recusedItems: ms.flatMap((m, j): RecusedItems[] => (m.recused.length ? [{ memberId: `u${j}`, items: m.recused }] : [])),
  }));

/** Per cast, per item an option index, or null (blank) — only on items some member is recused from. */
const perItemCasts = (nItems: number, nOptions: number, recusal: readonly number[][]) => {
  const blankable = new Set(recusal.flat());
  return fc.array(
    fc.tuple(...range(nItems).map((i) => (blankable.has(i) ? fc.option(fc.integer({ min: 0, max: nOptions - 1 }), { nil: null }) : fc.integer({ min: 0, max: nOptions - 1 })))),
    { maxLength: 25 },
  ) as fc.Arbitrary<(number | null)[][]>;
};

// ── Naive counts ─────────────────────────────────────────────────────────────────────────

/** Per item: the roster less the members recused from it, and those of them present. */
function itemTurnout(roster: readonly TallyMember[], recusal: readonly number[][], item: number) {
  let entitled = 0;
  let present = 0;
  roster.forEach((m, j) => {
    if (recusal[j]!.includes(item)) return;
    entitled += 1;
    if (m.present) present += 1;
  });
  return { entitled, present };
}

function met(rule: Rule, count: number, base: number): boolean {
  const lhs = count * rule.threshold!.den;
  const rhs = base * rule.threshold!.num;
  return rule.strict ? lhs > rhs : lhs >= rhs;
}

function naiveTop(roster: readonly TallyMember[], cast: number) {
  let present = 0;
  let issued = 0;
  for (const m of roster) {
    if (m.present) present++;
    if (m.issued > 0) issued++;
  }
  return { entitled: roster.length, present, issued, cast, valid: cast, invalid: 0 };
}

/** Per-entry totals of per-item casts: entry item·k + option. */
function perItemTotals(nItems: number, k: number, casts: readonly (readonly (number | null)[])[]): number[] {
  const t = new Array(nItems * k).fill(0);
  for (const c of casts) c.forEach((o, i) => { if (o !== null) t[i * k + o]++; });
  return t;
}

/** Approval kinds and evaluation: each item against its own turnout; "cast" is the ballots that answer the item. */
function naivePerItem(kind: KindId, options: readonly string[], rule: Rule, items: readonly Item[], roster: readonly TallyMember[], recusal: readonly number[][], casts: readonly (readonly (number | null)[])[]) {
  return {
    ...naiveTop(roster, casts.length),
    items: items.map((item, i) => {
      const { entitled, present } = itemTurnout(roster, recusal, i);
      const counts: Record<string, number> = Object.fromEntries(options.map((o) => [o, 0]));
      let answered = 0;
      for (const c of casts) {
        if (c[i] === null) continue;
        counts[options[c[i]!]!]! += 1;
        answered += 1;
      }
      const base = { entitled, present, cast: answered }[rule.base];
      if (kind === 'evaluation')
        return { itemId: item.id, entitled, counts, outcome: null, rank: null, flagged: rule.threshold === null ? null : met(rule, counts[rule.option]!, base) };
      const [yes, no] = OUTCOMES[kind as ApprovalKind];
      return { itemId: item.id, entitled, counts, outcome: met(rule, counts[rule.option]!, base) ? yes : no, rank: null, flagged: null };
    }),
  };
}

/** Recommendation: votes per candidate, rank = 1 + position of its vote count in the sorted list, flag against all ballots cast. */
function naiveRecommendation(rule: Rule, items: readonly Item[], roster: readonly TallyMember[], recusal: readonly number[][], casts: readonly (readonly number[])[]) {
  const votes = items.map((_, i) => casts.filter((c) => c.includes(i)).length);
  const sorted = [...votes].sort((a, b) => b - a);
  return {
    ...naiveTop(roster, casts.length),
    items: items.map((item, i) => {
      const { entitled, present } = itemTurnout(roster, recusal, i);
      const base = { entitled, present, cast: casts.length }[rule.base];
      return {
        itemId: item.id, entitled, counts: { votes: votes[i]! }, outcome: null, rank: sorted.indexOf(votes[i]!) + 1,
        flagged: rule.threshold === null ? null : met(rule, votes[i]!, base),
      };
    }),
  };
}

const approvalDef = (type: ApprovalKind, nItems: number, rule?: Rule, recusedItems: RecusedItems[] = []): KindDefinition => ({
  type, items: itemsOf(nItems), options: [...APPROVAL_OPTIONS], rule: rule ?? KINDS[type].defaultRule(APPROVAL_OPTIONS), params: {}, recusedItems,
});
const recDef = (nItems: number, seats: number, rule?: Rule, recusedItems: RecusedItems[] = []): KindDefinition => ({
  type: 'recommendation', items: itemsOf(nItems), options: [...RECOMMENDATION_OPTIONS], rule: rule ?? KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS),
  params: { post: '县委统战部部长', seats }, recusedItems,
});
const evalDef = (nItems: number, grades: readonly string[] = COMPETENCE_GRADES, rule?: Rule, recusedItems: RecusedItems[] = []): KindDefinition => ({
  type: 'evaluation', items: itemsOf(nItems), options: [...grades], rule: rule ?? KINDS.evaluation.defaultRule(grades), params: {}, recusedItems,
});
const members = (n: number, present = n): TallyMember[] => range(n).map((j) => ({ memberId: `u${j}`, present: j < present, issued: j < present ? 1 : 0 }));

// ── 1. Counting and outcome ──────────────────────────────────────────────────────────────

describe('tallyFromCounts: decision, consultation, plenary', () => {
  it('equals the naive count for random rules, rosters, per-item recusal and casts', () => {
    const scenario = fc.record({ type: fc.constantFrom(...APPROVAL_KINDS), nItems: fc.integer({ min: 1, max: 5 }) }).chain(({ type, nItems }) =>
      fc.record({
        type: fc.constant(type),
        nItems: fc.constant(nItems),
        rule: fc.oneof(fc.constant(KINDS[type].defaultRule(APPROVAL_OPTIONS)), ruleOf(APPROVAL_OPTIONS, false)),
        r: rosterWithRecusal(nItems),
      }).chain((s) => fc.record({ s: fc.constant(s), casts: perItemCasts(nItems, 3, s.r.recusal) })),
    );
    fc.assert(
      fc.property(scenario, ({ s, casts }) => {
        const def = approvalDef(s.type, s.nItems, s.rule, s.r.recusedItems);
        const got = tallyFromCounts(def, s.r.roster, casts.length, perItemTotals(s.nItems, 3, casts));
        expect(got).toEqual(naivePerItem(s.type, APPROVAL_OPTIONS, s.rule, def.items, s.r.roster, s.r.recusal, casts));
      }),
      { numRuns: 300 },
    );
  });

  for (const type of ['decision', 'plenary'] as const)
    it(`${type}: passes iff agree > ½ of the entitled — exactly half fails, half + 1 passes`, () => {
      for (let entitled = 1; entitled <= 30; entitled++)
        for (let agree = 0; agree <= entitled; agree++) {
          const t = tallyFromCounts(approvalDef(type, 1), members(entitled), entitled, [agree, entitled - agree, 0]);
          expect(t.items[0]!.outcome, `${agree} of ${entitled}`).toBe(2 * agree > entitled ? 'passed' : 'failed');
        }
      const at = (agree: number) => tallyFromCounts(approvalDef(type, 1), members(10), 10, [agree, 0, 10 - agree]).items[0]!.outcome;
      expect([at(5), at(6)]).toEqual(['failed', 'passed']);
    });

  it('consultation: dropped iff disagree > ½ of the entitled, exactly half kept', () => {
    for (let entitled = 1; entitled <= 30; entitled++)
      for (let disagree = 0; disagree <= entitled; disagree++) {
        const t = tallyFromCounts(approvalDef('consultation', 1), members(entitled), entitled, [entitled - disagree, disagree, 0]);
        expect(t.items[0]!.outcome).toBe(2 * disagree > entitled ? 'dropped' : 'kept');
      }
  });

  it('base variants: present (reach ⅔) and cast (the ballots that answer the item)', () => {
    const reach: Rule = { option: 'agree', base: 'present', threshold: { num: 2, den: 3 }, strict: false, quorum: null };
    // 12 entitled, 9 present: 6 of 9 reaches ⅔ (18 ≥ 18), 5 does not.
    expect(tallyFromCounts(approvalDef('plenary', 1, reach), members(12, 9), 9, [6, 3, 0]).items[0]!.outcome).toBe('passed');
    expect(tallyFromCounts(approvalDef('plenary', 1, reach), members(12, 9), 9, [5, 4, 0]).items[0]!.outcome).toBe('failed');
    const ofCast: Rule = { option: 'agree', base: 'cast', threshold: { num: 1, den: 2 }, strict: true, quorum: null };
    // Item 1 has two recused members who leave it blank: it is counted against its 3 answers, not the 5 ballots.
    const def = approvalDef('decision', 2, ofCast, [{ memberId: 'u0', items: [1] }, { memberId: 'u1', items: [1] }]);
    const t = tallyFromCounts(def, members(5), 5, [3, 2, 0, /* item 1 */ 2, 1, 0]);
    expect(t.items.map((i) => i.outcome)).toEqual(['passed', 'passed']); // 3 of 5; 2 of 3
    const u = tallyFromCounts(def, members(5), 5, [2, 3, 0, /* item 1 */ 2, 2, 0]);
    expect(u.items.map((i) => i.outcome)).toEqual(['failed', 'failed']); // 2 of 5; 2 of 4 is half
    expect(t.items.map((i) => i.entitled)).toEqual([5, 3]);
  });

  it('per-item recusal lowers that item\'s entitled and present only', () => {
    // 10 on the roster, 8 present; u0 (present) and u9 (absent) are recused from item 1.
    const recusedItems = [{ memberId: 'u0', items: [1] }, { memberId: 'u9', items: [1] }];
    const ofEntitled = approvalDef('decision', 2, undefined, recusedItems);
    const a = tallyFromCounts(ofEntitled, members(10, 8), 8, [5, 3, 0, /* item 1 */ 5, 2, 0]);
    expect(a.items.map((i) => i.entitled)).toEqual([10, 8]);
    expect(a.entitled).toBe(10);
    expect(a.items.map((i) => i.outcome)).toEqual(['failed', 'passed']); // 5 of 10 fails; 5 of 8 passes
    expect(tallyFromCounts(ofEntitled, members(10, 8), 8, [6, 2, 0, 4, 3, 0]).items.map((i) => i.outcome)).toEqual(['passed', 'failed']); // 4 of 8 is half
    const ofPresent = approvalDef('plenary', 2, { option: 'agree', base: 'present', threshold: { num: 1, den: 2 }, strict: true, quorum: null }, recusedItems);
    // item 0: 4 of 8 present fails; item 1: present 7 (u0 recused), 4 of 7 passes.
    expect(tallyFromCounts(ofPresent, members(10, 8), 8, [4, 4, 0, 4, 3, 0]).items.map((i) => i.outcome)).toEqual(['failed', 'passed']);
  });

  it('quorum edge: ⅔ of the entitled present for decision, plenary and recommendation; none for consultation and evaluation', () => {
    const rules: [string, Rule, boolean][] = [
      ['decision', KINDS.decision.defaultRule(APPROVAL_OPTIONS), true],
      ['plenary', KINDS.plenary.defaultRule(APPROVAL_OPTIONS), true],
      ['recommendation', KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS), true],
      ['consultation', KINDS.consultation.defaultRule(APPROVAL_OPTIONS), false],
      ['evaluation', KINDS.evaluation.defaultRule(COMPETENCE_GRADES), false],
    ];
    for (const [name, rule, hasQuorum] of rules)
      for (let entitled = 0; entitled <= 40; entitled++)
        for (let present = 0; present <= entitled; present++)
          expect(quorumMet(rule, present, entitled), `${name} ${present}/${entitled}`).toBe(hasQuorum ? 3 * present >= 2 * entitled : true);
    // 4 of 6 is exactly two thirds and opens; 4 of 7 does not.
    expect(quorumMet(KINDS.plenary.defaultRule(APPROVAL_OPTIONS), 4, 6)).toBe(true);
    expect(quorumMet(KINDS.plenary.defaultRule(APPROVAL_OPTIONS), 4, 7)).toBe(false);
  });
});

describe('tallyFromCounts: recommendation', () => {
  it('equals the naive count (votes, competition rank, flag, never an outcome) for random ballots of at most k marks', () => {
    const scenario = fc.integer({ min: 1, max: 8 }).chain((nItems) =>
      fc.record({
        nItems: fc.constant(nItems),
        seats: fc.integer({ min: 1, max: nItems }),
        rule: fc.oneof(fc.constant(KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS)), ruleOf(RECOMMENDATION_OPTIONS, true)),
        r: rosterWithRecusal(nItems),
      }).chain((s) => fc.record({
        s: fc.constant(s),
        // Some blank ballots (no mark), and ties made likely by few voters and few candidates.
        casts: fc.array(fc.shuffledSubarray(range(s.nItems), { maxLength: s.seats }), { maxLength: 25 }),
      })),
    );
    fc.assert(
      fc.property(scenario, ({ s, casts }) => {
        const def = recDef(s.nItems, s.seats, s.rule, s.r.recusedItems);
        const totals = range(s.nItems).map((i) => casts.filter((c) => c.includes(i)).length);
        const got = tallyFromCounts(def, s.r.roster, casts.length, totals);
        expect(got).toEqual(naiveRecommendation(s.rule, def.items, s.r.roster, s.r.recusal, casts));
        expect(got.items.every((i) => i.outcome === null)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('ranks ties as competition ranks: 1, 2, 2, 4', () => {
    const rank = (votes: number[]) => tallyFromCounts(recDef(votes.length, 1), members(20), 20, votes).items.map((i) => i.rank);
    expect(rank([5, 3, 3, 1])).toEqual([1, 2, 2, 4]);
    expect(rank([1, 3, 5, 3])).toEqual([4, 2, 1, 2]);
    expect(rank([2, 2, 2])).toEqual([1, 1, 1]);
    expect(rank([0, 0, 4, 0])).toEqual([2, 2, 1, 2]);
    expect(rank([0])).toEqual([1]);
  });

  it('counts blank ballots as cast and valid; the flag (得票超过半数 of ballots cast) is at the threshold, never an outcome', () => {
    // 12 ballots, 5 of them blank: 6 votes is exactly half of the ballots cast — not flagged; 7 is.
    const t = tallyFromCounts(recDef(3, 2), members(12), 12, [7, 6, 1]);
    expect([t.cast, t.valid, t.invalid]).toEqual([12, 12, 0]);
    expect(t.items.map((i) => i.flagged)).toEqual([true, false, false]);
    expect(t.items.map((i) => i.outcome)).toEqual([null, null, null]);
    // Not strict (reach half): 6 of 12 is flagged.
    const reach: Rule = { ...KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS), strict: false };
    expect(tallyFromCounts(recDef(3, 2, reach), members(12), 12, [7, 6, 5]).items.map((i) => i.flagged)).toEqual([true, true, false]);
    // Against those entitled (base entitled, a recused member lowering candidate 1's to 11): 6 of 11 exceeds half.
    const ofEntitled: Rule = { ...KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS), base: 'entitled' };
    const r = tallyFromCounts(recDef(2, 1, ofEntitled, [{ memberId: 'u3', items: [1] }]), members(12), 12, [6, 6]);
    expect(r.items.map((i) => [i.entitled, i.flagged])).toEqual([[12, false], [11, true]]);
    // Without a threshold there is no flag at all.
    const none: Rule = { ...KINDS.recommendation.defaultRule(RECOMMENDATION_OPTIONS), threshold: null };
    expect(tallyFromCounts(recDef(2, 1, none), members(4), 4, [4, 0]).items.map((i) => i.flagged)).toEqual([null, null]);
    // All blank: everyone shares rank 1 with 0 votes.
    expect(tallyFromCounts(recDef(3, 2), members(5), 5, [0, 0, 0]).items.map((i) => [i.counts.votes, i.rank, i.flagged])).toEqual([[0, 1, false], [0, 1, false], [0, 1, false]]);
  });
});

describe('tallyFromCounts: evaluation', () => {
  it('equals the naive count for both grade sets, random flag rules and blanks only where recused', () => {
    const scenario = fc.record({ grades: fc.constantFrom(COMPETENCE_GRADES, SATISFACTION_GRADES), nItems: fc.integer({ min: 1, max: 5 }) }).chain(({ grades, nItems }) =>
      fc.record({
        grades: fc.constant(grades),
        nItems: fc.constant(nItems),
        rule: fc.oneof(fc.constant(KINDS.evaluation.defaultRule(grades)), ruleOf(grades, true)),
        r: rosterWithRecusal(nItems),
      }).chain((s) => fc.record({ s: fc.constant(s), casts: perItemCasts(nItems, 4, s.r.recusal) })),
    );
    fc.assert(
      fc.property(scenario, ({ s, casts }) => {
        const def = evalDef(s.nItems, s.grades, s.rule, s.r.recusedItems);
        const got = tallyFromCounts(def, s.r.roster, casts.length, perItemTotals(s.nItems, 4, casts));
        expect(got).toEqual(naivePerItem('evaluation', s.grades, s.rule, def.items, s.r.roster, s.r.recusal, casts));
      }),
      { numRuns: 300 },
    );
  });

  it('the default rules flag nothing and name the low grade of each set', () => {
    expect(KINDS.evaluation.defaultRule(COMPETENCE_GRADES)).toMatchObject({ option: 'incompetent', threshold: null, quorum: null });
    expect(KINDS.evaluation.defaultRule(SATISFACTION_GRADES)).toMatchObject({ option: 'dissatisfied', threshold: null, quorum: null });
    for (const grades of [COMPETENCE_GRADES, SATISFACTION_GRADES]) {
      const t = tallyFromCounts(evalDef(1, grades), members(4), 4, [1, 1, 1, 1]);
      expect(t.items[0]).toEqual({ itemId: 'item-0', entitled: 4, counts: Object.fromEntries(grades.map((g) => [g, 1])), outcome: null, rank: null, flagged: null });
    }
  });

  it('flags 不称职 over one third of the ballots at the threshold, counting only the ballots that grade the person', () => {
    const third: Rule = { option: 'incompetent', base: 'cast', threshold: { num: 1, den: 3 }, strict: true, quorum: null };
    // 9 ballots: 3 不称职 is exactly a third — no flag; 4 is.
    expect(tallyFromCounts(evalDef(2, COMPETENCE_GRADES, third), members(9), 9, [3, 3, 0, 3, /**/ 2, 2, 1, 4]).items.map((i) => i.flagged)).toEqual([false, true]);
    // Item 1 has a recused voter who leaves it blank: 3 of its 8 answers exceeds a third (of 9 it would not).
    const def = evalDef(2, COMPETENCE_GRADES, third, [{ memberId: 'u0', items: [1] }]);
    const t = tallyFromCounts(def, members(9), 9, [3, 3, 0, 3, /**/ 2, 3, 0, 3]);
    expect(t.items.map((i) => [i.entitled, i.flagged])).toEqual([[9, false], [8, true]]);
    const satisfaction: Rule = { option: 'dissatisfied', base: 'cast', threshold: { num: 1, den: 3 }, strict: false, quorum: null };
    expect(tallyFromCounts(evalDef(1, SATISFACTION_GRADES, satisfaction), members(9), 9, [4, 2, 3, 0]).items[0]!.flagged).toBe(true); // reaches a third
  });
});

// ── 2. The answer, sealing and verification ──────────────────────────────────────────────

describe('answerSelections: the answer as groups of selections within their bounds', () => {
  it('a recommendation answer of at most k distinct candidates is its one-hot vector; more than k is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.record({ n: fc.constant(n), seats: fc.integer({ min: 1, max: n }), marks: fc.shuffledSubarray(range(n)) })), ({ n, seats, marks }) => {
        const def = recDef(n, seats);
        if (marks.length > seats) expectCode(() => answerSelections(def, [marks]), 'BAD_VALUE');
        else expect(answerSelections(def, [marks])).toEqual([range(n).map((i) => (marks.includes(i) ? 1 : 0))]);
      }),
    );
  });

  it('over-k, out-of-range, repeated or non-integer recommendation marks are refused; a blank ballot is allowed', () => {
    const def = recDef(5, 2);
    expect(answerSelections(def, [[]])).toEqual([[0, 0, 0, 0, 0]]);
    expect(answerSelections(def, [[4, 0]])).toEqual([[1, 0, 0, 0, 1]]);
    for (const bad of [[[0, 1, 2]], [[5]], [[-1]], [[1, 1]], [[1.5]], [['1']], [], [[0], [1]], [null]] as unknown[])
      expectCode(() => answerSelections(def, bad as number[][]), 'BAD_VALUE');
  });

  for (const type of APPROVAL_KINDS)
    it(`${type}: exactly one option per item; a blank item only where someone is recused from it`, () => {
      const plain = approvalDef(type, 2);
      expect(answerSelections(plain, [[0], [2]])).toEqual([[1, 0, 0], [0, 0, 1]]);
      expectCode(() => answerSelections(plain, [[0], []]), 'BAD_VALUE');
      const recused = approvalDef(type, 2, undefined, [{ memberId: 'u2', items: [1] }]);
      expect(answerSelections(recused, [[0], []])).toEqual([[1, 0, 0], [0, 0, 0]]);
      expect(answerSelections(recused, [[0], [1]])).toEqual([[1, 0, 0], [0, 1, 0]]);
      expectCode(() => answerSelections(recused, [[], [0]]), 'BAD_VALUE'); // item 0 has no recusal
      for (const bad of [[[0, 1], [0]], [[3], [0]], [[0], [1, 1]], [[-1], [0]], [[0]]])
        expectCode(() => answerSelections(recused, bad), 'BAD_VALUE');
    });

  for (const grades of [COMPETENCE_GRADES, SATISFACTION_GRADES])
    it(`evaluation (${grades.join('/')}): exactly one grade per person, blank only where recused`, () => {
      const plain = evalDef(3, grades);
      expect(answerSelections(plain, choicesAnswer(plain, [grades[0]!, grades[3]!, grades[1]!]))).toEqual([[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]]);
      expectCode(() => answerSelections(plain, choicesAnswer(plain, [grades[0]!, null, grades[1]!])), 'BAD_VALUE');
      const recused = evalDef(3, grades, undefined, [{ memberId: 'u1', items: [1] }]);
      expect(answerSelections(recused, choicesAnswer(recused, [grades[0]!, null, grades[1]!]))).toEqual([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]);
      expectCode(() => answerSelections(recused, [[], [], [0]]), 'BAD_VALUE');
      for (const bad of [[[0], [0, 2], [1]], [[4], [0], [1]], [[0], [0], [2, 2]]]) expectCode(() => answerSelections(recused, bad), 'BAD_VALUE');
      expectCode(() => choicesAnswer(plain, ['agree', null, null]), 'BAD_VALUE');
    });
});

describe('sealBallot and verifySealedBallot accept exactly what the shape allows', () => {
  const ctx = { ballotId: 'b-seal', electionKey: BASE.multiply(987654321n).toBytes(), tokenHash: new Uint8Array(32).fill(7) };

  it('a recommendation vector seals and verifies iff it marks at most k; an over-k vector cannot be sealed', () => {
    const shape = ballotShape(recDef(5, 2));
    expect(shape).toEqual({ groups: [{ size: 5, min: 0, max: 2 }] });
    fc.assert(
      fc.property(fc.array(fc.constantFrom<number>(0, 1), { minLength: 5, maxLength: 5 }), (v) => {
        const marks = v.reduce((s, x) => s + x, 0);
        if (marks > 2) expectCode(() => sealBallot(ctx, shape, [v]), 'BAD_VALUE');
        else expect(verifySealedBallot(ctx, shape, sealBallot(ctx, shape, [v]))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  /** A vector sealed under `relaxed` bounds (same byte length as `real`'s): valid there, refused under the real shape. */
  function handBuilt(real: BallotShape, relaxed: BallotShape, selections: number[][]) {
    expect(sealedBallotBytes(relaxed)).toBe(sealedBallotBytes(real));
    expectCode(() => sealBallot(ctx, real, selections), 'BAD_VALUE');
    const sealed = sealBallot(ctx, relaxed, selections);
    expect(verifySealedBallot(ctx, relaxed, sealed)).toBe(true);
    expect(verifySealedBallot(ctx, real, sealed)).toBe(false);
  }

  it('a hand-built over-k recommendation vector (its sum proved in [1, 3], not [0, 2]) fails verification', () => {
    handBuilt({ groups: [{ size: 5, min: 0, max: 2 }] }, { groups: [{ size: 5, min: 1, max: 3 }] }, [[1, 1, 1, 0, 0]]);
  });

  it('a hand-built blank evaluation item (sum proved in [0, 0], not [1, 1]) fails verification; sealed where recused, it verifies', () => {
    const plain = ballotShape(evalDef(2));
    expect(plain).toEqual({ groups: [{ size: 4, min: 1, max: 1 }, { size: 4, min: 1, max: 1 }] });
    handBuilt(plain, { groups: [{ size: 4, min: 1, max: 1 }, { size: 4, min: 0, max: 0 }] }, [[1, 0, 0, 0], [0, 0, 0, 0]]);
    const recused = ballotShape(evalDef(2, COMPETENCE_GRADES, undefined, [{ memberId: 'u1', items: [1] }]));
    expect(recused).toEqual({ groups: [{ size: 4, min: 1, max: 1 }, { size: 4, min: 0, max: 1 }] });
    expect(verifySealedBallot(ctx, recused, sealBallot(ctx, recused, [[1, 0, 0, 0], [0, 0, 0, 0]]))).toBe(true);
  });

  it('an approval item is packed; two options cannot be sealed, and their homomorphic sum (message 1 + B) fails with either proof', () => {
    const plain = ballotShape(approvalDef('plenary', 1));
    expect(plain.groups.map(packedDigits)).toEqual([2]);
    expectCode(() => sealBallot(ctx, plain, [[1, 1, 0]]), 'BAD_VALUE');
    const a = sealBallot(ctx, plain, [[0, 1, 0]]); // message 1
    const b = sealBallot(ctx, plain, [[0, 0, 1]]); // message B
    const [ca, cb] = [a, b].map((x) => (parseSealedBallot(plain, x).groups[0] as SealedPackedGroup).packed);
    const both = { alpha: ca!.ciphertext.alpha.add(cb!.ciphertext.alpha), beta: ca!.ciphertext.beta.add(cb!.ciphertext.beta) };
    for (const p of [ca!, cb!]) expect(verifySealedBallot(ctx, plain, { groups: [{ packed: { ciphertext: both, proof: p.proof } }] })).toBe(false);
    expect(verifySealedBallot(ctx, plain, a) && verifySealedBallot(ctx, plain, b)).toBe(true);
  });
});

// ── 3. parseDefinition ───────────────────────────────────────────────────────────────────

const HEX32 = 'ab'.repeat(32);
function definition(type: KindId): any {
  const options = [...KINDS[type].optionSets[0]!];
  return {
    id: 'b1', meetingId: 'm1', title: '测试', type,
    items: [{ id: 'i1', nominee: '张某', post: '乡长' }, { id: 'i2', nominee: '李某', post: '副乡长' }, { id: 'i3', nominee: '王某', post: '所长' }],
    // A copy: a kind's default rule is its own object (the cases below change the definition in place).
    options, rule: structuredClone(KINDS[type].defaultRule(options)), params: type === 'recommendation' ? { post: '县委统战部部长', seats: 2 } : {},
    recused: [], recusedItems: [], round: { number: 1, previous: null },
  };
}
const KIND_LIST: readonly KindId[] = ['decision', 'consultation', 'plenary', 'recommendation', 'evaluation'];

describe('parseDefinition accepts each kind well formed', () => {
  for (const type of KIND_LIST)
    it(`${type}: the default definition, with per-item recusal and as a second round`, () => {
      expect(parseDefinition(definition(type))).toEqual(definition(type));
      const d = { ...definition(type), recused: ['u9'], recusedItems: [{ memberId: 'u1', items: [0, 2] }, { memberId: 'u2', items: [1] }], round: { number: 2, previous: { ballotId: 'b0', bundleId: HEX32 } } };
      expect(parseDefinition(d)).toEqual(d);
    });
  it('evaluation with the satisfaction grades and a flag rule; recommendation with k = the number of candidates and no threshold', () => {
    const e = { ...definition('evaluation'), options: [...SATISFACTION_GRADES], rule: { option: 'dissatisfied', base: 'cast', threshold: { num: 1, den: 3 }, strict: true, quorum: null } };
    expect(parseDefinition(e)).toEqual(e);
    const r = { ...definition('recommendation'), params: { post: '县委统战部部长', seats: 3 }, rule: { ...definition('recommendation').rule, threshold: null } };
    expect(parseDefinition(r)).toEqual(r);
  });
});

describe('parseDefinition refuses every malformed new member', () => {
  const cases: [string, KindId, (d: any) => void, CryptoErrorCode][] = [
    // params, per kind
    ['recommendation params {}', 'recommendation', (d) => (d.params = {}), 'BAD_VALUE'],
    ['recommendation params without post', 'recommendation', (d) => (d.params = { seats: 2 }), 'BAD_VALUE'],
    ['recommendation params with an extra member', 'recommendation', (d) => (d.params.extra = 1), 'BAD_VALUE'],
    ['recommendation post empty', 'recommendation', (d) => (d.params.post = ''), 'BAD_VALUE'],
    ['recommendation post of 201 characters', 'recommendation', (d) => (d.params.post = '长'.repeat(201)), 'BAD_VALUE'],
    ['recommendation post not text', 'recommendation', (d) => (d.params.post = 7), 'BAD_VALUE'],
    ['recommendation seats 0', 'recommendation', (d) => (d.params.seats = 0), 'BAD_VALUE'],
    ['recommendation seats > candidates', 'recommendation', (d) => (d.params.seats = 4), 'BAD_VALUE'],
    ['recommendation seats negative', 'recommendation', (d) => (d.params.seats = -1), 'BAD_VALUE'],
    ['recommendation seats not an integer', 'recommendation', (d) => (d.params.seats = 1.5), 'BAD_VALUE'],
    ['recommendation seats a string', 'recommendation', (d) => (d.params.seats = '2'), 'BAD_VALUE'],
    ['decision params {post, seats}', 'decision', (d) => (d.params = { post: '乡长', seats: 1 }), 'BAD_VALUE'],
    ['consultation params non-empty', 'consultation', (d) => (d.params = { seats: 1 }), 'BAD_VALUE'],
    ['plenary params non-empty', 'plenary', (d) => (d.params = { post: '乡长' }), 'BAD_VALUE'],
    ['evaluation params non-empty', 'evaluation', (d) => (d.params = { grades: 'x' }), 'BAD_VALUE'],
    ['params null', 'evaluation', (d) => (d.params = null), 'BAD_TYPE'],
    ['params an array', 'recommendation', (d) => (d.params = ['县委统战部部长', 2]), 'BAD_TYPE'],
    // options not an option set of the kind
    ['recommendation with approval options', 'recommendation', (d) => (d.options = [...APPROVAL_OPTIONS]), 'BAD_VALUE'],
    ['plenary with the recommendation option', 'plenary', (d) => (d.options = ['votes']), 'BAD_VALUE'],
    ['plenary with approval options reordered', 'plenary', (d) => (d.options = ['disagree', 'agree', 'abstain']), 'BAD_VALUE'],
    ['decision with grades', 'decision', (d) => (d.options = [...COMPETENCE_GRADES]), 'BAD_VALUE'],
    ['evaluation with grades reordered', 'evaluation', (d) => (d.options = ['competent', 'excellent', 'basic', 'incompetent']), 'BAD_VALUE'],
    ['evaluation with the two grade sets mixed', 'evaluation', (d) => (d.options = ['excellent', 'competent', 'basic', 'unknown']), 'BAD_VALUE'],
    ['evaluation with three of four grades', 'evaluation', (d) => (d.options = ['excellent', 'competent', 'basic']), 'BAD_VALUE'],
    ['evaluation with approval options', 'evaluation', (d) => (d.options = [...APPROVAL_OPTIONS]), 'BAD_VALUE'],
    ['evaluation rule counting an option not on the ballot', 'evaluation', (d) => (d.rule.option = 'dissatisfied'), 'BAD_VALUE'],
    ['plenary rule without a threshold (it decides)', 'plenary', (d) => (d.rule.threshold = null), 'BAD_VALUE'],
    ['recommendation rule counting agree', 'recommendation', (d) => (d.rule.option = 'agree'), 'BAD_VALUE'],
    // recusedItems
    ['recusedItems index = number of items', 'plenary', (d) => (d.recusedItems = [{ memberId: 'u1', items: [3] }]), 'BAD_VALUE'],
    ['recusedItems index negative', 'evaluation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [-1] }]), 'BAD_VALUE'],
    ['recusedItems index not an integer', 'decision', (d) => (d.recusedItems = [{ memberId: 'u1', items: [0.5] }]), 'BAD_VALUE'],
    ['recusedItems unsorted', 'evaluation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [2, 0] }]), 'BAD_VALUE'],
    ['recusedItems repeating an index', 'recommendation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [1, 1] }]), 'BAD_VALUE'],
    ['recusedItems with no items', 'consultation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [] }]), 'BAD_LENGTH'],
    ['recusedItems with more items than the ballot', 'plenary', (d) => (d.recusedItems = [{ memberId: 'u1', items: [0, 1, 2, 3] }]), 'BAD_LENGTH'],
    ['recusedItems naming one member twice', 'evaluation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [0] }, { memberId: 'u1', items: [2] }]), 'BAD_VALUE'],
    ['recusedItems naming a member recused from the whole ballot', 'plenary', (d) => { d.recused = ['u1']; d.recusedItems = [{ memberId: 'u1', items: [0] }]; }, 'BAD_VALUE'],
    ['recusedItems with a bad member id', 'decision', (d) => (d.recusedItems = [{ memberId: 'u 1', items: [0] }]), 'BAD_VALUE'],
    ['recusedItems entry with an extra member', 'evaluation', (d) => (d.recusedItems = [{ memberId: 'u1', items: [0], why: '亲属' }]), 'BAD_VALUE'],
    ['recusedItems not an array', 'recommendation', (d) => (d.recusedItems = { u1: [0] }), 'BAD_TYPE'],
    ['recusedItems items not an array', 'plenary', (d) => (d.recusedItems = [{ memberId: 'u1', items: 0 }]), 'BAD_TYPE'],
    ['recusedItems missing', 'evaluation', (d) => delete d.recusedItems, 'BAD_VALUE'],
    // round
    ['round 1 with a previous bundle', 'recommendation', (d) => (d.round = { number: 1, previous: { ballotId: 'b0', bundleId: HEX32 } }), 'BAD_VALUE'],
    ['round 2 without a previous bundle', 'recommendation', (d) => (d.round = { number: 2, previous: null }), 'BAD_VALUE'],
    ['round 0', 'plenary', (d) => (d.round = { number: 0, previous: null }), 'BAD_VALUE'],
    ['round 101', 'decision', (d) => (d.round = { number: 101, previous: { ballotId: 'b0', bundleId: HEX32 } }), 'BAD_VALUE'],
    ['round number not an integer', 'evaluation', (d) => (d.round = { number: 1.5, previous: null }), 'BAD_VALUE'],
    ['round without previous member', 'evaluation', (d) => (d.round = { number: 1 }), 'BAD_VALUE'],
    ['round a number', 'decision', (d) => (d.round = 1), 'BAD_TYPE'],
    ['previous bundleId uppercase hex', 'recommendation', (d) => (d.round = { number: 2, previous: { ballotId: 'b0', bundleId: HEX32.toUpperCase() } }), 'BAD_HEX'],
    ['previous bundleId not hex', 'recommendation', (d) => (d.round = { number: 2, previous: { ballotId: 'b0', bundleId: 'zz'.repeat(32) } }), 'BAD_HEX'],
    ['previous bundleId of 31 bytes', 'recommendation', (d) => (d.round = { number: 2, previous: { ballotId: 'b0', bundleId: 'ab'.repeat(31) } }), 'BAD_LENGTH'],
    ['previous bundleId of 33 bytes', 'plenary', (d) => (d.round = { number: 2, previous: { ballotId: 'b0', bundleId: 'ab'.repeat(33) } }), 'BAD_LENGTH'],
    ['previous bundleId not a string', 'evaluation', (d) => (d.round = { number: 2, previous: { ballotId: 'b0', bundleId: 7 } }), 'BAD_TYPE'],
    ['previous ballotId not an id', 'recommendation', (d) => (d.round = { number: 2, previous: { ballotId: 'b 0', bundleId: HEX32 } }), 'BAD_VALUE'],
    ['previous without ballotId', 'recommendation', (d) => (d.round = { number: 2, previous: { bundleId: HEX32 } }), 'BAD_VALUE'],
    // type
    ['an unknown type', 'decision', (d) => (d.type = 'election'), 'BAD_VALUE'],
  ];
  // params.post is text like every other text member (crypto/parse.ts `text`: well-formed UTF-16),
  // or the definition could not be canonically encoded and its bundle neither signed nor verified.
  it('recommendation post with a lone surrogate: BAD_VALUE', () => {
    const d = definition('recommendation');
    d.params.post = '统战部\ud800';
    expectCode(() => parseDefinition(d), 'BAD_VALUE');
  });
  it('(the same text as an item post is refused: BAD_VALUE)', () => {
    const d = definition('recommendation');
    d.items[0].post = '统战部\ud800';
    expectCode(() => parseDefinition(d), 'BAD_VALUE');
  });
  for (const [name, type, change, code] of cases)
    it(`${name}: ${code}`, () => {
      const d = definition(type);
      expect(() => parseDefinition(definition(type))).not.toThrow();
      change(d);
      expectCode(() => parseDefinition(d), code);
    });
});

// ── 4. Real bundles of the new kinds, and the verifier's new checks ──────────────────────

const CANDIDATES: Item[] = [
  { id: 'c1', nominee: '张某', post: '县委办副主任' },
  { id: 'c2', nominee: '李某', post: '乡长' },
  { id: 'c3', nominee: '王某', post: '副局长' },
  { id: 'c4', nominee: '赵某', post: '镇党委副书记' },
  { id: 'c5', nominee: '陈某', post: '科长' },
];
/** 12 voters of every roster kind a recommendation entitles; u3 is recused from 陈某 (item 4). */
const REC_KINDS: MemberKind[] = ['standing', 'standing', 'full', 'full', 'full', 'alternate', 'alternate', 'participant', 'participant', 'participant', 'participant', 'participant'];
const REC_ANSWERS = [[0, 1], [0, 1], [0, 2], [1, 3], [0, 3], [], [2, 1], [0], [], [3, 4], [0, 2], [1, 0]].map((m) => [m]);
const EVAL_ANSWERS = [
  [[0], [1], [3], [0], [1]],
  [[0], [], [3], [1], [1]],
  [[1], [1], [3], [1], [2]],
  [[], [0], [2], [], [3]],
  [[0], [3], [1], [1], [3]],
  [[1], [1], [0], [0], [3]],
];
const EVAL_RULE: Rule = { option: 'incompetent', base: 'cast', threshold: { num: 1, den: 3 }, strict: true, quorum: null };

let rec1: Election;
let rec2: Election;
let ev: Election;
let pl: Election;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const codes = (b: unknown, opts = {}) => verifyBundle(b, opts).failures.map((f) => f.code);

beforeAll(() => {
  rec1 = runElection({
    type: 'recommendation', meetingId: 'm-rec', ballotId: 'b-rec-1', items: CANDIDATES, params: { post: '县委统战部部长', seats: 2 },
    memberKinds: REC_KINDS, recusedItems: [{ memberId: 'u3', items: [4] }], answers: REC_ANSWERS,
  });
  // 两推: the second round from the four leading candidates (王某 and 赵某 tie for third), same meeting and devices.
  rec2 = runElection({
    type: 'recommendation', meetingId: 'm-rec', ballotId: 'b-rec-2', items: CANDIDATES.slice(0, 4), params: { post: '县委统战部部长', seats: 2 },
    memberKinds: REC_KINDS, ceremony: { devices: rec1.devices, record: rec1.record },
    round: { number: 2, previous: { ballotId: 'b-rec-1', bundleId: bundleId(rec1.bundle) } },
    answers: [[0, 1], [0], [1, 2], [0, 3], [], [0, 1], [2], [0, 2], [1], [0, 1], [3], [0]].map((m) => [m]),
  });
  // The same five people evaluated in the same meeting; u2 is recused from 李某, u4 from 张某 and 赵某.
  ev = runElection({
    type: 'evaluation', meetingId: 'm-rec', ballotId: 'b-eval', items: CANDIDATES, memberKinds: Array(6).fill('participant'), rule: EVAL_RULE,
    recusedItems: [{ memberId: 'u2', items: [1] }, { memberId: 'u4', items: [0, 3] }], answers: EVAL_ANSWERS,
  });
  // 全委会表决: 3 standing and 3 full members, 4 present (exactly ⅔); u2 recused from item 2.
  pl = runElection({
    type: 'plenary', ballotId: 'b-plenary', items: 2, memberKinds: ['standing', 'standing', 'standing', 'full', 'full', 'full'], absent: 2,
    recusedItems: [{ memberId: 'u2', items: [1] }], answers: [[[0], [0]], [[0], []], [[0], [0]], [[1], [0]]],
  });
});

describe('honest bundles of the new kinds verify and recount', () => {
  it('a recommendation (12 voters, 5 candidates, 2 places, 2 blank ballots, a recusal)', () => {
    const r = verifyBundle(clone(rec1.bundle));
    expect(r.failures).toEqual([]);
    const t = r.tally!;
    expect([t.entitled, t.present, t.issued, t.cast, t.valid, t.invalid]).toEqual([12, 12, 12, 12, 12, 0]);
    expect(t.items.map((i) => [i.itemId, i.counts.votes, i.rank, i.flagged, i.outcome, i.entitled])).toEqual([
      ['c1', 7, 1, true, null, 12],
      ['c2', 5, 2, false, null, 12],
      ['c3', 3, 3, false, null, 12],
      ['c4', 3, 3, false, null, 12],
      ['c5', 1, 5, false, null, 11],
    ]);
    // The same figures as the naive count of the answers.
    const recusal = REC_KINDS.map((_, j) => (j === 2 ? [4] : []));
    expect(t).toEqual(naiveRecommendation(rec1.bundle.ballot.rule, CANDIDATES, rec1.bundle.roster, recusal, REC_ANSWERS.map((a) => a[0]!)));
    expect(rec1.bundle.tally).toEqual(t);
    expect(new Set(rec1.bundle.roster.map((m) => m.kind))).toEqual(new Set(['standing', 'full', 'alternate', 'participant']));
  });

  it('an evaluation (5 people, per-person recusal, 不称职 flagged over a third)', () => {
    const r = verifyBundle(clone(ev.bundle));
    expect(r.failures).toEqual([]);
    const t = r.tally!;
    expect(t.items.map((i) => [i.counts, i.entitled, i.flagged])).toEqual([
      [{ excellent: 3, competent: 2, basic: 0, incompetent: 0 }, 5, false],
      [{ excellent: 1, competent: 3, basic: 0, incompetent: 1 }, 5, false],
      [{ excellent: 1, competent: 1, basic: 1, incompetent: 3 }, 6, true],
      [{ excellent: 2, competent: 3, basic: 0, incompetent: 0 }, 5, false],
      [{ excellent: 0, competent: 2, basic: 1, incompetent: 3 }, 6, true],
    ]);
    const recusal = [[], [1], [], [0, 3], [], []];
    expect(t).toEqual(naivePerItem('evaluation', COMPETENCE_GRADES, EVAL_RULE, CANDIDATES, ev.bundle.roster, recusal, EVAL_ANSWERS.map((a) => a.map((g) => g[0] ?? null))));
  });

  it('a plenary vote at exactly ⅔ present: exactly half of the entitled fails, the recusal lowers item 2\'s entitled so that it passes', () => {
    const r = verifyBundle(clone(pl.bundle));
    expect(r.failures).toEqual([]);
    expect(r.tally!.items.map((i) => [i.counts.agree, i.entitled, i.outcome])).toEqual([[3, 6, 'failed'], [3, 5, 'passed']]);
  });

  it('a second-round recommendation verifies with { previous: round 1 }, also given as JSON', () => {
    expect(rec2.bundle.ballot.round).toEqual({ number: 2, previous: { ballotId: 'b-rec-1', bundleId: bundleId(rec1.bundle) } });
    expect(verifyBundle(clone(rec2.bundle), { previous: clone(rec1.bundle) }).failures).toEqual([]);
    expect(verifyBundle(clone(rec2.bundle), { previous: rec1.bundle }).failures).toEqual([]);
    expect(verifyBundle(clone(rec2.bundle), { previous: clone(rec1.bundle) }).tally!.items.map((i) => [i.counts.votes, i.rank])).toEqual([[7, 1], [5, 2], [3, 3], [2, 4]]);
  });
});

describe('ROUND', () => {
  const roundOnly = (b: unknown, previous: unknown, detail: RegExp) => {
    const r = verifyBundle(b, { previous });
    expect(r.failures.map((f) => f.code)).toEqual(['ROUND']);
    expect(r.failures[0]!.detail).toMatch(detail);
  };
  it('a round naming another bundle id of the previous ballot', () => {
    roundOnly(resign(rec2, (b) => (b.ballot.round.previous.bundleId = 'ab'.repeat(32))), clone(rec1.bundle), /follows bundle/);
  });
  it('a round naming another previous ballot id', () => {
    roundOnly(resign(rec2, (b) => (b.ballot.round.previous.ballotId = 'b-rec-0')), clone(rec1.bundle), /follows bundle/);
  });
  it('the right bundle id, but the previous bundle given is another (round 1 changed and re-signed)', () => {
    roundOnly(clone(rec2.bundle), resign(rec1, (b) => (b.ballot.title = '另一次推荐')), /follows bundle/);
  });
  it('a wrong round number (3 after 1)', () => {
    roundOnly(resign(rec2, (b) => (b.ballot.round.number = 3)), clone(rec1.bundle), /round 3 cannot follow round 1/);
  });
  it('a round of another meeting', () => {
    roundOnly(resign(rec2, (b) => (b.ballot.meetingId = 'm-other')), clone(rec1.bundle), /same meeting and kind/);
  });
  it('a round of another kind (a recommendation following an evaluation of the same people in the same meeting)', () => {
    const b = resign(rec2, (x) => (x.ballot.round.previous = { ballotId: 'b-eval', bundleId: bundleId(ev.bundle) }));
    roundOnly(b, clone(ev.bundle), /same meeting and kind/);
  });
  it('an item that was not in the previous round', () => {
    roundOnly(resign(rec2, (b) => (b.ballot.items[3].nominee = '孙某')), clone(rec1.bundle), /孙某 was not an item of the previous round/);
  });
  it('a first round given a previous bundle', () => {
    roundOnly(clone(rec1.bundle), clone(rec1.bundle), /first round/);
    roundOnly(clone(ev.bundle), clone(rec1.bundle), /first round/);
  });
  it('a malformed previous bundle', () => {
    roundOnly(clone(rec2.bundle), { ...clone(rec1.bundle), extra: 1 }, /previous round's bundle is malformed/);
  });
});

describe('TALLY_MISMATCH and OUTCOME_MISMATCH on the per-item figures', () => {
  const only = (b: unknown, code: string, detail: RegExp) => {
    const r = verifyBundle(b);
    expect(r.failures.map((f) => f.code)).toEqual([code]);
    expect(r.failures[0]!.detail).toMatch(detail);
  };
  it('TALLY_MISMATCH: a plenary item\'s entitled ignoring its recusal (the outcome unchanged)', () => {
    only(resign(pl, (b) => (b.tally.items[1].entitled = 6)), 'TALLY_MISMATCH', /item i2: entitled is 5, bundle says 6/);
  });
  it('TALLY_MISMATCH: an evaluation item\'s entitled', () => {
    only(resign(ev, (b) => (b.tally.items[3].entitled = 6)), 'TALLY_MISMATCH', /item c4: entitled is 5, bundle says 6/);
  });
  it('TALLY_MISMATCH: a recommendation candidate\'s entitled', () => {
    only(resign(rec1, (b) => (b.tally.items[0].entitled = 11)), 'TALLY_MISMATCH', /item c1: entitled is 12, bundle says 11/);
  });
  it('TALLY_MISMATCH: a recommendation candidate\'s votes (rank and flag unchanged)', () => {
    only(resign(rec1, (b) => (b.tally.items[4].counts.votes = 2)), 'TALLY_MISMATCH', /item c5: votes is 1, bundle says 2/);
  });
  it('OUTCOME_MISMATCH: a recommendation rank', () => {
    only(resign(rec1, (b) => (b.tally.items[3].rank = 4)), 'OUTCOME_MISMATCH', /item c4: rank is 3, bundle says 4/);
  });
  it('OUTCOME_MISMATCH: a recommendation flag', () => {
    only(resign(rec1, (b) => (b.tally.items[1].flagged = true)), 'OUTCOME_MISMATCH', /item c2: flagged is false, bundle says true/);
  });
  it('OUTCOME_MISMATCH: an evaluation flag, and no flag where the rule has a threshold', () => {
    only(resign(ev, (b) => (b.tally.items[2].flagged = false)), 'OUTCOME_MISMATCH', /item c3: flagged is true, bundle says false/);
    only(resign(ev, (b) => (b.tally.items[0].flagged = null)), 'OUTCOME_MISMATCH', /item c1: flagged is false, bundle says null/);
  });
  it('OUTCOME_MISMATCH: an outcome word on a reference kind, a rank on a deciding kind', () => {
    only(resign(rec1, (b) => (b.tally.items[0].outcome = 'passed')), 'OUTCOME_MISMATCH', /item c1: outcome is null, bundle says passed/);
    only(resign(pl, (b) => (b.tally.items[0].rank = 1)), 'OUTCOME_MISMATCH', /item i1: rank is null, bundle says 1/);
  });
  it('OUTCOME_MISMATCH: a plenary item at exactly half claimed passed', () => {
    only(resign(pl, (b) => (b.tally.items[0].outcome = 'passed')), 'OUTCOME_MISMATCH', /item i1: outcome is failed, bundle says passed/);
  });
});

describe('the roster of a plenary vote, and per-item recusal in the bundle', () => {
  it('ROSTER_INCONSISTENT: a participant on a plenary roster', () => {
    const r = verifyBundle(resign(pl, (b) => (b.roster[3].kind = 'participant')));
    expect(r.failures.map((f) => f.code)).toEqual(['ROSTER_INCONSISTENT']);
    expect(r.failures[0]!.detail).toMatch(/participant member, not entitled to a plenary ballot/);
  });
  it('ROSTER_INCONSISTENT: an alternate (候补委员, attending without a vote) on a plenary roster', () => {
    expect(codes(resign(pl, (b) => (b.roster[4].kind = 'alternate')))).toEqual(['ROSTER_INCONSISTENT']);
  });
  it('but a standing member turned full is entitled to a plenary vote, and a participant turned alternate to a recommendation', () => {
    expect(codes(resign(pl, (b) => (b.roster[0].kind = 'full')))).toEqual([]);
    expect(codes(resign(rec1, (b) => (b.roster[11].kind = 'alternate')))).toEqual([]);
  });
  it('QUORUM_NOT_MET: one more absent 委员 on the plenary roster (4 of 7 < ⅔), the tally made consistent', () => {
    const b = resign(pl, (x) => {
      x.roster.push({ memberId: 'u7', name: '委员7', kind: 'full', present: false, issued: 0 });
      const counts = x.tally.items.flatMap((i: any) => APPROVAL_OPTIONS.map((o) => i.counts[o]));
      x.tally = tallyFromCounts(x.ballot, x.roster, x.tally.cast, counts);
    });
    expect(b.tally.items.map((i) => [i.entitled, i.outcome])).toEqual([[7, 'failed'], [6, 'failed']]);
    expect(codes(b)).toEqual(['QUORUM_NOT_MET']);
  });
  it('the bundle parser refuses recusedItems naming a member who is not on the roster (MALFORMED)', () => {
    const r = verifyBundle(resign(pl, (b) => (b.ballot.recusedItems[0].memberId = 'u99')));
    expect(r.failures.map((f) => f.code)).toEqual(['MALFORMED']);
    expect(r.failures[0]!.detail).toMatch(/recusedItems names u99, who is not on the roster/);
  });
  it('the bundle parser refuses recusedItems naming a member also recused from the whole ballot (MALFORMED)', () => {
    const r = verifyBundle(resign(pl, (b) => (b.ballot.recused = ['u2'])));
    expect(r.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });
  it('dropping a recusal from the definition changes the shape: the sealed ballots no longer parse (MALFORMED)', () => {
    expect(codes(resign(ev, (b) => (b.ballot.recusedItems = [b.ballot.recusedItems[1]])))).toEqual(['MALFORMED']);
  });
});

