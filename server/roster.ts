/**
 * @module server/roster
 * Parsing a roster from JSON or CSV (name, kind, title, category) — a pure function that
 * reads every line, keeps what it read for a preview, and reports every bad line at once
 * with a stable code, so the secretary can fix the file in one go. Kinds may be given in
 * English (standing/full/alternate/participant) or Chinese (常委/委员/候补委员/参会人员); a
 * participant (not a committee member: a recommendation or evaluation meeting) may have a
 * free-text category (类别: 县级领导干部, 群众代表 …).
 */
import { isWellFormed, type MemberKind } from '../crypto/index.ts';

export type RosterRow = { readonly name: string; readonly kind: MemberKind; readonly title: string; readonly category: string | null };

/** Why a roster line is refused (stable codes; `line` 0 means the roster as a whole). */
export type RosterProblemCode =
  | 'NAME' | 'KIND' | 'TITLE' | 'CATEGORY' | 'DUPLICATE' | 'FIELDS' | 'HEADER' | 'EMPTY' | 'TOO_MANY' | 'NOT_OBJECT' | 'UNKNOWN_FIELD' | 'NOT_ARRAY';
export type RosterProblem = { readonly line: number; readonly code: RosterProblemCode; readonly arg?: string | number };

/** One line as read, for the preview: raw text fields, and the parsed row when valid. */
export type RosterLine = { readonly line: number; readonly name: string; readonly kind: string; readonly title: string; readonly category: string };

export type ParsedRoster = { readonly lines: readonly RosterLine[]; readonly rows: readonly RosterRow[]; readonly problems: readonly RosterProblem[] };

/** Most members on one meeting's roster. */
export const MAX_ROSTER = 1000;

const KIND_WORDS: Record<string, MemberKind> = {
  standing: 'standing', full: 'full', alternate: 'alternate', participant: 'participant',
  常委: 'standing', 委员: 'full', 候补委员: 'alternate', 参会人员: 'participant',
};

const TEXTS: Record<RosterProblemCode, readonly [zh: string, en: string]> = {
  NAME: ['姓名须为 1–100 个字', 'the name must be 1–100 characters'],
  KIND: ['类别须为 standing / full / alternate / participant（常委 / 委员 / 候补委员 / 参会人员）', 'kind must be standing / full / alternate / participant (常委 / 委员 / 候补委员 / 参会人员)'],
  CATEGORY: ['分组只用于参会人员，且不超过 50 个字', 'a category is for participants only, and at most 50 characters'],
  TITLE: ['职务须为不超过 100 个字的文字', 'the title must be text of at most 100 characters'],
  DUPLICATE: ['姓名重复（与第 {} 行相同）', 'duplicate name (also on line {})'],
  FIELDS: ['应为 {} 个以逗号分隔的字段（引号须成对）', 'expected {} comma-separated fields (quotes must be closed)'],
  HEADER: ['第一行必须是：name,kind,title（参会人员名单可再加一列 category）', 'the first line must be: name,kind,title (a participants\' roster may add a column category)'],
  EMPTY: ['名单为空', 'the roster is empty'],
  TOO_MANY: [`最多 ${MAX_ROSTER} 人`, `at most ${MAX_ROSTER} members`],
  NOT_OBJECT: ['每一项须为 {name, kind, title, category}', 'each member must be an object {name, kind, title, category}'],
  UNKNOWN_FIELD: ['有无法识别的字段 {}', 'unknown field {}'],
  NOT_ARRAY: ['members 须为数组', 'members must be an array'],
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
  const kind = Object.hasOwn(KIND_WORDS, l.kind) ? KIND_WORDS[l.kind] : undefined; // not "constructor", "__proto__", …
  if (!l.name || l.name.length > 100 || !isWellFormed(l.name)) problems.push({ line: l.line, code: 'NAME' });
  else if (!kind) problems.push({ line: l.line, code: 'KIND' });
  else if (!titleOk || l.title.length > 100 || !isWellFormed(l.title)) problems.push({ line: l.line, code: 'TITLE' });
  else if (l.category && (kind !== 'participant' || l.category.length > 50 || !isWellFormed(l.category))) problems.push({ line: l.line, code: 'CATEGORY' });
  else return { name: l.name, kind, title: l.title, category: l.category || null };
  return null;
}

/** Split one CSV line (RFC 4180 quoting); null for an unclosed quote. */
function csvFields(line: string): string[] | null {
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
    else if (ch === ',') out.push(cur), (cur = '');
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

/** Parse CSV with a header line `name,kind,title[,category]` (title optional); the header is line 1, blank lines are skipped. */
export function parseRosterCsv(csv: string): ParsedRoster {
  const text = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(text[0] ?? '')?.map((h) => h.trim().toLowerCase());
  if (!header || header[0] !== 'name' || header[1] !== 'kind' || (header.length > 2 && header[2] !== 'title') || (header.length > 3 && header[3] !== 'category') || header.length > 4)
    return { lines: [], rows: [], problems: [{ line: 1, code: 'HEADER' }] };
  const problems: RosterProblem[] = [];
  const lines: RosterLine[] = [];
  const rows: (RosterRow | null)[] = [];
  text.forEach((raw, i) => {
    if (i === 0 || raw.trim() === '') return;
    const f = csvFields(raw);
    const l = { line: i + 1, name: str(f?.[0] ?? raw), kind: str(f?.[1]), title: str(f?.[2]), category: str(f?.[3]) };
    lines.push(l);
    if (!f || f.length < 2 || f.length > header.length) {
      problems.push({ line: l.line, code: 'FIELDS', arg: header.length });
      rows.push(null);
    } else rows.push(checkRow(l, true, problems));
  });
  return finish(lines, rows, problems);
}
