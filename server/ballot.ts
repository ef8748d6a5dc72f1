/**
 * @module server/ballot
 * Pure ballot logic the routes share: building a ballot definition from the secretary's
 * request (templates: decision = standing members; consultation = all members), who is
 * entitled, and the state machine draft → open → closed → published | void.
 */
import {
  OPTIONS, checkRule, defaultRule, CryptoInputError,
  type BallotDefinition, type BallotType, type MemberKind, type Rule,
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

/** Member kinds that vote on each ballot type (templates). */
export const ELIGIBLE_KINDS: Readonly<Record<BallotType, readonly MemberKind[]>> = {
  decision: ['standing'],
  consultation: ['standing', 'full', 'alternate'],
};

/** Is a member of `kind` (not recused) entitled on this ballot? */
export function isEntitled(def: BallotDefinition, member: { id: string; kind: MemberKind }): boolean {
  return ELIGIBLE_KINDS[def.type].includes(member.kind) && !def.recused.includes(member.id);
}

/** Most items on one ballot created through the API. */
export const MAX_BALLOT_ITEMS = 50;

/**
 * Build a definition from a create-ballot request body. `memberIds` are the meeting's
 * members (recusals must name one of them).
 */
export function definitionFromRequest(body: unknown, ids: { ballotId: string; meetingId: string; itemId: (i: number) => string }, memberIds: ReadonlySet<string>): BallotDefinition {
  const o = object(body, ['type', 'title', 'items'], ['rule', 'recused']);
  const type = oneOf(o.type, ['decision', 'consultation'] as const, 'type');
  const items = list(o.items, 'items', MAX_BALLOT_ITEMS).map((it, i) => {
    const x = object(it, ['nominee', 'post'], [], `items[${i}]`);
    return { id: ids.itemId(i), nominee: text(x.nominee, `items[${i}].nominee`, 100), post: text(x.post, `items[${i}].post`, 200) };
  });
  if (items.length === 0) throw new ApiError('BALLOT_INVALID', 'a ballot needs at least one item');
  let rule: Rule = defaultRule(type);
  if (o.rule !== undefined) {
    if (typeof o.rule !== 'object' || o.rule === null || Array.isArray(o.rule)) throw new ApiError('BALLOT_INVALID', 'rule must be an object of fields overriding the default rule');
    try {
      rule = checkRule({ ...defaultRule(type), ...(o.rule as object) });
    } catch (e) {
      throw new ApiError('BALLOT_INVALID', e instanceof CryptoInputError ? e.message : 'invalid rule');
    }
  }
  const recused = o.recused === undefined ? [] : list(o.recused, 'recused', 1000).map((m, i) => {
    if (typeof m !== 'string' || !memberIds.has(m)) throw new ApiError('BALLOT_INVALID', `recused[${i}] is not a member of this meeting`);
    return m;
  });
  if (new Set(recused).size !== recused.length) throw new ApiError('BALLOT_INVALID', 'recused lists a member twice');
  return {
    id: ids.ballotId,
    meetingId: ids.meetingId,
    title: text(o.title, 'title', 200),
    type,
    items,
    options: [...OPTIONS],
    rule,
    recused,
  };
}
