/**
 * @module client/secretary/Ballots
 * Ballots of a meeting: create one from the two templates (常委会票决 for standing
 * members, 全委会征求意见 for all members) with items, the rule in words and recusals;
 * then open (once the scrutineers' keys are ready, at least t scrutineers confirmed the
 * attendance and the quorum holds), watch 已投 / 已发, close, watch the scrutineers' devices
 * decrypt (publication is automatic once t shares are in; 公布结果 only retries), and read
 * the result with links to the audit bundle and the verifier. Also re-issue a ballot to a
 * lost tablet (each scrutineer then approves it on their device).
 */
import { createEffect, createMemo, createSignal, For, Index, Match, onCleanup, Show, Switch } from 'solid-js';
import { defaultRule, type BallotType } from '../../crypto/index.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import { ResultTable, tallyLine } from '../result.tsx';
import type { BallotView, MemberView } from '../types.ts';
import { confirmAsk, Notice, ProgressBar } from '../ui.tsx';
import { kindWord, quorumSentence, ruleSentence, statusWord, typeWord } from '../words.ts';
import { QuorumLine } from './Attendance.tsx';
import type { MeetingCtx } from './Meeting.tsx';
import { ScrutinyStatus } from './Scrutiny.tsx';
import { sec } from './session.ts';

const ELIGIBLE: Record<BallotType, readonly string[]> = { decision: ['standing'], consultation: ['standing', 'full', 'alternate'] };

export default function Ballots(props: { ctx: MeetingCtx }) {
  const [creating, setCreating] = createSignal(false);
  const d = () => props.ctx.detail();
  const active = () => d().meeting.status === 'active';
  return (
    <section class="tab-panel" data-testid="ballots-panel">
      <div class="card scrutiny-card">
        <h2 class="small-heading">{t('sec.scr.heading')}</h2>
        <ScrutinyStatus scrutiny={d().scrutiny} compact />
      </div>
      <Show when={active()}>
        <Show
          when={creating()}
          fallback={
            <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="ballot-new">
              + {t('sec.ballots.new')}
            </button>
          }
        >
          <NewBallot ctx={props.ctx} onDone={() => setCreating(false)} />
        </Show>
      </Show>
      <Show when={d().ballots.length} fallback={<p class="muted">{t('sec.ballots.none')}</p>}>
        {/* Keyed by id: live updates bring new objects, and a card must keep its messages. */}
        <For each={d().ballots.map((b) => b.id).reverse()}>{(id) => <BallotCard ctx={props.ctx} ballotId={id} />}</For>
      </Show>
    </section>
  );
}

