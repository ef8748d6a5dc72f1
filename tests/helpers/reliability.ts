/**
 * @module tests/helpers/reliability
 * Helpers of the reliability suite (tests/reliability, issues 6 and 9), self-contained so the
 * suite does not move with tests/helpers/server.ts. The piaojue/2 participants are those of
 * server/simulate.ts (scrutineer devices, the tablets' crypto engines); this module adds:
 * - `Client` / `AppClient`: a cookie jar over HTTP, or over `app.request()` with a chosen origin
 *   and client address (authz matrix, cookies, rate limits, storage faults);
 * - worlds: `spawnServer` (the real `node --import tsx server/main.ts` child, which the crash
 *   harness kills with SIGKILL; it keeps its port across restarts so devices and tablets keep
 *   their URL), `appWorld` (createApp on a store opened here, injected clock, countable pool) and
 *   `startAppServer` (an appWorld also served over HTTP, so devices can reach it);
 * - a meeting of piaojue/2: `setupRoom` (roster, codes, n scrutineer devices, the key ceremony),
 *   `Device` (a SimulatedScrutineer whose actions are serialised, as one device does one thing
 *   at a time), `Tablet` (check-in, key check, threshold issuance with a kept blinded point,
 *   sealed cast), `confirmAndOpen`, `issueAll`, `closeAndPublish`;
 * - the long-mode switch (PIAOJUE_LONG=1), database dumps and probes, raw page scans, a
 *   bounded-concurrency map and the stable-refusal check.
 */
import Database from 'better-sqlite3';
import { serve } from '@hono/node-server';
import { sha256 } from '@noble/hashes/sha2.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  G1, Fr, APPROVAL_OPTIONS, KINDS, ballotKeys, ballotShape, finishIssuance, fromHex, prepareCast, receiptMatches, selectionsOf, startIssuance,
  toHex, utf8,
  type BallotDefinition, type BallotKeys, type BlindingState, type Bundle, type CeremonyRecord, type PreparedCast, type Receipt,
} from '../../crypto/index.ts';
import { createApp, type AppDeps } from '../../server/app.ts';
import { setSecretaryPassword } from '../../server/auth.ts';
import { createCryptoPool, type CryptoPool } from '../../server/crypto-pool.ts';
import { openStore, type Store } from '../../server/db.ts';
import { ERRORS, type ErrorCode } from '../../server/errors.ts';
import { createHub } from '../../server/events.ts';
import { loadServerKey } from '../../server/keys.ts';
import { Jar, SimulatedScrutineer, settle, type CallOptions, type JarResponse } from '../../server/simulate.ts';
import { serveClient } from '../../server/static.ts';
import { memberLookup, type MemberKind, type MemberView, type RosterInput } from './server.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PASSWORD = 'test-secretary-password';

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

