/**
 * @module client/kinds/approval
 * The kinds that approve or drop nominees one by one — 常委会票决 (`decision`), 全委会征求意见
 * (`consultation`), 全委会表决 (`plenary`): only the nominees and posts on the secretary's form; on the
 * tablet 同意 / 不同意 / 弃权 per nominee (回避 where the member is recused); a result table of
 * the three counts, the outcome and why ("同意票 6 > 应到会 11 人的半数 → 通过"). A failed
 * nominee, or a void ballot, may be voted on again (复议) in a next round.
 */
import { For, Show } from 'solid-js';
import { KINDS, type ItemTally, type KindId, type Outcome, type Rule, type Tally } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import { baseCount, baseWord, fractionWord, itemLabel, optionWord, outcomeWord } from '../words.ts';
import type { BallotLike, ClientKind, ResultProps } from './kind.ts';
import { itemsProblem, perItemEmpty, perItemProgress } from './figures.ts';
import { ItemRows, PerItemChoices, PerItemReview } from './shared.tsx';

/** What an approval kind's rule means: the outcome when it is met, and otherwise. */
type Meaning = { readonly met: Outcome; readonly notMet: Outcome; readonly revote: boolean };

const optionClass = (o: string) => `option-${o}`;

/**
 * The rule as one sentence: 以超过应到会常委半数同意为通过。 — or, where meeting the rule drops
 * a nominee (征求意见): 不同意票超过应到会委员半数的，不再作为提名人选；否则继续作为提名人选。
 */
export function ruleSentence(id: KindId, meaning: Meaning, rule: Rule): string {
  return t(meaning.met === 'passed' ? 'rule.sentence' : 'rule.sentence.drop', {
    option: optionWord(rule.option),
    cmp: t(rule.strict ? 'rule.cmp.strict' : 'rule.cmp.reach'),
    base: baseWord(rule.base, id),
    frac: rule.threshold ? fractionWord(rule.threshold) : '',
    met: outcomeWord(meaning.met),
    notMet: outcomeWord(meaning.notMet),
  });
}

/**
 * Why an item came out as it did: 同意 6 票，超过应到会常委 10 人的半数，通过 (against the item's own
 * 应到 when members are recused from it). Null without an outcome (a void ballot shows none).
 */
export function resultSentence(id: KindId, meaning: Meaning, rule: Rule, tally: Tally, item: ItemTally): string | null {
  if (!item.outcome) return null;
  const met = item.outcome === meaning.met;
  const n = rule.base === 'entitled' ? item.entitled : tally[rule.base];
  return t('rule.result', {
    option: optionWord(rule.option),
    count: item.counts[rule.option] ?? 0,
    cmp: t(`rule.result.${rule.strict ? 'strict' : 'reach'}.${met ? 'met' : 'notMet'}`),
    base: baseCount(rule.base, id, n),
    frac: rule.threshold ? fractionWord(rule.threshold) : '',
    outcome: item.outcome ? outcomeWord(item.outcome) : '',
  });
}

function ApprovalResult(props: ResultProps & { id: KindId; meaning: Meaning }) {
  return (
    <div class="table-scroll">
      <table class={`result-table ${props.class ?? ''}`} data-testid="result-table">
        <thead>
          <tr>
            <th>{t('item.nominee')}</th>
            <th>{t('item.post')}</th>
            <For each={props.ballot.options}>{(o) => <th class="num">{optionWord(o)}</th>}</For>
            <Show when={props.tally.items.some((it) => it.outcome)}>
              <th>{props.id === 'consultation' ? t('res.heading.consultation') : t('sec.ballot.result')}</th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For each={props.tally.items}>
            {(it, i) => {
              const item = () => props.ballot.items[i()];
              const good = () => it.outcome === 'passed' || it.outcome === 'kept';
              return (
                <>
                  <tr class="result-row">
                    <td class="strong">{item()?.nominee}</td>
                    <td>{item()?.post}</td>
                    <For each={props.ballot.options}>{(o) => <td class="num">{it.counts[o]}</td>}</For>
                    <Show when={it.outcome}>
                      {(o) => (
                        <td>
                          <span class={`outcome ${good() ? 'outcome-good' : 'outcome-bad'}`} data-testid="outcome">
                            {outcomeWord(o())}
                          </span>
                        </td>
                      )}
                    </Show>
                  </tr>
                  <Show when={resultSentence(props.id, props.meaning, props.ballot.rule, props.tally, it)}>
                    {(why) => (
                      <tr class="result-why">
                        <td colSpan={3 + props.ballot.options.length}>{why()}</td>
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
  );
}

function approval(id: KindId, meaning: Meaning): ClientKind {
  const crypto = KINDS[id];
  const words = () => ({ nominee: t('item.nominee'), post: t('item.post') });
  return {
    id,
    crypto,
    maxItems: 50,
    initialDraft: () => ({ items: [{ nominee: '', post: '' }], options: crypto.optionSets[0]!, params: {}, rule: {} }),
    itemWords: words,
    itemLabel,
    postLine: (item) => t('item.postLine', { post: item.post }),
    Fields: (props) => <ItemRows items={props.draft.items} set={(items) => props.update({ items })} words={words()} heading={t('sec.ballot.items')} max={50} />,
    draftProblem: (draft) => itemsProblem(draft, words(), 50),
    ruleWords: (b) => ruleSentence(id, meaning, b.rule),
    emptyAnswer: perItemEmpty,
    progress: perItemProgress,
    castQuestion: () => null,
    Ballot: (props) => (
      <>
        <p class="lead">{t('tablet.ballot.instructions')}</p>
        <PerItemChoices {...props} itemLabel={itemLabel} postLine={(item) => t('item.postLine', { post: item.post })} optionClass={optionClass} />
      </>
    ),
    Review: (props) => <PerItemReview {...props} itemLabel={itemLabel} optionClass={optionClass} />,
    Result: (props) => <ApprovalResult {...props} id={id} meaning={meaning} />,
    nextRound(ballot: BallotLike, tally: Tally, voided: boolean) {
      const all = ballot.items.map((_, i) => i);
      const failed = meaning.revote ? all.filter((i) => tally.items[i]?.outcome === meaning.notMet) : [];
      const offered = voided ? all : failed;
      return offered.length ? { mode: 'revote', offered, preselected: offered, min: 1 } : null;
    },
  };
}

/** 常委会票决: passes iff agree > ½ of the standing members entitled. */
export const decision = approval('decision', { met: 'passed', notMet: 'failed', revote: true });
/** 全委会征求意见: dropped iff disagree > ½ of those entitled; kept otherwise. */
export const consultation = approval('consultation', { met: 'dropped', notMet: 'kept', revote: false });
/** 全委会表决: only 委员 vote (候补委员 列席); passes iff agree > ½ of the 委员 entitled. */
export const plenary = approval('plenary', { met: 'passed', notMet: 'failed', revote: true });
