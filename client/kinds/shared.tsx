/**
 * @module client/kinds/shared
 * Pieces more than one kind uses: the secretary's list of items (nominees, candidates or
 * persons evaluated, with a paste box for long lists), the tablet's one-choice-per-item grid
 * with its review (approval and evaluation kinds; a recused item shows 回避 and is skipped).
 * Their pure checks and figures are in figures.ts.
 */
import { createSignal, For, Index, Show } from 'solid-js';
import type { Item } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import { optionWord } from '../words.ts';
import { parseItemLines } from './figures.ts';
import type { Answer, BallotLike, DraftItem, ReviewProps } from './kind.ts';

/**
 * The secretary's rows of items. `max` caps the list; `paste` adds a box for many at once (one
 * per line: 姓名，现任职务 — a comma, 、, a tab or spaces between the two).
 */
export function ItemRows(props: {
  items: readonly DraftItem[];
  set: (items: readonly DraftItem[]) => void;
  words: { nominee: string; post: string };
  heading: string;
  max: number;
  paste?: boolean;
}) {
  const [pasted, setPasted] = createSignal('');
  const setItem = (i: number, field: keyof DraftItem, value: string) => props.set(props.items.map((x, j) => (j === i ? { ...x, [field]: value } : x)));
  const addPasted = () => {
    const rows = parseItemLines(pasted());
    if (!rows.length) return;
    // Empty rows (the form's first, untouched one) give way to the pasted list.
    const kept = props.items.filter((x) => x.nominee.trim() || x.post.trim());
    props.set([...kept, ...rows].slice(0, props.max));
    setPasted('');
  };
  return (
    <>
      <p class="field-label">{props.heading}</p>
      <ol class="item-rows">
        <Index each={props.items}>
          {(it, i) => (
            <li class="item-row">
              <input class="input" placeholder={props.words.nominee} aria-label={props.words.nominee} value={it().nominee} onInput={(e) => setItem(i, 'nominee', e.currentTarget.value)} data-testid={`item-nominee-${i}`} />
              <input class="input" placeholder={props.words.post} aria-label={props.words.post} value={it().post} onInput={(e) => setItem(i, 'post', e.currentTarget.value)} data-testid={`item-post-${i}`} />
              <button type="button" class="btn btn-secondary btn-small" disabled={props.items.length === 1} onClick={() => props.set(props.items.filter((_, j) => j !== i))}>
                {t('sec.ballot.removeItem')}
              </button>
            </li>
          )}
        </Index>
      </ol>
      <button type="button" class="btn btn-secondary btn-small" disabled={props.items.length >= props.max} onClick={() => props.set([...props.items, { nominee: '', post: '' }])} data-testid="item-add">
        + {t('sec.ballot.addItem')}
      </button>
      <Show when={props.paste}>
        <details class="item-paste">
          <summary>{t('sec.rec.paste')}</summary>
          <textarea class="input" rows={5} value={pasted()} onInput={(e) => setPasted(e.currentTarget.value)} aria-label={t('sec.rec.paste')} data-testid="item-paste" />
          <button type="button" class="btn btn-secondary btn-small" disabled={!pasted().trim()} onClick={addPasted} data-testid="item-paste-add">
            {t('sec.rec.pasteAdd')}
          </button>
        </details>
      </Show>
    </>
  );
}

/**
 * One card per item with one large button per option (exactly one chosen), or 回避 on an item
 * the member is recused from. `optionClass` colours the buttons (同意 green, 不同意 red …).
 */
export function PerItemChoices(props: {
  ballot: BallotLike;
  answer: Answer;
  setAnswer: (a: Answer) => void;
  recused: ReadonlySet<number>;
  postLine: (item: Item) => string;
  itemLabel: (item: Item) => string;
  optionClass: (option: string) => string;
}) {
  const pick = (item: number, option: number) => props.setAnswer(props.ballot.items.map((_, j) => (j === item ? [option] : [...(props.answer[j] ?? [])])));
  return (
    <ol class="items" classList={{ [`options-${props.ballot.options.length}`]: true }}>
      <For each={props.ballot.items}>
        {(item, i) => (
          <li class="item-card" classList={{ recused: props.recused.has(i()) }} data-testid={`item-${i()}`}>
            <div class="item-head">
              <span class="item-no">{i() + 1}</span>
              <div>
                <p class="item-nominee">{item.nominee}</p>
                <p class="item-post">{props.postLine(item)}</p>
              </div>
            </div>
            <Show
              when={!props.recused.has(i())}
              fallback={
                <p class="recused-line" data-testid={`recused-${i()}`}>
                  <span class="recused-badge">{t('tablet.recused')}</span> {t('tablet.recusedHint')}
                </p>
              }
            >
              <div class="options" role="radiogroup" aria-label={props.itemLabel(item)}>
                <For each={props.ballot.options}>
                  {(o, k) => {
                    const selected = () => props.answer[i()]?.[0] === k();
                    return (
                      <button
                        type="button"
                        role="radio"
                        aria-checked={selected()}
                        class={`option ${props.optionClass(o)}`}
                        classList={{ selected: selected() }}
                        data-testid={`choose-${i()}-${o}`}
                        onClick={() => pick(i(), k())}
                      >
                        <Show when={selected()}>
                          <span class="option-mark" aria-hidden="true">✓</span>
                        </Show>
                        {optionWord(o)}
                      </button>
                    );
                  }}
                </For>
              </div>
            </Show>
          </li>
        )}
      </For>
    </ol>
  );
}

/** The review of a per-item answer: each item with the option chosen, or 回避. */
export function PerItemReview(props: ReviewProps & { itemLabel: (item: Item) => string; optionClass: (option: string) => string }) {
  return (
    <ol class="review-list">
      <For each={props.ballot.items}>
        {(item, i) => {
          const chosen = () => {
            const k = props.answer[i()]?.[0];
            return k === undefined ? null : props.ballot.options[k] ?? null;
          };
          return (
            <li class="review-row" data-testid={`review-${i()}`}>
              <span class="review-item">
                <span class="item-no">{i() + 1}</span>
                {props.itemLabel(item)}
              </span>
              <Show when={!props.recused.has(i()) && chosen()} fallback={<span class="choice-badge choice-recused">{t('tablet.recused')}</span>}>
                {(o) => <span class={`choice-badge ${props.optionClass(o())}`}>{optionWord(o())}</span>}
              </Show>
            </li>
          );
        }}
      </For>
    </ol>
  );
}
