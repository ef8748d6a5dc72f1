/**
 * @module client/verify/Verify
 * The public verifier of `piaojue/2` bundles: load an audit bundle by address
 * (`?bundle=/api/ballots/…/bundle`) or from a file, verify it in a Web Worker with a progress
 * bar, show every check of crypto/verify.ts in plain words (a failed one with its code, what
 * it means and the details), the key ceremony's fingerprint (系统校验码) to compare with the
 * one shown in the room, the result recomputed from the decryption, and check a pasted receipt
 * (included with its Merkle proof; missing or signed for other keys: proof of misbehaviour).
 */
import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { CHECKS, normalizeServerKey, type Failure, type FailureCode, type Tally } from '../../crypto/index.ts';
import { lang, t, type Key } from '../i18n.ts';
import { ResultTable, tallyLine, voidTally } from '../result.tsx';
import { LangSwitch, Notice, ProgressBar } from '../ui.tsx';
import { typeWord } from '../words.ts';
import type { BundleSummary, FromWorker, ToWorker } from './protocol.ts';
import '../styles/verify.css';

type Result = Extract<FromWorker, { kind: 'result' }>;
type ReceiptAnswer = Extract<FromWorker, { kind: 'receipt' }>['check'] | { status: 'bad-json' };

/**
 * The file's bytes as text exactly (protocol §7.5): UTF-8, a byte-order mark kept so the strict
 * reader refuses it as the CLI does (Blob.text() would silently drop it); invalid UTF-8 becomes
 * U+FFFD, which no valid bundle contains.
 */
function strictText(bytes: ArrayBuffer): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

export default function Verify() {
  const params = new URLSearchParams(location.search);
  const [url, setUrl] = createSignal(params.get('bundle') ?? '');
  const [serverKey, setServerKey] = createSignal(params.get('serverKey') ?? '');
  const [progress, setProgress] = createSignal<{ done: number; total: number } | null>(null);
  const [running, setRunning] = createSignal(false);
  const [result, setResult] = createSignal<Result | null>(null);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [receiptText, setReceiptText] = createSignal('');
  const [receipt, setReceipt] = createSignal<ReceiptAnswer | null>(null);
  const [usedKey, setUsedKey] = createSignal(false);
  const [keyError, setKeyError] = createSignal(false);
  const [fileName, setFileName] = createSignal('');

  const worker = new Worker(new URL('./verify.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    if (m.kind === 'progress') setProgress({ done: m.done, total: m.total });
    else if (m.kind === 'result') {
      setResult(m);
      setRunning(false);
    } else setReceipt(m.check);
  };
  onCleanup(() => worker.terminate());
  const send = (m: ToWorker) => worker.postMessage(m);

  const verifyText = (text: string) => {
    setResult(null);
    setReceipt(null);
    setProgress(null);
    setRunning(true);
    // The projector's server check code or the whole key, as typed (crypto/server-key.ts).
    const typed = serverKey().trim();
    const key = typed ? normalizeServerKey(typed) : null;
    if (typed && !key) {
      setRunning(false);
      setKeyError(true);
      return;
    }
    setKeyError(false);
    setUsedKey(key !== null);
    send({ kind: 'verify', text, ...(key ? { serverKey: key } : {}) });
  };

  const loadUrl = async (e?: Event) => {
    e?.preventDefault();
    setLoadError(null);
    const target = url().trim();
    if (!target) return;
    try {
      const res = await fetch(target, { credentials: 'omit', cache: 'no-store' });
      const text = strictText(await res.arrayBuffer());
      if (!res.ok) {
        let message = `HTTP ${res.status}`;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          /* not JSON */
        }
        throw new Error(message);
      }
      verifyText(text);
    } catch (err) {
      setLoadError(t('verify.loadFailed', { message: (err as Error).message === 'Failed to fetch' ? t('err.network') : (err as Error).message }));
    }
  };

  const loadFile = async (e: Event & { currentTarget: HTMLInputElement }) => {
    const file = e.currentTarget.files?.[0];
    if (!file) return;
    setFileName(file.name);
    setLoadError(null);
    verifyText(strictText(await file.arrayBuffer()));
  };

  const checkReceipt = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(receiptText());
    } catch {
      setReceipt({ status: 'bad-json' });
      return;
    }
    send({ kind: 'receipt', receipt: parsed });
  };

  onMount(() => {
    if (url()) void loadUrl();
  });

  return (
    <div class="verify">
      <header class="verify-header">
        <span class="brand-mark">{t('app.name')}</span>
        <span class="verify-header-title">{t('verify.title')}</span>
        <LangSwitch />
      </header>
      <main class="verify-main">
        <p class="lead">{t('verify.intro')}</p>
        <form class="card verify-load" onSubmit={(e) => void loadUrl(e)}>
          <label class="field-label" for="bundle-url">{t('verify.url')}</label>
          <div class="inline-form">
            <input id="bundle-url" class="input mono" value={url()} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="/api/ballots/…/bundle" data-testid="bundle-url" />
            <button type="submit" class="btn btn-primary" disabled={running()} data-testid="bundle-load">
              {t('verify.load')}
            </button>
          </div>
          <p class="field-label">{t('verify.file')}</p>
          <label class="btn btn-secondary file-btn">
            {t('verify.chooseFile')}
            <input type="file" accept=".json,application/json" onChange={(e) => void loadFile(e)} data-testid="bundle-file" />
          </label>
          <Show when={fileName()}>
            <span class="muted file-name">{fileName()}</span>
          </Show>
          <label class="field-label" for="server-key">{t('verify.serverKey')}</label>
          <input id="server-key" class="input mono" value={serverKey()} onInput={(e) => (setServerKey(e.currentTarget.value), setKeyError(false))} placeholder="1A2B 3C4D 5E6F 7A8B" data-testid="server-key" />
          <p class="muted small">{t('verify.serverKeyHint')}</p>
          <Show when={keyError()}>
            <Notice kind="error" testid="server-key-error">{t('verify.serverKeyBad')}</Notice>
          </Show>
        </form>
        <Show when={loadError()}>{(m) => <Notice kind="error" testid="verify-load-error">{m()}</Notice>}</Show>
        <Show when={running()}>
          <div class="card" data-testid="verify-running">
            <p class="strong">{t('verify.running')}</p>
            <ProgressBar value={progress()?.done ?? 0} max={progress()?.total ?? 1} label={t('verify.running')} />
            <Show when={progress()}>{(p) => <p class="muted">{t('verify.progress', { done: p().done, total: p().total })}</p>}</Show>
          </div>
        </Show>
        <Show when={result()}>{(r) => <Report result={r()} usedKey={usedKey()} />}</Show>
        <Show when={result()?.summary}>
          <section class="card" data-testid="receipt-section">
            <h2>{t('verify.receipt')}</h2>
            <p class="muted">{t('verify.receiptHint')}</p>
            <textarea class="input mono receipt-input" rows={5} value={receiptText()} onInput={(e) => setReceiptText(e.currentTarget.value)} data-testid="receipt-input" />
            <div class="inline-form">
              <button type="button" class="btn btn-primary" disabled={!receiptText().trim()} onClick={checkReceipt} data-testid="receipt-check">
                {t('verify.receiptCheck')}
              </button>
            </div>
            <Show when={receipt()}>{(a) => <ReceiptResult answer={a()} />}</Show>
          </section>
        </Show>
      </main>
    </div>
  );
}

