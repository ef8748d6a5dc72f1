/**
 * @module client/secretary/Attendance
 * Live attendance: who has checked in, 请假 and 离会 as the secretary records them (stored, and
 * given to the record), the quorum of each ballot not yet decided against its own 应到 (and of
 * each kind with members entitled, before any ballot exists), and re-issuing sign-in codes —
 * one member's or those of the members ticked — when a tablet or slip is lost: the old code and
 * tablet session stop working and the member signs in again with the new slip.
 */
import { createMemo, createSignal, For, Show } from 'solid-js';
import { quorumMet } from '../../crypto/index.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { IssuedCode, MemberView } from '../types.ts';
import { confirmAsk, Notice } from '../ui.tsx';
import { kindWord } from '../words.ts';
import { CLIENT_KIND_LIST, type ClientKind } from '../kinds/index.ts';
import { typeWord } from '../words.ts';
import { SlipSheet, withSlips } from './Codes.tsx';
import type { MeetingCtx } from './Meeting.tsx';
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

/** What the secretary may record of a member (a check-in is the only way to 已签到). */
type Absence = 'absent' | 'leave' | 'left';

/** A member's attendance in words; a present member whose code was re-issued is 待重新登录. */
function statusWords(m: MemberView): { text: string; pill: string } {
  if (m.status === 'present') return m.hasCode ? { text: t('sec.attendance.awaiting'), pill: 'pill-warn' } : { text: t('sec.attendance.present'), pill: 'pill-ok' };
  if (m.status === 'leave') return { text: t('sec.attendance.leave'), pill: 'pill-info' };
  if (m.status === 'left') return { text: t('sec.attendance.left'), pill: 'pill-info' };
  return { text: t('sec.attendance.absent'), pill: 'pill-muted' };
}

