/**
 * @module crypto/kinds
 * The registry of ballot kinds: the one place that lists them. Everything that depends on a
 * ballot's kind — the bundle parser, the tally, the verifier, the server's eligibility, the
 * tablet's selection vectors — goes through `kindOf(type)`.
 */
import { refuse } from '../errors.ts';
import { consultation } from './consultation.ts';
import { decision } from './decision.ts';
import { evaluation } from './evaluation.ts';
import type { BallotKind, KindId } from './kind.ts';
import { plenary } from './plenary.ts';
import { recommendation } from './recommendation.ts';

export * from './kind.ts';
export { APPROVAL_OPTIONS, type ApprovalOption } from './approval.ts';
export { RECOMMENDATION_OPTIONS, MAX_CANDIDATES } from './recommendation.ts';
export { COMPETENCE_GRADES, SATISFACTION_GRADES } from './evaluation.ts';

export const KINDS: Readonly<Record<KindId, BallotKind>> = { decision, consultation, plenary, recommendation, evaluation };
export const KIND_IDS = Object.keys(KINDS) as KindId[];

/** The kind of a ballot type; BAD_VALUE for an unknown type. */
export function kindOf(type: unknown): BallotKind {
  if (typeof type !== 'string' || !Object.hasOwn(KINDS, type)) refuse('BAD_VALUE', `ballot type must be one of ${KIND_IDS.join(', ')}`);
  return KINDS[type as KindId];
}
