/**
 * @module server/xlsx-worker
 * Reads an uploaded workbook on a worker thread (server/roster-file.ts starts it): a damaged
 * or crafted .xlsx can keep SheetJS busy without end (a broken deflate stream made its own
 * inflater loop), and the server must keep serving the meeting meanwhile — the caller gives up
 * after a few seconds and ends the thread. Node's zlib inflates, so most damaged files fail at
 * once instead. Answers `{id, rows}` (cell text by Excel row number) or `{id, error: true}`.
 */
import * as XLSX from '@e965/xlsx';
import { parentPort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { MAX_ROSTER, type TableRow } from './roster.ts';

// SheetJS reads zlib's deprecated bytesRead (DEP0108); the warning is this thread's only.
(process as { noDeprecation?: boolean }).noDeprecation = true;
XLSX.CFB.utils.use_zlib(zlib);

/** The first sheet of a workbook as rows of cell text, numbered as Excel numbers them; throws on anything else. */
export function sheetRows(bytes: Uint8Array): TableRow[] {
  const wb = XLSX.read(bytes, { type: 'array', dense: true, sheets: 0, sheetRows: MAX_ROSTER + 20, cellFormula: false, cellHTML: false, cellStyles: false, bookVBA: false });
  const sheet = wb.Sheets[wb.SheetNames[0] ?? ''];
  if (!sheet) throw new Error('no sheet');
  if (!sheet['!ref']) return [];
  const range = XLSX.utils.decode_range(sheet['!ref']);
  // A roster has a handful of columns; a range claiming thousands would only cost time.
  range.e.c = Math.min(range.e.c, range.s.c + 30);
  // raw: false gives each cell's text as Excel shows it (a number typed as 1 stays "1").
  const cells = XLSX.utils.sheet_to_json<unknown[]>(sheet, { header: 1, raw: false, defval: '', blankrows: true, range });
  return cells.map((row, i) => ({ line: range.s.r + i + 1, cells: row.map((c) => (typeof c === 'string' ? c : String(c ?? ''))) }));
}

parentPort?.on('message', ({ id, bytes }: { id: number; bytes: Uint8Array }) => {
  let rows: TableRow[] | null = null;
  try {
    rows = sheetRows(bytes);
  } catch {
    // any failure means: not a readable workbook
  }
  parentPort!.postMessage(rows ? { id, rows } : { id, error: true });
});
parentPort?.postMessage({ ready: true });
