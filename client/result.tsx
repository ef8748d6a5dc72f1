/**
 * @module client/result
 * The result table of a published ballot, shared by the console, the projector and the
 * verifier: per item the nominee and post, 同意 / 不同意 / 弃权 counts, the outcome, and
 * the rule applied in words ("同意票 6 > 应到会 11 人的半数 → 通过").
 */
import { For } from 'solid-js';
import { OPTIONS, type BallotType, type Item, type Rule, type Tally } from '../crypto/index.ts';
import { t } from './i18n.ts';
import { optionWord, outcomeWord, resultSentence } from './words.ts';

export function ResultTable(props: { type: BallotType; rule: Rule; items: readonly Item[]; tally: Tally; class?: string }) {
  return (
    <table class={`result-table ${props.class ?? ''}`} data-testid="result-table">
      <thead>
        <tr>
          <th>{t('item.nominee')}</th>
          <th>{t('item.post')}</th>
          <For each={OPTIONS}>{(o) => <th class="num">{optionWord(o)}</th>}</For>
          <th>{t('sec.ballot.result')}</th>
        </tr>
      </thead>
      <tbody>
        <For each={props.tally.items}>
          {(it, i) => {
            const item = () => props.items[i()];
            const good = () => it.outcome === 'passed' || it.outcome === 'kept';
            return (
              <>
                <tr class="result-row">
                  <td class="strong">{item()?.nominee}</td>
                  <td>{item()?.post}</td>
                  <For each={OPTIONS}>{(o) => <td class="num">{it.counts[o]}</td>}</For>
                  <td>
                    <span class={`outcome ${good() ? 'outcome-good' : 'outcome-bad'}`} data-testid="outcome">
                      {outcomeWord(it.outcome)}
                    </span>
                  </td>
                </tr>
                <tr class="result-why">
                  <td colSpan={6}>{resultSentence(props.type, props.rule, props.tally, it)}</td>
                </tr>
              </>
            );
          }}
        </For>
      </tbody>
    </table>
  );
}

/** Totals line: issued, cast, valid, invalid. */
export function tallyLine(tally: Tally): string {
  return t('sec.ballot.counts', { cast: tally.cast, valid: tally.valid, invalid: tally.invalid });
}
