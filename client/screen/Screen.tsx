/**
 * @module client/screen/Screen
 * The projector (1920×1080): meeting title, attendance and quorum, the current ballot with
 * a progress bar of ballots cast against ballots issued — there are no partial counts
 * before publication — then the scrutineers' decryption progress, and the result table once
 * published. Before and during voting a side panel shows the 系统校验码 (the key ceremony's
 * fingerprint, which the scrutineers' devices and every tablet must show too) and which
 * scrutineers signed in. No controls; live via the meeting's event stream, whose events
 * carry this very view.
 */
import { createMemo, createSignal, For, Match, onCleanup, onMount, Show, Switch } from 'solid-js';
import { followMeeting, messageOf, request } from '../api.ts';
import { publicOrigin } from '../address.ts';
import { t } from '../i18n.ts';
import { clientKind } from '../kinds/index.ts';
import { serverKeyFingerprint } from '../../crypto/index.ts';
import { ResultTable, resultHeading, RoundBadge, tallyLine } from '../result.tsx';
import type { BallotView, ScreenView, ScrutinyView } from '../types.ts';
import { Notice, ProgressBar, QrCode } from '../ui.tsx';
import { quorumSentence, statusWord, typeWord } from '../words.ts';
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
    // A slow poll besides the events, while a ballot is live.
    const poll = setInterval(() => {
      if (view()?.ballots.some((b) => b.status === 'open' || b.status === 'closed')) void load();
    }, 3000);
    onCleanup(() => {
      stop();
      clearInterval(poll);
    });
  });
  const ballot = createMemo(() => currentBallot(view()?.ballots ?? []));
  /** The side panel (fingerprint, scrutineers) stays up until a result takes the screen. */
  const side = () => view()?.meeting.status === 'active' && (!ballot() || ['draft', 'open', 'closed'].includes(ballot()!.status));

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
            <div class="screen-body" classList={{ 'with-side': !!side() }}>
              <main class="screen-main">
                <Switch>
                  <Match when={v().meeting.status === 'ended' && (!ballot() || ballot()!.status === 'draft')}>
                    <p class="screen-waiting">{t('screen.ended')}</p>
                  </Match>
                  <Match when={ballot()}>{(b) => <BallotPanel ballot={b()} t={v().scrutiny.t} />}</Match>
                  <Match when={true}>
                    <p class="screen-waiting" data-testid="screen-waiting">{t('screen.noBallot')}</p>
                    <p class="screen-address" data-testid="screen-address">{t('screen.tabletAddress', { url: publicOrigin() })}</p>
                  </Match>
                </Switch>
              </main>
              <Show when={side()}>
                <ScrutinyPanel scrutiny={v().scrutiny} />
              </Show>
            </div>
            <footer class="screen-footer">
              <span>{t('app.name')}</span>
              <Show when={!side() && v().scrutiny.ceremony.fingerprint}>
                {(fp) => (
                  <span class="mono" data-testid="screen-fingerprint-small">
                    {t('screen.fingerprint')}：{fp()}
                  </span>
                )}
              </Show>
              <Show when={serverKey()}>{(k) => <ServerKey serverKey={k()} />}</Show>
            </footer>
          </>
        )}
      </Show>
    </div>
  );
}

/**
 * The server's key for checking a bundle after the meeting: the whole key as a QR code and its
 * fingerprint (crypto/server-key.ts), which the verifier (page and CLI) accepts as typed.
 */
function ServerKey(props: { serverKey: string }) {
  return (
    <span class="screen-key" data-testid="screen-server-key" data-key={props.serverKey}>
      <span class="screen-key-qr">
        <QrCode text={props.serverKey} label={t('screen.serverKeyQr')} />
      </span>
      <span class="mono" data-testid="screen-server-fingerprint">{t('screen.serverKey', { fp: serverKeyFingerprint(props.serverKey) })}</span>
    </span>
  );
}

/** The 系统校验码 in large digits and the scrutineers with 已登录 ✓. */
function ScrutinyPanel(props: { scrutiny: ScrutinyView }) {
  const fp = () => (props.scrutiny.ceremony.status === 'ready' ? props.scrutiny.ceremony.fingerprint : null);
  return (
    <aside class="screen-side" data-testid="screen-scrutiny">
      <div class="screen-fp-box" classList={{ pending: !fp() }}>
        <p class="screen-fp-label">{t('screen.fingerprint')}</p>
        <Show when={fp()} fallback={<p class="screen-fp-pending">{t('screen.fingerprintPending')}</p>}>
          {(f) => (
            <>
              <p class="screen-fp mono" data-testid="screen-fingerprint">
                <For each={f().split(' ')}>{(g) => <span>{g}</span>}</For>
              </p>
              <p class="screen-fp-hint">{t('screen.fingerprintHint')}</p>
            </>
          )}
        </Show>
      </div>
      <Show when={props.scrutiny.n > 0}>
        <p class="screen-side-h">{t('screen.scrutineers')}</p>
        <ul class="screen-scrutineers">
          <For each={props.scrutiny.scrutineers}>
            {(x) => (
              <li classList={{ on: x.registered }} data-testid="screen-scrutineer">
                <span class="screen-scr-name">{x.name}</span>
                <span class="screen-scr-state">{x.registered ? `${t('screen.signedIn')} ✓` : t('screen.notSignedIn')}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </aside>
  );
}

function BallotPanel(props: { ballot: BallotView; t: number }) {
  const b = () => props.ballot;
  const kind = () => clientKind(b().type);
  return (
    <section class={`screen-ballot status-${b().status}`} data-testid="screen-ballot" data-status={b().status}>
      <div class="screen-ballot-head">
        <div>
          <h2 class="screen-ballot-title">
            {b().title} <RoundBadge round={b().round} />
          </h2>
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
          <For each={b().items}>{(it) => <li>{kind().itemLabel(it)}</li>}</For>
        </ol>
      </Show>
      <Switch>
        <Match when={b().status === 'draft'}>
          <p class="screen-rule">{kind().ruleWords(b())}</p>
          <p class="screen-rule">{quorumSentence(b().rule, b().type)}</p>
        </Match>
        <Match when={b().status === 'open'}>
          <p class="screen-figure" data-testid="screen-progress">{t('screen.castProgress', { cast: b().cast, present: b().present })}</p>
          <ProgressBar class="screen-progress" value={b().cast} max={Math.max(b().present, 1)} label={t('screen.castProgress', { cast: b().cast, present: b().present })} />
        </Match>
        <Match when={b().status === 'closed'}>
          <p class="screen-figure screen-figure-closed" data-testid="screen-progress">{t('screen.decrypting', { k: b().decryptions, t: props.t })}</p>
          <ProgressBar class="screen-progress screen-progress-closed" value={b().decryptions} max={Math.max(props.t, 1)} label={t('screen.decrypting', { k: b().decryptions, t: props.t })} />
          <p class="screen-counts">{t('screen.castProgress', { cast: b().cast, present: b().present })}</p>
        </Match>
        <Match when={b().result}>
          {(r) => (
            <>
              <Show when={b().status === 'void'}>
                <p class="screen-void">{t('status.void')}</p>
              </Show>
              <p class="screen-counts">{tallyLine(r())}</p>
              <h3 class="screen-result-h">{resultHeading(b().type)}</h3>
              <ResultTable class="screen-result" ballot={b()} tally={r()} />
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