function NewBallot(props: { ctx: MeetingCtx; onDone: () => void }) {
  const [type, setType] = createSignal<BallotType>('decision');
  const [title, setTitle] = createSignal(t('sec.ballot.defaultTitle.decision'));
  const [items, setItems] = createSignal<{ nominee: string; post: string }[]>([{ nominee: '', post: '' }]);
  const [recused, setRecused] = createSignal<ReadonlySet<string>>(new Set());
  const [error, setError] = createSignal<string | null>(null);
  const eligible = createMemo(() => props.ctx.detail().members.filter((m) => ELIGIBLE[type()].includes(m.kind)));
  const rule = () => defaultRule(type());
  const complete = () => items().every((i) => i.nominee.trim() && i.post.trim()) && title().trim() !== '';

  const pick = (next: BallotType) => {
    if (title() === t(`sec.ballot.defaultTitle.${type()}`)) setTitle(t(`sec.ballot.defaultTitle.${next}`));
    setType(next);
    setRecused(new Set<string>());
  };
  const setItem = (i: number, field: 'nominee' | 'post', value: string) => setItems((list) => list.map((x, j) => (j === i ? { ...x, [field]: value } : x)));
  const toggle = (id: string, on: boolean) =>
    setRecused((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });

  const create = async (e: Event) => {
    e.preventDefault();
    if (!complete()) return setError(t('sec.ballot.itemsMissing'));
    setError(null);
    try {
      await sec('POST', `/api/meetings/${props.ctx.detail().meeting.id}/ballots`, {
        type: type(),
        title: title().trim(),
        items: items().map((i) => ({ nominee: i.nominee.trim(), post: i.post.trim() })),
        ...(recused().size ? { recused: [...recused()] } : {}),
      });
      await props.ctx.reload();
      props.onDone();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <form class="card new-ballot" onSubmit={create} data-testid="ballot-form">
      <h2>{t('sec.ballots.new')}</h2>
      <fieldset class="templates">
        <legend class="field-label">{t('sec.ballot.template')}</legend>
        <For each={['decision', 'consultation'] as const}>
          {(k) => (
            <label class="template" classList={{ chosen: type() === k }}>
              <input type="radio" name="type" value={k} checked={type() === k} onChange={() => pick(k)} data-testid={`template-${k}`} />
              <span class="template-name">{typeWord(k)}</span>
              <span class="muted">{t(`type.${k}.who`)}</span>
            </label>
          )}
        </For>
      </fieldset>
      <label class="field-label" for="bt">{t('sec.ballot.title')}</label>
      <input id="bt" class="input" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="ballot-title" />
      <p class="field-label">{t('sec.ballot.items')}</p>
      <ol class="item-rows">
        <Index each={items()}>
          {(it, i) => (
            <li class="item-row">
              <input class="input" placeholder={t('item.nominee')} aria-label={t('item.nominee')} value={it().nominee} onInput={(e) => setItem(i, 'nominee', e.currentTarget.value)} data-testid={`item-nominee-${i}`} />
              <input class="input" placeholder={t('item.post')} aria-label={t('item.post')} value={it().post} onInput={(e) => setItem(i, 'post', e.currentTarget.value)} data-testid={`item-post-${i}`} />
              <button type="button" class="btn btn-secondary btn-small" disabled={items().length === 1} onClick={() => setItems((l) => l.filter((_, j) => j !== i))}>
                {t('sec.ballot.removeItem')}
              </button>
            </li>
          )}
        </Index>
      </ol>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => setItems((l) => [...l, { nominee: '', post: '' }])} data-testid="item-add">
        + {t('sec.ballot.addItem')}
      </button>
      <p class="field-label">{t('sec.ballot.rule')}</p>
      <p class="rule-words" data-testid="rule-words">
        {ruleSentence(type(), rule())} {quorumSentence(rule())}
      </p>
      <p class="field-label">{t('sec.ballot.recused')}</p>
      <Show when={eligible().length} fallback={<p class="muted">{t('sec.ballot.noEligible')}</p>}>
        <div class="recusals">
          <For each={eligible()}>
            {(m) => (
              <label class="check">
                <input type="checkbox" checked={recused().has(m.id)} onChange={(e) => toggle(m.id, e.currentTarget.checked)} />
                {m.name}
              </label>
            )}
          </For>
        </div>
      </Show>
      <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
      <div class="inline-form">
        <button type="button" class="btn btn-secondary" onClick={() => props.onDone()}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" data-testid="ballot-create">
          {t('sec.ballot.create')}
        </button>
      </div>
    </form>
  );
}