function Report(props: { result: Result; usedKey: boolean }) {
  const failed = (code: FailureCode): readonly Failure[] => props.result.failures.filter((f) => f.code === code);
  const malformed = () => failed('MALFORMED').length > 0;
  const state = (code: FailureCode): 'pass' | 'fail' | 'skip' => {
    if (failed(code).length) return 'fail';
    if (malformed() && code !== 'MALFORMED') return 'skip';
    if (code === 'SERVER_KEY' && !props.usedKey) return 'skip';
    // ROUND runs only with the previous round's bundle, which this page is not given.
    if (code === 'ROUND') return 'skip';
    return 'pass';
  };
  return (
    <>
      <div class={`verdict ${props.result.ok ? 'verdict-ok' : 'verdict-bad'}`} data-testid="verdict" data-ok={String(props.result.ok)}>
        <span class="verdict-mark" aria-hidden="true">{props.result.ok ? '✓' : '✗'}</span>
        {props.result.ok ? t('verify.ok') : t('verify.fail', { n: props.result.failures.length })}
      </div>
      <Show when={props.result.summary}>
        {(s) => (
          <section class="card">
            <h2>{t('verify.ballot', { title: s().ballot.title, type: typeWord(s().ballot.type) })}</h2>
            <div class="fingerprint-box" data-testid="verify-fingerprint" data-fingerprint={props.result.fingerprint ?? ''}>
              <span class="strong">{t('verify.fingerprint')}</span>
              <Show when={props.result.fingerprint} fallback={<span class="fingerprint-none">{t('verify.fingerprint.none')}</span>}>
                {(fp) => <span class="fingerprint-digits mono">{fp()}</span>}
              </Show>
              <span class="muted small">{t('verify.fingerprint.hint')}</span>
            </div>
            <p class="muted small">
              {t('verify.scrutineers', { names: s().scrutineers.join('、'), n: s().scrutineers.length, t: s().t, d: s().decrypted.length })}
            </p>
            <p class="muted mono small break">{t('verify.bundleKey', { key: s().serverKey })}</p>
            <Show when={props.result.tally}>
              {(tally) => <Tally summary={s()} tally={tally()} ok={props.result.ok} voided={failed('COUNT_EXCEEDS_ISSUED').length > 0 || failed('QUORUM_NOT_MET').length > 0} />}
            </Show>
          </section>
        )}
      </Show>
      <section class="card">
        <h2>{t('verify.checks')}</h2>
        <ol class="checks" data-testid="checks">
          <For each={CHECKS}>
            {(code) => (
              <li class={`check-row check-${state(code)}`} data-testid={`check-${code}`} data-state={state(code)}>
                <span class="check-mark" aria-hidden="true">{state(code) === 'pass' ? '✓' : state(code) === 'fail' ? '✗' : '–'}</span>
                <span class="check-text">
                  {t(`check.${code}` as Key)}
                  <Show when={state(code) === 'fail'}>
                    <span class="check-why" data-testid={`why-${code}`}>
                      <span class="check-code mono">{code}</span>
                      {t(`checkWhy.${code}` as Key)}
                    </span>
                  </Show>
                  {/* The checks' own details are technical English: behind a fold in Chinese, open in English. */}
                  <Show when={failed(code).length}>
                    <details class="check-details" open={lang() === 'en'}>
                      <summary>{t('verify.details')}</summary>
                      <For each={failed(code).slice(0, 5)}>{(f) => <span class="check-detail mono">{f.detail}</span>}</For>
                      <Show when={failed(code).length > 5}>
                        <span class="check-detail">{t('verify.moreFailures', { n: failed(code).length - 5 })}</span>
                      </Show>
                    </details>
                  </Show>
                </span>
                <span class="check-state">{state(code) === 'pass' ? t('verify.pass') : state(code) === 'fail' ? t('verify.failed') : t('verify.skipped')}</span>
              </li>
            )}
          </For>
        </ol>
      </section>
    </>
  );
}

