/**
 * @module server/roster
 * Parsing a roster from JSON or a table (CSV text, or a workbook's rows: server/roster-file.ts)
 * — pure functions that read every line, keep what they read for a preview, and report every
 * bad line at once with a stable code, so the secretary can fix the file in one go. A table's
 * header names its columns in English or Chinese, in any order (姓名,类别,职务[,参会类别]).
 * Kinds may be given in English (standing/full/alternate/participant) or Chinese
 * (常委/委员/候补委员/参会人员); a participant (not a committee member: a recommendation or
 * evaluation meeting) may have a free-text category (参会类别: 县级领导干部, 群众代表 …).
 */
import { isWellFormed, type MemberKind } from '../crypto/index.ts';

export type RosterRow = { readonly name: string; readonly kind: MemberKind; readonly title: string; readonly category: string | null };

/** Why a roster line is refused (stable codes; `line` 0 means the roster as a whole). */
export type RosterProblemCode =
  | 'NAME' | 'KIND' | 'TITLE' | 'CATEGORY' | 'DUPLICATE' | 'FIELDS' | 'HEADER' | 'COLUMN' | 'EMPTY' | 'TOO_MANY' | 'NOT_OBJECT' | 'UNKNOWN_FIELD' | 'NOT_ARRAY' | 'JSON';
export type RosterProblem = { readonly line: number; readonly code: RosterProblemCode; readonly arg?: string | number };

/** One line as read, for the preview: raw text fields, and the parsed row when valid. */
export type RosterLine = { readonly line: number; readonly name: string; readonly kind: string; readonly title: string; readonly category: string };

export type ParsedRoster = { readonly lines: readonly RosterLine[]; readonly rows: readonly RosterRow[]; readonly problems: readonly RosterProblem[] };

/** Most members on one meeting's roster. */
export const MAX_ROSTER = 1000;

const KIND_WORDS: Record<string, MemberKind> = {
  standing: 'standing', full: 'full', alternate: 'alternate', participant: 'participant',
  常委: 'standing', 常务委员: 'standing', 委员: 'full', 候补委员: 'alternate', 参会人员: 'participant',
};

const HEADER_ZH = '首行为“姓名,类别,职务”，类别填写 常委/委员/候补委员（参会人员名单可再加一列“参会类别”）';
const HEADER_EN = 'the first line must be “name,kind,title” (or 姓名,类别,职务), kind one of standing/full/alternate (常委/委员/候补委员); a participants’ roster may add a column “category” (参会类别)';

const TEXTS: Record<RosterProblemCode, readonly [zh: string, en: string]> = {
  NAME: ['姓名须为 1–100 个字', 'the name must be 1–100 characters'],
  KIND: ['类别须填写 常委、委员、候补委员 或 参会人员', 'kind must be standing, full, alternate or participant (常委/委员/候补委员/参会人员)'],
  CATEGORY: ['参会类别只用于参会人员，且不超过 50 个字', 'a category is for participants only, and at most 50 characters'],
  TITLE: ['职务须为不超过 100 个字的文字', 'the title must be text of at most 100 characters'],
  DUPLICATE: ['姓名重复（与第 {} 行相同）', 'duplicate name (also on line {})'],
  FIELDS: ['本行有首行未列出的内容（首行共 {} 列），或引号未成对', 'this line has text outside the {} columns of the first line, or an unclosed quote'],
  HEADER: [HEADER_ZH, HEADER_EN],
  COLUMN: [`首行有无法识别或重复的列“{}”。${HEADER_ZH}`, `the first line has an unknown or repeated column “{}”; ${HEADER_EN}`],
  EMPTY: ['名单为空', 'the roster is empty'],
  TOO_MANY: [`最多 ${MAX_ROSTER} 人`, `at most ${MAX_ROSTER} members`],
  NOT_OBJECT: ['每一项须为 {name, kind, title, category}', 'each member must be an object {name, kind, title, category}'],
  UNKNOWN_FIELD: ['有无法识别的字段 {}', 'unknown field {}'],
  NOT_ARRAY: ['members 须为数组', 'members must be an array'],
  JSON: ['JSON 格式不正确，请检查文件，或改用 CSV、Excel 文件', 'the file is not valid JSON; check it, or use a CSV or Excel file'],
};

