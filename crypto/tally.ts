/**
 * @module crypto/tally
 * The count (protocol §9): a pure function from the ballot definition, the roster and the
 * decrypted per-entry totals to per-item counts and outcomes. The server publishes its result and the
 * verifier recomputes it with this same function.
 */
import { OPTIONS, outcomeOf, type BallotType, type OptionId, type Outcome, type Rule } from './rule.ts';

/** One item of a ballot: a nominee for a proposed post (拟任人选 / 拟任职务). */
export type Item = { readonly id: string; readonly nominee: string; readonly post: string };

/** Per-item counts and outcome. */
export type ItemTally = {
  readonly itemId: string;
  readonly counts: Readonly<Record<OptionId, number>>;
  readonly outcome: Outcome;
};

/** Result of one ballot. `issued` counts members issued at least one token. */
export type Tally = {
  readonly entitled: number;
  readonly present: number;
  readonly issued: number;
  readonly cast: number;
  readonly valid: number;
  readonly invalid: number;
  readonly items: readonly ItemTally[];
};

/** What the tally needs to know of each member on the roster. */
export type TallyMember = { readonly present: boolean; readonly issued: number };

/**
 * The count of a sealed ballot (protocol §9, v2): from the decrypted per-entry totals of the
 * selection vectors (`counts[item·options + option]`), never from single ballots. Every cast
 * carries proofs that it is well-formed, so every cast is valid.
 */
export function tallyFromCounts(
  def: { readonly type: BallotType; readonly rule: Rule; readonly items: readonly Item[]; readonly options: readonly OptionId[] },
  roster: readonly TallyMember[],
  cast: number,
  counts: readonly number[],
): Tally {
  const entitled = roster.length;
  const present = roster.filter((m) => m.present).length;
  const issued = roster.filter((m) => m.issued > 0).length;
  const turnout = { entitled, present, cast };
  return {
    entitled,
    present,
    issued,
    cast,
    valid: cast,
    invalid: 0,
    items: def.items.map((item, i) => {
      const c = Object.fromEntries(OPTIONS.map((o) => [o, counts[i * def.options.length + def.options.indexOf(o)]!])) as Record<OptionId, number>;
      return { itemId: item.id, counts: c, outcome: outcomeOf(def.type, def.rule, c[def.rule.option], turnout) };
    }),
  };
}
