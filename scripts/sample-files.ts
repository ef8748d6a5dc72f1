/**
 * @module scripts/sample-files
 * The sample roster as an office would keep it, built from samples/county-committee.csv (the
 * one source): an Excel workbook with a title row, and a CSV in GBK as Chinese Excel saves
 * "CSV (逗号分隔)" — both with the Chinese header 姓名,类别,职务 and Chinese kind words.
 * scripts/make-samples.ts writes them; tests/server/roster-files.test.ts checks that the
 * committed files are exactly what this builds, and that both import as the JSON sample.
 */
import { readFileSync } from 'node:fs';
import type { MemberKind } from '../crypto/index.ts';
import { rosterWorkbook } from '../server/roster-file.ts';
import { parseRosterCsv } from '../server/roster.ts';

export const SAMPLES = new URL('../samples/', import.meta.url);
const KIND_WORD: Record<MemberKind, string> = { standing: '常委', full: '委员', alternate: '候补委员', participant: '参会人员' };
const TITLE = '（示例）某县第十五届县委委员名单';

/** GBK bytes of a text, from the inverse of the platform's own GBK decoder; throws on a character GBK lacks. */
export function encodeGbk(text: string): Uint8Array {
  const table = new Map<string, number>();
  const decoder = new TextDecoder('gbk', { fatal: true });
  for (let lead = 0x81; lead <= 0xfe; lead++)
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      try {
        const ch = decoder.decode(new Uint8Array([lead, trail]));
        if (!table.has(ch)) table.set(ch, (lead << 8) | trail);
      } catch {
        // not a GBK pair
      }
    }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (table.has(ch)) out.push(table.get(ch)! >> 8, table.get(ch)! & 0xff);
    else throw new RangeError(`GBK has no ${ch}`);
  }
  return new Uint8Array(out);
}

/** The sample files by name, built from the CSV sample. */
export function sampleFiles(): Record<string, Uint8Array> {
  const parsed = parseRosterCsv(readFileSync(new URL('county-committee.csv', SAMPLES), 'utf8'));
  if (parsed.problems.length) throw new Error(`samples/county-committee.csv: ${JSON.stringify(parsed.problems)}`);
  const rows = [['姓名', '类别', '职务'], ...parsed.rows.map((r) => [r.name, KIND_WORD[r.kind], r.title])];
  // Excel quotes only fields that need it, and ends lines with CRLF.
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return {
    'county-committee.xlsx': rosterWorkbook([[TITLE], [], ...rows]),
    'county-committee-gbk.csv': encodeGbk(rows.map((r) => r.map(field).join(',')).join('\r\n') + '\r\n'),
  };
}
