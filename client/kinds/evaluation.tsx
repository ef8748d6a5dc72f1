/**
 * @module client/kinds/evaluation
 * 民主测评 (`evaluation`): per person evaluated exactly one grade from the set the secretary
 * picks — 优秀 / 称职 / 基本称职 / 不称职, or 满意 / 基本满意 / 不满意 / 不了解 — with an optional
 * 提示 rule (e.g. 不称职票超过收回票的三分之一). The result table gives per person the count and
 * share of each grade among the valid ballots that graded them, 优秀率, 称职以上率 and 不称职率
 * (满意率, 基本满意以上率, 不满意率 for the other set), and the 提示 — never an outcome.
 */
import { For, Show } from 'solid-js';
import { COMPETENCE_GRADES, KINDS, type Item, type Rule } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import { baseCount, baseWord, fractionWord, optionWord } from '../words.ts';
import { GRADE_SETS, gradeFigures, gradeSetOf, itemsProblem, percent, perItemEmpty, perItemProgress, type GradeSet } from './figures.ts';
import type { BallotLike, ClientKind, Draft, FieldsProps, ResultProps } from './kind.ts';
import { ItemRows, PerItemChoices, PerItemReview } from './shared.tsx';

const words = () => ({ nominee: t('item.eval.nominee'), post: t('item.eval.post') });
const itemLabel = (item: Item) => t('item.eval.label', { nominee: item.nominee, post: item.post });
const postLine = (item: Item) => t('item.eval.postLine', { post: item.post });
const gradesWords = (options: readonly string[]) => options.map(optionWord).join(' / ');
const optionClass = (o: string) => `option-grade option-${o}`;

/** The 提示 rule override: the set's bad grade over one third of the ballots cast. */
function flagRule(set: GradeSet): Partial<Rule> {
  return { option: set.options[set.bad]!, base: 'cast', threshold: { num: 1, den: 3 }, strict: true };
}

function Fields(props: FieldsProps) {
  const set = () => gradeSetOf(props.draft.options);
  const flagged = () => props.draft.rule.threshold != null;
  const pickSet = (s: GradeSet) => props.update({ options: s.options, rule: flagged() ? flagRule(s) : {} });
  return (
    <>
      <ItemRows items={props.draft.items} set={(items) => props.update({ items })} words={words()} heading={t('sec.kind.items.eval')} max={50} paste />
      <fieldset class="grade-sets">
        <legend class="field-label">{t('sec.eval.grades')}</legend>
        <For each={GRADE_SETS}>
          {(s) => (
            <label class="check">
              <input type="radio" name="grades" checked={set().id === s.id} onChange={() => pickSet(s)} data-testid={`grades-${s.id}`} />
              {gradesWords(s.options)}
            </label>
          )}
        </For>
      </fieldset>
      <label class="field-label" for="eval-flag">{t('sec.eval.flag')}</label>
      <select id="eval-flag" class="input" value={flagged() ? 'third' : 'none'} onChange={(e) => props.update({ rule: e.currentTarget.value === 'third' ? flagRule(set()) : {} })} data-testid="eval-flag">
        <option value="none" selected={!flagged()}>{t('sec.eval.flag.none')}</option>
        <option value="third" selected={flagged()}>{t('sec.eval.flag.third', { option: optionWord(set().options[set().bad]!) })}</option>
      </select>
    </>
  );
}

function ruleWords(b: Pick<BallotLike, 'rule' | 'options'>): string {
  const main = t('kinds.eval.rule', { grades: gradesWords(b.options) });
  const f = b.rule.threshold;
  return f ? `${main} ${t('kinds.eval.flagRule', { option: optionWord(b.rule.option), base: baseWord(b.rule.base, 'evaluation'), frac: fractionWord(f) })}` : main;
}

function Result(props: ResultProps) {
  const set = () => gradeSetOf(props.ballot.options);
  const flag = () => props.ballot.rule.threshold;
  const rates = () => (['top', 'good', 'bad'] as const).map((r) => ({ id: r, key: `res.rate.${set().id}.${r}` as const }));
  return (
    <>
      <p class="result-reference">{t('res.eval.reference')}</p>
      <div class="table-scroll">
        <table class={`result-table result-evaluation ${props.class ?? ''}`} data-testid="result-table">
          <thead>
            <tr>
              <th>{t('item.eval.nominee')}</th>
              <th>{t('item.eval.post')}</th>
              <For each={props.ballot.options}>{(o) => <th class="num">{optionWord(o)}</th>}</For>
              <For each={rates()}>{(r) => <th class="num">{t(r.key)}</th>}</For>
              <Show when={flag()}>
                <th>{t('res.hint')}</th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <For each={props.tally.items}>
              {(it, i) => {
                const item = () => props.ballot.items[i()];
                // Shares are of the valid ballots that graded this person (fewer than all where members were recused from them).
                const fig = () => gradeFigures(props.ballot.options, it.counts);
                return (
                  <>
                    <tr class="result-row" data-testid="result-row">
                      <td class="strong">{item()?.nominee}</td>
                      <td>{item()?.post}</td>
                      <For each={props.ballot.options}>
                        {(o) => (
                          <td class="num" data-testid={`count-${o}`}>
                            {it.counts[o]}
                            <span class="share">{percent(it.counts[o] ?? 0, fig().graded)}</span>
                          </td>
                        )}
                      </For>
                      <For each={rates()}>{(r) => <td class="num strong" data-testid={`rate-${r.id}`}>{percent(fig()[r.id], fig().graded)}</td>}</For>
                      <Show when={flag()}>
                        <td>
                          <Show when={it.flagged}>
                            <span class="flag flag-hint" data-testid="flag">{t('res.hint')}</span>
                          </Show>
                        </td>
                      </Show>
                    </tr>
                    <Show when={it.flagged && flag()}>
                      {(f) => (
                        <tr class="result-why">
                          <td colSpan={2 + props.ballot.options.length + 4}>
                            {t('res.hintWhy', {
                              option: optionWord(props.ballot.rule.option),
                              count: it.counts[props.ballot.rule.option] ?? 0,
                              base: baseCount(props.ballot.rule.base, 'evaluation', props.ballot.rule.base === 'entitled' ? it.entitled : props.tally[props.ballot.rule.base]),
                              frac: fractionWord(f()),
                            })}
                          </td>
                        </tr>
                      )}
                    </Show>
                  </>
                );
              }}
            </For>
          </tbody>
        </table>
      </div>
    </>
  );
}

export const evaluation: ClientKind = {
  id: 'evaluation',
  crypto: KINDS.evaluation,
  maxItems: 50,
  initialDraft: (): Draft => ({ items: [{ nominee: '', post: '' }], options: COMPETENCE_GRADES, params: {}, rule: {} }),
  itemWords: words,
  itemLabel,
  postLine,
  Fields,
  draftProblem: (draft) => itemsProblem(draft, words(), 50),
  ruleWords,
  emptyAnswer: perItemEmpty,
  progress: perItemProgress,
  castQuestion: () => null,
  Ballot: (props) => (
    <>
      <p class="lead">{t('tablet.eval.instructions', { grades: gradesWords(props.ballot.options) })}</p>
      <PerItemChoices {...props} itemLabel={itemLabel} postLine={postLine} optionClass={optionClass} />
    </>
  ),
  Review: (props) => <PerItemReview {...props} itemLabel={itemLabel} optionClass={optionClass} />,
  Result,
  nextRound: (ballot, _tally, voided) => (voided ? { mode: 'revote', offered: ballot.items.map((_, i) => i), preselected: ballot.items.map((_, i) => i), min: 1 } : null),
};