function BallotCard(props: { ctx: MeetingCtx; ballotId: string }) {
  const [error, setError] = createSignal<string | null>(null);
  const [note, setNote] = createSignal<string | null>(null);
  const [who, setWho] = createSignal('');
  const b = (): BallotView => props.ctx.detail().ballots.find((x) => x.id === props.ballotId)!;
  const names = (ids: readonly string[]) => ids.map((id) => props.ctx.detail().members.find((m) => m.id === id)?.name ?? id).join('、');
  const bundleUrl = () => `/api/ballots/${b().id}/bundle`;
  const reissueCandidates = (): MemberView[] =>
    props.ctx.detail().members.filter((m) => m.present && ELIGIBLE[b().type].includes(m.kind) && !b().recused.includes(m.id));
  // Keyed by member id, not by the member objects every refresh replaces: the options (and with
  // them the secretary's pick) survive the live updates.
  const candidateIds = createMemo(() => reissueCandidates().map((m) => m.id), undefined, { equals: (a, b) => a.join() === b.join() });
  const candidateLabel = (id: string): string => {
    const m = props.ctx.detail().members.find((x) => x.id === id);
    return m ? t('tablet.member', { name: m.name, kind: kindWord(m.kind) }) : '';
  };
  // A pick that is no longer a candidate (signed out meanwhile) is dropped, not sent.
  createEffect(() => {
    if (who() && !candidateIds().includes(who())) setWho('');
  });

  const scrutiny = () => props.ctx.detail().scrutiny;
  const threshold = () => scrutiny().t;
  /** Why 开始表决 cannot be pressed yet (empty: it can). */
  const blockers = (): string[] => {
    const out: string[] = [];
    if (scrutiny().ceremony.status !== 'ready') out.push(t('sec.ballot.why.keys'));
    else if (b().confirmations < threshold()) out.push(t('sec.ballot.why.confirm', { k: b().confirmations, t: threshold() }));
    if (b().rule.quorum && !b().quorumMet) out.push(t('sec.ballot.why.quorum'));
    return out;
  };
  // Publication follows the t-th decryption share by itself; 公布结果 appears only if the
  // ballot stays closed with enough shares for a while (a failed attempt to retry).
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  let enoughSince: number | null = null;
  const stuck = createMemo(() => {
    const enough = b().status === 'closed' && threshold() > 0 && b().decryptions >= threshold();
    if (!enough) {
      enoughSince = null;
      return false;
    }
    enoughSince ??= now();
    return now() - enoughSince >= 5000;
  });

  const act = async (action: 'open' | 'close' | 'finalize') => {
    setError(null);
    setNote(null);
    if (action === 'close' && !(await confirmAsk(t('sec.ballot.closeConfirm', { title: b().title, cast: b().cast, issued: b().issued }), t('sec.ballot.close'), true))) return;
    try {
      await sec('POST', `/api/ballots/${b().id}/${action}`);
      await props.ctx.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const reissue = async () => {
    const m = props.ctx.detail().members.find((x) => x.id === who());
    if (!m) return;
    setError(null);
    try {
      await sec('POST', `/api/ballots/${b().id}/reissue`, { memberId: m.id });
      setNote(t('sec.ballot.reissued', { name: m.name }));
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <article class={`card ballot-card status-${b().status}`} data-testid="ballot-card" data-status={b().status}>
      <header class="ballot-card-head">
        <div>
          <h2>{b().title}</h2>
          <p class="muted">
            {typeWord(b().type)} · {t(`type.${b().type}.who`)}
          </p>
        </div>
        <span class={`status-badge badge-${b().status}`} data-testid="ballot-status">
          {statusWord(b().status)}
        </span>
      </header>
      <ol class="ballot-items">
        <For each={b().items}>
          {(it) => (
            <li>
              <span class="strong">{it.nominee}</span> <span class="muted">{t('item.postLine', { post: it.post })}</span>
            </li>
          )}
        </For>
      </ol>
      <p class="rule-words">
        {ruleSentence(b().type, b().rule)} {quorumSentence(b().rule)}
      </p>
      <Show when={b().recused.length}>
        <p class="muted">{t('sec.ballot.recusedList', { names: names(b().recused) })}</p>
      </Show>
      <Switch>
        <Match when={b().status === 'draft'}>
          <ul class="quorum-list">
            <QuorumLine title={t('sec.attendance.heading')} entitled={b().entitled} present={b().present} met={b().quorumMet} needed={b().rule.quorum !== null} />
            <li class="quorum-line">
              <span data-testid="confirmations">{t('sec.ballot.confirmations', { k: b().confirmations, t: threshold() })}</span>
              <Show when={threshold() > 0}>
                <span class={`pill ${b().confirmations >= threshold() ? 'pill-ok' : 'pill-bad'}`}>
                  {b().confirmations >= threshold() ? '✓' : t('sec.ballot.confirmMissing', { n: threshold() - b().confirmations })}
                </span>
              </Show>
            </li>
          </ul>
          <div class="open-row">
            <button type="button" class="btn btn-primary btn-big" disabled={blockers().length > 0} onClick={() => void act('open')} data-testid="ballot-open">
              {t('sec.ballot.open')}
            </button>
            <Show when={blockers().length}>
              <ul class="open-why" data-testid="open-why">
                <For each={blockers()}>{(w) => <li>{w}</li>}</For>
              </ul>
            </Show>
          </div>
        </Match>
        <Match when={b().status === 'open'}>
          <p class="big-figure" data-testid="cast-of">{t('sec.ballot.castOf', { cast: b().cast, issued: b().issued })}</p>
          <ProgressBar value={b().cast} max={Math.max(b().issued, 1)} label={t('sec.ballot.castOf', { cast: b().cast, issued: b().issued })} />
          <p class="muted">{t('sec.ballot.turnout', { entitled: b().entitled, present: b().present })}</p>
          <button type="button" class="btn btn-danger btn-big" onClick={() => void act('close')} data-testid="ballot-close">
            {t('sec.ballot.close')}
          </button>
          <details class="reissue">
            <summary>{t('sec.ballot.reissue')}</summary>
            <p class="muted">{t('sec.ballot.reissueHint')}</p>
            <div class="inline-form">
              <select class="input" value={who()} onChange={(e) => setWho(e.currentTarget.value)} aria-label={t('sec.ballot.reissueWho')} data-testid="reissue-who">
                <option value="" selected={who() === ''}>{t('sec.ballot.reissueWho')}</option>
                <For each={candidateIds()}>
                  {(id) => (
                    <option value={id} selected={who() === id}>
                      {candidateLabel(id)}
                    </option>
                  )}
                </For>
              </select>
              <button type="button" class="btn btn-secondary" disabled={!who()} onClick={() => void reissue()}>
                {t('sec.ballot.reissue')}
              </button>
            </div>
          </details>
        </Match>
        <Match when={b().status === 'closed'}>
          <p class="big-figure" data-testid="decrypted-of">{t('sec.ballot.decrypting', { k: b().decryptions, t: threshold() })}</p>
          <ProgressBar value={b().decryptions} max={Math.max(threshold(), 1)} label={t('sec.ballot.decrypting', { k: b().decryptions, t: threshold() })} />
          <p class="muted">{t('sec.ballot.decryptingHint', { t: threshold() })}</p>
          <p class="muted">{t('sec.ballot.castOf', { cast: b().cast, issued: b().issued })}</p>
          <Show when={stuck()}>
            <Notice kind="warn">{t('sec.ballot.publishRetry')}</Notice>
            <button type="button" class="btn btn-primary btn-big" onClick={() => void act('finalize')} data-testid="ballot-finalize">
              {t('sec.ballot.finalize')}
            </button>
          </Show>
        </Match>
        <Match when={b().result}>
          {(r) => (
            <>
              <Show when={b().status === 'void'}>
                <Notice kind="error">{t('status.void')}</Notice>
              </Show>
              <h3>{t('sec.ballot.result')}</h3>
              <p class="muted">
                {t('sec.ballot.turnout', { entitled: r().entitled, present: r().present })} · {tallyLine(r())}
              </p>
              <ResultTable type={b().type} rule={b().rule} items={b().items} tally={r()} />
              <p class="links">
                <a href={bundleUrl()} download={`bundle-${b().id}.json`} data-testid="bundle-link">
                  {t('sec.ballot.bundle')}
                </a>
                <a href={`/verify?bundle=${encodeURIComponent(bundleUrl())}`} target="_blank" rel="noopener" data-testid="verify-link">
                  {t('sec.ballot.verify')}
                </a>
              </p>
            </>
          )}
        </Match>
      </Switch>
      <Show when={note()}>{(m) => <Notice kind="ok">{m()}</Notice>}</Show>
      <Show when={error()}>{(m) => <Notice kind="error" testid="ballot-error">{m()}</Notice>}</Show>
    </article>
  );
}
