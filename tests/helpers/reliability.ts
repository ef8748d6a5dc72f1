/**
 * @module tests/helpers/reliability
 * Helpers of the reliability suite (tests/reliability, issue 6), next to tests/helpers/server.ts
 * whose meeting steps they reuse:
 * - `LONG` / `scaled`: the long-mode switch (PIAOJUE_LONG=1) and per-mode budgets;
 * - `spawnServer`: the real server as a child process (`node --import tsx server/main.ts`), as
 *   `npm start` runs it, which the crash harness kills with SIGKILL; it is shaped like a
 *   `TestServer` so the meeting helpers of tests/helpers/server.ts work against it;
 * - `startAppServer`: createApp on a store the test opened itself, with an injected clock, served
 *   over real HTTP (@hono/node-server) — for the fuzzer;
 * - `AppClient`: a cookie jar over `app.request()` (no sockets) with a chosen origin (http or
 *   https) and client address — for the authz matrix, cookies, rate limits and disk-full tests;
 * - read-only database probes, raw page scans, a bounded-concurrency map, the stable-refusal check.
 */
import Database from 'better-sqlite3';
import { serve } from '@hono/node-server';
import { sha256 } from '@noble/hashes/sha2.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { G1, Fr, blindToken, decodeG1, decodeScalar, fromHex, toHex, unblindSignature, utf8, type BlindingState } from '../../crypto/index.ts';
import { createApp, type AppDeps } from '../../server/app.ts';
import { setSecretaryPassword } from '../../server/auth.ts';
import { createCryptoPool, type CryptoPool } from '../../server/crypto-pool.ts';
import { openStore, type Store } from '../../server/db.ts';
import { ERRORS, type ErrorCode } from '../../server/errors.ts';
import { createHub } from '../../server/events.ts';
import { loadServerKey } from '../../server/keys.ts';
import { serveClient } from '../../server/static.ts';
import { Jar, PASSWORD, type MemberView, type RosterInput, type TestServer, type Token } from './server.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Long mode: `PIAOJUE_LONG=1 npx vitest run tests/reliability` runs every budget at its long size. */
export const LONG = process.env.PIAOJUE_LONG === '1';

