/**
 * @module client/scrutineer/Scrutineer
 * The scrutineer's (监票人) device, phone or tablet: sign in with the code from the scrutineer
 * slip (typed, or via the QR link `?code=`), confirm the name, then the page runs by itself
 * (engine.ts): key ceremony with the 系统校验码 to compare with the projector and the tablets;
 * per ballot 清点人数 and 确认到会名单, issuance (counts only: 已签发 N), re-issue approvals,
 * and the decryption share after the close. There is no vote anywhere on this page: the
 * device never sees one.
 */
import { createMemo, createSignal, For, Index, Match, onMount, Show, Switch } from 'solid-js';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import { CodeSignIn, ConfirmHost, ConfirmIdentity, confirmAsk, formatCode, LangSwitch, Notice, ProgressBar } from '../ui.tsx';
import { ceremonyFailureWords, statusWord, typeWord } from '../words.ts';
import { createScrutineerEngine, type DeviceBallotView, type ScrutineerEngine } from './engine.ts';
import '../styles/scrutineer.css';

export default function Scrutineer() {
  const engine = createScrutineerEngine();
  const fromQr = formatCode(new URLSearchParams(location.search).get('code') ?? '');
  // The code must not stay in the address bar or the history.
  if (location.search) history.replaceState(null, '', '/scrutineer');
  onMount(() => void engine.start());
  const name = () => engine.view()?.scrutineer.name ?? engine.pending()?.scrutineer.name;
  const title = () => engine.view()?.meeting.title ?? engine.pending()?.meeting.title;

  return (
    <div class="scr">
      <header class="scr-header">
        <div class="scr-brand">
          <span class="brand-mark">{t('app.name')}</span>
          <span class="scr-sub">{title() ?? t('scr.title')}</span>
        </div>
        <Show when={engine.phase() === 'main' && name()}>
          {(n) => (
            <div class="scr-who" data-testid="scrutineer-name">
              {t('scr.who', { name: n() })}
            </div>
          )}
        </Show>
        <LangSwitch />
      </header>
      <main class="scr-main">
        <Switch>
          <Match when={engine.phase() === 'loading'}>
            <p class="scr-center muted">{t('common.loading')}</p>
            <Show when={engine.offline()}>
              <Notice kind="warn">{t('scr.retrying')}</Notice>
            </Show>
            <Show when={engine.problem()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
          </Match>
          <Match when={engine.phase() === 'signin' || engine.phase() === 'signedOut'}>
            <CodeSignIn words="scr" class="scr-signin" prefix="scr-" initial={fromQr} signedOut={engine.phase() === 'signedOut'} signIn={engine.signIn} />
          </Match>
          <Match when={engine.phase() === 'confirm'}>
            <ConfirmIdentity words="scr" prefix="scr-" class="scr-confirm" meeting={engine.pending()?.meeting.title} name={engine.pending()?.scrutineer.name ?? ''} onYes={engine.confirmIdentity} />
          </Match>
          <Match when={engine.phase() === 'ended'}>
            <section class="card scr-status" data-testid="scr-ended">
              <h1>{t('scr.ended')}</h1>
              <p class="lead">{t('scr.ended.hint')}</p>
            </section>
          </Match>
          <Match when={engine.phase() === 'otherWindow'}>
            <section class="card scr-status">
              <Notice kind="warn">{t('scr.otherTab')}</Notice>
              <button type="button" class="btn btn-secondary btn-xl" onClick={() => engine.takeOver()}>
                {t('scr.takeOver')}
              </button>
            </section>
          </Match>
          <Match when={engine.phase() === 'storageFailed'}>
            <Notice kind="error" testid="scr-storage">{t('scr.storageFailed')}</Notice>
          </Match>
          <Match when={engine.phase() === 'main'}>
            <MainScreen engine={engine} />
          </Match>
        </Switch>
      </main>
      <ConfirmHost />
    </div>
  );
}

/** Ballots that still need the scrutineer first, then the finished ones, newest first within each. */
function ordered(ballots: readonly DeviceBallotView[]): DeviceBallotView[] {
  const live = (b: DeviceBallotView) => b.status === 'draft' || b.status === 'open' || b.status === 'closed';
  return [...ballots.filter(live).reverse(), ...ballots.filter((b) => !live(b)).reverse()];
}

function MainScreen(props: { engine: ScrutineerEngine }) {
  const v = () => props.engine.view();
  const ready = () => v()?.ceremony?.status === 'ready' && !!props.engine.device()?.shares;
  /** A ballot needs the scrutineer: the fingerprint card makes room for it. */
  const busy = () => ready() && !!v()?.ballots.some((b) => b.status === 'draft' || b.status === 'open' || b.status === 'closed');
  return (
    <div class="scr-stack">
      <Show when={props.engine.offline()}>
        <Notice kind="warn">{t('scr.retrying')}</Notice>
      </Show>
      <Show when={props.engine.problem()}>
        {(m) => (
          <Notice kind="error" testid="scr-problem">
            <p>{m()}</p>
            <button type="button" class="btn btn-secondary btn-small" onClick={() => props.engine.setProblem(null)}>
              {t('common.close')}
            </button>
          </Notice>
        )}
      </Show>
      <CeremonyCard engine={props.engine} compact={busy()} />
      <Show when={ready()}>
        <section class="scr-ballots" aria-label={t('scr.ballots.heading')}>
          <Show when={v()?.ballots.length} fallback={<p class="muted scr-none">{t('scr.ballots.none')}</p>}>
            <For each={ordered(v()?.ballots ?? []).map((b) => b.id)}>{(id) => <BallotCard engine={props.engine} ballotId={id} />}</For>
          </Show>
        </section>
      </Show>
      <p class="scr-keep muted">{t('scr.keepOpen')}</p>
    </div>
  );
}

function CeremonyCard(props: { engine: ScrutineerEngine; compact?: boolean }) {
  const c = () => props.engine.view()?.ceremony ?? null;
  const failure = () => props.engine.device()?.failure ?? (c()?.status === 'failed' ? c()?.failure ?? '' : null);
  const n = () => c()?.params?.n ?? 0;
  const steps = () => (c() ? c()!.commits.length + c()!.reveals.length + c()!.acks.length : 0);
  return (
    <section class="card scr-ceremony" classList={{ compact: !!props.compact }} data-testid="scr-ceremony" data-status={failure() !== null ? 'failed' : c()?.status ?? 'waiting'}>
      <Switch>
        <Match when={props.engine.keysLost()}>
          <h2 class="scr-state scr-state-bad">{t('scr.ceremony.keysLostHeading')}</h2>
          <Notice kind="error">{t('scr.ceremony.keysLost')}</Notice>
        </Match>
        <Match when={failure() !== null}>
          <h2 class="scr-state scr-state-bad">{t('scr.ceremony.failed')}</h2>
          <Notice kind="error" testid="scr-failure">
            <p>{t('scr.ceremony.failedHint')}</p>
            <Show when={ceremonyFailureWords(failure() ?? '')}>{(w) => <p class="scr-detail">{w()}</p>}</Show>
          </Notice>
        </Match>
        <Match when={c()?.status === 'ready' && c()?.fingerprint}>
          <h2 class="scr-state scr-state-ok">✓ {t('scr.ceremony.ready')}</h2>
          <p class="scr-fp-label">
            <span class="scr-fp-tick">✓ </span>
            {t('scr.ceremony.fingerprint')}
          </p>
          <p class="scr-fp mono" data-testid="scr-fingerprint">
            <For each={c()!.fingerprint!.split(' ')}>{(g) => <span class="scr-fp-group">{g}</span>}</For>
          </p>
          <p class="scr-compare">{t('scr.ceremony.compare')}</p>
        </Match>
        <Match when={c()?.status === 'running'}>
          <div class="spinner" aria-hidden="true" />
          <h2 class="scr-state">{t('scr.ceremony.running')}</h2>
          <ProgressBar value={steps()} max={Math.max(3 * n(), 1)} label={t('scr.ceremony.running')} />
          <p class="muted scr-hint">{t('scr.ceremony.runningHint')}</p>
        </Match>
        <Match when={true}>
          <div class="waiting-dot" aria-hidden="true" />
          <h2 class="scr-state">{t('scr.ceremony.waiting')}</h2>
          <p class="muted scr-hint">{t('scr.ceremony.waitingHint')}</p>
        </Match>
      </Switch>
    </section>
  );
}

function BallotCard(props: { engine: ScrutineerEngine; ballotId: string }) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const b = () => props.engine.view()!.ballots.find((x) => x.id === props.ballotId)!;
  const mine = () => props.engine.device()?.ballots[props.ballotId];
  const present = createMemo(() => b()?.entitled.filter((m) => m.present) ?? []);
  const nameOf = (id: string) => b()?.entitled.find((m) => m.memberId === id)?.name ?? id;
  /** Present members this device has not confirmed (late arrivals, or a device that lost its list). */
  const unconfirmed = createMemo(() => present().filter((m) => !mine()?.confirmed.includes(m.memberId)));
  const confirmed = () => b()?.confirmed && unconfirmed().length === 0;
  const refused = () => props.engine.refused()[props.ballotId];
  const counting = () => b()?.status === 'draft' || b()?.status === 'open';

  const confirm = async () => {
    if (!(await confirmAsk(t('scr.count.confirmAsk', { present: present().length }), t('scr.count.confirm')))) return;
    setError(null);
    setBusy(true);
    try {
      await props.engine.confirm(props.ballotId);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const decrypt = async () => {
    setError(null);
    setBusy(true);
    try {
      await props.engine.decrypt(props.ballotId);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const approve = async (memberId: string) => {
    if (!(await confirmAsk(t('scr.reissue.approveAsk', { name: nameOf(memberId) }), t('scr.reissue.approve')))) return;
    setError(null);
    try {
      await props.engine.approve(props.ballotId, memberId);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <Show when={b()}>
      <article class={`card scr-ballot status-${b().status}`} data-testid="scr-ballot" data-status={b().status} data-ballot={b().id}>
        <header class="scr-ballot-head">
          <div>
            <h2>{b().title}</h2>
            <p class="muted">{typeWord(b().type)}</p>
          </div>
          <span class={`status-badge badge-${b().status}`}>{statusWord(b().status)}</span>
        </header>

        <Show when={b().status === 'open'}>
          <p class="scr-issued" data-testid="scr-issued">
            {t('scr.issue.count', { n: b().issuedByMe })}
          </p>
          <p class="muted scr-hint">{t('scr.issue.hint')}</p>
          <For each={refused()?.needsApproval ?? []}>
            {(id) => (
              <div class="scr-reissue" data-testid="scr-reissue">
                <p class="scr-reissue-who">{t('scr.reissue.request', { name: nameOf(id) })}</p>
                <p class="scr-hint">{t('scr.reissue.hint')}</p>
                <button type="button" class="btn btn-primary" onClick={() => void approve(id)} data-testid="scr-reissue-approve">
                  {t('scr.reissue.approve')}
                </button>
              </div>
            )}
          </For>
          <Show when={refused()?.notConfirmed.length && confirmed()}>
            <Notice kind="warn">{t('scr.unconfirmed', { names: refused()!.notConfirmed.map(nameOf).join('、') })}</Notice>
          </Show>
        </Show>

        <Show when={counting()}>
          <section class="scr-count" classList={{ done: !!confirmed() }}>
            <h3>
              {t('scr.count.heading')} <span class="scr-count-figures">{t('scr.count.summary', { entitled: b().entitled.length, present: present().length })}</span>
            </h3>
            <Show
              when={confirmed()}
              fallback={
                <>
                  <Show when={b().confirmed && unconfirmed().length} fallback={<p class="scr-hint">{t('scr.count.hint')}</p>}>
                    <Notice kind="warn">{t('scr.count.late', { names: unconfirmed().map((m) => m.name).join('、') })}</Notice>
                  </Show>
                  <MemberList members={b().entitled} late={b().confirmed ? unconfirmed().map((m) => m.memberId) : []} />
                  <button type="button" class="btn btn-primary btn-xl scr-confirm-btn" disabled={busy() || present().length === 0} onClick={() => void confirm()} data-testid="scr-confirm-attendance">
                    {t('scr.count.confirm')}
                  </button>
                </>
              }
            >
              <p class="scr-confirmed" data-testid="scr-confirmed">
                ✓ {t('scr.count.confirmed')}
              </p>
              <details class="scr-list-details">
                <summary>{t('scr.count.show')}</summary>
                <MemberList members={b().entitled} />
              </details>
            </Show>
          </section>
        </Show>

        <Show when={b().status === 'closed'}>
          <Switch>
            <Match when={!props.engine.device()?.shares}>
              <Notice kind="error">{t('scr.decrypt.noShares')}</Notice>
            </Match>
            <Match when={b().decrypted}>
              <p class="scr-confirmed" data-testid="scr-decrypted">
                ✓ {t('scr.decrypt.done')}
              </p>
              <p class="muted scr-hint">{t('scr.decrypt.doneHint')}</p>
            </Match>
            <Match when={props.engine.counted()[b().id]}>
              {(casts) => (
                <section class="scr-returned">
                  <p class="scr-returned-figure" data-testid="scr-cast-count">
                    {t('scr.decrypt.count', { n: casts().length })}
                  </p>
                  <p class="muted scr-hint">{t('scr.decrypt.countHint')}</p>
                  <button type="button" class="btn btn-primary btn-xl" data-testid="scr-decrypt" disabled={busy()} onClick={() => void decrypt()}>
                    {t('scr.decrypt.confirm')}
                  </button>
                </section>
              )}
            </Match>
            <Match when={b().sums}>
              <p class="scr-working">{t('scr.decrypt.waitSums')}</p>
            </Match>
            <Match when={true}>
              <p class="scr-working">{t('scr.decrypt.waitSums')}</p>
            </Match>
          </Switch>
        </Show>

        <Show when={b().status === 'published'}>
          <p class="muted">{t('scr.published')}</p>
        </Show>
        <Show when={b().status === 'void'}>
          <Notice kind="error">{t('status.void')}</Notice>
        </Show>
        <Show when={error()}>{(m) => <Notice kind="error" testid="scr-ballot-error">{m()}</Notice>}</Show>
      </article>
    </Show>
  );
}

/**
 * The entitled members, present first, each with 已到会 / 未到会. Rows are kept by position
 * (`Index`) and updated in place, so the 1 s poll does not rebuild the list under the
 * scrutineer's eyes (or a test's click).
 */
function MemberList(props: { members: DeviceBallotView['entitled']; late?: readonly string[] }) {
  const sorted = () => [...props.members].sort((a, b) => Number(b.present) - Number(a.present));
  return (
    <ul class="scr-members" data-testid="scr-members">
      <Index each={sorted()}>
        {(m) => (
          <li class="scr-member" classList={{ absent: !m().present, late: !!props.late?.includes(m().memberId) }}>
            <span class="scr-mark" aria-hidden="true">
              {m().present ? '✓' : '—'}
            </span>
            <span class="scr-member-name">{m().name}</span>
            <Show when={props.late?.includes(m().memberId)}>
              <span class="scr-late-tag">{t('scr.count.late.tag')}</span>
            </Show>
            <span class="scr-member-state">{m().present ? t('scr.count.present') : t('scr.count.absent')}</span>
          </li>
        )}
      </Index>
    </ul>
  );
}
