/**
 * @module client/ui
 * Small components every page shares: the language switch, an error box that shows the
 * server's message, a progress bar, a QR code drawn as SVG (no inline style, so the
 * strict CSP holds), and a confirmation dialog that replaces window.confirm.
 */
import { createMemo, createSignal, Show, type JSX } from 'solid-js';
import qrcode from 'qrcode-generator';
import { lang, setLang, t } from './i18n.ts';

/** 中文 / English toggle; the choice is remembered on this device. */
export function LangSwitch(props: { class?: string }) {
  return (
    <button type="button" class={`lang-switch ${props.class ?? ''}`} aria-label={t('app.lang.label')} onClick={() => setLang(lang() === 'en' ? 'zh' : 'en')}>
      {t('app.lang.switch')}
    </button>
  );
}

/** A message box: `error` (red), `warn` (amber), `ok` (green) or `info`. */
export function Notice(props: { kind: 'error' | 'warn' | 'ok' | 'info'; children: JSX.Element; title?: string; testid?: string }) {
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' || props.kind === 'warn' ? 'alert' : 'status'} data-testid={props.testid}>
      <Show when={props.title}>
        <p class="notice-title">{props.title}</p>
      </Show>
      <div class="notice-body">{props.children}</div>
    </div>
  );
}

/** A determinate progress bar (value of max), with its text for screen readers. */
export function ProgressBar(props: { value: number; max: number; label: string; class?: string }) {
  const pct = () => (props.max > 0 ? Math.min(100, Math.round((props.value / props.max) * 100)) : 0);
  return (
    <div class={`progress ${props.class ?? ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={props.max} aria-valuenow={props.value} aria-label={props.label}>
      <div class="progress-fill" style={{ width: `${pct()}%` }} />
    </div>
  );
}

/** A QR code of `text` as one SVG path (error correction M, two-module quiet zone; print adds white margin). */
export function QrCode(props: { text: string; label?: string }) {
  const shape = createMemo(() => {
    const q = qrcode(0, 'M');
    q.addData(props.text);
    q.make();
    const n = q.getModuleCount();
    const m = 2;
    let d = '';
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (q.isDark(r, c)) d += `M${c + m} ${r + m}h1v1h-1z`;
    return { d, size: n + 2 * m };
  });
  return (
    <svg class="qr" viewBox={`0 0 ${shape().size} ${shape().size}`} role="img" aria-label={props.label ?? props.text} shape-rendering="crispEdges">
      <rect width={shape().size} height={shape().size} fill="#fff" />
      <path d={shape().d} fill="#000" />
    </svg>
  );
}

type Ask = { text: string; ok: string; danger: boolean; resolve: (yes: boolean) => void };
const [ask, setAsk] = createSignal<Ask | null>(null);

/** Ask a yes/no question in a modal; resolves true on OK. */
export function confirmAsk(text: string, ok = t('common.ok'), danger = false): Promise<boolean> {
  return new Promise((resolve) => setAsk({ text, ok, danger, resolve }));
}

/** Host for `confirmAsk`; mount once per page. */
export function ConfirmHost() {
  const answer = (yes: boolean) => {
    const a = ask();
    setAsk(null);
    a?.resolve(yes);
  };
  return (
    <Show when={ask()}>
      {(a) => (
        <div class="modal-backdrop">
          <div class="modal" role="dialog" aria-modal="true" data-testid="confirm-dialog">
            <p class="modal-text">{a().text}</p>
            <div class="modal-actions">
              <button type="button" class="btn btn-secondary" onClick={() => answer(false)} data-testid="confirm-cancel">
                {t('common.cancel')}
              </button>
              <button type="button" class={`btn ${a().danger ? 'btn-danger' : 'btn-primary'}`} onClick={() => answer(true)} data-testid="confirm-ok">
                {a().ok}
              </button>
            </div>
          </div>
        </div>
      )}
    </Show>
  );
}