/** The recount; a void ballot (protocol §9.4: more casts than issued, or no quorum) shows no outcome. */
function Tally(props: { summary: BundleSummary; tally: Tally; ok: boolean; voided: boolean }) {
  return (
    <>
      <h3>{t('verify.tally')}</h3>
      <Show when={props.voided}>
        <Notice kind="error">{t('status.void')}</Notice>
      </Show>
      <Show when={!props.ok}>
        <Notice kind="warn">{t('verify.tallyUnreliable')}</Notice>
      </Show>
      <p class="muted">{t('verify.turnout', { entitled: props.tally.entitled, present: props.tally.present, counts: tallyLine(props.tally) })}</p>
      <ResultTable ballot={props.summary.ballot} tally={props.voided ? voidTally(props.tally) : props.tally} />
    </>
  );
}

function ReceiptResult(props: { answer: ReceiptAnswer }) {
  const a = () => props.answer;
  const included = () => {
    const x = a();
    return x.status === 'included' ? x : null;
  };
  const simple: Record<string, { kind: 'error' | 'warn'; key: Key }> = {
    missing: { kind: 'error', key: 'verify.receipt.missing' },
    'other-keys': { kind: 'error', key: 'verify.receipt.otherKeys' },
    'invalid-receipt': { kind: 'error', key: 'verify.receipt.invalid' },
    'other-ballot': { kind: 'warn', key: 'verify.receipt.otherBallot' },
    'other-server': { kind: 'warn', key: 'verify.receipt.otherServer' },
    'no-bundle': { kind: 'warn', key: 'verify.receipt.noBundle' },
    'bad-json': { kind: 'error', key: 'verify.receipt.badJson' },
  };
  return (
    <div data-testid="receipt-result" data-status={a().status}>
      <Show
        when={included()}
        fallback={
          <Notice kind={simple[a().status]?.kind ?? 'error'}>
            <p>{t(simple[a().status]?.key ?? 'verify.receipt.invalid')}</p>
          </Notice>
        }
      >
        {(inc) => (
          <Notice kind="ok">
            <p>{t('verify.receipt.included', { index: inc().index + 1 })}</p>
            <details>
              <summary>{t('verify.proof')}</summary>
              <ol class="proof mono small">
                <For each={inc().proof}>{(h) => <li>{h}</li>}</For>
              </ol>
            </details>
          </Notice>
        )}
      </Show>
    </div>
  );
}