/** `normal` in the default run, `long` under PIAOJUE_LONG=1. An explicit override wins (e.g. PIAOJUE_KILLS=200). */
export function scaled(normal: number, long: number, override?: string): number {
  const o = override ? Number(process.env[override]) : NaN;
  if (Number.isSafeInteger(o) && o > 0) return o;
  return LONG ? long : normal;
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function inPool<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A temporary directory, removed by `dispose`. */
export function tempDir(prefix = 'piaojue-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---- the real server as a child process ------------------------------------------------------

export type ChildServer = TestServer & {
  /** The running child (null between a kill and the next start). */
  child: ChildProcess | null;
  /** Everything the server printed on stdout and stderr, over all its lives. */
  readonly output: string[];
  /** Number of starts so far. */
  starts: number;
  /** SIGKILL the server and wait until it is gone. */
  kill(): Promise<void>;
  /** Start it again on the same database file (after a kill or stop), with extra environment for this life. */
  start(env?: Record<string, string>): Promise<void>;
};

/**
 * Start `node --import tsx server/main.ts` on `dbPath` (a fresh temporary one by default) with
 * PORT=0, HOST=127.0.0.1 and the test password; resolves once it prints its URL.
 */
export async function spawnServer(opts: { dbPath?: string; env?: Record<string, string> } = {}): Promise<ChildServer> {
  const dir = tempDir('piaojue-child-');
  const dbPath = opts.dbPath ?? join(dir, 'piaojue.db');
  const output: string[] = [];
  const server: ChildServer = {
    url: '',
    dir,
    dbPath,
    password: PASSWORD,
    child: null,
    output,
    starts: 0,
    async start(env = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PIAOJUE_DB: dbPath, PORT: '0', HOST: '127.0.0.1', PIAOJUE_SECRETARY_PASSWORD: PASSWORD, ...(opts.env ?? {}), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.child = child;
      server.starts++;
      let out = '';
      child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      server.url = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`server did not start within 30 s:\n${output.join('')}`)), 30_000);
        child.stdout!.on('data', (d: Buffer) => {
          const s = d.toString();
          output.push(s);
          out += s;
          const m = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            res(m[1]!);
          }
        });
        child.once('exit', (code, sig) => {
          clearTimeout(timer);
          rej(new Error(`server exited (${code ?? sig}) before listening:\n${output.join('')}`));
        });
      });
    },
    async kill() {
      const c = server.child;
      server.child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
    async stop() {
      const c = server.child;
      server.child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await gone;
      }
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    async dispose() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

// ---- createApp in-process -------------------------------------------------------------------

/** A clock the test moves: `now()` is real time plus every `advance`. */
export function testClock() {
  let skew = 0;
  return {
    now: () => Date.now() + skew,
    advance(ms: number) {
      skew += ms;
    },
  };
}
export type TestClock = ReturnType<typeof testClock>;

/** createApp on a store opened here (temporary file), with the test password and an injected clock. */
export type AppWorld = {
  readonly dir: string;
  readonly dbPath: string;
  readonly store: Store;
  readonly serverKey: Uint8Array;
  readonly clock: TestClock;
  readonly pool: CryptoPool;
  readonly app: ReturnType<typeof createApp>;
  dispose(): Promise<void>;
};

let passwordHash: string | undefined;

/** A new world: fresh SQLite file (WAL, synchronous=FULL as in production), crypto inline by default. */
export function appWorld(opts: { workers?: number; client?: boolean; log?: (line: string) => void; castQueue?: AppDeps['castQueue'] } = {}): AppWorld {
  const dir = tempDir('piaojue-app-');
  const dbPath = join(dir, 'piaojue.db');
  const store = openStore(dbPath);
  const serverKey = loadServerKey(store.db);
  // scrypt once per process: copy the stored hash into each new world.
  if (!passwordHash) {
    setSecretaryPassword(store.db, PASSWORD);
    passwordHash = (store.sqlite.prepare("SELECT value FROM settings WHERE key = 'secretary_password'").get() as { value: string }).value;
  } else store.sqlite.prepare("INSERT INTO settings (key, value) VALUES ('secretary_password', ?)").run(passwordHash);
  const clock = testClock();
  const pool = createCryptoPool(opts.workers ?? 0);
  const app = createApp({
    store, serverKey, pool, hub: createHub(), now: clock.now, log: opts.log, castQueue: opts.castQueue,
    ...(opts.client ? { client: serveClient() } : {}),
  });
  return {
    dir, dbPath, store, serverKey, clock, pool, app,
    async dispose() {
      try {
        store.sqlite.close();
      } catch {
        /* already closed */
      }
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An AppWorld served over HTTP on 127.0.0.1 (port 0); `url` is its origin. */
export type AppServer = AppWorld & TestServer;

export async function startAppServer(opts: Parameters<typeof appWorld>[0] = {}): Promise<AppServer> {
  const world = appWorld(opts);
  let close: (() => Promise<void>) | null = null;
  const url = await new Promise<string>((res) => {
    const server = serve({ fetch: world.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => res(`http://127.0.0.1:${info.port}`));
    close = () =>
      new Promise<void>((done) => {
        server.close(() => done());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
  });
  const s: AppServer = {
    ...world,
    url,
    password: PASSWORD,
    async stop() {
      await close?.();
      close = null;
    },
    async restart() {
      throw new Error('an AppServer does not restart');
    },
    async dispose() {
      await s.stop();
      await world.dispose();
    },
  };
  return s;
}

/**
 * A cookie jar over `app.request()`. `base` is the origin the app sees (http://localhost or
 * https://localhost: the latter switches cookies to `__Host-` and Secure); `address` is the
 * client address the rate limiters key on. Same interface as the HTTP Jar.
 */
export class AppClient extends Jar {
  constructor(
    private readonly world: { app: AppWorld['app'] },
    readonly base = 'http://localhost',
    public address = '127.0.0.1',
    sendCookies = true,
  ) {
    super({ url: base }, sendCookies);
  }

  protected override send(url: string, init: RequestInit): Promise<Response> {
    return Promise.resolve(this.world.app.request(url, init, { incoming: { socket: { remoteAddress: this.address } } }));
  }
}

// ---- responses -------------------------------------------------------------------------------

/** A refusal in the documented form: `{error, message}`, a code of ERRORS and that code's status. */
export function stableRefusal(status: number, json: any): string | null {
  if (status < 400) return null;
  if (!json || typeof json !== 'object') return `status ${status} without a JSON body`;
  const code = json.error as ErrorCode;
  if (typeof code !== 'string' || !(code in ERRORS)) return `status ${status}: unknown error code ${JSON.stringify(json.error)}`;
  if (ERRORS[code][0] !== status) return `status ${status} for ${code}, which is documented as ${ERRORS[code][0]}`;
  if (typeof json.message !== 'string' || json.message.length === 0) return `${code} without a message`;
  return null;
}

export function expectStableRefusal(res: { status: number; json: any }, label = ''): void {
  expect(res.status, `${label} ${JSON.stringify(res.json)}`).toBeLessThan(500);
  expect(stableRefusal(res.status, res.json), label).toBeNull();
}

// ---- tokens ----------------------------------------------------------------------------------

/** σ = r⁻¹·S′ without the device's pairing check (the server and the verifier check it later). */
export function unblindFast(st: BlindingState, signedHex: string): Uint8Array {
  const r = decodeScalar(st.r);
  return decodeG1(fromHex(signedHex, 48, 'signed')).multiply(Fr.inv(r)).toBytes(true);
}

/** A valid G1 point that is no token's signature. */
export function randomG1(): Uint8Array {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return G1.BASE.multiply((BigInt(`0x${toHex(b)}`) % (Fr.ORDER - 1n)) + 1n).toBytes(true);
}

export const sha256Hex = (s: string | Uint8Array) => toHex(sha256(typeof s === 'string' ? utf8(s) : s));

// ---- the database, read-only -----------------------------------------------------------------

/** Run `fn` on a read-only connection to the file (closed at once). */
export function readOnly<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` and `foreign_key_check` on a read-only connection. */
export function integrity(dbPath: string): { integrity: string; foreignKeys: unknown[] } {
  return readOnly(dbPath, (db) => ({
    integrity: (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; '),
    foreignKeys: db.pragma('foreign_key_check') as unknown[],
  }));
}

/** Pages of a database (or frames of its WAL) with the b-tree that owns each page (dbstat). */
export type Page = { readonly no: number; readonly owner: string; readonly bytes: Buffer; readonly where: 'db' | 'wal'; readonly frame?: number };

/** Every page of the database file and every frame of its WAL, each labelled with its b-tree (dbstat, now). */
export function rawPages(dbPath: string): Page[] {
  const owners = readOnly(dbPath, (db) => {
    const m = new Map<number, string>();
    for (const r of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) m.set(r.pageno, r.name);
    return m;
  });
  const out: Page[] = [];
  const file = readFileSync(dbPath);
  const pageSize = file.readUInt16BE(16) === 1 ? 65536 : file.readUInt16BE(16);
  for (let i = 0; i * pageSize < file.length; i++)
    out.push({ no: i + 1, owner: owners.get(i + 1) ?? 'free', bytes: file.subarray(i * pageSize, (i + 1) * pageSize), where: 'db' });
  const walPath = `${dbPath}-wal`;
  if (existsSync(walPath)) {
    const wal = readFileSync(walPath);
    for (let off = 32, f = 0; off + 24 + pageSize <= wal.length; off += 24 + pageSize, f++) {
      const no = wal.readUInt32BE(off);
      out.push({ no, owner: owners.get(no) ?? 'free', bytes: wal.subarray(off + 24, off + 24 + pageSize), where: 'wal', frame: f });
    }
  }
  return out;
}

/** Which of `needles` occur in `hay` (as UTF-8). */
export function occurring(hay: Buffer, needles: Iterable<string>): string[] {
  const out: string[] = [];
  for (const n of needles) if (n && hay.includes(n, 0, 'utf8')) out.push(n);
  return out;
}

// ---- meeting steps over an AppClient (the in-process twin of tests/helpers/server.ts) -----------

export type AppMeeting = {
  readonly id: string;
  readonly members: MemberView[];
  readonly codes: Map<string, string>;
  idOf(name: string): string;
};

/** Create a meeting, import the roster and issue every member's code. */
export async function appMeeting(sec: AppClient, members: RosterInput[], title = '县委常委会（可靠性）'): Promise<AppMeeting> {
  const { meeting } = await sec.ok('POST', '/api/meetings', { title });
  const { members: views } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const ids = new Map<string, string>(views.map((m: MemberView) => [m.name, m.id]));
  return {
    id: meeting.id,
    members: views,
    codes: new Map(codes.map((c: { name: string; code: string }) => [c.name, c.code])),
    idOf: (name) => ids.get(name) ?? (() => { throw new Error(`no member ${name}`); })(),
  };
}

/** Check members in, each with its own AppClient (all from `address` unless given per tablet). */
export async function appCheckIn(world: { app: AppWorld['app'] }, m: AppMeeting, names: readonly string[], base = 'http://localhost'): Promise<Map<string, AppClient>> {
  const out = new Map<string, AppClient>();
  for (const name of names) {
    const t = new AppClient(world, base);
    await t.ok('POST', '/api/checkin', { code: m.codes.get(name) });
    out.set(name, t);
  }
  return out;
}

/** Blind, have it signed by the tablet's session, unblind (checked). */
export async function appIssue(tablet: AppClient, ballot: { id: string; publicKey: string }): Promise<Token> {
  const st = blindToken(ballot.id);
  const { signed } = await tablet.ok('POST', `/api/ballots/${ballot.id}/issue`, { blinded: toHex(st.blinded) });
  const signature = unblindSignature(st, fromHex(signed, 48, 'signed'), fromHex(ballot.publicKey, 96, 'publicKey'));
  return { ballotId: ballot.id, st, token: st.token, signature, blinded: st.blinded, signed };
}

/** Create and open a ballot; returns its view (with publicKey). */
export async function appOpenBallot(sec: AppClient, meetingId: string, spec: { type: 'decision' | 'consultation'; items?: number; title?: string }): Promise<any> {
  const { ballot } = await sec.ok('POST', `/api/meetings/${meetingId}/ballots`, {
    type: spec.type,
    title: spec.title ?? '表决',
    items: Array.from({ length: spec.items ?? 1 }, (_, i) => ({ nominee: `人选${i + 1}`, post: `职务${i + 1}` })),
  });
  return (await sec.ok('POST', `/api/ballots/${ballot.id}/open`)).ballot;
}
