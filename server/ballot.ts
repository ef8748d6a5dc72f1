/**
 * @module server/ballot
 * Pure ballot logic the routes share: building a ballot definition from the secretary's
 * request (each kind's defaults and checks come from crypto/kinds/), who is entitled, and
 * the state machine draft → open → closed → published | void.
 */
import {
  CryptoInputError, KINDS, KIND_IDS, MAX_CANDIDATES, bundleId, kindOf, parseDefinition,
  type BallotDefinition, type Bundle, type KindId, type MemberKind, type Round,
} from '../crypto/index.ts';
import { ApiError } from './errors.ts';
import { list, object, oneOf, text } from './validate.ts';

/** Ballot states (protocol §1 phases). */
export type BallotStatus = 'draft' | 'open' | 'closed' | 'published' | 'void';

/** Allowed transitions: the only way a ballot's status ever changes. */
const TRANSITIONS: Readonly<Record<BallotStatus, readonly BallotStatus[]>> = {
  draft: ['open'],
  open: ['closed'],
  closed: ['published', 'void'],
  published: [],
  void: [],
};

/** Guard a transition; BAD_STATE otherwise. */
export function assertTransition(from: BallotStatus, to: BallotStatus): void {
  if (!TRANSITIONS[from].includes(to)) throw new ApiError('BAD_STATE', `cannot go from ${from} to ${to}`);
}

/** Is a member of `kind` (not recused from the whole ballot) entitled on this ballot? Its kind decides (crypto/kinds/). */
export function isEntitled(def: BallotDefinition, member: { id: string; kind: MemberKind }): boolean {
  return kindOf(def.type).entitled.includes(member.kind) && !def.recused.includes(member.id);
}

/** The item indices a member is recused from (回避), on a ballot they are entitled to. */
export function recusedItemsOf(def: BallotDefinition, memberId: string): readonly number[] {
  return def.recusedItems.find((r) => r.memberId === memberId)?.items ?? [];
}

/** Most items on one ballot created through the API: 50 nominees or persons, 200 candidates. */
export function maxItems(type: KindId): number {
  return type === 'recommendation' ? MAX_CANDIDATES : 50;
}

/**
 * Build a definition from a create-ballot request body (docs/api.md), through the same strict
 * parser as the verifier's (crypto/bundle.ts `parseDefinition`), so that the server can never
 * store a definition its own bundle would fail on. `members` are the meeting's members
 * (recusals must name one of them). `round` is set by the next-round route; a new ballot is round 1.
 */
export function definitionFromRequest(
  body: unknown,
  ids: { ballotId: string; meetingId: string; itemId: (i: number) => string },
  members: ReadonlyMap<string, MemberKind>,
  round: Round = { number: 1, previous: null },
): BallotDefinition {
  const o = object(body, ['type', 'title', 'items'], ['rule', 'recused', 'recusedItems', 'options', 'params']);
  const type = oneOf(o.type, KIND_IDS, 'type');
  const kind = KINDS[type];
  const items = list(o.items, 'items', maxItems(type)).map((it, i) => {
    const x = object(it, ['nominee', 'post'], [], `items[${i}]`);
    return { id: ids.itemId(i), nominee: text(x.nominee, `items[${i}].nominee`, 100), post: text(x.post, `items[${i}].post`, 200) };
  });
  if (items.length === 0) throw new ApiError('BALLOT_INVALID', 'a ballot needs at least one item');
  if (new Set(items.map((i) => i.nominee)).size !== items.length) throw new ApiError('BALLOT_INVALID', 'an item is listed twice');
  const options = o.options === undefined ? kind.optionSets[0]! : o.options;
  if (!Array.isArray(options) || !kind.optionSets.some((set) => set.join() === options.join()))
    throw new ApiError('BALLOT_INVALID', `options must be one of ${kind.optionSets.map((set) => `[${set.join(', ')}]`).join(' or ')}`);
  const base = kind.defaultRule(options as string[]);
  if (o.rule !== undefined && (typeof o.rule !== 'object' || o.rule === null || Array.isArray(o.rule)))
    throw new ApiError('BALLOT_INVALID', 'rule must be an object of fields overriding the default rule');
  const recused = o.recused === undefined ? [] : list(o.recused, 'recused', 1000).map((m, i) => {
    if (typeof m !== 'string' || !members.has(m)) throw new ApiError('BALLOT_INVALID', `recused[${i}] is not a member of this meeting`);
    return m;
  });
  const recusedItems = o.recusedItems === undefined ? [] : list(o.recusedItems, 'recusedItems', 1000).map((r, i) => {
    const x = object(r, ['memberId', 'items'], [], `recusedItems[${i}]`);
    if (typeof x.memberId !== 'string' || !members.has(x.memberId)) throw new ApiError('BALLOT_INVALID', `recusedItems[${i}] is not a member of this meeting`);
    if (!kind.entitled.includes(members.get(x.memberId)!)) throw new ApiError('BALLOT_INVALID', `recusedItems[${i}] is not entitled to this ballot`);
    const idx = list(x.items, `recusedItems[${i}].items`, items.length);
    return { memberId: x.memberId, items: [...new Set(idx as number[])].sort((a, b) => a - b) };
  });
  try {
    return parseDefinition({
      id: ids.ballotId,
      meetingId: ids.meetingId,
      title: text(o.title, 'title', 200),
      type,
      items,
      options,
      rule: { ...base, ...((o.rule as object | undefined) ?? {}) },
      params: o.params ?? {},
      recused,
      recusedItems,
      round,
    });
  } catch (e) {
    if (e instanceof CryptoInputError) throw new ApiError('BALLOT_INVALID', e.message);
    throw e;
  }
}

