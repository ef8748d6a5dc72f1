/**
 * @module client/secretary/Roster
 * Roster import: paste CSV (header 姓名,类别,职务 or name,kind,title) or JSON (an array of
 * members, or an object with `members` like samples/county-committee.json), or upload a file —
 * CSV, JSON or an Excel workbook — which goes to the server as its bytes: the server decodes
 * UTF-8 or GB18030 (Chinese Excel's CSV) and reads XLSX, so no encoding is guessed here. The
 * preview and the per-line problems come from the server's own parser (POST …/roster/preview),
 * in the UI language, so what the secretary sees is exactly what the import will accept or
 * refuse. A re-import that would void issued sign-in slips says how many and asks first.
 */
import { createEffect, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js';
import type { MemberKind } from '../../crypto/index.ts';
import { ApiFailure, messageOf } from '../api.ts';
import { t, type Key } from '../i18n.ts';
import type { MemberView } from '../types.ts';
import { confirmAsk, Notice } from '../ui.tsx';
import { kindWord } from '../words.ts';
import type { MeetingCtx } from './Meeting.tsx';
import { sec } from './session.ts';

/** What the server's parser read of one line, and its problems (server/roster.ts). */
type Line = { line: number; name: string; kind: string; title: string; category: string };
type Problem = { line: number; code: string; error: string };
/** What an uploaded file was read as (server/roster-file.ts). */
type FileInfo = { format: 'csv' | 'xlsx' | 'json'; encoding: 'utf-8' | 'utf-8-bom' | 'gb18030' | null };
type Preview = { lines: Line[]; problems: Problem[]; file: FileInfo | null; codesIssued: number };
type Body = { members: unknown } | { csv: string } | { file: string };

const KINDS: Record<string, MemberKind> = {
  standing: 'standing', full: 'full', alternate: 'alternate', participant: 'participant',
  常委: 'standing', 常务委员: 'standing', 委员: 'full', 候补委员: 'alternate', 参会人员: 'participant',
};
const kindOf = (word: string): MemberKind | undefined => KINDS[word.toLowerCase()];

/** The largest file the server takes (server/roster-file.ts MAX_ROSTER_FILE). */
const MAX_FILE = 512 * 1024;

/** The import request for pasted text: JSON members, or CSV as is. */
export function rosterBody(text: string): { members: unknown } | { csv: string } | { error: string } | null {
  const s = text.replace(/^\uFEFF/, '').trim();
  if (!s) return null;
  if (!s.startsWith('[') && !s.startsWith('{')) return { csv: s };
  let json: unknown;
  try {
    json = JSON.parse(s);
  } catch (e) {
    return { error: t('sec.roster.badJson', { detail: (e as Error).message }) };
  }
  const members = Array.isArray(json) ? json : (json as { members?: unknown }).members;
  return Array.isArray(members) ? { members } : { error: t('sec.roster.badJson', { detail: 'members' }) };
}

/** A file's bytes as base64, in slices (a spread of 512 KB at once overflows the call stack). */
async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export default function Roster(props: { ctx: MeetingCtx }) {
  const [text, setText] = createSignal('');
  const [file, setFile] = createSignal<{ name: string; data: string } | null>(null);
  const [preview, setPreview] = createSignal<Preview | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [done, setDone] = createSignal<string | null>(null);
  let input: HTMLInputElement | undefined;
  const body = (): Body | { error: string } | null => {
    const f = file();
    return f ? { file: f.data } : rosterBody(text());
  };
  const path = () => `/api/meetings/${props.ctx.detail().meeting.id}/roster`;
  const locked = () => props.ctx.detail().ballots.length > 0 || props.ctx.detail().meeting.status === 'ended';
  const problems = () => preview()?.problems ?? [];
  const count = (k: MemberKind) => (preview()?.lines ?? []).filter((r) => kindOf(r.kind) === k).length;
  const ready = () => !!preview() && preview()!.lines.length > 0 && problems().length === 0;
  const fileWords = (f: FileInfo) => [t(`sec.roster.format.${f.format}` as Key), ...(f.encoding ? [t(`sec.roster.encoding.${f.encoding}` as Key)] : [])].join(' · ');

  // Ask the server's parser for a preview shortly after the text (or the file) changes.
  let seq = 0;
  createEffect(
    on([text, file], () => {
      const b = body();
      const mine = ++seq;
      setPreview(null);
      setError(null);
      if (!b || 'error' in b) return;
      const timer = setTimeout(() => {
        sec<Preview>('POST', `${path()}/preview`, b)
          .then((p) => mine === seq && setPreview(p))
          .catch((err) => mine === seq && setError(messageOf(err)));
      }, 250);
      onCleanup(() => clearTimeout(timer));
    }),
  );

  const clearFile = () => {
    setFile(null);
    if (input) input.value = '';
  };
  const upload = async (e: Event & { currentTarget: HTMLInputElement }) => {
    const f = e.currentTarget.files?.[0];
    if (!f) return;
    setDone(null);
    if (f.size > MAX_FILE) {
      clearFile();
      setError(t('sec.roster.fileTooLarge', { name: f.name }));
      return;
    }
    setText('');
    setFile({ name: f.name, data: await base64Of(f) });
  };

  const submit = async () => {
    const b = body();
    if (!b || 'error' in b) return;
    setError(null);
    setDone(null);
    // Issued slips die with the old roster: say how many and ask; the server asks again (with
    // the new count) if more were issued in the meantime.
    let voids = preview()?.codesIssued ?? 0;
    for (;;) {
      if (voids > 0 && !(await confirmAsk(t('sec.roster.voidAsk', { n: voids }), t('sec.roster.voidYes'), true))) return;
      try {
        const { members } = await sec<{ members: MemberView[] }>('POST', path(), voids > 0 ? { ...b, voidCodes: voids } : b);
        await props.ctx.reload();
        setDone(t(voids > 0 ? 'sec.roster.importedVoided' : 'sec.roster.imported', { n: members.length, v: voids }));
        setText('');
        clearFile();
        return;
      } catch (err) {
        if (err instanceof ApiFailure && err.code === 'ROSTER_CODES_ISSUED' && typeof err.body.codes === 'number' && err.body.codes !== voids) {
          voids = err.body.codes;
          continue;
        }
        setError(messageOf(err));
        if (err instanceof ApiFailure && Array.isArray(err.body.lines)) setPreview({ ...(preview() ?? { lines: [], file: null, codesIssued: 0 }), problems: err.body.lines as Problem[] });
        return;
      }
    }
  };

  return (
    <section class="tab-panel" data-testid="roster-panel">
      <Show when={!locked()} fallback={<Notice kind="info">{t('sec.roster.locked')}</Notice>}>
        <div class="card">
          <h2>{t('sec.roster.heading')}</h2>
          <p class="muted">{t('sec.roster.hint')}</p>
          <p class="roster-template" data-testid="roster-template">
            {t('sec.roster.template')}
            <a class="btn btn-secondary btn-small" href="/api/roster-template/xlsx" download={t('sec.roster.templateFile', { ext: 'xlsx' })} data-testid="roster-template-xlsx">
              {t('sec.roster.templateXlsx')}
            </a>
            <a class="btn btn-secondary btn-small" href="/api/roster-template/csv" download={t('sec.roster.templateFile', { ext: 'csv' })} data-testid="roster-template-csv">
              {t('sec.roster.templateCsv')}
            </a>
          </p>
          {/* A chosen file replaces the text: the box gives way to the file's preview ("改为粘贴" brings it back). */}
          <Show when={!file()}>
            <label class="field-label" for="roster-text">{t('sec.roster.paste')}</label>
            <textarea
              id="roster-text" class="input roster-text" rows={8} value={text()} placeholder={'姓名,类别,职务\n卢海涛,常委,县委书记'} data-testid="roster-text"
              onInput={(e) => {
                clearFile();
                setText(e.currentTarget.value);
              }}
            />
          </Show>
          <div class="inline-form">
            <label class="btn btn-secondary file-btn">
              {t('sec.roster.upload')}
              <input
                ref={input} type="file" data-testid="roster-file" onChange={(e) => void upload(e)}
                accept=".xlsx,.csv,.txt,.json,text/csv,application/json,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              />
            </label>
            <button type="button" class="btn btn-primary" disabled={!ready()} onClick={() => void submit()} data-testid="roster-import">
              {t('sec.roster.import')}
            </button>
          </div>
          <Show when={file()}>
            {(f) => (
              <p class="muted" data-testid="roster-file-info">
                {t('sec.roster.fileChosen', { name: f().name })}
                <Show when={preview()?.file}>{(info) => <> · {fileWords(info())}</>}</Show>{' '}
                <button type="button" class="btn btn-link" onClick={clearFile} data-testid="roster-file-clear">{t('sec.roster.clearFile')}</button>
              </p>
            )}
          </Show>
          <Show when={(() => { const b = body(); return b && 'error' in b ? b.error : null; })()}>
            {(m) => <Notice kind="error">{m()}</Notice>}
          </Show>
          <Show when={error() || problems().length}>
            <Notice kind="error" testid="roster-error">
              <p>{error() ?? t('sec.roster.problems')}</p>
              <Show when={problems().length}>
                <ul class="line-errors">
                  <For each={problems()}>{(p) => <li>{p.line > 0 ? t('sec.roster.lineError', { line: p.line, error: p.error }) : p.error}</li>}</For>
                </ul>
              </Show>
            </Notice>
          </Show>
          <Show when={ready() && preview()!.codesIssued > 0}>
            <Notice kind="warn" testid="roster-void-warning">{t('sec.roster.voidWarn', { n: preview()!.codesIssued })}</Notice>
          </Show>
          <Show when={done()}>{(m) => <Notice kind="ok" testid="roster-done">{m()}</Notice>}</Show>
          <Show when={preview()?.lines.length}>
            <h3 class="preview-h" data-testid="roster-preview-count">
              {t('sec.roster.preview')} ·{' '}
              {t(count('participant') ? 'sec.roster.previewCountParticipants' : 'sec.roster.previewCount', { n: preview()!.lines.length, s: count('standing'), f: count('full'), a: count('alternate'), p: count('participant') })}
            </h3>
            <div class="table-scroll">
              <table class="table">
                <thead>
                  <tr>
                    <th>{t('sec.col.line')}</th>
                    <th>{t('sec.col.name')}</th>
                    <th>{t('sec.col.kind')}</th>
                    <th>{t('sec.col.title')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={preview()!.lines}>
                    {(r) => (
                      <tr classList={{ 'row-bad': problems().some((p) => p.line === r.line) }}>
                        <td>{r.line}</td>
                        <td>{r.name}</td>
                        <td>{(() => { const k = kindOf(r.kind); return k ? (r.category ? `${kindWord(k)} · ${r.category}` : kindWord(k)) : r.kind; })()}</td>
                        <td>{r.title}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </div>
      </Show>
      <Show when={props.ctx.detail().members.length}>
        <div class="card">
          <h2>{t('sec.roster.current', { n: props.ctx.detail().members.length })}</h2>
          <MemberTable members={props.ctx.detail().members} />
        </div>
      </Show>
    </section>
  );
}

/** The roster as a table: name, kind, title, checked in, code state. */
export function MemberTable(props: { members: readonly MemberView[]; action?: (m: MemberView) => JSX.Element }) {
  return (
    <div class="table-scroll">
      <table class="table" data-testid="member-table">
        <thead>
          <tr>
            <th>#</th>
            <th>{t('sec.col.name')}</th>
            <th>{t('sec.col.kind')}</th>
            <th>{t('sec.col.title')}</th>
            <th>{t('sec.col.present')}</th>
            <th>{t('sec.col.code')}</th>
            <Show when={props.action}>
              <th>{t('sec.col.actions')}</th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For each={props.members}>
            {(m, i) => (
              <tr>
                <td>{i() + 1}</td>
                <td class="strong">{m.name}</td>
                <td>{m.category ? `${kindWord(m.kind)} · ${m.category}` : kindWord(m.kind)}</td>
                <td>{m.title}</td>
                <td>
                  <span class={`pill ${m.present ? 'pill-ok' : 'pill-muted'}`}>{m.present ? t('sec.attendance.present') : t('sec.attendance.absent')}</span>
                </td>
                <td>{m.hasCode ? t('sec.codes.live') : m.present ? t('sec.codes.used') : t('sec.codes.noCode')}</td>
                <Show when={props.action}>
                  <td>{props.action!(m)}</td>
                </Show>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