/** A problem in words, in the caller's language. */
export function problemText(p: RosterProblem, lang: 'zh' | 'en'): string {
  return TEXTS[p.code][lang === 'en' ? 1 : 0].replace('{}', String(p.arg ?? ''));
}

function str(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // Never String() an object: a JSON object may carry its own "toString" (→ TypeError).
  return v === undefined || v === null ? '' : Array.isArray(v) ? '[…]' : '{…}';
}

function checkRow(l: RosterLine, titleOk: boolean, problems: RosterProblem[]): RosterRow | null {
  const word = l.kind.toLowerCase();
  const kind = Object.hasOwn(KIND_WORDS, word) ? KIND_WORDS[word] : undefined; // not "constructor", "__proto__", …
  if (!l.name || l.name.length > 100 || !isWellFormed(l.name)) problems.push({ line: l.line, code: 'NAME' });
  else if (!kind) problems.push({ line: l.line, code: 'KIND' });
  else if (!titleOk || l.title.length > 100 || !isWellFormed(l.title)) problems.push({ line: l.line, code: 'TITLE' });
  else if (l.category && (kind !== 'participant' || l.category.length > 50 || !isWellFormed(l.category))) problems.push({ line: l.line, code: 'CATEGORY' });
  else return { name: l.name, kind, title: l.title, category: l.category || null };
  return null;
}

/** Split one CSV line (RFC 4180 quoting) at `sep`; null for an unclosed quote. */
function csvFields(line: string, sep: ',' | '\t'): string[] | null {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === sep) out.push(cur), (cur = '');
    else cur += ch;
  }
  if (quoted) return null;
  out.push(cur);
  return out;
}

function finish(lines: RosterLine[], rows: (RosterRow | null)[], problems: RosterProblem[]): ParsedRoster {
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!r) return;
    const line = lines[i]!.line;
    const prev = seen.get(r.name);
    if (prev !== undefined) problems.push({ line, code: 'DUPLICATE', arg: prev });
    else seen.set(r.name, line);
  });
  if (lines.length === 0) problems.push({ line: 0, code: 'EMPTY' });
  if (lines.length > MAX_ROSTER) problems.push({ line: 0, code: 'TOO_MANY' });
  problems.sort((a, b) => a.line - b.line);
  return { lines, rows: problems.length ? [] : (rows as RosterRow[]), problems };
}

/** Parse `[{name, kind, title?}]`; line numbers are 1-based array positions. */
export function parseRosterJson(members: unknown): ParsedRoster {
  if (!Array.isArray(members)) return { lines: [], rows: [], problems: [{ line: 0, code: 'NOT_ARRAY' }] };
  if (members.length > MAX_ROSTER) return { lines: [], rows: [], problems: [{ line: 0, code: 'TOO_MANY' }] };
  const problems: RosterProblem[] = [];
  const lines: RosterLine[] = [];
  const rows = members.map((m, i) => {
    const o = (typeof m === 'object' && m !== null && !Array.isArray(m) ? m : {}) as Record<string, unknown>;
    const l = { line: i + 1, name: str(o.name), kind: str(o.kind), title: str(o.title), category: str(o.category) };
    lines.push(l);
    if (o !== m) return problems.push({ line: l.line, code: 'NOT_OBJECT' }), null;
    const extra = Object.keys(o).find((k) => !['name', 'kind', 'title', 'category'].includes(k));
    if (extra) return problems.push({ line: l.line, code: 'UNKNOWN_FIELD', arg: extra }), null;
    // Names and kinds must be text: 5 or ["standing"] are not coerced into one.
    if (typeof o.name !== 'string') return problems.push({ line: l.line, code: 'NAME' }), null;
    if (typeof o.kind !== 'string') return problems.push({ line: l.line, code: 'KIND' }), null;
    if (o.category !== undefined && o.category !== null && typeof o.category !== 'string') return problems.push({ line: l.line, code: 'CATEGORY' }), null;
    return checkRow(l, o.title === undefined || o.title === null || typeof o.title === 'string', problems);
  });
  return finish(lines, rows, problems);
}