/**
 * The definition of the next round of a published or void ballot (protocol §7.6): 两推's second
 * recommendation restricted to chosen candidates (`items`, required for a recommendation), or a
 * re-vote (复议) of the items that failed (all items of a void ballot, or those given). Same
 * kind, options, rule, params and recusals; numbered one more than its predecessor and naming
 * its bundle, so a verifier given both bundles can check the link.
 */
export function nextRoundDefinition(
  prev: { def: BallotDefinition; status: BallotStatus; bundle: Bundle | null },
  body: unknown,
  ids: { ballotId: string; itemId: (i: number) => string },
  members: ReadonlyMap<string, MemberKind>,
): BallotDefinition {
  if ((prev.status !== 'published' && prev.status !== 'void') || !prev.bundle)
    throw new ApiError('BAD_STATE', 'only a published or void ballot has a next round');
  const o = object(body ?? {}, [], ['items', 'title']);
  const { def, bundle } = prev;
  let picked: number[];
  if (o.items !== undefined) {
    const raw = list(o.items, 'items', def.items.length);
    if (raw.some((k) => !Number.isSafeInteger(k) || (k as number) < 0 || (k as number) >= def.items.length) || new Set(raw).size !== raw.length)
      throw new ApiError('BALLOT_INVALID', 'items must be distinct item indices of the previous round');
    picked = (raw as number[]).slice().sort((a, b) => a - b);
  } else if (def.type === 'recommendation') throw new ApiError('BALLOT_INVALID', 'choose the candidates of the next round (items)');
  else if (prev.status === 'void') picked = def.items.map((_, i) => i);
  else picked = bundle.tally.items.flatMap((it, i) => (it.outcome === 'failed' || it.outcome === 'dropped' ? [i] : []));
  if (picked.length === 0) throw new ApiError('BALLOT_INVALID', 'no item left for a next round');
  const newIndex = new Map(picked.map((k, i) => [k, i]));
  const recusedItems = def.recusedItems.flatMap((r) => {
    const items = r.items.flatMap((k) => (newIndex.has(k) ? [newIndex.get(k)!] : []));
    return items.length ? [{ memberId: r.memberId, items }] : [];
  });
  const params = def.type === 'recommendation' ? { ...def.params, seats: Math.min((def.params as { seats: number }).seats, picked.length) } : def.params;
  return definitionFromRequest(
    {
      type: def.type,
      title: o.title ?? def.title,
      items: picked.map((k) => ({ nominee: def.items[k]!.nominee, post: def.items[k]!.post })),
      options: def.options,
      rule: def.rule,
      params,
      recused: def.recused,
      recusedItems,
    },
    { ballotId: ids.ballotId, meetingId: def.meetingId, itemId: ids.itemId },
    members,
    { number: def.round.number + 1, previous: { ballotId: def.id, bundleId: bundleId(bundle) } },
  );
}
