/**
 * @module client/verify/verify.worker
 * Runs crypto/verify.ts off the page's thread: verifyBundle with progress messages, then
 * checkReceipt against the bundle it keeps. The page never freezes, whatever the size.
 */
/// <reference lib="webworker" />
import {
  ceremonyFingerprint, checkReceipt, fromHex, useBackend, verifyBundle, type Bundle, type Receipt, parseJsonStrict,
} from '../../crypto/index.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;
let bundle: Bundle | null = null;
const post = (m: FromWorker) => self.postMessage(m);

// mcl-wasm for the tokens; noble's batched check for the sealed ballots, faster than libsodium
// in this browser's V8 (crypto/backend.ts). The same verdicts either way.
const ready = useBackend('fast', { ristretto: 'reference' });

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  await ready;
  const msg = ev.data;
  if (msg.kind === 'verify') {
    const started = performance.now();
    bundle = null;
    let json: unknown;
    try {
      // The same strict reading as the CLI (protocol §7.5): no BOM, no duplicate names, integers only.
      json = parseJsonStrict(msg.text);
    } catch (e) {
      post({ kind: 'result', ok: false, failures: [{ code: 'MALFORMED', detail: `not strict JSON (protocol §7.5): ${(e as Error).message}` }], tally: null, summary: null, fingerprint: null, ms: 0 });
      return;
    }
    let last = 0;
    const result = verifyBundle(json, {
      ...(msg.serverKey ? { serverKey: msg.serverKey } : {}),
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
    let fingerprint: string | null = null;
    try {
      fingerprint = result.transcript ? ceremonyFingerprint(fromHex(result.transcript, 32, 'transcript')) : null;
    } catch {
      fingerprint = null;
    }
    post({
      kind: 'result',
      ok: result.ok,
      failures: result.failures,
      tally: result.tally,
      summary: b
        ? {
            ballot: b.ballot, serverKey: b.serverKey, merkleRoot: b.merkleRoot, casts: b.ballots.length, claimed: b.tally,
            scrutineers: b.ceremony.params.devices.map((d) => d.name), t: b.ceremony.params.t, decrypted: b.decryption.map((d) => d.index),
          }
        : null,
      fingerprint,
      ms: Math.round(performance.now() - started),
    });
  } else if (msg.kind === 'receipt') {
    post({ kind: 'receipt', check: bundle ? checkReceipt(bundle, msg.receipt as Receipt) : { status: 'no-bundle' } });
  }
};
