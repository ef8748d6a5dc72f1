/**
 * @module client/secretary/Scrutiny
 * The 监票人 tab: name n scrutineers and the threshold t, get each a sign-in code (shown once,
 * printed on a slip with a QR code of the scrutineer page), and watch their devices: signed
 * in, online, the key ceremony, and the 系统校验码 once the keys are ready. Naming again
 * (e.g. after a failed ceremony) replaces every earlier code; once the keys are ready the
 * scrutineers are fixed. `ScrutinyStatus` is also shown above the ballots.
 */
import { createSignal, For, Index, Match, Show, Switch } from 'solid-js';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { ScrutineerCode, ScrutinyView } from '../types.ts';
import { confirmAsk, Notice } from '../ui.tsx';
import { SlipSheet } from './Codes.tsx';
import type { MeetingCtx } from './Meeting.tsx';
import { sec } from './session.ts';

/** The ceremony's state in one line. */
export function scrutinyLine(s: ScrutinyView): string {
  const k = s.scrutineers.filter((x) => x.registered).length;
  switch (s.ceremony.status) {
    case 'unnamed':
      return t('sec.scr.status.unnamed');
    case 'waiting':
      return t('sec.scr.status.waiting', { k, n: s.n });
    default:
      return t(`sec.scr.status.${s.ceremony.status}`);
  }
}

/** A lamp: on (green ✓) or off (grey), with its meaning in words for screen readers. */
function Lamp(props: { on: boolean; label: string; testid?: string }) {
  return (
    <span class="lamp" classList={{ 'lamp-on': props.on }} data-testid={props.testid} data-on={props.on ? '1' : '0'} aria-label={`${props.label}: ${props.on ? t('sec.scr.yes') : t('sec.scr.no')}`} role="img">
      {props.on ? '●' : '○'}
    </span>
  );
}

/** The fingerprint in four large groups. */
export function Fingerprint(props: { value: string; class?: string; testid?: string }) {
  return (
    <span class={`fingerprint mono ${props.class ?? ''}`} data-testid={props.testid}>
      <For each={props.value.split(' ')}>{(g) => <span class="fp-group">{g}</span>}</For>
    </span>
  );
}

