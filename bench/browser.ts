/**
 * @module bench/browser
 * Crypto in headless Debian chromium (the one on PATH, or `CHROMIUM_PATH`: scripts/chromium.ts;
 * `--no-sandbox`; never a downloaded browser): a TypeScript worker entry is bundled for the browser with esbuild (tsx's own
 * dependency), served with a tiny page from 127.0.0.1, and run in a dedicated Web Worker, as
 * the tablet and the /verify page run the crypto core. The page posts the optional `data`
 * (fetched from /data) to the worker and resolves with the worker's `{done: …}` message.
 */
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from '../scripts/chromium.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/page.js"></script>`;
const PAGE_JS = `
const w = new Worker('/worker.js');
window.benchEvents = 0;
window.benchResult = new Promise((resolve) => {
  w.onmessage = (e) => {
    if (e.data && e.data.done !== undefined) resolve(e.data.done);
    else window.benchEvents++;
  };
  w.onerror = (e) => resolve({ error: String(e.message || e) });
});
fetch('/data').then((r) => r.text()).then((text) => w.postMessage(text));
`;

/** Bundle `entry` (TypeScript source, imports relative to bench/) and run it in a chromium Web Worker. */
export async function inChromium<T>(entry: string, data: string | Buffer = '', timeoutMs = 180_000): Promise<T & { events: number; chromium: string }> {
  const executablePath = chromiumPath(); // throws, saying what to install or set, when there is none
  const out = await build({ stdin: { contents: entry, resolveDir: HERE, loader: 'ts' }, bundle: true, format: 'iife', write: false, platform: 'browser', target: 'es2022' });
  const workerJs = out.outputFiles[0]!.text;
  const server = createServer((req, res) => {
    const body = req.url === '/' ? PAGE : req.url === '/page.js' ? PAGE_JS : req.url === '/worker.js' ? workerJs : req.url === '/data' ? data : null;
    if (body === null) return void res.writeHead(404).end();
    const type = req.url === '/' ? 'text/html' : req.url === '/data' ? 'text/plain' : 'text/javascript';
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath, headless: true, timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = (await Promise.race([
      page.evaluate('window.benchResult'),
      new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`chromium worker: no result within ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer))) as T & { error?: string };
    if (r && typeof r === 'object' && 'error' in r && r.error) throw new Error(`chromium worker: ${r.error}`);
    const events = (await page.evaluate('window.benchEvents')) as number;
    return { ...r, events, chromium: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}
