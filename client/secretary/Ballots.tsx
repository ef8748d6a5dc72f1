/**
 * @module client/secretary/Ballots
 * Ballots of a meeting: create one of any kind (client/kinds/: 常委会票决, 全委会表决,
 * 全委会征求意见, 民主推荐, 民主测评) with the kind's own fields, the rule in words, recusal from
 * the whole ballot and from single items (回避); then open (once the scrutineers' keys are
 * ready, at least t scrutineers confirmed the attendance and the quorum holds), watch 已投 /
 * 已发, close, watch the scrutineers' devices decrypt (publication is automatic once t shares
 * are in; 公布结果 only retries), and read the result with links to the audit bundle and the
 * verifier. A published ballot may lead to a next round (两推 among the leading candidates, or
 * 复议 of a failed or void ballot). Also re-issue a ballot to a lost tablet (each scrutineer
 * then approves it on their device).
 */
import { createEffect, createMemo, createSignal, For, Index, Match, onCleanup, Show, Switch } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import type { KindId, MemberKind, RecusedItems } from '../../crypto/index.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import { followRows } from '../kinds/figures.ts';
import { CLIENT_KIND_LIST, clientKind, type ClientKind, type Draft, type NextRound } from '../kinds/index.ts';
import { ResultTable, resultHeading, RoundBadge, tallyLine } from '../result.tsx';
import type { MemberView, SecretaryBallot } from '../types.ts';
import { confirmAsk, Notice, ProgressBar } from '../ui.tsx';
import { kindWord, quorumSentence, roundWord, statusWord, typeWord } from '../words.ts';
import { QuorumLine } from './Attendance.tsx';
import type { MeetingCtx } from './Meeting.tsx';
import { ScrutinyStatus } from './Scrutiny.tsx';
import { sec } from './session.ts';
import { sheetHeading } from '../record/lines.ts';
import { recordPath } from '../record/paths.ts';

const entitledOn = (type: KindId, kind: MemberKind) => clientKind(type).crypto.entitled.includes(kind);

/** A copy of `set` with `x` in it (on) or not. */
function toggled<T>(set: ReadonlySet<T>, x: T, on: boolean): Set<T> {
  const next = new Set(set);
  if (on) next.add(x);
  else next.delete(x);
  return next;
}

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

/** The request body's kind-specific members: only what differs from the kind's defaults. */
function kindFields(kind: ClientKind, draft: Draft): Record<string, unknown> {
  return {
    items: draft.items.map((i) => ({ nominee: i.nominee.trim(), post: i.post.trim() })),
    ...(draft.options.join() !== kind.crypto.optionSets[0]!.join() ? { options: draft.options } : {}),
    ...(Object.keys(draft.rule).length ? { rule: draft.rule } : {}),
    ...(Object.keys(draft.params).length ? { params: trimParams(draft.params) } : {}),
  };
}

function trimParams(p: Draft['params']): Draft['params'] {
  return 'post' in p ? { post: p.post.trim(), seats: p.seats } : p;
}

