/**
 * @module client/record/csv
 * The results of a meeting as a CSV file for the archive and for Excel: one row per item per
 * ballot, with the ballot's turnout and its ballots issued, cast, valid and invalid, the
 * item's own 应到, its votes per option (a column per option any ballot of the meeting has,
 * headed by its word), its rank and its outcome or mark. UTF-8 with a byte-order mark and CRLF
 * line ends, which Chinese Excel opens as UTF-8. Figures are the bundles' tallies; a void
 * ballot gives no votes or outcomes (protocol §9), only its status and turnout. A cell that
 * Excel would read as a formula (=, +, -, @ first) is written with a leading apostrophe.
 */
import type { Bundle, ItemTally } from '../../crypto/index.ts';
import { t } from '../i18n.ts';
import { fractionWord, optionWord, outcomeWord, roundWord, typeWord } from '../words.ts';

/** One ballot of the export: its bundle (published or void). */
export type CsvBallot = { readonly bundle: Bundle; readonly void: boolean };

const BOM = '\uFEFF';

/** A cell as CSV: quoted when it holds a comma, a quote or a line break; formulas defused. */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The words of an item's result: 通过 / 保留 …, or the kind's mark (得票超过半数, 提示), or nothing. */
function resultWord(b: Bundle, it: ItemTally): string {
  if (it.outcome) return outcomeWord(it.outcome);
  if (!it.flagged) return '';
  const f = b.ballot.rule.threshold;
  if (b.ballot.type === 'recommendation' && f) return f.num * 2 === f.den ? t('kinds.rec.flag.half') : t('kinds.rec.flag.other', { frac: fractionWord(f) });
  return t('res.hint');
}

/** The export's text (with its BOM), ballots in the order given. */
export function resultsCsv(meetingTitle: string, ballots: readonly CsvBallot[]): string {
  const options: string[] = [];
  for (const b of ballots) for (const o of b.bundle.ballot.options) if (!options.includes(o)) options.push(o);
  const head = [
    t('record.csv.meeting'), t('record.csv.ballotNo'), t('record.csv.ballot'), t('record.csv.type'), t('record.csv.round'), t('record.csv.status'),
    t('record.csv.entitled'), t('record.csv.present'), t('record.csv.issued'), t('record.csv.cast'), t('record.csv.valid'), t('record.csv.invalid'),
    t('record.csv.itemNo'), t('record.csv.nominee'), t('record.csv.post'), t('record.csv.itemEntitled'),
    ...options.map(optionWord), t('record.csv.rank'), t('record.csv.result'),
  ];
  const rows: (string | number | null)[][] = [head];
  ballots.forEach((b, n) => {
    const { ballot, tally } = b.bundle;
    ballot.items.forEach((item, i) => {
      const it = tally.items[i]!;
      rows.push([
        meetingTitle, n + 1, ballot.title, typeWord(ballot.type), roundWord(ballot.round.number), b.void ? t('record.csv.void') : t('record.csv.published'),
        tally.entitled, tally.present, tally.issued, tally.cast, tally.valid, tally.invalid,
        i + 1, item.nominee, item.post, it.entitled,
        ...options.map((o) => (b.void || !ballot.options.includes(o) ? null : it.counts[o] ?? 0)),
        b.void ? null : it.rank,
        b.void ? t('status.void') : resultWord(b.bundle, it),
      ]);
    });
  });
  return BOM + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Offer the text as a file download (the page's own blob: address; nothing leaves the browser). */
export function downloadText(text: string, fileName: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
