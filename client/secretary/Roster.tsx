/**
 * @module client/secretary/Roster
 * Roster import: paste or upload CSV (`name,kind,title`) or JSON (an array of members, or
 * an object with `members` like samples/county-committee.json). The preview and the
 * per-line problems come from the server's own parser (POST …/roster/preview), in the UI
 * language, so what the secretary sees is exactly what the import will accept or refuse.
 */
import { createEffect, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js';
import type { MemberKind } from '../../crypto/index.ts';
import { ApiFailure, messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { MemberView } from '../types.ts';
import { Notice } from '../ui.tsx';
import { kindWord } from '../words.ts';
import type { MeetingCtx } from './Meeting.tsx';
import { sec } from './session.ts';

/** What the server's parser read of one line, and its problems (server/roster.ts). */
type Line = { line: number; name: string; kind: string; title: string };
type Problem = { line: number; code: string; error: string };
type Preview = { lines: Line[]; problems: Problem[] };

const KINDS: Record<string, MemberKind> = {
  standing: 'standing', full: 'full', alternate: 'alternate', participant: 'participant',
  常委: 'standing', 委员: 'full', 候补委员: 'alternate', 参会人员: 'participant',
};

/** The import request for pasted or uploaded text: JSON members, or CSV as is. */
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

export default function Roster(props: { ctx: MeetingCtx }) {
  const [text, setText] = createSignal('');
  const [preview, setPreview] = createSignal<Preview | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [done, setDone] = createSignal<string | null>(null);
  const body = () => rosterBody(text());
  const locked = () => props.ctx.detail().ballots.length > 0 || props.ctx.detail().meeting.status === 'ended';
  const problems = () => preview()?.problems ?? [];
  const count = (k: MemberKind) => (preview()?.lines ?? []).filter((r) => KINDS[r.kind] === k).length;
  const ready = () => !!preview() && preview()!.lines.length > 0 && problems().length === 0;

  // Ask the server's parser for a preview shortly after the text stops changing.
  let seq = 0;
  createEffect(
    on(text, () => {
      const b = body();
      const mine = ++seq;
      setPreview(null);
      setError(null);
      if (!b || 'error' in b) return;
      const timer = setTimeout(() => {
        sec<Preview>('POST', `/api/meetings/${props.ctx.detail().meeting.id}/roster/preview`, b)
          .then((p) => mine === seq && setPreview(p))
          .catch((err) => mine === seq && setError(messageOf(err)));
      }, 250);
      onCleanup(() => clearTimeout(timer));
    }),
  );

  const upload = async (e: Event & { currentTarget: HTMLInputElement }) => {
    const file = e.currentTarget.files?.[0];
    if (file) setText(await file.text());
  };

  const submit = async () => {
    const b = body();
    if (!b || 'error' in b) return;
    setError(null);
    setDone(null);
    try {
      const { members } = await sec<{ members: MemberView[] }>('POST', `/api/meetings/${props.ctx.detail().meeting.id}/roster`, b);
      await props.ctx.reload();
      setDone(t('sec.roster.imported', { n: members.length }));
      setText('');
    } catch (err) {
      setError(messageOf(err));
      if (err instanceof ApiFailure && Array.isArray(err.body.lines)) setPreview({ lines: preview()?.lines ?? [], problems: err.body.lines as Problem[] });
    }
  };

  return (
    <section class="tab-panel" data-testid="roster-panel">
      <Show when={!locked()} fallback={<Notice kind="info">{t('sec.roster.locked')}</Notice>}>
        <div class="card">
          <h2>{t('sec.roster.heading')}</h2>
          <p class="muted">{t('sec.roster.hint')}</p>
          <label class="field-label" for="roster-text">{t('sec.roster.paste')}</label>
          <textarea id="roster-text" class="input roster-text" rows={8} value={text()} onInput={(e) => setText(e.currentTarget.value)} placeholder={'name,kind,title\n卢海涛,standing,县委书记'} data-testid="roster-text" />
          <div class="inline-form">
            <label class="btn btn-secondary file-btn">
              {t('sec.roster.upload')}
              <input type="file" accept=".csv,.json,text/csv,application/json" onChange={(e) => void upload(e)} data-testid="roster-file" />
            </label>
            <button type="button" class="btn btn-primary" disabled={!ready()} onClick={() => void submit()} data-testid="roster-import">
              {t('sec.roster.import')}
            </button>
          </div>
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
          <Show when={done()}>{(m) => <Notice kind="ok">{m()}</Notice>}</Show>
          <Show when={preview()?.lines.length}>
            <h3 class="preview-h">
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
                        <td>{KINDS[r.kind] ? kindWord(KINDS[r.kind]!) : r.kind}</td>
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
