/**
 * @module server/roster-file
 * An uploaded roster file, as the bytes the secretary chose: an Excel workbook (.xlsx), or a
 * text file (CSV or JSON) in UTF-8 (with or without BOM) or GB18030/GBK, which is what Chinese
 * Excel writes for "CSV (逗号分隔)". The server decodes it, so the page never has to guess an
 * encoding and mangle the names; a file that is none of these is refused with a stable code
 * (ROSTER_FILE_*) before anything else happens. Also the downloadable template (CSV and XLSX).
 *
 * XLSX is read and written with @e965/xlsx 0.20.3: the SheetJS parser as republished on npm
 * (the `xlsx` package there stopped at 0.18.5, with the prototype-pollution and ReDoS bugs
 * fixed only in 0.20.2+); it has no dependencies, reads and writes, and runs on the server
 * only (reading on a worker thread with a time limit: server/xlsx-worker.ts), so its size
 * never reaches the browser. exceljs 4.4.0 would pull in about 40 packages
 * for the same two jobs.
 */
import * as XLSX from '@e965/xlsx';
import { Worker } from 'node:worker_threads';
import { ApiError } from './errors.ts';
import { parseRosterCsv, parseRosterJson, parseRosterTable, type ParsedRoster, type TableRow } from './roster.ts';

/** Largest roster file taken (a 1000-member CSV is about 60 KB, an XLSX about 40 KB). */
export const MAX_ROSTER_FILE = 512 * 1024;
/** Most bytes the parts of a workbook may unpack to (a zip bomb is refused unread). */
const MAX_UNPACKED = 32 * 1024 * 1024;

export type RosterEncoding = 'utf-8' | 'utf-8-bom' | 'gb18030';
/** What a file turned out to be: a workbook's first sheet as rows, or decoded text. */
export type RosterFile =
  | { readonly format: 'xlsx'; readonly rows: readonly TableRow[] }
  | { readonly format: 'text'; readonly encoding: RosterEncoding; readonly text: string };

/** Read an uploaded file; throws ApiError ROSTER_FILE_TOO_LARGE / _OLD_EXCEL / _NOT_WORKBOOK / _ENCODING. */
export async function readRosterFile(bytes: Uint8Array): Promise<RosterFile> {
  if (bytes.length > MAX_ROSTER_FILE) throw new ApiError('ROSTER_FILE_TOO_LARGE');
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return { format: 'xlsx', rows: await workbookRows(bytes) };
  // An OLE compound file: Excel 97–2003 (.xls), or a workbook saved with a password.
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) throw new ApiError('ROSTER_FILE_OLD_EXCEL');
  return { format: 'text', ...decodeText(bytes) };
}

/**
 * Decode a text file: UTF-8 after a BOM; else UTF-8 if the bytes are valid UTF-8, else
 * GB18030 (a superset of GBK and GB2312) if they are valid GB18030. Control characters
 * other than tab and line ends mean it is not a text file at all.
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: RosterEncoding } {
  const bom = startsWith(bytes, [0xef, 0xbb, 0xbf]);
  const tryDecode = (label: string, b: Uint8Array) => {
    try {
      return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(b);
    } catch {
      return null;
    }
  };
  let encoding: RosterEncoding = bom ? 'utf-8-bom' : 'utf-8';
  let text = tryDecode('utf-8', bom ? bytes.subarray(3) : bytes);
  // UTF-16 (Excel's "Unicode text") is neither, and carries NULs: refused below.
  if (text === null && !bom) (text = tryDecode('gb18030', bytes)), (encoding = 'gb18030');
  // eslint-disable-next-line no-control-regex
  if (text === null || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) throw new ApiError('ROSTER_FILE_ENCODING');
  return { text, encoding };
}

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((x, i) => b[i] === x);
}

/** Names and unpacked sizes in a zip's central directory (APPNOTE 4.3.12, 4.3.16); null if there is none. */
function zipEntries(b: Uint8Array): { name: string; size: number }[] | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let eocd = b.length - 22; eocd >= Math.max(0, b.length - 22 - 0xffff); eocd--) {
    if (v.getUint32(eocd, true) !== 0x06054b50) continue;
    const out: { name: string; size: number }[] = [];
    let p = v.getUint32(eocd + 16, true);
    for (let k = v.getUint16(eocd + 10, true); k > 0; k--) {
      if (p + 46 > b.length || v.getUint32(p, true) !== 0x02014b50) return null;
      const nameLength = v.getUint16(p + 28, true);
      out.push({ name: new TextDecoder().decode(b.subarray(p + 46, p + 46 + nameLength)), size: v.getUint32(p + 24, true) });
      p += 46 + nameLength + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
    }
    return out;
  }
  return null;
}

/** The first sheet of a workbook as rows of cell text, read on the worker thread (server/xlsx-worker.ts). */
async function workbookRows(bytes: Uint8Array): Promise<TableRow[]> {
  const entries = zipEntries(bytes);
  // A .docx, an .ods or any other zip is not a workbook; .xlsb keeps xl/workbook.bin.
  if (!entries || !entries.some((e) => e.name === 'xl/workbook.xml')) throw new ApiError('ROSTER_FILE_NOT_WORKBOOK');
  // 0xffffffff is a ZIP64 size, which no roster needs.
  if (entries.reduce((s, e) => s + e.size, 0) > MAX_UNPACKED) throw new ApiError('ROSTER_FILE_TOO_LARGE');
  const rows = await inWorker(bytes);
  if (!rows) throw new ApiError('ROSTER_FILE_NOT_WORKBOOK');
  return rows;
}

