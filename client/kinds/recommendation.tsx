/**
 * @module client/kinds/recommendation
 * 民主推荐 (`recommendation`): one post (拟推荐职位) with k places (职数) and up to 200
 * candidates (参考人选) with their current posts. On the tablet a tick box per candidate: once
 * k are ticked the others cannot be (最多可推荐 k 人，已选 n 人); none ticked is a valid blank
 * ballot, confirmed once more before the cast. The result table lists votes, the share of
 * ballots cast and of members present, the rank (1, 2, 2, 4) and, when the rule has a
 * threshold, the mark 得票超过半数 — never an outcome such as 通过. A next round (两推) is
 * restricted to the leading candidates.
 */
import { createMemo, For, Show } from 'solid-js';
import { KINDS, MAX_CANDIDATES, type Fraction, type Item, type Rule } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import { baseWord, fractionWord } from '../words.ts';
import { itemsProblem, leadingCandidates, percent } from './figures.ts';
import type { Answer, BallotLike, ClientKind, Draft, FieldsProps, ResultProps } from './kind.ts';
import { ItemRows } from './shared.tsx';

type Params = { readonly post: string; readonly seats: number };
const paramsOf = (b: { params: unknown }): Params => b.params as Params;
const picked = (answer: Answer): readonly number[] => answer[0] ?? [];

const words = () => ({ nominee: t('item.rec.nominee'), post: t('item.rec.post') });
const itemLabel = (item: Item) => t('item.rec.label', { nominee: item.nominee, post: item.post });
const postLine = (item: Item) => t('item.rec.postLine', { post: item.post });

/** 得票超过半数 / 得票超过三分之二. */
function flagWord(f: Fraction): string {
  return f.num * 2 === f.den ? t('kinds.rec.flag.half') : t('kinds.rec.flag.other', { frac: fractionWord(f) });
}

/** The flag choices of the form, as rule overrides of the kind's default (which flags above half the ballots cast). */
const FLAGS: readonly { id: 'none' | 'half' | 'twoThirds'; rule: Partial<Rule> }[] = [
  { id: 'half', rule: {} },
  { id: 'twoThirds', rule: { threshold: { num: 2, den: 3 } } },
  { id: 'none', rule: { threshold: null } },
];

function Fields(props: FieldsProps) {
  const p = () => paramsOf(props.draft);
  const flag = () => FLAGS.find((f) => JSON.stringify(f.rule) === JSON.stringify(props.draft.rule))?.id ?? 'half';
  return (
    <>
      <div class="field-pair">
        <div>
          <label class="field-label" for="rec-post">{t('sec.rec.post')}</label>
          <input id="rec-post" class="input" placeholder={t('sec.rec.postPlaceholder')} value={p().post} onInput={(e) => props.update({ params: { ...p(), post: e.currentTarget.value } })} data-testid="rec-post" />
        </div>
        <div>
          <label class="field-label" for="rec-seats">{t('sec.rec.seats')}</label>
          {/* No min / max: the browser's own check would stop the form without saying why in the page's words. */}
          <input
            id="rec-seats"
            class="input seats-input"
            type="number"
            inputmode="numeric"
            value={Number.isFinite(p().seats) ? p().seats : ''}
            onInput={(e) => props.update({ params: { ...p(), seats: e.currentTarget.value === '' ? Number.NaN : Number(e.currentTarget.value) } })}
            data-testid="rec-seats"
          />
        </div>
      </div>
      <p class="muted">{t('sec.rec.seatsHint', { k: Number.isFinite(p().seats) ? p().seats : '—', n: props.draft.items.length })}</p>
      <ItemRows items={props.draft.items} set={(items) => props.update({ items })} words={words()} heading={t('sec.kind.items.rec', { max: MAX_CANDIDATES })} max={MAX_CANDIDATES} paste />
      <label class="field-label" for="rec-flag">{t('sec.rec.flag')}</label>
      <select id="rec-flag" class="input" value={flag()} onChange={(e) => props.update({ rule: FLAGS.find((f) => f.id === e.currentTarget.value)!.rule })} data-testid="rec-flag">
        <For each={FLAGS}>{(f) => <option value={f.id} selected={flag() === f.id}>{t(`sec.rec.flag.${f.id}`)}</option>}</For>
      </select>
    </>
  );
}

function draftProblem(draft: Draft): string | null {
  const p = paramsOf(draft);
  if (!p.post.trim()) return t('sec.rec.postMissing');
  const items = itemsProblem(draft, words(), MAX_CANDIDATES);
  if (items) return items;
  if (!Number.isInteger(p.seats) || p.seats < 1 || p.seats > draft.items.length) return t('sec.rec.seatsBad', { n: draft.items.length });
  return null;
}

function ruleWords(b: Pick<BallotLike, 'rule' | 'params'>): string {
  const p = paramsOf(b);
  const main = t('kinds.rec.rule', { post: p.post, k: p.seats });
  const f = b.rule.threshold;
  return f ? `${main} ${t('kinds.rec.flagRule', { base: baseWord(b.rule.base, 'recommendation'), frac: fractionWord(f), flag: flagWord(f) })}` : main;
}

