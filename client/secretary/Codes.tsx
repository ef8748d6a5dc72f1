/**
 * @module client/secretary/Codes
 * Sign-in codes and the printable A4 sheet of sign-in slips (name, title, code, and a QR
 * code of `${origin}/?code=CODE` that opens the tablet page with the code filled in; for a
 * scrutineer, `${origin}/scrutineer?code=CODE`, the scrutineer page), where origin is the
 * address tablets reach (client/address.ts), not necessarily the one this console was opened at.
 * Codes come back from the server once, in plaintext; they live only in this browser window
 * until the secretary confirms the slips are printed (client/secretary/Meeting.tsx `slipStore`).
 */
import { createSignal, For, Show } from 'solid-js';
import { publicOrigin } from '../address.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { IssuedCode, MemberView, ScrutineerCode } from '../types.ts';
import { confirmAsk, Notice, QrCode } from '../ui.tsx';
import type { MeetingCtx } from './Meeting.tsx';
import { MemberTable } from './Roster.tsx';
import { sec } from './session.ts';

/** The QR payload of a code: the tablet page with the code, which it prefills and asks the member to confirm. */
export function codeLink(code: string): string {
  return `${publicOrigin()}/?code=${encodeURIComponent(code)}`;
}

/** The QR payload of a scrutineer's code: the scrutineer page with the code prefilled. */
export function scrutineerLink(code: string): string {
  return `${publicOrigin()}/scrutineer?code=${encodeURIComponent(code)}`;
}

/** One printable slip: a member's sign-in code, or a scrutineer's. */
export type SlipData = (IssuedCode & { readonly role?: 'member' }) | (ScrutineerCode & { readonly role: 'scrutineer' });

/** Unprinted member slips with fresh codes added: a member's newer code replaces their older one. */
export function withSlips(old: readonly SlipData[], fresh: readonly IssuedCode[]): SlipData[] {
  const ids = new Set(fresh.map((c) => c.memberId));
  return [...old.filter((s) => s.role === 'scrutineer' || !ids.has(s.memberId)), ...fresh];
}

export default function Codes(props: { ctx: MeetingCtx }) {
  const [error, setError] = createSignal<string | null>(null);
  const [generated, setGenerated] = createSignal<number | null>(null);
  const d = () => props.ctx.detail();
  const ended = () => d().meeting.status === 'ended';
  const generate = async () => {
    setError(null);
    try {
      const { codes } = await sec<{ codes: IssuedCode[] }>('POST', `/api/meetings/${d().meeting.id}/codes`);
      props.ctx.setSlips(withSlips(props.ctx.slips(), codes));
      setGenerated(codes.length);
      await props.ctx.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const clearPrinted = async () => {
    if (await confirmAsk(t('sec.codes.printedAsk'), t('sec.codes.printedYes'), true)) props.ctx.setSlips([]);
  };
  return (
    <section class="tab-panel" data-testid="codes-panel">
      <div class="card">
        <h2>{t('sec.codes.heading')}</h2>
        <p class="muted">{t('sec.codes.hint')}</p>
        <div class="inline-form">
          <button type="button" class="btn btn-primary" disabled={ended() || d().members.length === 0} onClick={() => void generate()} data-testid="codes-generate">
            {t('sec.codes.generate')}
          </button>
          <button type="button" class="btn btn-secondary" disabled={props.ctx.slips().length === 0} onClick={() => props.ctx.print('members')} data-testid="codes-print">
            {t('sec.codes.print')}
          </button>
        </div>
        <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
        <Show when={generated() === 0}>
          <Notice kind="info">{t('sec.codes.none')}</Notice>
        </Show>
        <Show when={generated()}>{(n) => <Notice kind="ok">{t('sec.codes.count', { n: n() })}</Notice>}</Show>
      </div>
      <Show when={props.ctx.slips().length}>
        <Notice kind="warn" testid="codes-unprinted">
          <p>{t('sec.codes.unprinted', { n: props.ctx.slips().length })}</p>
          <button type="button" class="btn btn-secondary btn-small" onClick={() => void clearPrinted()} data-testid="codes-printed">
            {t('sec.codes.printedYes')}
          </button>
        </Notice>
        <SlipSheet slips={props.ctx.slips()} members={d().members} meetingTitle={d().meeting.title} class="slip-preview" />
      </Show>
      <div class="card">
        <MemberTable members={d().members} />
      </div>
    </section>
  );
}

/** A sheet of sign-in slips: on screen a preview, on paper A4 with eight slips per page. */
export function SlipSheet(props: { slips: readonly SlipData[]; members: readonly MemberView[]; meetingTitle: string; class: string; testid?: string }) {
  const titleOf = (id: string) => props.members.find((m) => m.id === id)?.title ?? '';
  return (
    <div class={`slip-sheet ${props.class}`} data-testid={props.testid ?? (props.class === 'slip-preview' ? 'slips' : undefined)}>
      <For each={props.slips}>
        {(s) => {
          const scr = s.role === 'scrutineer';
          return (
            <article class="slip" classList={{ 'slip-scrutineer': scr }} data-testid="slip" data-code={s.code} data-name={s.name} data-role={scr ? 'scrutineer' : 'member'}>
              <div class="slip-text">
                <p class="slip-head">
                  {scr ? t('sec.slip.scrTitle') : t('sec.slip.title')} · {props.meetingTitle}
                </p>
                <p class="slip-name">{s.name}</p>
                <p class="slip-title">{s.role === 'scrutineer' ? t('sec.slip.scrRole') : titleOf(s.memberId)}</p>
                <p class="slip-code mono">{s.code}</p>
                <p class="slip-help">{scr ? t('sec.slip.scrInstructions') : t('sec.slip.instructions')}</p>
                <p class="slip-url mono">{publicOrigin()}/{scr ? 'scrutineer' : ''}</p>
              </div>
              <div class="slip-qr">
                <QrCode text={scr ? scrutineerLink(s.code) : codeLink(s.code)} label={s.code} />
              </div>
            </article>
          );
        }}
      </For>
    </div>
  );
}
