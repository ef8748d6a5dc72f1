/**
 * @module client/kinds/kind
 * What a ballot kind is on the client: the secretary's form fields, the tablet's ballot and
 * its review, the result table, and the words of its rule — one module per kind (approval.tsx
 * for 常委会票决 / 全委会征求意见 / 全委会表决, recommendation.tsx, evaluation.tsx), registered
 * in client/kinds/index.ts. The pages (secretary/Ballots.tsx, tablet/Tablet.tsx, result.tsx,
 * screen/, verify/) ask the kind and never decide by type themselves. Who is entitled, the
 * answer's shape and the counting are the crypto kind's (crypto/kinds/), reached as `crypto`.
 */
import type { Component } from 'solid-js';
import type { BallotKind, Item, KindId, KindParams, Rule, Tally } from '../../crypto/index.ts';
import type { BallotView } from '../types.ts';

/** The parts of a ballot (a BallotView or a bundle's definition) that its kind's pages read. */
export type BallotLike = Pick<BallotView, 'type' | 'title' | 'items' | 'options' | 'rule' | 'params' | 'recusedItems'>;

/** A row of the secretary's item list before it is created. */
export type DraftItem = { readonly nominee: string; readonly post: string };

/** The kind-specific part of a new ballot as the secretary fills it in. */
export type Draft = {
  readonly items: readonly DraftItem[];
  readonly options: readonly string[];
  readonly params: KindParams;
  /** Fields overriding the kind's default rule (POST /api/meetings/:mid/ballots `rule`). */
  readonly rule: Partial<Rule>;
};

/** The answer being filled in on a tablet: `answer[g]` = the selected entries of group g (crypto/voter.ts). */
export type Answer = readonly (readonly number[])[];

export type FieldsProps = { readonly draft: Draft; readonly update: (patch: Partial<Draft>) => void };

export type BallotProps = {
  readonly ballot: BallotLike;
  readonly answer: Answer;
  readonly setAnswer: (answer: Answer) => void;
  /** Item indices this member is recused from (回避): shown, never selectable. */
  readonly recused: ReadonlySet<number>;
};

export type ReviewProps = { readonly ballot: BallotLike; readonly answer: Answer; readonly recused: ReadonlySet<number> };

export type ResultProps = { readonly ballot: BallotLike; readonly tally: Tally; readonly class?: string };

/** What the secretary may start from a published (or void) ballot: the items offered and those ticked first. */
export type NextRound = {
  readonly mode: 'recommend' | 'revote';
  readonly offered: readonly number[];
  readonly preselected: readonly number[];
  /** Fewest items the next round may have (a recommendation needs at least its places). */
  readonly min: number;
};

export interface ClientKind {
  readonly id: KindId;
  readonly crypto: BallotKind;
  /** The draft a new ballot of this kind starts from. */
  initialDraft(): Draft;
  /** Column and field names of an item (提名人选 / 拟任职务, 参考人选 / 现任职务, 测评对象 / 现任职务). */
  itemWords(): { nominee: string; post: string };
  /** "{nominee} 拟任 {post}" and its kind's variants. */
  itemLabel(item: Item): string;
  /** The second line under an item's name on the tablet. */
  postLine(item: Item): string;
  /** Most items of one ballot. */
  readonly maxItems: number;
  /** The kind-specific fields of the secretary's form (post and places, grade set, flag share). */
  readonly Fields: Component<FieldsProps>;
  /** Why the draft cannot be created yet, in words; null when it can. */
  draftProblem(draft: Draft): string | null;
  /** The rule in words, one or two sentences. */
  ruleWords(ballot: Pick<BallotLike, 'rule' | 'options' | 'params'>): string;
  /** An empty answer of the right number of groups. */
  emptyAnswer(ballot: BallotLike): Answer;
  /** Whether the member may go on to the review; and the progress line under the ballot. */
  progress(ballot: BallotLike, answer: Answer, recused: ReadonlySet<number>): { ready: boolean; words: string };
  /** The question before the cast, when this answer needs one more confirmation (a blank recommendation). */
  castQuestion(ballot: BallotLike, answer: Answer): { ask: string; yes: string } | null;
  readonly Ballot: Component<BallotProps>;
  readonly Review: Component<ReviewProps>;
  readonly Result: Component<ResultProps>;
  /** The next round this ballot's result allows, or null. */
  nextRound(ballot: BallotLike, tally: Tally, voided: boolean): NextRound | null;
}