/** How long a workbook may take to read (the sample takes about 30 ms). */
const WORKBOOK_MS = 5000;
const WORKER_URL = new URL('./xlsx-worker.ts', import.meta.url).href;
// The worker runs TypeScript through tsx's loader, as server/crypto-pool.ts starts its workers.
const BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); })`;
let worker: { thread: Worker; ready: Promise<boolean> } | null = null;
let nextId = 1;
const waiting = new Map<number, (rows: TableRow[] | null) => void>();

/** The one reading thread, started on first use (and again after one was ended). */
function readingThread(): { thread: Worker; ready: Promise<boolean> } {
  if (worker) return worker;
  const thread = new Worker(BOOT, { eval: true });
  thread.unref();
  let started: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (started = r));
  thread.on('message', (m: { ready?: true; id?: number; rows?: TableRow[] }) => {
    if (m.ready) return started(true);
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m.rows ?? null);
    waiting.delete(m.id);
  });
  // A thread that died or was ended answers null to everything it had.
  const gone = () => {
    if (worker?.thread === thread) worker = null;
    started(false);
    for (const answer of waiting.values()) answer(null);
    waiting.clear();
  };
  thread.on('error', gone);
  thread.on('exit', gone);
  return (worker = { thread, ready });
}

/** Rows of a workbook read on the thread, or null when unreadable or slower than WORKBOOK_MS (the thread is then ended). */
async function inWorker(bytes: Uint8Array): Promise<TableRow[] | null> {
  const { thread, ready } = readingThread();
  // The clock starts once the thread has loaded: a slow start on a busy machine is not the file's fault.
  if (!(await ready)) return null;
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => void thread.terminate(), WORKBOOK_MS); // → exit → null
    waiting.set(id, (rows) => {
      clearTimeout(timer);
      resolve(rows);
    });
    thread.postMessage({ id, bytes });
  });
}

/** The template's columns and two example rows (as the HEADER message asks for them). */
export const TEMPLATE_ROWS: readonly (readonly string[])[] = [
  ['姓名', '类别', '职务'],
  ['张三', '常委', '县委常委、组织部部长'],
  ['李四', '委员', '县人大常委会副主任'],
];

/** A sheet of text rows as an XLSX workbook (sheet 名单, columns wide enough for Chinese titles). */
export function rosterWorkbook(rows: readonly (readonly string[])[]): Uint8Array<ArrayBuffer> {
  const sheet = XLSX.utils.aoa_to_sheet(rows.map((r) => [...r]));
  sheet['!cols'] = [{ wch: 12 }, { wch: 12 }, { wch: 36 }, { wch: 16 }];
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, sheet, '名单');
  return new Uint8Array(XLSX.write(wb, { type: 'array', bookType: 'xlsx', compression: true }) as ArrayBuffer);
}

/** Text rows as CSV (RFC 4180 quoting), UTF-8 with a BOM and CRLF, as Excel opens it without asking. */
export function rosterCsv(rows: readonly (readonly string[])[]): Uint8Array<ArrayBuffer> {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return new TextEncoder().encode(`\uFEFF${rows.map((r) => r.map(field).join(',')).join('\r\n')}\r\n`);
}

/** The bytes of an upload's `file` field (standard base64, as the page's btoa writes it). */
export function base64File(v: unknown): Uint8Array {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new ApiError('BAD_REQUEST', 'file must be base64');
  // The decoded size is known before decoding: a file over the limit is refused unread.
  if ((v.length / 4) * 3 - (v.match(/=*$/)![0].length) > MAX_ROSTER_FILE) throw new ApiError('ROSTER_FILE_TOO_LARGE');
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** What the import read from a file, for the page to say ("GB18030 encoded CSV"). */
export type FileInfo = { readonly format: 'xlsx' | 'csv' | 'json'; readonly encoding: RosterEncoding | null };

/** Parse an uploaded roster file: a workbook's first sheet, CSV text, or JSON like samples/county-committee.json. */
export async function parseRosterFile(bytes: Uint8Array): Promise<{ parsed: ParsedRoster; file: FileInfo }> {
  const f = await readRosterFile(bytes);
  if (f.format === 'xlsx') return { parsed: parseRosterTable(f.rows), file: { format: 'xlsx', encoding: null } };
  const s = f.text.trim();
  if (!s.startsWith('[') && !s.startsWith('{')) return { parsed: parseRosterCsv(f.text), file: { format: 'csv', encoding: f.encoding } };
  let members: unknown;
  try {
    const json: unknown = JSON.parse(s);
    members = Array.isArray(json) ? json : (json as { members?: unknown } | null)?.members;
  } catch {
    return { parsed: { lines: [], rows: [], problems: [{ line: 0, code: 'JSON' }] }, file: { format: 'json', encoding: f.encoding } };
  }
  return { parsed: parseRosterJson(members), file: { format: 'json', encoding: f.encoding } };
}
