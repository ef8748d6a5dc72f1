/**
 * @module client/secretary/Attendance
 * Live attendance: who has checked in, present / entitled, the quorum of each ballot not
 * yet decided (and of each kind with members entitled, before any ballot exists), and
 * re-issuing a member's sign-in code when a tablet or slip is lost (the old code and tablet
 * session stop working).
 */
import { createSignal, For, Show } from 'solid-js';
import { quorumMet } from '../../crypto/index.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { IssuedCode, MemberView } from '../types.ts';
import { confirmAsk, Notice } from '../ui.tsx';
import { CLIENT_KIND_LIST, type ClientKind } from '../kinds/index.ts';
import { typeWord } from '../words.ts';
import { SlipSheet } from './Codes.tsx';
import type { MeetingCtx } from './Meeting.tsx';
import { MemberTable } from './Roster.tsx';
import { sec } from './session.ts';

/** One quorum line: figures and a met / not met pill. */
export function QuorumLine(props: { title: string; entitled: number; present: number; met: boolean; needed: boolean }) {
  return (
    <li class="quorum-line" data-testid="quorum-line">
      <span>{t('sec.quorum.line', { title: props.title, entitled: props.entitled, present: props.present })}</span>
      <span class={`pill ${!props.needed ? 'pill-muted' : props.met ? 'pill-ok' : 'pill-bad'}`}>
        {!props.needed ? t('sec.quorum.none') : props.met ? t('sec.quorum.ok') : t('sec.quorum.no')}
      </span>
    </li>
  );
}

export default function Attendance(props: { ctx: MeetingCtx }) {
  const [error, setError] = createSignal<string | null>(null);
  const [reissued, setReissued] = createSignal<IssuedCode | null>(null);
  const d = () => props.ctx.detail();
  const present = () => d().members.filter((m) => m.present).length;
  const pending = () => d().ballots.filter((b) => b.status === 'draft' || b.status === 'open');
  const template = (kind: ClientKind) => {
    const who = d().members.filter((m) => kind.crypto.entitled.includes(m.kind));
    const p = who.filter((m) => m.present).length;
    const rule = kind.crypto.defaultRule(kind.crypto.optionSets[0]!);
    return { entitled: who.length, present: p, met: quorumMet(rule, p, who.length), needed: rule.quorum !== null };
  };

  const reissue = async (m: MemberView) => {
    if (!(await confirmAsk(t('sec.attendance.reissueConfirm', { name: m.name }), t('sec.attendance.reissue'), true))) return;
    setError(null);
    try {
      const code = await sec<IssuedCode>('POST', `/api/meetings/${d().meeting.id}/members/${m.id}/code`);
      setReissued(code);
      props.ctx.setSlips([code]);
      await props.ctx.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section class="tab-panel" data-testid="attendance-panel">
      <div class="card attendance-summary">
        <h2>{t('sec.attendance.heading')}</h2>
        <p class="big-figure" data-testid="attendance-summary">
          {t('sec.attendance.summary', { present: present(), total: d().members.length })}
        </p>
        <ul class="quorum-list">
          <Show
            when={pending().length}
            fallback={
              <For each={CLIENT_KIND_LIST.filter((k) => template(k).entitled > 0)}>
                {(kind) => {
                  const q = () => template(kind);
                  return <QuorumLine title={typeWord(kind.id)} entitled={q().entitled} present={q().present} met={q().met} needed={q().needed} />;
                }}
              </For>
            }
          >
            <For each={pending()}>{(b) => <QuorumLine title={b.title} entitled={b.entitled} present={b.present} met={b.quorumMet} needed={b.rule.quorum !== null} />}</For>
          </Show>
        </ul>
      </div>
      <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
      <Show when={reissued()}>
        {(c) => (
          <div class="card">
            <Notice kind="ok" testid="reissued-code">
              <p>{t('sec.attendance.reissued', { name: c().name })}</p>
              <p class="big-code mono">{c().code}</p>
            </Notice>
            <div class="inline-form">
              <button type="button" class="btn btn-primary" onClick={() => props.ctx.print('members')}>
                {t('sec.codes.print')}
              </button>
            </div>
            <SlipSheet slips={[c()]} members={d().members} meetingTitle={d().meeting.title} class="slip-preview" />
          </div>
        )}
      </Show>
      <div class="card">
        <MemberTable
          members={d().members}
          action={(m) => (
            <button type="button" class="btn btn-secondary btn-small" disabled={d().meeting.status === 'ended'} onClick={() => void reissue(m)} data-testid={`reissue-${m.name}`}>
              {t('sec.attendance.reissue')}
            </button>
          )}
        />
      </div>
    </section>
  );
}