function Ballot(props: { ballot: BallotLike; answer: Answer; setAnswer: (a: Answer) => void; recused: ReadonlySet<number> }) {
  const k = () => paramsOf(props.ballot).seats;
  const chosen = createMemo(() => new Set(picked(props.answer)));
  const full = () => chosen().size >= k();
  const toggle = (i: number) => {
    if (props.recused.has(i)) return;
    const next = new Set(chosen());
    if (next.has(i)) next.delete(i);
    else if (!full()) next.add(i);
    else return;
    props.setAnswer([[...next].sort((a, b) => a - b)]);
  };
  return (
    <>
      <p class="lead">{t('tablet.rec.instructions', { post: paramsOf(props.ballot).post, k: k() })}</p>
      <p class="rec-count" classList={{ full: full() }} data-testid="rec-count" aria-live="polite">
        {t('tablet.rec.count', { k: k(), n: chosen().size })}
        <Show when={full()}>
          <span class="rec-full"> {t('tablet.rec.full', { k: k() })}</span>
        </Show>
      </p>
      <ol class="candidates">
        <For each={props.ballot.items}>
          {(item, i) => {
            const on = () => chosen().has(i());
            const recused = () => props.recused.has(i());
            const blocked = () => recused() || (!on() && full());
            return (
              <li>
                <button
                  type="button"
                  role="checkbox"
                  class="candidate"
                  classList={{ selected: on(), blocked: blocked(), recused: recused() }}
                  aria-checked={on()}
                  aria-disabled={blocked()}
                  disabled={blocked()}
                  onClick={() => toggle(i())}
                  data-testid={`pick-${i()}`}
                >
                  <span class="candidate-box" aria-hidden="true">{on() ? '✓' : ''}</span>
                  <span class="candidate-text">
                    <span class="candidate-name">
                      <span class="candidate-no">{i() + 1}.</span> {item.nominee}
                    </span>
                    <span class="candidate-post">{postLine(item)}</span>
                  </span>
                  <Show when={recused()}>
                    <span class="recused-badge" data-testid={`recused-${i()}`}>{t('tablet.recused')}</span>
                  </Show>
                </button>
              </li>
            );
          }}
        </For>
      </ol>
    </>
  );
}

function Review(props: { ballot: BallotLike; answer: Answer }) {
  const list = () => picked(props.answer);
  return (
    <Show when={list().length} fallback={<p class="review-blank" data-testid="review-blank">{t('tablet.rec.none')}</p>}>
      <p class="field-label">{t('tablet.rec.picked', { n: list().length })}</p>
      <ol class="review-list">
        <For each={list()}>
          {(i) => (
            <li class="review-row" data-testid="review-pick">
              <span class="review-item">{itemLabel(props.ballot.items[i]!)}</span>
              <span class="choice-badge option-votes">✓ {t('option.votes')}</span>
            </li>
          )}
        </For>
      </ol>
    </Show>
  );
}

function Result(props: ResultProps) {
  const p = () => paramsOf(props.ballot);
  const flag = () => props.ballot.rule.threshold;
  // In rank order; equal ranks keep the ballot's order.
  const rows = createMemo(() =>
    props.tally.items
      .map((it, i) => ({ it, item: props.ballot.items[i]!, i }))
      .sort((a, b) => (a.it.rank ?? 0) - (b.it.rank ?? 0) || a.i - b.i),
  );
  return (
    <>
      <p class="result-reference">{t('res.rec.reference', { post: p().post, k: p().seats })}</p>
      <div class="table-scroll">
        <table class={`result-table result-recommendation ${props.class ?? ''}`} data-testid="result-table">
          <thead>
            <tr>
              <th class="num">{t('res.rank')}</th>
              <th>{t('item.rec.nominee')}</th>
              <th>{t('item.rec.post')}</th>
              <th class="num">{t('res.votes')}</th>
              <th class="num">{t('res.shareCast')}</th>
              <th class="num">{t('res.sharePresent')}</th>
              <Show when={flag()}>
                <th>{t('res.flag')}</th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <For each={rows()}>
              {(r) => {
                const votes = () => r.it.counts.votes ?? 0;
                return (
                  <tr class="result-row" data-testid="result-row" data-rank={r.it.rank ?? ''}>
                    <td class="num strong">{r.it.rank}</td>
                    <td class="strong">{r.item.nominee}</td>
                    <td>{r.item.post}</td>
                    <td class="num" data-testid="votes">{votes()}</td>
                    <td class="num">{percent(votes(), props.tally.cast)}</td>
                    <td class="num">{percent(votes(), props.tally.present)}</td>
                    <Show when={flag()}>
                      {(f) => (
                        <td>
                          <Show when={r.it.flagged}>
                            <span class="flag" data-testid="flag">{flagWord(f())}</span>
                          </Show>
                        </td>
                      )}
                    </Show>
                  </tr>
                );
              }}
            </For>
          </tbody>
        </table>
      </div>
    </>
  );
}

export const recommendation: ClientKind = {
  id: 'recommendation',
  crypto: KINDS.recommendation,
  maxItems: MAX_CANDIDATES,
  initialDraft: () => ({ items: [{ nominee: '', post: '' }], options: KINDS.recommendation.optionSets[0]!, params: { post: '', seats: 1 }, rule: {} }),
  itemWords: words,
  itemLabel,
  postLine,
  Fields,
  draftProblem,
  ruleWords,
  emptyAnswer: () => [[]],
  progress: (ballot, answer) => ({ ready: true, words: t('tablet.rec.count', { k: paramsOf(ballot).seats, n: picked(answer).length }) }),
  castQuestion: (_, answer) => (picked(answer).length === 0 ? { ask: t('tablet.rec.blankAsk'), yes: t('tablet.rec.blankYes') } : null),
  Ballot,
  Review,
  Result,
  nextRound(ballot, tally) {
    // 两推: the leading candidates are ticked; the secretary may change the list, down to the places.
    const seats = paramsOf(ballot).seats;
    return { mode: 'recommend', offered: ballot.items.map((_, i) => i), preselected: leadingCandidates(tally.items, seats), min: seats };
  },
};
