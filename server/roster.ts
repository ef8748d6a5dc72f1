/**
 * @module server/roster
 * Parsing a committee roster from JSON or CSV (name, kind, title) — a pure function that
 * reports every bad line at once, so the secretary can fix the file in one go. Kinds may be
 * given in English (standing/full/alternate) or Chinese (常委/委员/候补委员).
 */
import { isWellFormed, MEMBER_KINDS, type MemberKind } from '../crypto/index.ts';

export type RosterRow = { readonly name: string; readonly kind: MemberKind; readonly title: string };
export type RosterProblem = { readonly line: number; readonly error: string };

/** Most members on one meeting's roster. */
export const MAX_ROSTER = 1000;

const KIND_WORDS: Record<string, MemberKind> = {
  standing: 'standing', full: 'full', alternate: 'alternate',
  常委: 'standing', 委员: 'full', 候补委员: 'alternate',
};

function row(name: unknown, kind: unknown, title: unknown, line: number, problems: RosterProblem[]): RosterRow | null {
  const n = typeof name === 'string' ? name.trim() : '';
  const k = typeof kind === 'string' ? KIND_WORDS[kind.trim()] : undefined;
  const t = title === undefined || title === null ? '' : typeof title === 'string' ? title.trim() : null;
  if (!n || n.length > 100 || !isWellFormed(n)) problems.push({ line, error: 'name must be 1–100 characters' });
  else if (!k) problems.push({ line, error: `kind must be one of ${MEMBER_KINDS.join(', ')} (常委/委员/候补委员)` });
  else if (t === null || t.length > 100 || !isWellFormed(t)) problems.push({ line, error: 'title must be text of at most 100 characters' });
  else return { name: n, kind: k, title: t };
  return null;
}

/** Split one CSV line (RFC 4180 quoting). */
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

/** `lines[i]` is the source line of `rows[i]` (CSV: header and blank lines skipped); default i + 1. */
function finish(rows: (RosterRow | null)[], problems: RosterProblem[], lines?: readonly number[]): { rows: RosterRow[] } | { problems: RosterProblem[] } {
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!r) return;
    const line = lines?.[i] ?? i + 1;
    const prev = seen.get(r.name);
    if (prev !== undefined) problems.push({ line, error: `duplicate name (also on line ${prev})` });
    else seen.set(r.name, line);
  });
  if (rows.length === 0) problems.push({ line: 0, error: 'the roster is empty' });
  if (rows.length > MAX_ROSTER) problems.push({ line: 0, error: `at most ${MAX_ROSTER} members` });
  return problems.length ? { problems } : { rows: rows as RosterRow[] };
}

/** Parse `[{name, kind, title?}]`; line numbers are 1-based array positions. */
export function parseRosterJson(members: unknown): { rows: RosterRow[] } | { problems: RosterProblem[] } {
  if (!Array.isArray(members)) return { problems: [{ line: 0, error: 'members must be an array' }] };
  if (members.length > MAX_ROSTER) return { problems: [{ line: 0, error: `at most ${MAX_ROSTER} members` }] };
  const problems: RosterProblem[] = [];
  const rows = members.map((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      problems.push({ line: i + 1, error: 'each member must be an object {name, kind, title}' });
      return null;
    }
    const extra = Object.keys(m).filter((k) => !['name', 'kind', 'title'].includes(k));
    if (extra.length) {
      problems.push({ line: i + 1, error: `unknown field ${extra[0]}` });
      return null;
    }
    const o = m as Record<string, unknown>;
    return row(o.name, o.kind, o.title, i + 1, problems);
  });
  return finish(rows, problems);
}

/** Parse CSV with a header line `name,kind,title` (title optional); line numbers count the header as line 1. */
export function parseRosterCsv(csv: string): { rows: RosterRow[] } | { problems: RosterProblem[] } {
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '')?.map((h) => h.trim().toLowerCase());
  if (!header || header[0] !== 'name' || header[1] !== 'kind' || (header.length > 2 && header[2] !== 'title') || header.length > 3)
    return { problems: [{ line: 1, error: 'the first line must be: name,kind,title' }] };
  const problems: RosterProblem[] = [];
  const rows: (RosterRow | null)[] = [];
  const lineNos: number[] = [];
  lines.slice(1).forEach((l, i) => {
    if (l.trim() === '') return;
    lineNos.push(i + 2);
    const f = csvFields(l);
    if (!f || f.length < 2 || f.length > header.length) {
      problems.push({ line: i + 2, error: `expected ${header.length} comma-separated fields` });
      rows.push(null);
      return;
    }
    rows.push(row(f[0], f[1], f[2], i + 2, problems));
  });
  if (rows.length > MAX_ROSTER) return { problems: [{ line: 0, error: `at most ${MAX_ROSTER} members` }] };
  return finish(rows, problems, lineNos);
}
