/**
 * @module client/verify/verify.worker
 * Runs crypto/verify.ts off the page's thread: verifyBundle with progress messages, then
 * checkReceipt against the bundle it keeps. The page never freezes, whatever the size.
 */
/// <reference lib="webworker" />
import { checkReceipt, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;
let bundle: Bundle | null = null;
const post = (m: FromWorker) => self.postMessage(m);

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  if (msg.kind === 'verify') {
    const started = performance.now();
    bundle = null;
    let json: unknown;
    try {
      json = JSON.parse(msg.text);
    } catch (e) {
      post({ kind: 'result', ok: false, failures: [{ code: 'MALFORMED', detail: `not JSON: ${(e as Error).message}` }], tally: null, summary: null, ms: 0 });
      return;
    }
    let last = 0;
    const result = verifyBundle(json, {
      ...(msg.serverKey ? { serverKey: msg.serverKey } : {}),
      batchSize: 64,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - last > 50 || done === total) {
          last = now;
          post({ kind: 'progress', done, total });
        }
      },
    });
    bundle = result.bundle;
    const b = result.bundle;
    post({
      kind: 'result',
      ok: result.ok,
      failures: result.failures,
      tally: result.tally,
      summary: b ? { ballot: b.ballot, serverKey: b.serverKey, merkleRoot: b.merkleRoot, casts: b.ballots.length, claimed: b.tally } : null,
      ms: Math.round(performance.now() - started),
    });
  } else if (msg.kind === 'receipt') {
    post({ kind: 'receipt', check: bundle ? checkReceipt(bundle, msg.receipt as Receipt) : { status: 'no-bundle' } });
  }
};
