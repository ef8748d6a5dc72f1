/**
 * @module client/secretary/Meeting
 * One meeting in the console: header (title, projector link, end meeting), five tabs
 * (roster, sign-in codes, scrutineers, attendance, ballots), live through the meeting's event
 * stream. Sign-in codes exist in plaintext only in this browser window, for printing
 * (`slipStore`); leaving the page while some are unprinted asks first. A refusal stays on screen
 * until dismissed; only a failed refresh clears itself once the next refresh succeeds.
 */
import { createSignal, For, Match, onCleanup, onMount, Show, Switch } from 'solid-js';
import { followMeeting, messageOf } from '../api.ts';
import { t, type Key } from '../i18n.ts';
import type { MeetingDetail } from '../types.ts';
import { confirmAsk, Notice } from '../ui.tsx';
import Attendance from './Attendance.tsx';
import Ballots from './Ballots.tsx';
import Codes, { SlipSheet, type SlipData } from './Codes.tsx';
import Roster from './Roster.tsx';
import Scrutiny from './Scrutiny.tsx';
import { go, sec } from './session.ts';
import { minutesPath } from '../record/paths.ts';

/**
 * The unprinted slips of a meeting, kept in this window's session storage until the secretary
 * confirms they are printed, so a reload of the console does not lose them. Session storage rather
 * than a second showing by the server: the server then never holds a code in plaintext (a copy of
 * its database reveals none), and the codes stay in this one window — another tab does not see
 * them, and they are gone when the window is closed. Anyone at this console could read them from
 * the page anyway, which is where they are shown.
 */
function slipStore(meetingId: string) {
  const key = `piaojue.slips.${meetingId}`;
  type Stored = { members: SlipData[]; scrutineers: SlipData[] };
  const read = (): Stored => {
    try {
      const v = JSON.parse(sessionStorage.getItem(key) ?? 'null') as Stored | null;
      return v && Array.isArray(v.members) && Array.isArray(v.scrutineers) ? v : { members: [], scrutineers: [] };
    } catch {
      return { members: [], scrutineers: [] };
    }
  };
  const write = (v: Stored) => {
    try {
      if (v.members.length || v.scrutineers.length) sessionStorage.setItem(key, JSON.stringify(v));
      else sessionStorage.removeItem(key);
    } catch {
      // Storage full or disabled: the codes stay in page memory, as before.
    }
  };
  return { read, write };
}

/** Refresh interval while a ballot is open or closed (issuance and decryption move fast). */
const POLL_OPEN_MS = 3000;
/** Refresh interval otherwise while scrutineers are named: their devices' "online" lamps. */
const POLL_SCRUTINY_MS = 5000;

export type Tab = 'roster' | 'codes' | 'scrutiny' | 'attendance' | 'ballots';
const TABS: readonly Tab[] = ['roster', 'codes', 'scrutiny', 'attendance', 'ballots'];

/**
 * What every tab gets: the live detail, a refetch, and the printable slips — the members'
 * and the scrutineers' kept apart, so naming the scrutineers never drops unprinted member codes.
 */
export type MeetingCtx = {
  readonly detail: () => MeetingDetail;
  readonly reload: () => Promise<void>;
  readonly slips: () => readonly SlipData[];
  readonly setSlips: (s: readonly SlipData[]) => void;
  readonly scrutineerSlips: () => readonly SlipData[];
  readonly setScrutineerSlips: (s: readonly SlipData[]) => void;
  /** Print one of the two sheets. */
  readonly print: (which: 'members' | 'scrutineers') => void;
  readonly setTab: (t: Tab) => void;
};