function NewBallot(props: { ctx: MeetingCtx; onDone: () => void }) {
  // The form opens on the first kind of the registry (常委会票决).
  const [type, setType] = createSignal<KindId>(CLIENT_KIND_LIST[0]!.id);
  const kind = () => clientKind(type());
  const [title, setTitle] = createSignal(t(`sec.ballot.defaultTitle.${type()}`));
  const [draft, setDraft] = createSignal<Draft>(kind().initialDraft());
  const [recused, setRecused] = createSignal<ReadonlySet<string>>(new Set());
  const [recusedItems, setRecusedItems] = createSignal<readonly RecusedItems[]>([]);
  const [error, setError] = createSignal<string | null>(null);
  const members = () => props.ctx.detail().members;
  const eligible = createMemo(() => members().filter((m) => entitledOn(type(), m.kind)));
  const attending = createMemo(() => members().filter((m) => kind().crypto.attendingWithoutVote.includes(m.kind)));
  const rule = () => ({ ...kind().crypto.defaultRule(draft().options), ...draft().rule });

  const pick = (next: KindId) => {
    if (title() === t(`sec.ballot.defaultTitle.${type()}`)) setTitle(t(`sec.ballot.defaultTitle.${next}`));
    setType(next);
    // The rows typed so far stay; the kind's own fields start afresh.
    setDraft({ ...clientKind(next).initialDraft(), items: draft().items.slice(0, clientKind(next).maxItems) });
    setRecused(new Set<string>());
    setRecusedItems([]);
  };
  const update = (patch: Partial<Draft>) => {
    setError(null);
    const old = draft().items;
    setDraft((x) => ({ ...x, ...patch }));
    // Rows removed or added (an edit keeps the count): recusals follow their rows, which keep
    // their identity; a recusal from a removed row goes with it.
    const now = draft().items;
    if (now.length !== old.length) setRecusedItems((l) => followRows(l, old, now));
  };
  const toggle = (id: string, on: boolean) => setRecused((s) => toggled(s, id, on));

  const create = async (e: Event) => {
    e.preventDefault();
    const problem = title().trim() === '' ? t('sec.ballot.titleMissing') : kind().draftProblem(draft());
    if (problem) return setError(problem);
    setError(null);
    const perItem = recusedItems().filter((r) => r.items.length && !recused().has(r.memberId));
    try {
      await sec('POST', `/api/meetings/${props.ctx.detail().meeting.id}/ballots`, {
        type: type(),
        title: title().trim(),
        ...kindFields(kind(), draft()),
        ...(recused().size ? { recused: [...recused()] } : {}),
        ...(perItem.length ? { recusedItems: perItem } : {}),
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
        <For each={CLIENT_KIND_LIST}>
          {(k) => (
            <label class="template" classList={{ chosen: type() === k.id }}>
              <input type="radio" name="type" value={k.id} checked={type() === k.id} onChange={() => pick(k.id)} data-testid={`template-${k.id}`} />
              <span class="template-name">{typeWord(k.id)}</span>
              <span class="muted">{t(`type.${k.id}.who`)}</span>
            </label>
          )}
        </For>
      </fieldset>
      <label class="field-label" for="bt">{t('sec.ballot.title')}</label>
      <input id="bt" class="input" value={title()} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="ballot-title" />
      <Dynamic component={kind().Fields} draft={draft()} update={update} />
      <p class="field-label">{t('sec.ballot.rule')}</p>
      <p class="rule-words" data-testid="rule-words">
        {kind().ruleWords({ rule: rule(), options: draft().options, params: draft().params })} {quorumSentence(rule(), type())}
      </p>
      <Show when={attending().length}>
        <p class="muted" data-testid="attending">{t('kinds.attending', { kind: kindWord(attending()[0]!.kind), n: attending().length })}</p>
      </Show>
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
        <ItemRecusals draft={draft()} members={eligible().filter((m) => !recused().has(m.id))} value={recusedItems()} set={setRecusedItems} />
      </Show>
      <Show when={error()}>{(m) => <Notice kind="error" testid="ballot-form-error">{m()}</Notice>}</Show>
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

/** "第 1、3 项" lists: 1-based item numbers joined with 、. */
const itemNumbers = (items: readonly number[]) => items.map((i) => i + 1).join('、');

/** Recusal from single items: pick a member, tick their items; the chosen lines below. */
function ItemRecusals(props: { draft: Draft; members: readonly MemberView[]; value: readonly RecusedItems[]; set: (v: readonly RecusedItems[]) => void }) {
  const [who, setWho] = createSignal('');
  const itemsOf = (id: string) => props.value.find((r) => r.memberId === id)?.items ?? [];
  const nameOf = (id: string) => props.members.find((m) => m.id === id)?.name ?? '';
  const setItem = (i: number, on: boolean) => {
    const id = who();
    const next = toggled(new Set(itemsOf(id)), i, on);
    const rest = props.value.filter((r) => r.memberId !== id);
    props.set(next.size ? [...rest, { memberId: id, items: [...next].sort((a, b) => a - b) }] : rest);
  };
  return (
    <details class="item-recusals" data-testid="item-recusals">
      <summary>{t('sec.ballot.recusedItems')}</summary>
      <p class="muted">{t('sec.ballot.recusedItemsHint')}</p>
      <select class="input" value={who()} onChange={(e) => setWho(e.currentTarget.value)} aria-label={t('sec.ballot.recusedItemsWho')} data-testid="recuse-who">
        <option value="">{t('sec.ballot.recusedItemsWho')}</option>
        <For each={props.members}>{(m) => <option value={m.id}>{m.name}</option>}</For>
      </select>
      <Show when={who()}>
        <div class="recusals">
          <Index each={props.draft.items}>
            {(it, i) => (
              <label class="check">
                <input type="checkbox" checked={itemsOf(who()).includes(i)} onChange={(e) => setItem(i, e.currentTarget.checked)} data-testid={`recuse-item-${i}`} />
                {i + 1}. {it().nominee || t('sec.ballot.itemNo', { n: i + 1 })}
              </label>
            )}
          </Index>
        </div>
      </Show>
      <ul class="recused-lines">
        <For each={props.value.filter((r) => nameOf(r.memberId))}>
          {(r) => (
            <li data-testid="recused-line">
              {t('sec.ballot.recusedItemsLine', { name: nameOf(r.memberId), items: itemNumbers(r.items) })}{' '}
              <button type="button" class="btn btn-link btn-small" onClick={() => props.set(props.value.filter((x) => x.memberId !== r.memberId))}>
                {t('sec.ballot.recusedItemsRemove')}
              </button>
            </li>
          )}
        </For>
      </ul>
    </details>
  );
}

/** 下一轮: the items of the next round, ticked as the kind suggests; creates the round as a draft. */
function NextRoundPanel(props: { ctx: MeetingCtx; ballot: SecretaryBallot; next: NextRound }) {
  const [open, setOpen] = createSignal(false);
  const [chosen, setChosen] = createSignal<ReadonlySet<number>>(new Set(props.next.preselected));
  const [error, setError] = createSignal<string | null>(null);
  const n = () => props.ballot.round.number + 1;
  const kind = () => clientKind(props.ballot.type);
  const followUp = () => props.ctx.detail().ballots.find((x) => x.round.previous?.ballotId === props.ballot.id);
  const toggle = (i: number, on: boolean) => setChosen((s) => toggled(s, i, on));
  const create = async () => {
    const items = [...chosen()].sort((a, b) => a - b);
    if (items.length < Math.max(1, props.next.min))
      return setError(props.next.mode === 'recommend' ? t('sec.round.tooFew', { k: props.next.min }) : t('sec.round.none'));
    setError(null);
    try {
      await sec('POST', `/api/ballots/${props.ballot.id}/next-round`, { items });
      await props.ctx.reload();
      setOpen(false);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Show
      when={!followUp()}
      fallback={
        <p class="muted" data-testid="next-round-done">
          {t('sec.round.created', { title: followUp()!.title, n: roundWord(followUp()!.round.number) })}
        </p>
      }
    >
      <Show
        when={open()}
        fallback={
          <button type="button" class="btn btn-secondary" onClick={() => setOpen(true)} data-testid="next-round">
            {t('sec.round.nextN', { n: roundWord(n()) })}
          </button>
        }
      >
        <div class="next-round" data-testid="next-round-panel">
          <h3>{t(props.next.mode === 'recommend' ? 'sec.round.recommend' : 'sec.round.revote')}</h3>
          <p class="field-label">
            {props.next.mode === 'recommend' ? t('sec.round.pickRec', { n: roundWord(n()), m: props.next.preselected.length }) : t('sec.round.pickRevote')}
          </p>
          <div class="recusals">
            <For each={props.next.offered}>
              {(i) => (
                <label class="check">
                  <input type="checkbox" checked={chosen().has(i)} onChange={(e) => toggle(i, e.currentTarget.checked)} data-testid={`next-item-${i}`} />
                  {kind().itemLabel(props.ballot.items[i]!)}
                </label>
              )}
            </For>
          </div>
          <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
          <div class="inline-form">
            <button type="button" class="btn btn-secondary" onClick={() => setOpen(false)}>
              {t('common.cancel')}
            </button>
            <button type="button" class="btn btn-primary" onClick={() => void create()} data-testid="next-round-create">
              {t('sec.round.create', { n: roundWord(n()) })}
            </button>
          </div>
        </div>
      </Show>
    </Show>
  );
}

function BallotCard(props: { ctx: MeetingCtx; ballotId: string }) {
  const [error, setError] = createSignal<string | null>(null);
  const [note, setNote] = createSignal<string | null>(null);
  const [who, setWho] = createSignal('');
  const b = (): SecretaryBallot => props.ctx.detail().ballots.find((x) => x.id === props.ballotId)!;
  const kind = () => clientKind(b().type);
  const next = () => {
    const r = b().result;
    return r && props.ctx.detail().meeting.status === 'active' ? kind().nextRound(b(), r, b().status === 'void') : null;
  };
  const names = (ids: readonly string[]) => ids.map((id) => props.ctx.detail().members.find((m) => m.id === id)?.name ?? id).join('、');
  const bundleUrl = () => `/api/ballots/${b().id}/bundle`;
  const reissueCandidates = (): MemberView[] =>
    props.ctx.detail().members.filter((m) => m.present && entitledOn(b().type, m.kind) && !b().recused.includes(m.id));
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
    if (b().rule.quorum && !b().quorumMet) out.push(t('sec.ballot.why.quorum', { entitled: b().entitled, present: b().present }));
    // The server refuses two open ballots of one title (TITLE_IN_USE).
    const twin = props.ctx.detail().ballots.find((x) => x.id !== b().id && x.status === 'open' && x.title === b().title);
    if (twin) out.push(t('sec.ballot.why.title', { title: twin.title }));
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
    // Who has not voted is a count only: present members who should vote less the ballots cast.
    const left = Math.max(0, b().present - b().cast);
    if (action === 'close' && !(await confirmAsk(t('sec.ballot.closeConfirm', { title: b().title, present: b().present, cast: b().cast, left }), t('sec.ballot.close'), true))) return;
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
          <h2>
            {b().title} <RoundBadge round={b().round} />
          </h2>
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
              <span class="strong">{it.nominee}</span> <span class="muted">{kind().postLine(it)}</span>
            </li>
          )}
        </For>
      </ol>
      <p class="rule-words">
        {kind().ruleWords(b())} {quorumSentence(b().rule, b().type)}
      </p>
      <Show when={b().recused.length}>
        <p class="muted">{t('sec.ballot.recusedList', { names: names(b().recused) })}</p>
      </Show>
      <For each={b().recusedItems}>
        {(r) => <p class="muted" data-testid="recused-items">{t('sec.ballot.recusedItemsLine', { name: names([r.memberId]), items: itemNumbers(r.items) })}</p>}
      </For>
      <Switch>
        <Match when={b().status === 'draft'}>
          <ul class="quorum-list">
            <QuorumLine title={t('sec.ballot.ballotQuorum')} entitled={b().entitled} present={b().present} met={b().quorumMet} needed={b().rule.quorum !== null} />
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
          <p class="big-figure" data-testid="cast-of">{t('sec.ballot.castOf', { cast: b().cast, present: b().present })}</p>
          <ProgressBar value={b().cast} max={Math.max(b().present, 1)} label={t('sec.ballot.castOf', { cast: b().cast, present: b().present })} />
          <p class="muted">{t('sec.ballot.turnout', { entitled: b().entitled, present: b().present })}</p>
          <Show when={b().withoutBallot.length} fallback={<p class="muted" data-testid="without-ballot">{t('sec.ballot.allHaveBallot')}</p>}>
            <p class="without-ballot" data-testid="without-ballot">
              {t('sec.ballot.withoutBallot', { n: b().withoutBallot.length, names: b().withoutBallot.map((m) => m.name).join('、') })}
            </p>
          </Show>
          <Show when={b().issued > b().cast}>
            <p class="muted" data-testid="not-cast">{t('sec.ballot.notCast', { n: b().issued - b().cast })}</p>
          </Show>
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
          <p class="muted">{t('sec.ballot.castOf', { cast: b().cast, present: b().present })}</p>
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
              <h3>{resultHeading(b().type)}</h3>
              <p class="muted">
                {t('sec.ballot.turnout', { entitled: r().entitled, present: r().present })} · {tallyLine(r())}
              </p>
              <ResultTable ballot={b()} tally={r()} />
              <p class="links">
                <a href={bundleUrl()} download={`bundle-${b().id}.json`} data-testid="bundle-link">
                  {t('sec.ballot.bundle')}
                </a>
                <a href={`/verify?bundle=${encodeURIComponent(bundleUrl())}`} target="_blank" rel="noopener" data-testid="verify-link">
                  {t('sec.ballot.verify')}
                </a>
                <a class="btn btn-secondary btn-small" href={recordPath(b().meetingId, b().id)} target="_blank" rel="noopener" data-testid="record-link">
                  {t('sec.ballot.record', { heading: sheetHeading(b().type) })}
                </a>
              </p>
              <Show when={next()}>{(n) => <NextRoundPanel ctx={props.ctx} ballot={b()} next={n()} />}</Show>
            </>
          )}
        </Match>
      </Switch>
      <Show when={note()}>{(m) => <Notice kind="ok">{m()}</Notice>}</Show>
      <Show when={error()}>
        {(m) => (
          <Notice kind="error" testid="ballot-error" onDismiss={() => setError(null)}>
            {m()}
          </Notice>
        )}
      </Show>
    </article>
  );
}
