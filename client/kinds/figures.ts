/**
 * @module client/kinds/figures
 * The pure part of the client's ballot kinds, kept apart from their components so that it can
 * be tested without a browser: the checks of the secretary's item list, the progress of a
 * per-item answer, per-item recusals following their rows, the grade sets of an evaluation
 * and their rates, the leading candidates a next round of recommendation starts from, and
 * percentages for display.
 */
import { COMPETENCE_GRADES, SATISFACTION_GRADES, type ItemTally, type RecusedItems } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import type { Answer, BallotLike, Draft, DraftItem } from './kind.ts';

/** `n` of `d` as a percentage with one decimal ("66.7%"); "—" when d is 0. For display only, never for a threshold. */
export function percent(n: number, d: number): string {
  return d > 0 ? `${((n * 100) / d).toFixed(1)}%` : '—';
}

/** Lines of "姓名，现任职务" (comma, 、, tab, or spaces) as item rows; blank lines are skipped. */
export function parseItemLines(text: string): DraftItem[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^(.+?)\s*(?:[,，、\t]|\s{1,})\s*(.*)$/.exec(line);
      return m ? { nominee: m[1]!.trim(), post: m[2]!.trim() } : { nominee: line, post: '' };
    });
}

/** The checks every kind's item list needs: each row filled in, no name twice, not too many. */
export function itemsProblem(draft: Pick<Draft, 'items'>, words: { nominee: string; post: string }, max: number): string | null {
  if (draft.items.length === 0 || draft.items.some((i) => !i.nominee.trim() || !i.post.trim())) return t('sec.ballot.itemsMissingKind', words);
  if (draft.items.length > max) return t('sec.rec.tooMany', { max, n: draft.items.length });
  const seen = new Set<string>();
  for (const i of draft.items) {
    const name = i.nominee.trim();
    if (seen.has(name)) return t('sec.ballot.duplicateItem', { nominee: words.nominee, name });
    seen.add(name);
  }
  return null;
}

/** One empty group per item. */
export function perItemEmpty(ballot: Pick<BallotLike, 'items'>): Answer {
  return ballot.items.map(() => []);
}

/** How many items still need a choice (recused items need none). */
export function perItemMissing(ballot: Pick<BallotLike, 'items'>, answer: Answer, recused: ReadonlySet<number>): number {
  return ballot.items.filter((_, i) => !recused.has(i) && (answer[i]?.length ?? 0) !== 1).length;
}

export function perItemProgress(ballot: Pick<BallotLike, 'items'>, answer: Answer, recused: ReadonlySet<number>): { ready: boolean; words: string } {
  const missing = perItemMissing(ballot, answer, recused);
  const total = ballot.items.length - recused.size;
  return missing === 0 ? { ready: true, words: t('tablet.ballot.progress', { done: total, total }) } : { ready: false, words: t('tablet.ballot.missing', { n: missing }) };
}

/**
 * An evaluation's grade sets and what their rates count (option indices): the top grade, the
 * top two, and the grade that counts against a person (不称职; 不满意 — 不了解 is no judgement).
 */
export const GRADE_SETS = [
  { id: 'competence', options: COMPETENCE_GRADES, top: [0], good: [0, 1], bad: 3 },
  { id: 'satisfaction', options: SATISFACTION_GRADES, top: [0], good: [0, 1], bad: 2 },
] as const;
export type GradeSet = (typeof GRADE_SETS)[number];

export function gradeSetOf(options: readonly string[]): GradeSet {
  return GRADE_SETS.find((s) => s.options.join() === options.join()) ?? GRADE_SETS[0];
}

/** Per person: the ballots that graded them, and the counts behind 优秀率, 称职以上率, 不称职率 (or the satisfaction set's). */
export function gradeFigures(options: readonly string[], counts: Readonly<Record<string, number>>): { graded: number; top: number; good: number; bad: number } {
  const set = gradeSetOf(options);
  const sum = (idx: readonly number[]) => idx.reduce((s, k) => s + (counts[options[k]!] ?? 0), 0);
  return { graded: sum(options.map((_, k) => k)), top: sum(set.top), good: sum(set.good), bad: sum([set.bad]) };
}

/**
 * The candidates a next round of recommendation (两推) starts from: those ranked within twice
 * the places, all who share the last rank taken included (item indices, ballot order).
 */
export function leadingCandidates(items: readonly Pick<ItemTally, 'rank'>[], seats: number): number[] {
  const m = Math.min(items.length, 2 * seats);
  return items.flatMap((it, i) => ((it.rank ?? Infinity) <= m ? [i] : []));
}

/**
 * Per-item recusals after rows were removed or added on the secretary's form: each follows its
 * row (rows keep their identity; an edit replaces a row but keeps the count, and is not a move);
 * a recusal from a removed row goes with it, and a member left with none is dropped.
 */
export function followRows(recusals: readonly RecusedItems[], before: readonly object[], after: readonly object[]): RecusedItems[] {
  const moved = before.map((row) => after.indexOf(row));
  return recusals
    .map((r) => ({ memberId: r.memberId, items: r.items.map((i) => moved[i] ?? -1).filter((i) => i >= 0).sort((a, b) => a - b) }))
    .filter((r) => r.items.length > 0);
}