export default function Meeting(props: { meetingId: string }) {
  const [detail, setDetail] = createSignal<MeetingDetail | null>(null);
  /** A failed refresh: cleared by the next one that succeeds. */
  const [loadError, setLoadError] = createSignal<string | null>(null);
  /** A refused action: stays until dismissed. */
  const [error, setError] = createSignal<string | null>(null);
  const [tab, setTab] = createSignal<Tab>('roster');
  const store = slipStore(props.meetingId);
  const kept = store.read();
  const [slips, setSlipsSignal] = createSignal<readonly SlipData[]>(kept.members);
  const [scrutineerSlips, setScrutineerSlipsSignal] = createSignal<readonly SlipData[]>(kept.scrutineers);
  const keep = () => store.write({ members: [...slips()], scrutineers: [...scrutineerSlips()] });
  const setSlips = (s: readonly SlipData[]) => (setSlipsSignal(s), keep());
  const setScrutineerSlips = (s: readonly SlipData[]) => (setScrutineerSlipsSignal(s), keep());
  const [printing, setPrinting] = createSignal<'members' | 'scrutineers'>('members');
  // Only the secretary knows whether the printer produced the slips: the codes stay until they
  // say so (已打印，清除登录码 on the codes tab), not when the print dialog closes.
  const print = (which: 'members' | 'scrutineers') => {
    setPrinting(which);
    window.print();
  };
  // The slips print from the tabs that make them (打印 there, or Ctrl+P) while there are any;
  // anywhere else Ctrl+P prints the console as shown (the ballots and their results), never a blank page.
  const slipsPrint = () =>
    (tab() === 'codes' || tab() === 'scrutiny') && (printing() === 'scrutineers' ? scrutineerSlips() : slips()).length > 0;
  // Leaving the page while members' codes are unprinted asks first (a reload keeps them anyway).
  const unprinted = () => slips().length;
  const warnLeaving = (e: BeforeUnloadEvent) => {
    if (unprinted() === 0) return;
    e.preventDefault();
    e.returnValue = '';
  };
  window.addEventListener('beforeunload', warnLeaving);
  onCleanup(() => window.removeEventListener('beforeunload', warnLeaving));
  let first = true;

  const reload = async () => {
    try {
      const d = await sec<MeetingDetail>('GET', `/api/meetings/${props.meetingId}`);
      setDetail(d);
      setLoadError(null);
      if (first) {
        first = false;
        setTab(d.ballots.length ? 'ballots' : d.members.length ? (d.members.some((m) => m.present) ? 'ballots' : 'codes') : 'roster');
      }
    } catch (e) {
      setLoadError(messageOf(e));
    }
  };
  onMount(() => {
    void reload();
    const stop = followMeeting(props.meetingId, () => void reload());
    // Poll too: the lamps of the scrutineers' devices go out without any event.
    let last = 0;
    const poll = setInterval(() => {
      const d = detail();
      if (!d || d.meeting.status !== 'active') return;
      const busy = d.ballots.some((b) => b.status === 'open' || b.status === 'closed');
      const every = busy ? POLL_OPEN_MS : d.scrutiny.n > 0 ? POLL_SCRUTINY_MS : 0;
      if (every && Date.now() - last >= every - 100) {
        last = Date.now();
        void reload();
      }
    }, 1000);
    onCleanup(() => {
      stop();
      clearInterval(poll);
    });
  });

  const endMeeting = async () => {
    if (!(await confirmAsk(t('sec.meeting.endConfirm'), t('sec.meeting.end'), true))) return;
    setError(null);
    try {
      await sec('POST', `/api/meetings/${props.meetingId}/end`);
      await reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <>
      <main class="sec-main" classList={{ 'no-print': slipsPrint(), 'print-console': !slipsPrint() }}>
        <p class="crumbs">
          <a
            href="/secretary"
            onClick={(e) => {
              e.preventDefault();
              go('/secretary');
            }}
          >
            ← {t('sec.meeting.back')}
          </a>
        </p>
        <Show when={error()}>
          {(m) => (
            <Notice kind="error" testid="meeting-error" onDismiss={() => setError(null)}>
              {m()}
            </Notice>
          )}
        </Show>
        <Show when={loadError()}>{(m) => <Notice kind="warn" testid="meeting-load-error">{m()}</Notice>}</Show>
        <Show when={detail()}>
          {(d) => {
            const ctx: MeetingCtx = { detail: () => detail()!, reload, slips, setSlips, scrutineerSlips, setScrutineerSlips, print, setTab };
            const ended = () => d().meeting.status === 'ended';
            return (
              <>
                <div class="meeting-head">
                  <div>
                    <h1 data-testid="meeting-heading">{d().meeting.title}</h1>
                    <p class="muted" data-testid="meeting-attendance">
                      {t('sec.attendance.summary', { present: d().members.filter((m) => m.present).length, total: d().members.length })}
                      {' · '}
                      {ended() ? t('sec.meeting.ended') : t('sec.meeting.active')}
                    </p>
                  </div>
                  <div class="meeting-head-actions">
                    <a class="btn btn-secondary" href={`/screen/${d().meeting.id}`} target="_blank" rel="noopener" data-testid="screen-link">
                      {t('sec.tab.screen')}
                    </a>
                    <a class="btn btn-secondary" href={minutesPath(d().meeting.id)} target="_blank" rel="noopener" data-testid="minutes-link">
                      {t('sec.meeting.minutes')}
                    </a>
                    <Show when={!ended()}>
                      <button type="button" class="btn btn-danger" onClick={() => void endMeeting()} data-testid="end-meeting">
                        {t('sec.meeting.end')}
                      </button>
                    </Show>
                  </div>
                </div>
                <Show when={ended()}>
                  <Notice kind="info">{t('sec.meeting.isEnded')}</Notice>
                </Show>
                <nav class="tabs" role="tablist">
                  <For each={TABS}>
                    {(k) => (
                      <button type="button" role="tab" aria-selected={tab() === k} class="tab" classList={{ active: tab() === k }} onClick={() => setTab(k)} data-testid={`tab-${k}`}>
                        {t(`sec.tab.${k}` as Key)}
                      </button>
                    )}
                  </For>
                </nav>
                <Switch>
                  <Match when={tab() === 'roster'}>
                    <Roster ctx={ctx} />
                  </Match>
                  <Match when={tab() === 'codes'}>
                    <Codes ctx={ctx} />
                  </Match>
                  <Match when={tab() === 'scrutiny'}>
                    <Scrutiny ctx={ctx} />
                  </Match>
                  <Match when={tab() === 'attendance'}>
                    <Attendance ctx={ctx} />
                  </Match>
                  <Match when={tab() === 'ballots'}>
                    <Ballots ctx={ctx} />
                  </Match>
                </Switch>
              </>
            );
          }}
        </Show>
      </main>
      <SlipSheet slips={printing() === 'scrutineers' ? scrutineerSlips() : slips()} members={detail()?.members ?? []} meetingTitle={detail()?.meeting.title ?? ''} class={slipsPrint() ? 'print-only' : 'print-only print-never'} />
    </>
  );
}
