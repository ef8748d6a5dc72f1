/**
 * @module crypto/kinds/kind
 * What a ballot kind is (protocol §8): one module per kind says who is entitled, what the
 * answer looks like as groups of selections with [min, max] bounds, how the decrypted
 * per-entry totals become per-item counts, and what those counts mean (an outcome such as
 * 通过, a rank, or only a flag). The bundle parser, the tally, the verifier, the server and
 * the tablet all ask the kind instead of deciding by type themselves (crypto/kinds/index.ts
 * registers the kinds).
 */
import { checkShape, type BallotShape } from '../sealed.ts';
import type { Fraction, Rule } from '../rule.ts';

/** The ballot kinds (protocol §8.2). */
export type KindId = 'decision' | 'consultation' | 'plenary' | 'recommendation' | 'evaluation';

/** Roster kinds (常委 / 委员 / 候补委员 / 参会人员). */
export type MemberKind = 'standing' | 'full' | 'alternate' | 'participant';
export const MEMBER_KINDS: readonly MemberKind[] = ['standing', 'full', 'alternate', 'participant'];

/** Outcome words of the kinds that decide (the others have none: their figures are for reference). */
export type Outcome = 'passed' | 'failed' | 'kept' | 'dropped';
export const OUTCOME_IDS: readonly Outcome[] = ['passed', 'failed', 'kept', 'dropped'];

/** One item of a ballot: a nominee and a post, a candidate and their current post, or a person evaluated. */
export type Item = { readonly id: string; readonly nominee: string; readonly post: string };

/** Kind-specific members of a definition; only a recommendation has any (拟推荐职位, 职数). */
export type KindParams = { readonly post: string; readonly seats: number } | Record<string, never>;

/** The parts of a ballot definition that its kind reads. */
export type KindDefinition = {
  readonly type: KindId;
  readonly items: readonly Item[];
  readonly options: readonly string[];
  readonly rule: Rule;
  readonly params: KindParams;
  /** Members recused from single items (回避), by item index; they stay on the roster. */
  readonly recusedItems: readonly RecusedItems[];
};

/** A member recused from some items of a ballot only. */
export type RecusedItems = { readonly memberId: string; readonly items: readonly number[] };

/** The item indices from which at least one member is recused. */
export function itemsWithRecusal(def: Pick<KindDefinition, 'recusedItems'>): Set<number> {
  return new Set(def.recusedItems.flatMap((r) => r.items));
}

/** The per-item figures of a tally (protocol §9.3). `null` where the kind has no such figure. */
export type ItemTally = {
  readonly itemId: string;
  /** 应到 for this item: the roster less the members recused from this item. */
  readonly entitled: number;
  /** Votes per option id of the ballot, in `options` order. */
  readonly counts: Readonly<Record<string, number>>;
  readonly outcome: Outcome | null;
  /** Recommendation: 1 = most votes; equal votes share a rank (1, 2, 2, 4). */
  readonly rank: number | null;
  /** Reference kinds: whether the rule's threshold is met (a 提示, never an outcome); null without one. */
  readonly flagged: boolean | null;
};

/** The turnout an item is counted against. */
export type ItemTurnout = { readonly entitled: number; readonly present: number; readonly cast: number };

export interface BallotKind {
  readonly id: KindId;
  /** Roster kinds that vote on this kind of ballot (protocol §8.3). */
  readonly entitled: readonly MemberKind[];
  /** Roster kinds that attend without a vote (列席, e.g. 候补委员 at a 全委会表决); listed, never issued. */
  readonly attendingWithoutVote: readonly MemberKind[];
  /** Named option sets a definition may use; the first is the default. */
  readonly optionSets: readonly (readonly string[])[];
  /** Whether the kind decides (an outcome per item) or only informs (rank / flag). */
  readonly decides: boolean;
  /** The outcome when the rule's threshold is met and when it is not; null for the reference kinds. */
  readonly outcomes: { readonly met: Outcome; readonly notMet: Outcome } | null;
  /** The rule used when the secretary changes nothing. */
  defaultRule(options: readonly string[]): Rule;
  /** Check the kind-specific members (`params`) against the items; throws BAD_VALUE (the rule is checked by the parser). */
  checkDefinition(def: KindDefinition): void;
  /** The selection-vector shape (protocol §5.1). `recusedItems` get min 0 so that a recused voter leaves them blank. */
  shape(def: KindDefinition): BallotShape;
  /** Per-item figures from the decrypted per-entry totals. */
  count(def: KindDefinition, totals: readonly number[], turnout: (item: number) => ItemTurnout): ItemTally[];
}

/**
 * The shape of a per-item kind (approval, evaluation): one group per item of one entry per
 * option, exactly one selected — min 0 on an item some member is recused from (protocol §5.1).
 */
export function perItemShape(def: KindDefinition): BallotShape {
  const recused = itemsWithRecusal(def);
  return checkShape({ groups: def.items.map((_, i) => ({ size: def.options.length, min: recused.has(i) ? 0 : 1, max: 1 })) });
}

/**
 * Each item of a per-item kind with its counts per option and its own turnout: the item's
 * recused members neither entitled nor present, and `cast` the ballots that marked the item.
 */
export function perItemCounts(def: KindDefinition, totals: readonly number[], turnout: (item: number) => ItemTurnout) {
  const k = def.options.length;
  return def.items.map((item, i) => {
    const counts = Object.fromEntries(def.options.map((o, j) => [o, totals[i * k + j]!]));
    const t = turnout(i);
    const cast = def.options.reduce((s, o) => s + counts[o]!, 0);
    return { item, counts, turnout: { entitled: t.entitled, present: t.present, cast } };
  });
}

/** count·den > base·num (strict) or ≥ — integers only, never floating point near a threshold. */
export function exceeds(count: number, base: number, f: Fraction, strict: boolean): boolean {
  const lhs = count * f.den;
  const rhs = base * f.num;
  return strict ? lhs > rhs : lhs >= rhs;
}

/** Competition ranks of `votes`: 1 = most, equal votes share the rank, the next rank skips (1, 2, 2, 4). */
export function competitionRanks(votes: readonly number[]): number[] {
  return votes.map((v) => 1 + votes.filter((w) => w > v).length);
}
