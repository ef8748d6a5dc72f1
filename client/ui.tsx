/**
 * @module client/ui
 * Small components every page shares: the language switch, an error box that shows the
 * server's message, a progress bar, a QR code drawn as SVG (no inline style, so the
 * strict CSP holds), a confirmation dialog that replaces window.confirm, and the sign-in
 * with the code from a slip and the 您是…吗？ question after it (tablet and scrutineer device).
 */
import { createMemo, createSignal, Show, type JSX } from 'solid-js';
import qrcode from 'qrcode-generator';
import { messageOf } from './api.ts';
import { lang, setLang, t } from './i18n.ts';

/** 中文 / English toggle; the choice is remembered on this device. */
export function LangSwitch(props: { class?: string }) {
  return (
    <button type="button" class={`lang-switch ${props.class ?? ''}`} aria-label={t('app.lang.label')} onClick={() => setLang(lang() === 'en' ? 'zh' : 'en')}>
      {t('app.lang.switch')}
    </button>
  );
}

/**
 * A message box: `error` (red), `warn` (amber), `ok` (green) or `info`. With `onDismiss` it stays
 * until the person presses 知道了 (a refusal must not vanish with the next refresh).
 */
export function Notice(props: { kind: 'error' | 'warn' | 'ok' | 'info'; children: JSX.Element; title?: string; testid?: string; onDismiss?: () => void }) {
  return (
    <div class={`notice notice-${props.kind}`} classList={{ 'notice-dismissible': !!props.onDismiss }} role={props.kind === 'error' || props.kind === 'warn' ? 'alert' : 'status'} data-testid={props.testid}>
      <Show when={props.title}>
        <p class="notice-title">{props.title}</p>
      </Show>
      <div class="notice-body">{props.children}</div>
      <Show when={props.onDismiss}>
        {(dismiss) => (
          <button type="button" class="btn btn-link btn-small notice-dismiss" onClick={() => dismiss()()} data-testid={props.testid ? `${props.testid}-dismiss` : undefined}>
            {t('common.dismiss')}
          </button>
        )}
      </Show>
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

/** Format typed text as a sign-in code: upper case, letters and digits only, XXXXX-XXXXX. */
export function formatCode(input: string): string {
  const s = input.toUpperCase().replace(/[^0-9A-Z]/g, '').slice(0, 10);
  return s.length > 5 ? `${s.slice(0, 5)}-${s.slice(5)}` : s;
}

/**
 * Sign in with the code from a slip, typed (formatted as it is typed) or read from the QR link
 * (`initial`). `words` names the page's own texts (`tablet.signin.*` for a member's slip,
 * `scr.signin.*` for a scrutineer's; `….signedOut` is the notice of a session that ended);
 * `prefix` keeps each page's element ids and test ids (`code-input`, `scr-code-input`, …).
 */
export function CodeSignIn(props: {
  words: 'tablet' | 'scr';
  initial: string;
  signedOut: boolean;
  signIn: (code: string) => Promise<void>;
  prefix?: string;
  class: string;
}) {
  const [code, setCode] = createSignal(props.initial);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const id = (name: string) => `${props.prefix ?? ''}${name}`;
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await props.signIn(code());
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class={`card ${props.class}`} aria-labelledby={id('signin-h')}>
      <h1 id={id('signin-h')}>{t(`${props.words}.signin.heading`)}</h1>
      <Show when={props.signedOut}>
        <Notice kind="warn">{t(`${props.words}.signedOut`)}</Notice>
      </Show>
      <Show when={props.initial} fallback={<p class="lead">{t(`${props.words}.signin.hint`)}</p>}>
        <p class="lead">{t(`${props.words}.signin.fromQr`)}</p>
      </Show>
      <form onSubmit={submit}>
        <label class="field-label" for={id('code')}>{t(`${props.words}.signin.code`)}</label>
        <input
          id={id('code')}
          class="code-input"
          data-testid={id('code-input')}
          value={code()}
          onInput={(e) => {
            const v = formatCode(e.currentTarget.value);
            e.currentTarget.value = v;
            setCode(v);
          }}
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          inputmode="text"
          maxlength={11}
          placeholder="ABCDE-23456"
        />
        <Show when={error()}>{(m) => <Notice kind="error" testid={id('signin-error')}>{m()}</Notice>}</Show>
        <button type="submit" class="btn btn-primary btn-xl" disabled={busy() || code().length !== 11} data-testid={id('signin-submit')}>
          {t(`${props.words}.signin.submit`)}
        </button>
      </form>
    </section>
  );
}

/**
 * After the sign-in: is this the person the code belongs to? 不是我 says to hand the device back
 * (`….confirm.notMe`); the words are the page's own (`tablet.confirm.*` or `scr.confirm.*`).
 */
export function ConfirmIdentity(props: {
  words: 'tablet' | 'scr';
  meeting: string | undefined;
  name: string;
  /** The person's post, under the name (members). */
  title?: string | undefined;
  onYes: () => void;
  /** "不是我": undo the sign-in on the server; the message after it says what to do. A rejection's words are shown. */
  onNo?: () => Promise<void>;
  prefix?: string;
  class: string;
}) {
  const [notMe, setNotMe] = createSignal(false);
  const [failed, setFailed] = createSignal<string | null>(null);
  const no = async () => {
    try {
      await props.onNo?.();
    } catch (e) {
      setFailed(messageOf(e));
    }
    setNotMe(true);
  };
  const id = (name: string) => `${props.prefix ?? ''}${name}`;
  return (
    <section class={`card ${props.class}`} aria-labelledby={id('confirm-h')}>
      <h1 id={id('confirm-h')}>{t(`${props.words}.confirm.heading`)}</h1>
      <p class="muted confirm-meeting">{props.meeting}</p>
      <p class="confirm-question" data-testid={id('confirm-name')}>{t(`${props.words}.confirm.question`, { name: props.name })}</p>
      <Show when={props.title}>
        <p class="confirm-title">{props.title}</p>
      </Show>
      <Show when={!notMe()} fallback={<Notice kind="error" testid={id('not-me')}>{failed() && props.words === 'tablet' ? t('tablet.notMe.failed', { message: failed()! }) : t(`${props.words}.confirm.notMe`)}</Notice>}>
        <div class="actions-row">
          <button type="button" class="btn btn-secondary btn-xl" onClick={() => void no()} data-testid={id('confirm-no')}>
            {t(`${props.words}.confirm.no`)}
          </button>
          <button type="button" class="btn btn-primary btn-xl" onClick={() => props.onYes()} data-testid={id('confirm-yes')}>
            {t(`${props.words}.confirm.yes`)}
          </button>
        </div>
      </Show>
    </section>
  );
}
