/**
 * @module crypto/tally
 * The count (protocol §9): a pure function from the ballot definition, the roster and the
 * decrypted per-entry totals to per-item figures, delegated to the ballot's kind
 * (crypto/kinds/). The server publishes its result and the verifier recomputes it with this
 * same function.
 */
import { kindOf, type ItemTally, type ItemTurnout, type KindDefinition } from './kinds/index.ts';

export type { Item, ItemTally } from './kinds/index.ts';

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
export type TallyMember = { readonly memberId?: string; readonly present: boolean; readonly issued: number };

/**
 * The count of a sealed ballot (protocol §9): from the decrypted per-entry totals of the
 * selection vectors, never from single ballots. Every cast carries proofs that it is well
 * formed, so every cast is valid. Each item is counted against its own turnout: the roster less
 * the members recused from that item (`def.recusedItems`, matched by `memberId`).
 */
export function tallyFromCounts(def: KindDefinition, roster: readonly TallyMember[], cast: number, counts: readonly number[]): Tally {
  const entitled = roster.length;
  const present = roster.filter((m) => m.present).length;
  const issued = roster.filter((m) => m.issued > 0).length;
  const presentById = new Map(roster.map((m) => [m.memberId, m.present]));
  const turnout = (item: number): ItemTurnout => {
    const recused = def.recusedItems.filter((r) => r.items.includes(item));
    return {
      entitled: entitled - recused.length,
      present: present - recused.filter((r) => presentById.get(r.memberId)).length,
      cast,
    };
  };
  return { entitled, present, issued, cast, valid: cast, invalid: 0, items: kindOf(def.type).count(def, counts, turnout) };
}
