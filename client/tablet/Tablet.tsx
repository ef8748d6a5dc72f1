/**
 * @module client/tablet/Tablet
 * The member's tablet (10", both orientations; usable on a phone): sign in with the code from
 * the slip (typed or via the QR link), confirm the name, wait, vote under the 系统校验码 to
 * compare with the projector, review, confirm — then the screen clears. The ballot itself
 * (per-item buttons, candidate tick boxes, grades; 回避 items) and its review are the ballot
 * kind's (client/kinds/); a member attending without a vote (列席) is told so. A ballot whose
 * keys are not the key ceremony's is refused with a warning. The inclusion check and erasure
 * follow by themselves (engine.ts). No choice is shown after casting; navigation never uses
 * history entries, so the back button cannot bring a filled ballot back.
 */
import { createMemo, createSignal, For, Match, onMount, Show, Switch } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { t } from '../i18n.ts';
import { clientKind, type Answer } from '../kinds/index.ts';
import { RoundBadge } from '../result.tsx';
import { CodeSignIn, ConfirmHost, ConfirmIdentity, confirmAsk, formatCode, LangSwitch, Notice } from '../ui.tsx';
import { checkProblemWords, kindWord, statusWord, type CheckProblem } from '../words.ts';
import { createTabletEngine, type Activity, type KeyCheck, type TabletBallot2, type TabletEngine } from './engine.ts';
import type { BallotRecord, StoredReceipt } from './store.ts';
import '../styles/tablet.css';