/** One row of a table (a CSV line or a sheet row): its 1-based number and cells (null: an unclosed quote, with the raw text). */
export type TableRow = { readonly line: number; readonly cells: readonly string[] | null; readonly raw?: string };

type Column = 'name' | 'kind' | 'title' | 'category';
/** Column names of the header row, English or Chinese; 序号 (a running number) is read past. */
const COLUMNS: Record<string, Column | 'skip'> = {
  name: 'name', kind: 'kind', title: 'title', category: 'category',
  姓名: 'name', 类别: 'kind', 职务: 'title', 参会类别: 'category', 序号: 'skip',
};
/** How many non-blank rows may stand above the header (a sheet's title such as "某县委委员名单"). */
const TITLE_ROWS = 3;

/** A header cell's column: case, spaces (“姓　名”) and Excel's line breaks do not count. */
function columnOf(cell: string): Column | 'skip' | undefined {
  const key = cell.replace(/[\s\u3000]+/g, '').toLowerCase();
  return Object.hasOwn(COLUMNS, key) ? COLUMNS[key] : undefined; // not "constructor", "__proto__", …
}

/**
 * Parse a table whose header row names the columns, in any order: 姓名/name and 类别/kind,
 * optionally 职务/title and 参会类别/category. Up to three rows above the header that name no
 * column are a title and are read past; blank rows are skipped.
 */
export function parseRosterTable(table: readonly TableRow[]): ParsedRoster {
  const filled = table.filter((r) => !r.cells || r.cells.some((c) => c.trim() !== ''));
  if (filled.length === 0) return { lines: [], rows: [], problems: [{ line: 0, code: 'EMPTY' }] };
  const at = filled.slice(0, TITLE_ROWS + 1).findIndex((r) => r.cells?.some((c) => columnOf(c) === 'name'));
  if (at < 0) return { lines: [], rows: [], problems: [{ line: filled[0]!.line, code: 'HEADER' }] };
  const head = filled[at]!;
  const index: Partial<Record<Column, number>> = {};
  const named: boolean[] = []; // columns whose cells are read (or, for 序号, read past)
  for (const [i, cell] of head.cells!.entries()) {
    const col = columnOf(cell);
    if (cell.trim() === '') continue;
    if (!col || (col !== 'skip' && index[col] !== undefined)) return { lines: [], rows: [], problems: [{ line: head.line, code: 'COLUMN', arg: cell.trim() }] };
    if (col !== 'skip') index[col] = i;
    named[i] = true;
  }
  if (index.kind === undefined) return { lines: [], rows: [], problems: [{ line: head.line, code: 'HEADER' }] };
  const problems: RosterProblem[] = [];
  const lines: RosterLine[] = [];
  const rows: (RosterRow | null)[] = [];
  for (const { line, cells, raw } of filled.slice(at + 1)) {
    const cell = (k: Column) => (index[k] === undefined ? '' : str(cells?.[index[k]!]));
    const l = { line, name: cells ? cell('name') : str(raw), kind: cell('kind'), title: cell('title'), category: cell('category') };
    lines.push(l);
    // Text outside the named columns, or an unclosed quote, would be lost: say so instead.
    if (!cells || cells.some((c, i) => !named[i] && c.trim() !== '')) {
      problems.push({ line, code: 'FIELDS', arg: named.length });
      rows.push(null);
    } else rows.push(checkRow(l, true, problems));
  }
  return finish(lines, rows, problems);
}

/**
 * Parse CSV text (see parseRosterTable); lines are numbered from 1, a BOM is dropped. Cells
 * copied from Excel and pasted come tab-separated: a first line with tabs and no comma says so.
 */
export function parseRosterCsv(csv: string): ParsedRoster {
  const text = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = text.find((l) => l.trim() !== '') ?? '';
  const sep = first.includes('\t') && !first.includes(',') ? '\t' : ',';
  return parseRosterTable(text.map((raw, i) => ({ line: i + 1, cells: csvFields(raw, sep), raw })));
}