/** Status, fingerprint and every scrutineer's lamps; `compact` for the ballots tab. */
export function ScrutinyStatus(props: { scrutiny: ScrutinyView; compact?: boolean }) {
  const s = () => props.scrutiny;
  const status = () => s().ceremony.status;
  return (
    <div class="scrutiny-status" classList={{ compact: !!props.compact }} data-testid="scrutiny-status" data-status={status()}>
      <p class="scrutiny-line">
        <span class={`pill ${status() === 'ready' ? 'pill-ok' : status() === 'failed' ? 'pill-bad' : 'pill-muted'}`} data-testid="ceremony-status">
          {scrutinyLine(s())}
        </span>
        <Show when={s().n > 0}>
          <span class="muted">{t('sec.scr.summary', { n: s().n, t: s().t })}</span>
        </Show>
      </p>
      <Show when={status() === 'ready' && s().ceremony.fingerprint}>
        {(fp) => (
          <div class="fp-box">
            <p class="fp-label">{t('sec.scr.fingerprint')}</p>
            <Fingerprint value={fp()} testid="sec-fingerprint" />
            <Show when={!props.compact}>
              <p class="muted">{t('sec.scr.fingerprintHint')}</p>
            </Show>
          </div>
        )}
      </Show>
      <Show when={status() === 'failed'}>
        <Notice kind="error" testid="ceremony-failed">
          <p>{t('sec.scr.failedHint')}</p>
          <Show when={s().ceremony.failure}>{(f) => <p class="mono small">{f()}</p>}</Show>
        </Notice>
      </Show>
      <Show when={s().n > 0}>
        <Show
          when={!props.compact}
          fallback={
            <ul class="scrutineer-chips">
              <For each={s().scrutineers}>
                {(x) => (
                  <li class="chip" classList={{ 'chip-on': x.registered && x.online, 'chip-off': x.registered && !x.online }} data-testid="scrutineer-chip">
                    <span class="chip-dot" aria-hidden="true">{x.registered && x.online ? '●' : '○'}</span>
                    <span class="strong">{x.name}</span>
                    <span class="chip-state">{!x.registered ? t('sec.scr.chip.notSignedIn') : x.online ? t('sec.scr.chip.online') : t('sec.scr.chip.offline')}</span>
                  </li>
                )}
              </For>
            </ul>
          }
        >
          <table class="table scrutineer-table">
            <thead>
              <tr>
                <th>{t('sec.scr.col.index')}</th>
                <th>{t('sec.col.name')}</th>
                <th>{t('sec.scr.col.code')}</th>
                <th>{t('sec.scr.col.signedIn')}</th>
                <th>{t('sec.scr.col.online')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={s().scrutineers}>
                {(x) => (
                  <tr data-testid="scrutineer-row" data-name={x.name}>
                    <td>{x.index}</td>
                    <td class="strong">{x.name}</td>
                    <td>{x.hasCode ? t('sec.codes.live') : t('sec.codes.used')}</td>
                    <td>
                      <Lamp on={x.registered} label={t('sec.scr.col.signedIn')} testid="lamp-signed-in" />
                    </td>
                    <td>
                      <Lamp on={x.online} label={t('sec.scr.col.online')} testid="lamp-online" />
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
      </Show>
    </div>
  );
}

export default function Scrutiny(props: { ctx: MeetingCtx }) {
  const d = () => props.ctx.detail();
  const s = () => d().scrutiny;
  const active = () => d().meeting.status === 'active';
  const canName = () => active() && s().ceremony.status !== 'ready';
  const scrSlips = () => props.ctx.scrutineerSlips();
  return (
    <section class="tab-panel" data-testid="scrutiny-panel">
      <div class="card">
        <h2>{t('sec.scr.heading')}</h2>
        <p class="muted">{t('sec.scr.hint')}</p>
        <ScrutinyStatus scrutiny={s()} />
        <Show when={s().ceremony.status === 'ready'}>
          <p class="muted">{t('sec.scr.locked')}</p>
        </Show>
      </div>
      <Show when={scrSlips().length}>
        <div class="card">
          <Notice kind="ok">{t('sec.scr.codesHint')}</Notice>
          <div class="inline-form">
            <button type="button" class="btn btn-primary" onClick={() => props.ctx.print('scrutineers')} data-testid="scrutineer-print">
              {t('sec.scr.print')}
            </button>
          </div>
        </div>
        <SlipSheet slips={scrSlips()} members={[]} meetingTitle={d().meeting.title} class="slip-preview" testid="scrutineer-slips" />
      </Show>
      <Show when={canName()}>
        <Switch>
          <Match when={s().ceremony.status === 'unnamed' || s().ceremony.status === 'failed'}>
            <NameForm ctx={props.ctx} />
          </Match>
          <Match when={true}>
            <details class="card rename">
              <summary>{t('sec.scr.rename')}</summary>
              <NameForm ctx={props.ctx} bare />
            </details>
          </Match>
        </Switch>
      </Show>
    </section>
  );
}

function NameForm(props: { ctx: MeetingCtx; bare?: boolean }) {
  const previous = () => props.ctx.detail().scrutiny.scrutineers.map((x) => x.name);
  const [names, setNames] = createSignal<string[]>(previous().length ? previous() : ['', '', '']);
  const [threshold, setThreshold] = createSignal(String(props.ctx.detail().scrutiny.t || 2));
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const n = () => names().length;
  const tValue = () => Number(threshold());
  const tValid = () => Number.isInteger(tValue()) && tValue() >= 1 && tValue() <= n();
  const namesValid = () => {
    const list = names().map((x) => x.trim());
    return list.every((x) => x !== '') && new Set(list).size === list.length;
  };
  const setName = (i: number, v: string) => setNames((l) => l.map((x, j) => (j === i ? v : x)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!namesValid()) return setError(t('sec.scr.namesMissing'));
    if (!tValid()) return setError(t('sec.scr.badThreshold', { n: n() }));
    if (props.ctx.detail().scrutiny.n > 0 && !(await confirmAsk(t('sec.scr.renameAsk'), t('sec.scr.generate'), true))) return;
    setBusy(true);
    try {
      const { codes } = await sec<{ codes: ScrutineerCode[] }>('POST', `/api/meetings/${props.ctx.detail().meeting.id}/scrutineers`, {
        t: tValue(),
        scrutineers: names().map((name) => ({ name: name.trim() })),
      });
      props.ctx.setScrutineerSlips(codes.map((c) => ({ ...c, role: 'scrutineer' as const })));
      await props.ctx.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card scrutineer-form" onSubmit={submit} data-testid="scrutineer-form">
      <Show when={!props.bare}>
        <h2>{t('sec.scr.formHeading')}</h2>
      </Show>
      <p class="field-label">{t('sec.scr.names')}</p>
      <ol class="item-rows">
        <Index each={names()}>
          {(name, i) => (
            <li class="scrutineer-row-input">
              <input class="input" placeholder={t('sec.scr.name', { i: i + 1 })} aria-label={t('sec.scr.name', { i: i + 1 })} value={name()} onInput={(e) => setName(i, e.currentTarget.value)} data-testid={`scrutineer-name-${i}`} />
              <button type="button" class="btn btn-secondary btn-small" disabled={n() === 1} onClick={() => setNames((l) => l.filter((_, j) => j !== i))}>
                {t('sec.scr.removeRow')}
              </button>
            </li>
          )}
        </Index>
      </ol>
      <button type="button" class="btn btn-secondary btn-small" disabled={n() >= 15} onClick={() => setNames((l) => [...l, ''])} data-testid="scrutineer-add">
        + {t('sec.scr.addRow')}
      </button>
      <label class="field-label" for="scr-t">{t('sec.scr.threshold')}</label>
      <div class="threshold-row">
        <input id="scr-t" class="input threshold-input" type="number" min={1} max={n()} step={1} value={threshold()} onInput={(e) => setThreshold(e.currentTarget.value)} data-testid="scrutineer-t" />
        <span class="muted">{tValid() ? t('sec.scr.thresholdHint', { n: n(), t: tValue() }) : t('sec.scr.badThreshold', { n: n() })}</span>
      </div>
      <Show when={error()}>{(m) => <Notice kind="error" testid="scrutineer-error">{m()}</Notice>}</Show>
      <div class="inline-form">
        <button type="submit" class="btn btn-primary" disabled={busy()} data-testid="scrutineer-generate">
          {t('sec.scr.generate')}
        </button>
      </div>
    </form>
  );
}
