/**
 * @module bench/verifier
 * Verifier throughput on a large bundle: a 10,000-ballot bundle (generated once with
 * worker threads and cached under bench/out/), verified in Node with the token checks
 * spread over a worker pool (`verify_per_s`), and in headless Debian chromium with the
 * verifier bundled for the browser and run in a Web Worker, as the /verify page does
 * (`verify_browser_per_s`).
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  assembleBundle, commit, defaultRule, generateBallotKey, generateServerKey, newSalt, randomBytes, toHex, tokenPoint,
  verifyBundleAsync, type BallotDefinition, type BundleBallot, type RosterEntry,
} from '../crypto/index.ts';
import { createCryptoPool } from '../server/crypto-pool.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const BALLOT = 'bbench10000';

/** Worker side: `count` valid casts under the secret key (σ = sk·M, what blind issuance yields). */
function makeCasts(secretKey: Uint8Array, count: number): BundleBallot[] {
  let sk = 0n;
  for (const b of secretKey) sk = (sk << 8n) | BigInt(b);
  return Array.from({ length: count }, () => {
    const token = randomBytes(32);
    const salt = newSalt();
    const choices = [Math.random() < 0.6 ? 'agree' : 'disagree'];
    return {
      token: toHex(token),
      signature: toHex(tokenPoint(BALLOT, token).multiply(sk).toBytes(true)),
      commitment: toHex(commit(BALLOT, token, choices, salt)),
      opening: { choices, salt: toHex(salt) },
    };
  });
}

if (!isMainThread && workerData?.bench === 'casts') parentPort!.postMessage(makeCasts(workerData.secretKey, workerData.count));

function inWorker(secretKey: Uint8Array, count: number): Promise<BundleBallot[]> {
  const url = new URL(import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Promise((res, rej) => {
    const w = new Worker(boot, { eval: true, workerData: { bench: 'casts', secretKey, count } });
    w.once('message', (m) => void w.terminate().then(() => res(m as BundleBallot[])));
    w.once('error', rej);
  });
}

/** A signed bundle with `n` opened ballots, cached in bench/out/. */
export async function largeBundle(n: number): Promise<{ path: string; json: unknown }> {
  const path = join(OUT, `bundle-${n}.json`);
  if (existsSync(path)) return { path, json: JSON.parse(readFileSync(path, 'utf8')) };
  mkdirSync(OUT, { recursive: true });
  const key = generateBallotKey();
  const threads = availableParallelism();
  const parts = await Promise.all(Array.from({ length: threads }, (_, i) => inWorker(key.secretKey, Math.floor(n / threads) + (i < n % threads ? 1 : 0))));
  const ballot: BallotDefinition = {
    id: BALLOT, meetingId: 'mbench', title: '民主推荐（压力测试）', type: 'consultation',
    items: [{ id: 'i1', nominee: '测试', post: '测试岗位' }], options: ['agree', 'disagree', 'abstain'], rule: defaultRule('consultation'), recused: [],
  };
  const roster: RosterEntry[] = Array.from({ length: n }, (_, i) => ({ memberId: `u${i}`, name: `委员${i + 1}`, kind: 'full', present: true, issued: 1 }));
  const bundle = assembleBundle({ ballot, publicKey: toHex(key.publicKey), roster, ballots: parts.flat() }, generateServerKey().secretKey);
  writeFileSync(path, JSON.stringify(bundle));
  return { path, json: bundle };
}

/** Verify in Node with the token checks on a worker pool of `threads`. */
export async function verifyInNode(json: unknown, threads = availableParallelism()) {
  const pool = createCryptoPool(threads);
  try {
    await pool.ready();
    const t0 = performance.now();
    const r = await verifyBundleAsync(json, pool.checkTokens);
    const ms = performance.now() - t0;
    if (!r.ok) throw new Error(`bench bundle failed verification: ${r.failures.map((f) => f.code).join(',')}`);
    return { ms, ballots: r.tally!.cast };
  } finally {
    await pool.close();
  }
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>verify bench</title><script type="module" src="/page.js"></script>`;
const PAGE_JS = `
const w = new Worker('/worker.js');
window.benchResult = new Promise((resolve) => {
  let progressEvents = 0;
  w.onmessage = (e) => {
    if (e.data.progress) { progressEvents++; return; }
    resolve({ ...e.data, progressEvents });
  };
});
fetch('/bundle.json').then((r) => r.json()).then((bundle) => { window.benchStart = performance.now(); w.postMessage(bundle); });
`;
const WORKER_ENTRY = `
import { verifyBundle } from ${JSON.stringify(resolve(HERE, '../crypto/index.ts'))};
self.onmessage = (e) => {
  const t0 = performance.now();
  const r = verifyBundle(e.data, { onProgress: (done, total) => self.postMessage({ progress: done / total }) });
  self.postMessage({ ok: r.ok, failures: r.failures.length, detail: r.failures.slice(0, 3), cast: r.tally ? r.tally.cast : 0, ms: performance.now() - t0 });
};
`;

/** Verify in headless chromium (Debian's), in a Web Worker. */
export async function verifyInBrowser(bundlePath: string) {
  const worker = await build({ stdin: { contents: WORKER_ENTRY, resolveDir: HERE, loader: 'ts' }, bundle: true, format: 'iife', write: false, platform: 'browser', target: 'es2022' });
  const workerJs = worker.outputFiles[0]!.text;
  const bundleText = readFileSync(bundlePath);
  const server = createServer((req, res) => {
    const body = req.url === '/' ? PAGE : req.url === '/page.js' ? PAGE_JS : req.url === '/worker.js' ? workerJs : req.url === '/bundle.json' ? bundleText : null;
    if (body === null) return void res.writeHead(404).end();
    const type = req.url === '/' ? 'text/html' : req.url === '/bundle.json' ? 'application/json' : 'text/javascript';
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const r = (await page.evaluate('window.benchResult', undefined)) as { ok: boolean; failures: number; cast: number; ms: number; progressEvents: number };
    if (!r.ok) throw new Error(`browser verifier rejected the bench bundle: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await browser.close();
    server.close();
  }
}