export default function Attendance(props: { ctx: MeetingCtx }) {
  const [error, setError] = createSignal<string | null>(null);
  const [reissued, setReissued] = createSignal<readonly IssuedCode[]>([]);
  const [picked, setPicked] = createSignal<ReadonlySet<string>>(new Set());
  const d = () => props.ctx.detail();
  const active = () => d().meeting.status === 'active';
  const count = (s: MemberView['status']) => d().members.filter((m) => m.status === s).length;
  const pending = () => d().ballots.filter((b) => b.status === 'draft' || b.status === 'open');
  const template = (kind: ClientKind) => {
    const who = d().members.filter((m) => kind.crypto.entitled.includes(m.kind));
    const p = who.filter((m) => m.present).length;
    const rule = kind.crypto.defaultRule(kind.crypto.optionSets[0]!);
    return { entitled: who.length, present: p, met: quorumMet(rule, p, who.length), needed: rule.quorum !== null };
  };
  // Ticks of members no longer on the roster (a new import) are dropped.
  const chosen = createMemo(() => d().members.filter((m) => picked().has(m.id)));
  const toggle = (id: string, on: boolean) =>
    setPicked((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const reissue = async (members: readonly MemberView[]) => {
    const ask = members.length === 1 ? t('sec.attendance.reissueConfirm', { name: members[0]!.name }) : t('sec.attendance.reissueSelectedConfirm', { n: members.length });
    if (!(await confirmAsk(ask, t('sec.attendance.reissue'), true))) return;
    setError(null);
    try {
      const codes =
        members.length === 1
          ? [await sec<IssuedCode>('POST', `/api/meetings/${d().meeting.id}/members/${members[0]!.id}/code`)]
          : (await sec<{ codes: IssuedCode[] }>('POST', `/api/meetings/${d().meeting.id}/codes/reissue`, { memberIds: members.map((m) => m.id) })).codes;
      setReissued(codes);
      setPicked(new Set<string>());
      props.ctx.setSlips(withSlips(props.ctx.slips(), codes));
      await props.ctx.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const record = async (m: MemberView, status: Absence) => {
    const word = status === 'leave' ? t('sec.attendance.leave') : status === 'left' ? t('sec.attendance.left') : t('sec.attendance.absent');
    if (!(await confirmAsk(t('sec.attendance.setConfirm', { name: m.name, status: word }), word))) return;
    setError(null);
    try {
      await sec('POST', `/api/meetings/${d().meeting.id}/members/${m.id}/attendance`, { status });
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
          {t('sec.attendance.summary', { present: count('present'), total: d().members.length })}
        </p>
        <p class="muted" data-testid="attendance-detail">
          {t('sec.attendance.summaryFull', { present: count('present'), leave: count('leave'), left: count('left'), absent: count('absent'), total: d().members.length })}
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
      <Show when={error()}>
        {(m) => (
          <Notice kind="error" testid="attendance-error" onDismiss={() => setError(null)}>
            {m()}
          </Notice>
        )}
      </Show>
      <Show when={reissued().length}>
        <div class="card">
          <Notice kind="ok" testid="reissued-code">
            <Show when={reissued().length === 1} fallback={<p>{t('sec.attendance.reissuedMany', { n: reissued().length })}</p>}>
              <p>{t('sec.attendance.reissued', { name: reissued()[0]!.name })}</p>
              <p class="big-code mono">{reissued()[0]!.code}</p>
            </Show>
          </Notice>
          <div class="inline-form">
            <button type="button" class="btn btn-primary" onClick={() => props.ctx.print('members')}>
              {t('sec.codes.print')}
            </button>
          </div>
          <SlipSheet slips={reissued()} members={d().members} meetingTitle={d().meeting.title} class="slip-preview" />
        </div>
      </Show>
      <div class="card">
        <Show when={active()}>
          <div class="inline-form bulk-bar">
            <button type="button" class="btn btn-secondary" disabled={chosen().length === 0} onClick={() => void reissue(chosen())} data-testid="reissue-selected">
              {t('sec.attendance.reissueSelected', { n: chosen().length })}
            </button>
          </div>
        </Show>
        <div class="table-scroll">
          <table class="table" data-testid="member-table">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label={t('sec.attendance.selectAll')}
                    disabled={!active()}
                    checked={d().members.length > 0 && chosen().length === d().members.length}
                    onChange={(e) => setPicked(new Set(e.currentTarget.checked ? d().members.map((m) => m.id) : []))}
                  />
                </th>
                <th>#</th>
                <th>{t('sec.col.name')}</th>
                <th>{t('sec.col.kind')}</th>
                <th>{t('sec.col.title')}</th>
                <th>{t('sec.col.status')}</th>
                <th>{t('sec.col.code')}</th>
                <th>{t('sec.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={d().members}>
                {(m, i) => (
                  <tr data-testid={`member-${m.name}`} data-status={m.status}>
                    <td>
                      <input type="checkbox" aria-label={t('sec.attendance.select', { name: m.name })} disabled={!active()} checked={picked().has(m.id)} onChange={(e) => toggle(m.id, e.currentTarget.checked)} data-testid={`pick-${m.name}`} />
                    </td>
                    <td>{i() + 1}</td>
                    <td class="strong">{m.name}</td>
                    <td>{m.category ? `${kindWord(m.kind)} · ${m.category}` : kindWord(m.kind)}</td>
                    <td>{m.title}</td>
                    <td>
                      <span class={`pill ${statusWords(m).pill}`} data-testid={`status-${m.name}`}>{statusWords(m).text}</span>
                    </td>
                    <td>{m.hasCode ? t('sec.codes.live') : m.present || m.status === 'left' ? t('sec.codes.used') : t('sec.codes.noCode')}</td>
                    <td class="row-actions">
                      <Show when={active()}>
                        <button type="button" class="btn btn-secondary btn-small" onClick={() => void reissue([m])} data-testid={`reissue-${m.name}`}>
                          {t('sec.attendance.reissue')}
                        </button>
                        <Show when={m.status === 'absent'}>
                          <button type="button" class="btn btn-link btn-small" onClick={() => void record(m, 'leave')} data-testid={`leave-${m.name}`}>
                            {t('sec.attendance.setLeave')}
                          </button>
                        </Show>
                        <Show when={m.status === 'present'}>
                          <button type="button" class="btn btn-link btn-small" onClick={() => void record(m, 'left')} data-testid={`left-${m.name}`}>
                            {t('sec.attendance.setLeft')}
                          </button>
                        </Show>
                        <Show when={m.status === 'leave' || m.status === 'left'}>
                          <button type="button" class="btn btn-link btn-small" onClick={() => void record(m, 'absent')} data-testid={`absent-${m.name}`}>
                            {t('sec.attendance.setAbsent')}
                          </button>
                        </Show>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
