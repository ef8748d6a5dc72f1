/**
 * @module tests/e2e/harness
 * What the browser tests share: build the client once (vite, root config), start the real
 * server on a temporary SQLite file over HTTPS with its generated CA (server/tls.ts), launch
 * Debian's chromium (on PATH, or `CHROMIUM_PATH`: scripts/chromium.ts) through playwright-core with a fresh NSS database that trusts that CA (no
 * certificate error is ignored), make this process's fetch trust it too, open
 * contexts sized like the real devices, collect console errors and CSP violations, and
 * write screenshots to test-artifacts/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { chromiumPath } from '../../scripts/chromium.ts';
import { startServer, type Running } from '../../server/main.ts';
import { loadTls } from '../../server/tls.ts';
import { nssHome, trustCa } from '../helpers/tls.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = join(ROOT, 'test-artifacts/screenshots');
export const PASSWORD = 'e2e-password';

export const VIEWPORTS = {
  tabletLandscape: { width: 1280, height: 800 },
  tabletPortrait: { width: 800, height: 1280 },
  phone: { width: 360, height: 640 },
  secretary: { width: 1440, height: 900 },
  projector: { width: 1920, height: 1080 },
  verifier: { width: 1280, height: 900 },
} as const;

/** Build dist/client from vite.config.ts (root 'client'). */
export async function buildClient(): Promise<void> {
  await build({ configFile: join(ROOT, 'vite.config.ts'), root: join(ROOT, 'client'), logLevel: 'error' });
}

export type Harness = {
  readonly url: string;
  /** The plain-HTTP listener, which only redirects to `url` and hands out the CA certificate. */
  readonly redirectUrl: string;
  /** The generated CA certificate (PEM) that chromium and this process trust. */
  readonly ca: string;
  readonly browser: Browser;
  /** Console errors, page errors and CSP reports of every page, for a final check. */
  readonly problems: string[];
  context(viewport: { width: number; height: number }): Promise<BrowserContext>;
  page(ctx: BrowserContext, path?: string): Promise<Page>;
  shot(page: Page, name: string, opts?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
};

export async function startHarness(): Promise<Harness> {
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-e2e-'));
  // The CA the server makes at its first start, made first here so the browser can trust it
  // from its launch; the server then finds it beside its database and uses it.
  const tlsConfig = { dir: join(dir, 'tls'), host: '127.0.0.1' };
  const ca = (await loadTls(tlsConfig)).ca!;
  trustCa(ca);
  const home = nssHome(dir, ca);
  const [running, browser] = await Promise.all([
    buildClient().then(() => startServer({ dbPath: join(dir, 'e2e.db'), port: 0, host: '127.0.0.1', password: PASSWORD, quiet: true, tls: tlsConfig, redirectPort: 0 })) as Promise<Running>,
    chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      env: { ...process.env, HOME: home },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];
  if (running.tls?.ca !== ca) throw new Error('the server did not use the CA made for the browser');
  return {
    url: running.url,
    redirectUrl: running.redirectUrl!,
    ca,
    browser,
    problems,
    async context(viewport) {
      const ctx = await browser.newContext({ viewport, baseURL: running.url, locale: 'zh-CN', deviceScaleFactor: 1 });
      contexts.push(ctx);
      return ctx;
    },
    async page(ctx, path) {
      const page = await ctx.newPage();
      page.on('console', (m) => {
        // A page going offline on purpose logs failed requests; those are expected.
        if (m.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|Failed to load resource|net::ERR/.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
        if (/Content Security Policy/i.test(m.text())) problems.push(`CSP ${page.url()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
      if (path) await page.goto(path);
      return page;
    },
    async shot(page, name, opts) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: opts?.fullPage ?? false, animations: 'disabled', caret: 'hide' });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll `probe` until it returns a truthy value (or throw after `ms`). */
export async function until<T>(probe: () => Promise<T> | T, what: string, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wait until a test id is visible. */
export async function visible(page: Page, testid: string, ms = 20_000): Promise<void> {
  await page.getByTestId(testid).first().waitFor({ state: 'visible', timeout: ms });
}

/** The secretary signs in on `page` (at /secretary) and creates a meeting titled `title`: its id, with the meeting page shown. */
export async function signInAndCreateMeeting(page: Page, title: string): Promise<string> {
  await page.getByTestId('password').fill(PASSWORD);
  await page.getByTestId('login').click();
  await page.getByTestId('meeting-title').fill(title);
  await page.getByTestId('meeting-create').click();
  await until(() => /\/secretary\/m\/m[0-9a-f]+$/.test(page.url()), 'meeting page');
  return page.url().split('/').pop()!;
}

/** A POST from the page with its own cookies (the browser adds the Origin header), as JSON. */
export async function apiPost(page: Page, path: string, body: unknown): Promise<{ status: number; json: any }> {
  return page.evaluate(
    async ([p, b]) => {
      const res = await fetch(p as string, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
      return { status: res.status, json: await res.json().catch(() => null) };
    },
    [path, body] as const,
  );
}

/** JSON from the API with the page's own cookies (what that browser could see). */
export async function apiFrom(page: Page, path: string): Promise<{ status: number; json: any }> {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { credentials: 'same-origin' });
    return { status: res.status, json: await res.json().catch(() => null) };
  }, path);
}
