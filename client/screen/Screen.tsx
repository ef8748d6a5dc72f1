/**
 * @module client/screen/Screen
 * The projector (1920×1080): meeting title, attendance and quorum, the current ballot with
 * a progress bar of ballots cast against ballots issued — there are no partial counts
 * before publication — and the result table once published. No controls; live via the
 * meeting's event stream, whose events carry this very view.
 */
import { createMemo, createSignal, For, Match, onCleanup, onMount, Show, Switch } from 'solid-js';
import { followMeeting, messageOf, request } from '../api.ts';
import { t } from '../i18n.ts';
import { ResultTable } from '../result.tsx';
import type { BallotView, ScreenView } from '../types.ts';
import { Notice, ProgressBar } from '../ui.tsx';
import { fingerprint, itemLabel, quorumSentence, ruleSentence, statusWord, typeWord } from '../words.ts';
import '../styles/screen.css';

/**
 * The ballot to show: an open one, else one being opened, else the latest result (it stays
 * up until the next ballot opens), else the next draft (its attendance and quorum).
 */
export function currentBallot(ballots: readonly BallotView[]): BallotView | undefined {
  const live = ballots.find((b) => b.status === 'open') ?? ballots.find((b) => b.status === 'closed');
  if (live) return live;
  const decided = ballots.filter((b) => b.status === 'published' || b.status === 'void');
  return decided[decided.length - 1] ?? ballots.find((b) => b.status === 'draft');
}

export default function Screen(props: { meetingId: string }) {
  const [view, setView] = createSignal<ScreenView | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [serverKey, setServerKey] = createSignal<string | null>(null);
  const load = async () => {
    try {
      setView(await request<ScreenView>('anonymous', 'GET', `/api/meetings/${props.meetingId}/screen`));
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  onMount(() => {
    void load();
    void request<{ serverKey: string }>('anonymous', 'GET', '/api/server-key').then((k) => setServerKey(k.serverKey), () => undefined);
    const stop = followMeeting<ScreenView>(props.meetingId, (v) => (v ? setView(v) : void load()));
    // Issuance sends no event, so 已发票 would lag while a ballot is open: poll meanwhile.
    const poll = setInterval(() => {
      if (view()?.ballots.some((b) => b.status === 'open')) void load();
    }, 3000);
    onCleanup(() => {
      stop();
      clearInterval(poll);
    });
  });
  const ballot = createMemo(() => currentBallot(view()?.ballots ?? []));

  return (
    <div class="screen">
      <Show when={error() && !view()}>
        <Notice kind="error">{error()}</Notice>
      </Show>
      <Show when={view()}>
        {(v) => (
          <>
            <header class="screen-header">
              <h1 class="screen-title" data-testid="screen-title">{v().meeting.title}</h1>
              <p class="screen-attendance" data-testid="screen-attendance">
                {t('screen.attendance', { total: v().members, present: v().present })}
              </p>
            </header>
            <main class="screen-main">
              <Switch>
                <Match when={v().meeting.status === 'ended' && (!ballot() || ballot()!.status === 'draft')}>
                  <p class="screen-waiting">{t('screen.ended')}</p>
                </Match>
                <Match when={ballot()}>{(b) => <BallotPanel ballot={b()} />}</Match>
                <Match when={true}>
                  <p class="screen-waiting" data-testid="screen-waiting">{t('screen.noBallot')}</p>
                </Match>
              </Switch>
            </main>
            <footer class="screen-footer">
              <span>{t('app.name')}</span>
              <Show when={serverKey()}>{(k) => <span class="mono">{t('screen.serverKey', { fp: fingerprint(k()) })}</span>}</Show>
            </footer>
          </>
        )}
      </Show>
    </div>
  );
}

function BallotPanel(props: { ballot: BallotView }) {
  const b = () => props.ballot;
  return (
    <section class={`screen-ballot status-${b().status}`} data-testid="screen-ballot" data-status={b().status}>
      <div class="screen-ballot-head">
        <div>
          <h2 class="screen-ballot-title">{b().title}</h2>
          <p class="screen-type">{typeWord(b().type)}</p>
        </div>
        <span class={`screen-status badge-${b().status}`}>{statusWord(b().status)}</span>
      </div>
      <p class="screen-turnout">
        {t('screen.ballotAttendance', { entitled: b().entitled, present: b().present })}
        <Show when={b().rule.quorum}>
          <span class={`screen-quorum ${b().quorumMet ? 'ok' : 'bad'}`}>{b().quorumMet ? t('screen.quorumOk') : t('screen.quorumNo')}</span>
        </Show>
      </p>
      <Show when={b().status === 'draft' || b().status === 'open' || b().status === 'closed'}>
        <ol class="screen-items">
          <For each={b().items}>{(it) => <li>{itemLabel(it)}</li>}</For>
        </ol>
      </Show>
      <Switch>
        <Match when={b().status === 'draft'}>
          <p class="screen-rule">{ruleSentence(b().type, b().rule)}</p>
          <p class="screen-rule">{quorumSentence(b().rule)}</p>
        </Match>
        <Match when={b().status === 'open'}>
          <p class="screen-figure" data-testid="screen-progress">{t('screen.castProgress', { cast: b().cast, issued: b().issued })}</p>
          <ProgressBar class="screen-progress" value={b().cast} max={Math.max(b().issued, 1)} label={t('screen.castProgress', { cast: b().cast, issued: b().issued })} />
        </Match>
        <Match when={b().status === 'closed'}>
          <p class="screen-figure" data-testid="screen-progress">{t('screen.openingProgress', { openings: b().openings, cast: b().cast })}</p>
          <ProgressBar class="screen-progress" value={b().openings} max={Math.max(b().cast, 1)} label={t('screen.openingProgress', { openings: b().openings, cast: b().cast })} />
        </Match>
        <Match when={b().result}>
          {(r) => (
            <>
              <Show when={b().status === 'void'}>
                <p class="screen-void">{t('status.void')}</p>
              </Show>
              <p class="screen-counts">{t('screen.counts', { issued: r().issued, cast: r().cast, valid: r().valid })}</p>
              <ResultTable class="screen-result" type={b().type} rule={b().rule} items={b().items} tally={r()} />
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
