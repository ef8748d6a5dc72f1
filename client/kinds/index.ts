/**
 * @module client/kinds
 * The registry of the client's ballot kinds: the one place that lists them, in the order the
 * secretary's form offers them. Pages reach a ballot's kind through `clientKind(type)`; a new
 * kind is one module here plus its crypto module (crypto/kinds/) and its words (client/i18n.ts).
 */
import type { KindId } from '../../crypto/index.ts';
import { consultation, decision, plenary } from './approval.tsx';
import { evaluation } from './evaluation.tsx';
import type { ClientKind } from './kind.ts';
import { recommendation } from './recommendation.tsx';

export type { Answer, BallotLike, ClientKind, Draft, NextRound } from './kind.ts';

export const CLIENT_KINDS: Readonly<Record<KindId, ClientKind>> = { decision, consultation, plenary, recommendation, evaluation };
/** The kinds in the order of the secretary's form. */
export const CLIENT_KIND_LIST: readonly ClientKind[] = [decision, plenary, consultation, recommendation, evaluation];

export function clientKind(type: KindId): ClientKind {
  return CLIENT_KINDS[type];
}