/** A temporary directory (the caller removes it). */
export function tempDir(prefix = 'piaojue-rel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sha256Hex = (s: string | Uint8Array) => toHex(sha256(typeof s === 'string' ? utf8(s) : s));

// ---- HTTP clients ------------------------------------------------------------------------------

export type Res = JarResponse;
export type { CallOptions };

/**
 * A cookie jar over HTTP (cookies sent only if `sendCookies`): the simulation's Jar, on a server
 * whose `url` is read at each call (the crash harness restarts it).
 */
export class Client extends Jar {
  constructor(server: { readonly url: string }, sendCookies = true) {
    super(server, sendCookies);
  }
}

/**
 * A cookie jar over `app.request()`. `base` is the origin the app sees (http://localhost or
 * https://localhost: the latter switches cookies to `__Host-` and Secure); `address` is the
 * client address the rate limiters key on.
 */
export class AppClient extends Client {
  constructor(
    private readonly world: { app: AppWorld['app'] },
    base = 'http://localhost',
    public address = '127.0.0.1',
    sendCookies = true,
  ) {
    super({ url: base }, sendCookies);
  }
  protected override send(url: string, init: RequestInit): Promise<Response> {
    return Promise.resolve(this.world.app.request(url, init, { incoming: { socket: { remoteAddress: this.address } } }));
  }
}

// The meeting vocabulary and the checks both suites share live in tests/helpers/server.ts.
export {
  dumpDb, expectError, firstEvent, keysNamed, roster, stateOf, tokenHashHex, type MemberKind, type MemberView, type RosterInput,
} from './server.ts';



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

// ---- servers -------------------------------------------------------------------------------------

/** A running server on a temporary database. */
export type TestServer = {
  url: string;
  readonly dir: string;
  readonly dbPath: string;
  readonly password: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
};

export type ChildServer = TestServer & {
  /** The running child (null between a kill and the next start). */
  child: ChildProcess | null;
  /** Everything the server printed on stdout and stderr, over all its lives. */
  readonly output: string[];
  starts: number;
  /** Lives that ended without our kill or stop (exit code or signal, and the end of the output). */
  readonly crashes: string[];
  /** SIGKILL the server and wait until it is gone. */
  kill(): Promise<void>;
  /** Start it again on the same database file and port, with extra environment for this life. */
  start(env?: Record<string, string>): Promise<void>;
};

/**
 * Start `node --import tsx server/main.ts` on a fresh temporary database with HOST=127.0.0.1,
 * the test password and PORT=0 the first time; later starts reuse the port it got, so clients
 * built with its URL (server/simulate.ts) keep working after a kill.
 */
export async function spawnServer(opts: { env?: Record<string, string> } = {}): Promise<ChildServer> {
  const dir = tempDir('piaojue-child-');
  const dbPath = join(dir, 'piaojue.db');
  const output: string[] = [];
  let port = '0';
  const server: ChildServer = {
    url: '', dir, dbPath, password: PASSWORD, child: null, output, starts: 0, crashes: [],
    async start(env = {}) {
      for (let attempt = 0; ; attempt++) {
        try {
          await launch(env);
          return;
        } catch (e) {
          // The port of the previous life may still be held for a moment after a kill.
          if (attempt < 20 && port !== '0' && /EADDRINUSE/.test(String(e))) await sleep(100);
          else throw e;
        }
      }
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
  async function launch(env: Record<string, string>): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      // Lab mode (plain HTTP): these worlds test what survives kills and what an operator or a
      // logging proxy sees on the wire; TLS, which would only hide the wire, is tested in tests/e2e and tests/server/transport.
      env: { ...process.env, PIAOJUE_DB: dbPath, PORT: port, HOST: '127.0.0.1', PIAOJUE_HTTP: '1', PIAOJUE_SECRETARY_PASSWORD: PASSWORD, ...(opts.env ?? {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.child = child;
    server.starts++;
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      output.push(d.toString());
      err += d.toString();
    });
    let listening = false;
    child.once('exit', (code, sig) => {
      if (listening && server.child === child) server.crashes.push(`exit ${code ?? sig}: ${err.slice(-1500)}`);
    });
    server.url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start within 30 s:\n${output.join('')}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        const s = d.toString();
        output.push(s);
        out += s;
        const m = /running at (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
        if (m && !listening) {
          clearTimeout(timer);
          listening = true;
          port = m[2]!;
          res(m[1]!);
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        server.child = null;
        rej(new Error(`server exited (${code ?? sig}) before listening: ${err.slice(-2000)}`));
      });
    });
  }
  await server.start();
  return server;
}

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

/** createApp on a store opened here, with the test password and an injected clock. */
export type AppWorld = {
  readonly dir: string;
  readonly dbPath: string;
  readonly store: Store;
  readonly serverKey: Uint8Array;
  readonly clock: TestClock;
  /** The pool createApp got: its methods may be wrapped (counted) by a test, they are looked up at each call. */
  readonly pool: CryptoPool;
  readonly app: ReturnType<typeof createApp>;
  /** The app's event hub (a test may notify through it). */
  readonly hub: ReturnType<typeof createHub>;
  dispose(): Promise<void>;
};

let passwordHash: string | undefined;

export type WorldOptions = { workers?: number; client?: boolean; log?: (line: string) => void; castQueue?: AppDeps['castQueue']; streams?: AppDeps['streams']; dir?: string };

/** A new world (or, with `dir`, the world of an earlier one reopened: a restart). Crypto inline by default. */
export function appWorld(opts: WorldOptions = {}): AppWorld {
  const dir = opts.dir ?? tempDir('piaojue-app-');
  const dbPath = join(dir, 'piaojue.db');
  const fresh = !existsSync(dbPath);
  const store = openStore(dbPath);
  const serverKey = loadServerKey(store.db);
  // scrypt once per process: copy the stored hash into each new world.
  if (fresh) {
    if (!passwordHash) {
      setSecretaryPassword(store.db, PASSWORD);
      passwordHash = (store.sqlite.prepare("SELECT value FROM settings WHERE key = 'secretary_password'").get() as { value: string }).value;
    } else store.sqlite.prepare("INSERT INTO settings (key, value) VALUES ('secretary_password', ?)").run(passwordHash);
  }
  const clock = testClock();
  const pool = createCryptoPool(opts.workers ?? 0);
  const hub = createHub();
  const app = createApp({
    store, serverKey, pool, hub, now: clock.now, log: opts.log, castQueue: opts.castQueue, streams: opts.streams,
    ...(opts.client ? { client: serveClient() } : {}),
  });
  return {
    dir, dbPath, store, serverKey, clock, pool, app, hub,
    async dispose() {
      try {
        store.sqlite.close();
      } catch {
        /* already closed */
      }
      await pool.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An AppWorld served over HTTP on 127.0.0.1 (port 0); `url` is its origin. */
export type AppServer = AppWorld & TestServer;

export async function startAppServer(opts: WorldOptions = {}): Promise<AppServer> {
  const world = appWorld(opts);
  let close: (() => Promise<void>) | null = null;
  const url = await new Promise<string>((res) => {
    // The long keep-alive of server/main.ts: a short one makes a client reuse a socket the server is just closing.
    const server = serve({ fetch: world.app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { keepAliveTimeout: 65_000, headersTimeout: 70_000 } }, (info) => res(`http://127.0.0.1:${info.port}`));
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

// ---- a logging proxy (the operator's view of the wire) ---------------------------------------------

/** One request as the operator's proxy saw it: source port, time, headers, body size, and the answer's headers. */
export type Seen = {
  readonly at: number;
  readonly port: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
  status: number;
  responseHeaders: Record<string, string | string[] | undefined>;
};

/**
 * An HTTP proxy in front of `target` that records every request (source port, time, headers,
 * body size) and every answer's headers, as an operator with a capture on the server's port
 * would. Headers are passed on unchanged (Host too, so the server's same-origin check sees the
 * proxy's origin).
 */
export async function startLoggingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const { createServer, request } = await import('node:http');
  const seen: Seen[] = [];
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: Seen = { at: performance.now(), port: req.socket.remotePort ?? 0, method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, bodyBytes: body.length, status: 0, responseHeaders: {} };
      seen.push(entry);
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
        entry.status = ur.statusCode ?? 0;
        entry.responseHeaders = { ...ur.headers };
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  const url = await new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

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
export function rawPages(dbPath: string, walPath = `${dbPath}-wal`, ownersFrom = dbPath): Page[] {
  const owners = readOnly(ownersFrom, (db) => {
    const m = new Map<number, string>();
    for (const r of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) m.set(r.pageno, r.name);
    return m;
  });
  const out: Page[] = [];
  const file = readFileSync(dbPath);
  const pageSize = file.readUInt16BE(16) === 1 ? 65536 : file.readUInt16BE(16);
  for (let i = 0; i * pageSize < file.length; i++)
    out.push({ no: i + 1, owner: owners.get(i + 1) ?? 'free', bytes: file.subarray(i * pageSize, (i + 1) * pageSize), where: 'db' });
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

// ---- points ------------------------------------------------------------------------------------

/** A valid G1 point that is no token's signature. */
export function randomG1(): Uint8Array {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return G1.BASE.multiply((BigInt(`0x${toHex(b)}`) % (Fr.ORDER - 1n)) + 1n).toBytes(true);
}

// ---- a piaojue/2 meeting -------------------------------------------------------------------------


/**
 * A scrutineer's device (server/simulate.ts) whose actions run one at a time, as on one device:
 * the serving loop, the ceremony steps and the confirmations of concurrent ballots never
 * interleave their updates of the device's state.
 */
export class Device extends SimulatedScrutineer {
  private queue: Promise<unknown> = Promise.resolve();
  /** Every state the device held after each of its steps (its secrets included), for the tests' exhaustive searches. */
  readonly history: NonNullable<SimulatedScrutineer['state']>[] = [];
  /**
   * The decryption shares this device sent, by path. crypto/device.ts decrypts a ballot once and
   * its state does not keep the share, so a device whose POST was lost (the server died) could
   * never send it again; this device, as a page that stores its share first would, sends the
   * same share again when the server says it has none.
   */
  readonly sentShares = new Map<string, unknown>();
  /** The last body the device posted to each path (the fuzzer replays them). */
  readonly posted = new Map<string, unknown>();
  constructor(url: string, code: string) {
    super(url, code);
    const call = this.jar.call.bind(this.jar);
    (this.jar as { call: typeof call }).call = (method, path, body, opts) => {
      if (method === 'POST' && /\/decryption$/.test(path)) this.sentShares.set(path, body);
      if (method === 'POST') this.posted.set(path, body);
      return call(method, path, body, opts);
    };
  }
  private async resendShares(): Promise<void> {
    if (!this.online || !this.state || this.sentShares.size === 0) return;
    const view = await this.jar.ok('GET', '/api/scrutineer');
    for (const b of view.ballots as { id: string; status: string; sums: unknown; decrypted: boolean }[]) {
      const path = `/api/scrutineer/ballots/${b.id}/decryption`;
      if (b.status !== 'closed' || !b.sums || b.decrypted || !this.state.ballots[b.id]?.decrypted || !this.sentShares.has(path)) continue;
      const r = await this.jar.call('POST', path, this.sentShares.get(path));
      if (r.status !== 200 && !(r.status === 409 && r.json?.error === 'BAD_STATE')) throw new Error(`POST ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    }
  }
  private locked<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }
  override step(): Promise<boolean> {
    return this.locked(async () => {
      try {
        await this.resendShares();
        return await super.step();
      } finally {
        if (this.state) this.history.push(this.state);
      }
    });
  }
  override serve(): Promise<number> {
    return this.locked(() => super.serve());
  }
  override confirm(ballotId: string): Promise<void> {
    return this.locked(() => super.confirm(ballotId));
  }
  override signIn(): Promise<void> {
    return this.locked(() => super.signIn());
  }
}

/** Keep the devices serving issuance requests until `stop` settles (errors, e.g. a dead server, are retried). */
export function serveUntil(devices: readonly SimulatedScrutineer[], stop: Promise<unknown>): Promise<void> {
  let done = false;
  void stop.then(() => (done = true), () => (done = true));
  return (async () => {
    while (!done) {
      const n = await Promise.all(devices.map((d) => d.serve().catch(() => 0)));
      if (!n.some((x) => x > 0)) await sleep(15);
    }
  })();
}

/** A meeting with its roster, codes, scrutineers and finished key ceremony. */
export type Room = {
  readonly id: string;
  readonly title: string;
  readonly members: MemberView[];
  readonly codes: Map<string, string>;
  readonly devices: Device[];
  readonly t: number;
  readonly record: CeremonyRecord;
  readonly keys: BallotKeys;
  idOf(name: string): string;
  names(...kinds: MemberKind[]): string[];
};

/** Create a meeting, import the roster, issue codes, name n scrutineers (threshold t), sign their devices in and run the ceremony. */
export async function setupRoom(sec: Client, url: string, members: RosterInput[], opts: { title?: string; n?: number; t?: number } = {}): Promise<Room> {
  const title = opts.title ?? '县委常委会（可靠性）';
  const n = opts.n ?? 3;
  const t = opts.t ?? 2;
  const { meeting } = await sec.ok('POST', '/api/meetings', { title });
  const { members: views } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const named = await sec.ok('POST', `/api/meetings/${meeting.id}/scrutineers`, { t, scrutineers: Array.from({ length: n }, (_, i) => ({ name: `监票人${i + 1}` })) });
  const devices = (named.codes as { code: string }[]).map((c) => new Device(url, c.code));
  for (const d of devices) await d.signIn();
  await settle(devices);
  const view = await devices[0]!.jar.ok('GET', '/api/scrutineer');
  if (view.ceremony?.status !== 'ready') throw new Error(`the key ceremony did not finish: ${JSON.stringify(view.ceremony?.status)} ${view.ceremony?.failure ?? ''}`);
  const record: CeremonyRecord = { params: view.ceremony.params, commits: view.ceremony.commits, reveals: view.ceremony.reveals, acks: view.ceremony.acks };
  return {
    id: meeting.id, title, members: views, devices, t, record, keys: ballotKeys(record),
    codes: new Map(codes.map((c: { name: string; code: string }) => [c.name, c.code])),
    ...memberLookup(views),
  };
}

/** A signed token as a tablet holds it. */
export type Tok = { readonly ballotId: string; readonly st: BlindingState; readonly token: Uint8Array; readonly sigma: Uint8Array; readonly castKey: Uint8Array };

/** The part of a ballot definition a cast needs. */
export type CastDef = Pick<BallotDefinition, 'id' | 'type' | 'items' | 'options' | 'rule' | 'params' | 'recusedItems'>;
/** What a tablet needs of a ballot view to seal; a bare {id, items} is a decision ballot with no per-item recusal. */
export const castDef = (view: { id: string; items: CastDef['items'] } & Partial<CastDef>): CastDef => {
  const type = view.type ?? 'decision';
  const options = view.options ?? APPROVAL_OPTIONS;
  return { id: view.id, type, items: view.items, options, rule: view.rule ?? KINDS[type].defaultRule(options), params: view.params ?? {}, recusedItems: view.recusedItems ?? [] };
};

/**
 * A member's tablet over a Client (HTTP or in-process): check-in and issuance with its cookie,
 * casts through a jar that never sends one — the engines of crypto/voter.ts, as
 * server/simulate.ts SimulatedTablet, with the blinded point kept across retries.
 */
export class Tablet {
  readonly jar: Client;
  readonly anon: Client;
  memberId = '';
  constructor(
    server: { url: string },
    readonly name: string,
    make: (sendCookies: boolean) => Client = (s) => new Client(server, s),
  ) {
    this.jar = make(true);
    this.anon = make(false);
  }
  async checkIn(code: string): Promise<void> {
    const { member } = await this.jar.ok('POST', '/api/checkin', { code });
    this.memberId = member.id;
  }
  /** The ballot keys as the tablet accepts them: derived from the ceremony record it was given (a key that is not the ceremony's is refused). */
  async keys(ballotId: string): Promise<BallotKeys> {
    const view = await this.jar.ok('GET', '/api/tablet');
    const b = view.ballots.find((x: { id: string }) => x.id === ballotId);
    return ballotKeys(view.ceremony as CeremonyRecord, { publicKey: b?.publicKey, electionKey: b?.electionKey });
  }
  /** One issue request with the blinded point of `st` (the same point on every retry). */
  issueOnce(ballotId: string, st: BlindingState): Promise<Res> {
    return this.jar.post(`/api/ballots/${ballotId}/issue`, { blinded: toHex(st.blinded) });
  }
  /** Ask (again while pending) until t partials came back; combine and unblind. */
  async token(ballotId: string, keys: BallotKeys, st: BlindingState = startIssuance(ballotId)): Promise<Tok> {
    for (let attempt = 0; attempt < 30; attempt++) {
      const r = await this.issueOnce(ballotId, st);
      if (r.status !== 200) throw new Error(`${this.name}: issue → ${r.status} ${JSON.stringify(r.json)}`);
      if (r.json.status === 'signed') return { ballotId, st, token: st.token, sigma: finishIssuance(st, r.json.partials, keys), castKey: fromHex(r.json.castKey, 32, 'castKey') };
    }
    throw new Error(`${this.name}: no token after 30 attempts`);
  }
  /** Seal the choices (the encryption randomness lives only inside prepareCast) and build the cast with its MAC. */
  prepare(def: CastDef, keys: BallotKeys, tok: Tok, choices: readonly string[]): PreparedCast {
    return prepareCast(def.id, keys, ballotShape(def), selectionsOf(def.options, choices), tok.token, tok.sigma, tok.castKey);
  }
  /** Send a prepared cast (retrying on BUSY); the receipt must match exactly this cast. */
  async cast(prepared: PreparedCast): Promise<Receipt> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.anon.post(`/api/anon/ballots/${prepared.expect.ballotId}/cast`, prepared.body);
      if (r.status === 503 && r.json?.error === 'BUSY' && attempt < 100) {
        await sleep(50);
        continue;
      }
      if (r.status !== 200) throw new Error(`${this.name}: cast → ${r.status} ${JSON.stringify(r.json)}`);
      if (!receiptMatches(r.json.receipt, prepared.expect)) throw new Error(`${this.name}: the receipt does not match the cast`);
      return r.json.receipt as Receipt;
    }
  }
}

/** Check members in, each with its own tablet. */
export async function checkInAll(server: { url: string }, room: Room, names: readonly string[], make?: (sendCookies: boolean) => Client): Promise<Map<string, Tablet>> {
  const out = new Map<string, Tablet>();
  for (const name of names) {
    const t = new Tablet(server, name, make);
    await t.checkIn(room.codes.get(name)!);
    out.set(name, t);
  }
  return out;
}

export type BallotSpec = { type: 'decision' | 'consultation'; title?: string; items?: number | { nominee: string; post: string }[]; rule?: Record<string, unknown>; recused?: string[] };

/** Create a draft ballot; returns its BallotView. */
/** A fresh default title per ballot: the server refuses two open ballots of one title (TITLE_IN_USE). */
let ballotSeq = 0;
const defaultTitle = (type: string) => `${type === 'decision' ? '干部任免票决' : '征求全委会意见'}（第${++ballotSeq}项）`;

export async function createBallot(sec: Client, meetingId: string, spec: BallotSpec): Promise<any> {
  const items = typeof spec.items === 'object' ? spec.items : Array.from({ length: spec.items ?? 1 }, (_, i) => ({ nominee: `拟任人选${i + 1}`, post: `县第${i + 1}局局长` }));
  const { ballot } = await sec.ok('POST', `/api/meetings/${meetingId}/ballots`, {
    type: spec.type, title: spec.title ?? defaultTitle(spec.type), items,
    ...(spec.rule ? { rule: spec.rule } : {}), ...(spec.recused ? { recused: spec.recused } : {}),
  });
  return ballot;
}

/** Every (online) scrutineer confirms the attendance, then the secretary opens; returns the open BallotView. */
export async function confirmAndOpen(sec: Client, room: Room, ballotId: string): Promise<any> {
  for (const d of room.devices) await d.confirm(ballotId);
  return (await sec.ok('POST', `/api/ballots/${ballotId}/open`)).ballot;
}

/** Create, confirm and open. */
export async function openNewBallot(sec: Client, room: Room, spec: BallotSpec): Promise<any> {
  return confirmAndOpen(sec, room, (await createBallot(sec, room.id, spec)).id);
}

/** Every tablet checks the keys and takes its token while the devices serve. */
export async function issueAll(room: Room, tablets: readonly Tablet[], ballotId: string): Promise<{ tablet: Tablet; keys: BallotKeys; tok: Tok }[]> {
  const issuing = Promise.all(tablets.map(async (tablet) => {
    const keys = await tablet.keys(ballotId);
    return { tablet, keys, tok: await tablet.token(ballotId, keys) };
  }));
  const [out] = await Promise.all([issuing, serveUntil(room.devices, issuing)]);
  return out;
}

/** The bundle, once the server has published it. */
export async function waitForBundle(client: Client, ballotId: string, ms = 30_000): Promise<Bundle> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    const r = await client.get(`/api/ballots/${ballotId}/bundle`);
    if (r.status === 200) return r.json as Bundle;
    await sleep(25);
  }
  throw new Error(`ballot ${ballotId} was not published within ${ms} ms`);
}

/** Close; the devices decrypt the sums; wait for the published bundle. */
export async function closeAndPublish(sec: Client, room: Room, ballotId: string): Promise<Bundle> {
  await sec.ok('POST', `/api/ballots/${ballotId}/close`);
  await waitForSums(room, ballotId);
  await settle(room.devices);
  return waitForBundle(sec, ballotId);
}

/** Until the server has computed the closed ballot's sums (asynchronously, after the close answered). */
export async function waitForSums(room: Room, ballotId: string): Promise<void> {
  const d = room.devices.find((x) => x.online) ?? room.devices[0]!;
  for (let i = 0; i < 400; i++) {
    const view = await d.jar.ok('GET', '/api/scrutineer');
    const b = view.ballots.find((x: { id: string }) => x.id === ballotId);
    if (b?.sums) return;
    await sleep(15);
  }
  throw new Error(`no sums for ${ballotId}`);
}


/** One ballot played end to end: every voter takes a token, those with choices cast, close, publication. */
export type Played = { ballot: any; bundle: Bundle; casts: Map<string, { tok: Tok; keys: BallotKeys; prepared: PreparedCast; receipt: Receipt; choices: string[] }>; tokens: Map<string, Tok> };

export async function playBallot(sec: Client, room: Room, tablets: ReadonlyMap<string, Tablet>, spec: BallotSpec, votes: ReadonlyMap<string, string[] | null>): Promise<Played> {
  const ballot = await openNewBallot(sec, room, spec);
  const def = castDef(ballot);
  const names = [...votes.keys()];
  const issued = await issueAll(room, names.map((n) => tablets.get(n)!), ballot.id);
  const casts: Played['casts'] = new Map();
  const tokens = new Map<string, Tok>();
  for (const [i, { tablet, keys, tok }] of issued.entries()) {
    tokens.set(names[i]!, tok);
    const choices = votes.get(names[i]!);
    if (!choices) continue;
    const prepared = tablet.prepare(def, keys, tok, choices);
    casts.set(names[i]!, { tok, keys, prepared, receipt: await tablet.cast(prepared), choices });
  }
  const bundle = await closeAndPublish(sec, room, ballot.id);
  return { ballot, bundle, casts, tokens };
}