export default function Tablet() {
  const engine = createTabletEngine();
  const params = new URLSearchParams(location.search);
  const fromQr = formatCode(params.get('code') ?? '');
  // The code must not stay in the address bar or the history.
  if (location.search) history.replaceState(null, '', '/');
  onMount(() => engine.start());

  return (
    <div class="tablet">
      <header class="tablet-header">
        <div class="tablet-brand">
          <span class="brand-mark">{t('app.name')}</span>
          <span class="brand-sub">{engine.state()?.meeting.title ?? t('tablet.title')}</span>
        </div>
        <Show when={engine.state()}>
          {(s) => (
            <div class="tablet-who" data-testid="member-name">
              {t('tablet.member', { name: s().member.name, kind: kindWord(s().member.kind) })}
            </div>
          )}
        </Show>
        <LangSwitch />
      </header>
      <main class="tablet-main">
        <Show when={engine.fatal()}>{(m) => <Notice kind="error">{m()()}</Notice>}</Show>
        <Switch>
          <Match when={engine.phase() === 'loading'}>
            <p class="tablet-center muted">{t('common.loading')}</p>
          </Match>
          <Match when={engine.phase() === 'signin' || engine.phase() === 'signedOut'}>
            <CodeSignIn words="tablet" class="signin" initial={fromQr} signedOut={engine.phase() === 'signedOut'} signIn={engine.signIn} />
          </Match>
          <Match when={engine.phase() === 'confirm'}>
            <ConfirmIdentity words="tablet" class="confirm" meeting={engine.pending()?.meeting.title} name={engine.pending()?.member.name ?? ''} title={engine.pending()?.member.title} onYes={engine.confirmIdentity} onNo={engine.notMe} />
          </Match>
          <Match when={engine.phase() === 'ended'}>
            <Ended />
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

function Ended() {
  return (
    <section class="card status-card" data-testid="ended">
      <h1>{t('tablet.ended')}</h1>
      <p class="lead">{t('tablet.ended.hint')}</p>
    </section>
  );
}

/** The ballot the member is filling in, if any: open, eligible, keys checked, token in hand, not yet confirmed. */
function votingBallot(engine: TabletEngine): TabletBallot2 | undefined {
  return engine.state()?.ballots.find((b) => b.status === 'open' && b.eligible && engine.records()[b.id]?.stage === 'signed' && engine.keysFor(b).ok);
}

function MainScreen(props: { engine: TabletEngine }) {
  const [reviewing, setReviewing] = createSignal<string | null>(null);
  const voting = createMemo(() => votingBallot(props.engine));
  const casting = createMemo(() =>
    props.engine.state()?.ballots.find((b) => b.status === 'open' && props.engine.records()[b.id]?.stage === 'casting'),
  );
  return (
    <Switch fallback={<StatusScreen engine={props.engine} />}>
      <Match when={voting()}>
        {(b) => (
          <Show when={reviewing() === b().id} fallback={<BallotForm engine={props.engine} ballot={b()} onReview={() => setReviewing(b().id)} />}>
            <Review engine={props.engine} ballot={b()} onBack={() => setReviewing(null)} onConfirmed={() => setReviewing(null)} />
          </Show>
        )}
      </Match>
      <Match when={casting()}>{(b) => <Casting activity={props.engine.activity()[b().id]} />}</Match>
    </Switch>
  );
}

/** The ceremony fingerprint the tablet computed itself, to compare with the projector. */
function Fingerprint(props: { check: KeyCheck; compact?: boolean }) {
  return (
    <Show when={props.check.ok ? props.check.keys.fingerprint : null}>
      {(fp) => (
        <div class="fingerprint" classList={{ compact: !!props.compact }} data-testid="fingerprint" data-fingerprint={fp()}>
          <span class="fingerprint-label">{t('tablet.fingerprint.label')}</span>
          <span class="fingerprint-value">{fp()}</span>
          <span class="fingerprint-hint">{t('tablet.fingerprint.hint')}</span>
        </div>
      )}
    </Show>
  );
}

function BallotForm(props: { engine: TabletEngine; ballot: TabletBallot2; onReview: () => void }) {
  const kind = () => clientKind(props.ballot.type);
  const recused = () => props.engine.recusedFor(props.ballot);
  const answer = () => props.engine.drafts()[props.ballot.id] ?? kind().emptyAnswer(props.ballot);
  const progress = () => kind().progress(props.ballot, answer(), recused());
  return (
    <section class={`ballot ballot-${props.ballot.type}`} aria-labelledby="ballot-h" data-testid="ballot" data-kind={props.ballot.type}>
      <h1 id="ballot-h" class="ballot-title">
        {props.ballot.title} <RoundBadge round={props.ballot.round} />
      </h1>
      <Fingerprint check={props.engine.keysFor(props.ballot)} />
      <Dynamic component={kind().Ballot} ballot={props.ballot} answer={answer()} setAnswer={(a: Answer) => props.engine.setAnswer(props.ballot.id, a)} recused={recused()} />
      <div class="ballot-bar">
        <span class="ballot-progress" data-testid="ballot-progress">{progress().words}</span>
        <button type="button" class="btn btn-primary btn-xl" disabled={!progress().ready} onClick={() => props.onReview()} data-testid="review">
          {t('tablet.ballot.review')}
        </button>
      </div>
    </section>
  );
}

function Review(props: { engine: TabletEngine; ballot: TabletBallot2; onBack: () => void; onConfirmed: () => void }) {
  const kind = () => clientKind(props.ballot.type);
  const answer = () => props.engine.drafts()[props.ballot.id] ?? kind().emptyAnswer(props.ballot);
  const confirm = async () => {
    // A blank recommendation is asked about once more, before the usual question.
    const extra = kind().castQuestion(props.ballot, answer());
    if (extra && !(await confirmAsk(extra.ask, extra.yes))) return;
    if (!(await confirmAsk(t('tablet.cast.ask'), t('tablet.cast.yes')))) return;
    props.onConfirmed();
    props.engine.confirmCast(props.ballot.id, answer());
  };
  return (
    <section class="review" aria-labelledby="review-h" data-testid="review-screen">
      <h1 id="review-h">{t('tablet.review.heading')}</h1>
      <p class="lead">
        {props.ballot.title} <RoundBadge round={props.ballot.round} />
      </p>
      <Dynamic component={kind().Review} ballot={props.ballot} answer={answer()} recused={props.engine.recusedFor(props.ballot)} />
      <Fingerprint check={props.engine.keysFor(props.ballot)} compact />
      <Notice kind="info">{t('tablet.review.hint')}</Notice>
      <div class="actions-row">
        <button type="button" class="btn btn-secondary btn-xl" onClick={() => props.onBack()} data-testid="review-back">
          {t('tablet.review.change')}
        </button>
        <button type="button" class="btn btn-primary btn-xl" onClick={() => void confirm()} data-testid="cast">
          {t('tablet.review.confirm')}
        </button>
      </div>
    </section>
  );
}

function Casting(props: { activity: Activity | undefined }) {
  const retry = () => {
    const a = props.activity;
    return a?.kind === 'casting' && a.attempt > 0 ? a : null;
  };
  const failed = () => {
    const a = props.activity;
    return a?.kind === 'cast-error' ? a.message() : null;
  };
  return (
    <section class="card status-card" data-testid="casting">
      <Show when={!failed()}>
        <div class="spinner" aria-hidden="true" />
        <h1>{t('tablet.casting')}</h1>
      </Show>
      <Show when={retry()}>
        {(a) => (
          <Notice kind="warn" testid="cast-retry">
            {a().busy ? t('tablet.casting.busy') : t('tablet.casting.retry', { n: a().attempt })}
          </Notice>
        )}
      </Show>
      <Show when={failed()}>{(m) => <Notice kind="error" testid="cast-error">{t('tablet.cast.failed', { message: m() })}</Notice>}</Show>
    </section>
  );
}

/**
 * Why this member does not vote on an open ballot: 列席 when the ballot's kind lists their roster
 * kind as attending without a vote (候补委员 at a 全委会表决), otherwise 本项表决您不参加.
 */
function notVoting(engine: TabletEngine, b: TabletBallot2): string {
  const me = engine.state()?.member.kind;
  if (me && clientKind(b.type).crypto.attendingWithoutVote.includes(me)) return t('tablet.attending', { title: b.title, kind: kindWord(me) });
  const id = engine.state()?.member.id;
  return id && b.recused.includes(id) ? t('tablet.notEligible', { title: b.title }) : t('tablet.notEntitled', { title: b.title });
}

/** Everything else: waiting, issuing, cast and waiting, checked. */
function StatusScreen(props: { engine: TabletEngine }) {
  const ballots = () => props.engine.state()?.ballots ?? [];
  const focus = createMemo(() => {
    const list = ballots().filter((b) => b.status !== 'draft' && (b.eligible || props.engine.records()[b.id]));
    const live = list.find((b) => b.status === 'open' || b.status === 'closed');
    return live ?? list[list.length - 1];
  });
  const others = () => ballots().filter((b) => b.status === 'open' && !b.eligible);
  const finished = () => {
    const f = focus();
    return !f || f.status === 'published' || f.status === 'void';
  };
  const earlier = () => {
    const f = focus();
    return ballots().filter((b) => b !== f && props.engine.records()[b.id]?.stage === 'done');
  };
  return (
    <div class="status">
      <Show when={focus()}>{(b) => <BallotStatus engine={props.engine} ballot={b()} />}</Show>
      <Show when={finished()}>
        <section class="card waiting" data-testid="waiting">
          <div class="waiting-dot" aria-hidden="true" />
          <h1>{focus() ? t('tablet.waiting.next') : t('tablet.waiting')}</h1>
          <p class="lead">{t('tablet.waiting.hint')}</p>
          <For each={others()}>
            {(b) => (
              <p class="lead not-eligible" data-testid="not-eligible">
                {notVoting(props.engine, b)}
              </p>
            )}
          </For>
        </section>
      </Show>
      <Show when={earlier().length}>
        <ul class="earlier">
          <For each={earlier()}>{(b) => <li>{t('tablet.ballotDone', { title: b.title, state: t('tablet.counted') })}</li>}</For>
        </ul>
      </Show>
    </div>
  );
}

/** The member must not vote: the ballot's keys are not the key ceremony's. */
function KeysRefused(props: { reason: Exclude<KeyCheck, { ok: true }>['reason'] }) {
  return (
    <div class="refused" data-testid="keys-error" role="alert">
      <div class="refused-mark" aria-hidden="true">!</div>
      <h1 class="refused-title">{t('tablet.keys.title')}</h1>
      <Notice kind="error">
        <p class="strong">{t('tablet.keys.hint')}</p>
        <p class="small">{t(`tablet.keys.reason.${props.reason}`)}</p>
      </Notice>
    </div>
  );
}

function BallotStatus(props: { engine: TabletEngine; ballot: TabletBallot2 }) {
  const rec = () => props.engine.records()[props.ballot.id];
  const a = () => props.engine.activity()[props.ballot.id];
  const b = () => props.ballot;
  const stage = () => rec()?.stage;
  const refused = () => {
    if (b().status !== 'open' || !b().eligible || stage() === 'cast' || stage() === 'done') return null;
    const kc = props.engine.keysFor(b());
    return kc.ok ? null : kc;
  };
  const message = () => {
    const x = a();
    return x && 'message' in x ? x.message() : '';
  };
  return (
    <section class="card status-card" data-testid="ballot-status">
      <p class="status-ballot">{b().title}</p>
      <Switch>
        <Match when={b().status === 'open' && !b().eligible}>
          <h1 data-testid="not-eligible">{notVoting(props.engine, b())}</h1>
        </Match>
        <Match when={refused()}>{(kc) => <KeysRefused reason={kc().reason} />}</Match>
        <Match when={a()?.kind === 'issue-error'}>
          <Notice kind="error" testid="issue-error">{t('tablet.issueFailed', { message: message() })}</Notice>
        </Match>
        <Match when={a()?.kind === 'lost'}>
          <Notice kind="warn" testid="lost-ballot">{t('tablet.lostBallot')}</Notice>
        </Match>
        <Match when={b().status === 'open' && (!rec() || stage() === 'blinding')}>
          <div class="spinner" aria-hidden="true" />
          <h1>{t('tablet.preparing')}</h1>
          <Show when={a()?.kind === 'issuing' && (a() as { waits: number }).waits > 0}>
            <p class="muted" data-testid="issue-waiting">{t('tablet.preparing.waiting')}</p>
          </Show>
        </Match>
        <Match when={a()?.kind === 'cast-error'}>
          <Notice kind="error" testid="cast-error">{t('tablet.cast.failed', { message: message() })}</Notice>
        </Match>
        <Match when={a()?.kind === 'late'}>
          <Notice kind="warn" testid="late-cast">{t('tablet.lateCast')}</Notice>
        </Match>
        <Match when={b().status === 'open' && stage() === 'cast'}>
          <div class="big-check" aria-hidden="true">✓</div>
          <h1 data-testid="cast-done">{t('tablet.cast.done')}</h1>
          <p class="lead">{t('tablet.cast.doneHint')}</p>
          <ReceiptCode receipt={(rec() as { receipt: StoredReceipt }).receipt} />
        </Match>
        <Match when={!rec() && b().eligible && b().issued}>
          <Notice kind="warn">{b().status === 'open' ? t('tablet.lostBallot') : t('tablet.lateCast')}</Notice>
        </Match>
        <Match when={!rec() && b().eligible && !b().issued && b().status !== 'open'}>
          <h1 data-testid="did-not-vote">{t('tablet.didNotVote')}</h1>
          <p class="lead">{t('tablet.didNotVote.hint')}</p>
        </Match>
        <Match when={!rec()}>
          <p class="muted">{statusWord(b().status)}</p>
        </Match>
        <Match when={stage() === 'casting' && b().status === 'closed'}>
          <Notice kind="warn" testid="cast-unconfirmed">{t('tablet.castUnconfirmed')}</Notice>
        </Match>
        <Match when={stage() === 'cast' && b().status === 'closed'}>
          <div class="big-check" aria-hidden="true">✓</div>
          <h1 data-testid="awaiting-result">{t('tablet.awaiting')}</h1>
          <p class="lead">{t('tablet.awaiting.hint')}</p>
          <ReceiptCode receipt={(rec() as { receipt: StoredReceipt }).receipt} />
        </Match>
        <Match when={a()?.kind === 'check-error'}>
          <Notice kind="error">{t('tablet.checkFailed', { message: message() })}</Notice>
        </Match>
        <Match when={stage() === 'done' || (stage() === 'cast' && (rec() as { check?: string }).check)}>
          <CheckCard rec={rec()!} void={b().status === 'void'} />
        </Match>
        <Match when={true}>
          <div class="spinner" aria-hidden="true" />
          <h1>{t('tablet.checking')}</h1>
        </Match>
      </Switch>
    </section>
  );
}

/** The result of the inclusion check: counted, or what is wrong and what to do. */
function CheckCard(props: { rec: BallotRecord; void?: boolean }) {
  const status = () => (props.rec.stage === 'done' ? 'included' : props.rec.stage === 'cast' ? props.rec.check : undefined);
  return (
    <div class="check-card" data-testid="check-card" data-status={status()}>
      <Switch>
        <Match when={status() === 'included'}>
          <div class="big-check ok" aria-hidden="true">✓</div>
          <h1 data-testid="counted">{t('tablet.counted')}</h1>
          <p class="lead">{t('tablet.counted.hint')}</p>
        </Match>
        <Match when={status() === 'missing'}>
          <Notice kind="error" title={t('tablet.missing')} testid="not-counted">
            {t('tablet.missing.hint')}
          </Notice>
        </Match>
        <Match when={status() === 'other-keys'}>
          <Notice kind="error" title={t('tablet.otherKeys')} testid="not-counted">
            {t('tablet.otherKeys.hint')}
          </Notice>
        </Match>
        <Match when={true}>
          <Notice kind="error" title={t('tablet.checkInvalid')} testid="not-counted">
            {checkProblemWords((status() ?? 'bad-bundle') as CheckProblem)}
          </Notice>
        </Match>
      </Switch>
      <Show when={props.void}>
        <Notice kind="warn">{t('tablet.void')}</Notice>
      </Show>
      <Show when={props.rec.stage === 'cast' ? props.rec.receipt : null}>{(r) => <ReceiptCode receipt={r()} />}</Show>
    </div>
  );
}

/** The receipt code, behind a deliberate warning (kept only until the inclusion check passes). */
function ReceiptCode(props: { receipt: StoredReceipt }) {
  const [shown, setShown] = createSignal(false);
  const [warning, setWarning] = createSignal(false);
  return (
    <Switch>
      <Match when={shown()}>
        <div class="receipt">
          <p class="field-label">{t('tablet.receipt.label')}</p>
          <textarea class="receipt-code" readonly rows={6} data-testid="receipt-code" value={JSON.stringify(props.receipt)} />
          <button type="button" class="btn btn-secondary" onClick={() => setShown(false)}>
            {t('tablet.receipt.hide')}
          </button>
        </div>
      </Match>
      <Match when={warning()}>
        <Notice kind="warn" title={t('tablet.receipt.warnTitle')}>
          <p>{t('tablet.receipt.warn')}</p>
          <div class="actions-row">
            <button type="button" class="btn btn-secondary" onClick={() => setWarning(false)}>
              {t('common.cancel')}
            </button>
            <button type="button" class="btn btn-danger" data-testid="receipt-confirm" onClick={() => (setWarning(false), setShown(true))}>
              {t('tablet.receipt.confirm')}
            </button>
          </div>
        </Notice>
      </Match>
      <Match when={true}>
        <button type="button" class="btn btn-link" data-testid="receipt-show" onClick={() => setWarning(true)}>
          {t('tablet.receipt.show')}
        </button>
      </Match>
    </Switch>
  );
}
