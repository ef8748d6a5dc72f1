/**
 * @module tests/helpers/server
 * Shared helpers of the server suite (tests/server), built on the simulated participants of
 * server/simulate.ts (the one cookie-jar client `Jar`, the scrutineer devices, `settle`,
 * `serveWhile`, the tablets): a real server (createApp served over HTTP, as server/main.ts
 * does) on a temporary SQLite file with a clock the test can move, and the steps of a
 * piaojue/2 meeting — roster, codes, scrutineers and their key ceremony, check-in, ballots,
 * attendance confirmation, threshold issuance, sealed casts, close, decryption and the
 * published bundle — so each test states only its case. Tablets cast through a jar that
 * never sends a cookie, as the client does.
 */
import Database from 'better-sqlite3';
import { serve } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  ballotKeys, ballotShape, decryptCasts, finishIssuance, fromHex, prepareCast, receiptMatches, selectionsOf, startIssuance, toHex, tokenHash,
  APPROVAL_OPTIONS, KINDS, type BallotKeys, type BlindingState, type Bundle, type CeremonyRecord, type PreparedCast, type PublishedDecryptionShare, type Receipt,
} from '../../crypto/index.ts';
import { createApp } from '../../server/app.ts';
import { pruneSessions } from '../../server/auth.ts';
import { createCryptoPool } from '../../server/crypto-pool.ts';
import { openStore, type Store } from '../../server/db.ts';
import { ERRORS, type ErrorCode } from '../../server/errors.ts';
import { createHub } from '../../server/events.ts';
import { ensureSecretaryPassword, loadServerKey } from '../../server/keys.ts';
import {
  Jar as SimJar, SimulatedScrutineer, SimulatedTablet, serveWhile, settle, type CallOptions, type JarResponse,
} from '../../server/simulate.ts';

export { SimulatedScrutineer, SimulatedTablet, serveWhile, settle, type CallOptions };

export const PASSWORD = 'test-secretary-password';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the server ------------------------------------------------------------------------------

/** A clock the test moves: real time plus every `advance`. */
export type TestClock = { now(): number; advance(ms: number): void };

/** A running server on a temporary database. `url` stays the same across `restart()` (same port). */
export type TestServer = {
  readonly url: string;
  readonly dir: string;
  readonly dbPath: string;
  readonly password: string;
  readonly clock: TestClock;
  /** Close the server (the database file stays). */
  stop(): Promise<void>;
  /** Start it again on the same database file and port: a new process, as far as the server can tell. */
  restart(): Promise<void>;
  /** Stop and delete the temporary directory. */
  dispose(): Promise<void>;
};

/**
 * Start the server as server/main.ts does (createApp on the store, its crypto pool, served over
 * HTTP on 127.0.0.1) on a fresh SQLite file, with an injected clock. `workers` is the size of
 * the crypto pool (default 1: the worker path without a thread per core).
 */
export async function startTestServer(opts: { workers?: number } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-test-'));
  const dbPath = join(dir, 'piaojue.db');
  let skew = 0;
  const clock: TestClock = { now: () => Date.now() + skew, advance: (ms) => void (skew += ms) };
  let port = 0;
  let running: { close(): Promise<void> } | null = null;
  const boot = async () => {
    const store: Store = openStore(dbPath);
    const serverKey = loadServerKey(store.db);
    ensureSecretaryPassword(store.db, PASSWORD);
    pruneSessions(store.db, clock.now());
    const pool = createCryptoPool(opts.workers ?? 1);
    const app = createApp({ store, serverKey, pool, hub: createHub(), now: clock.now });
    await new Promise<void>((resolve) => {
      // The keep-alive of server/main.ts: a short one makes a client reuse a socket the server is just closing.
      const serverOptions = { keepAliveTimeout: 65_000, headersTimeout: 70_000 };
      const http = serve({ fetch: app.fetch, port, hostname: '127.0.0.1', serverOptions }, (info) => {
        port = info.port;
        resolve();
      });
      running = {
        close: () =>
          new Promise<void>((done) => {
            http.close(() => {
              store.sqlite.close();
              void pool.close().then(() => done());
            });
            (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      };
    });
  };
  await boot();
  const server: TestServer = {
    url: `http://127.0.0.1:${port}`,
    dir,
    dbPath,
    password: PASSWORD,
    clock,
    async stop() {
      const r = running as { close(): Promise<void> } | null;
      running = null;
      await r?.close();
      // Let the clients' pooled keep-alive sockets see the close before anything reuses the port.
      await sleep(50);
    },
    async restart() {
      await server.stop();
      await boot();
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

// ---- HTTP ------------------------------------------------------------------------------------

export type Res = JarResponse;

/** The simulation's cookie jar, made from a server (or its URL). */
export class Jar extends SimJar {
  constructor(server: { url: string } | string, sendCookies = true) {
    super(typeof server === 'string' ? server : server.url, sendCookies);
  }
}

/** The first `state` event of a meeting's SSE stream, parsed. */
export async function firstEvent(server: { url: string }, mid: string): Promise<unknown> {
  const ac = new AbortController();
  const res = await fetch(`${server.url}/api/meetings/${mid}/events`, { signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  try {
    while (!/\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } finally {
    ac.abort();
  }
  return JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? 'null');
}

/** Expect an API error: status, stable code and the message of `lang` from server/errors.ts. */
export function expectError(res: Res, code: ErrorCode, lang: 'zh' | 'en' = 'zh'): void {
  const [status, zh, en] = ERRORS[code];
  expect({ status: res.status, error: res.json?.error }, JSON.stringify(res.json)).toEqual({ status, error: code });
  expect(res.json.message).toBe(lang === 'en' ? en : zh);
}

/** A signed-in secretary. */
export async function signIn(server: { url: string; password: string }): Promise<Jar> {
  const sec = new Jar(server);
  await sec.ok('POST', '/api/secretary/login', { password: server.password });
  return sec;
}

// ---- meetings, scrutineers -------------------------------------------------------------------

export type MemberKind = 'standing' | 'full' | 'alternate';
export type RosterInput = { name: string; kind: MemberKind; title?: string };

const KIND_WORD: Record<MemberKind, string> = { standing: '常委', full: '委员', alternate: '候补' };

/** A roster of generated names, e.g. roster({standing: 9, full: 2}) → 常委01…常委09, 委员01, 委员02. */
export function roster(counts: Partial<Record<MemberKind, number>>, prefix = ''): RosterInput[] {
  const out: RosterInput[] = [];
  for (const kind of ['standing', 'full', 'alternate'] as const)
    for (let i = 1; i <= (counts[kind] ?? 0); i++) out.push({ name: `${prefix}${KIND_WORD[kind]}${String(i).padStart(2, '0')}`, kind });
  return out;
}

export type MemberView = { id: string; name: string; kind: MemberKind; title: string; present: boolean; hasCode: boolean };

/** A meeting's members by name: the id of one, the names of some kinds (all without kinds). */
export function memberLookup(views: readonly MemberView[]): { idOf(name: string): string; names(...kinds: MemberKind[]): string[] } {
  const ids = new Map(views.map((m) => [m.name, m.id]));
  return {
    idOf(name) {
      const id = ids.get(name);
      if (!id) throw new Error(`no member ${name}`);
      return id;
    },
    names(...kinds) {
      return views.filter((m) => kinds.length === 0 || kinds.includes(m.kind)).map((m) => m.name);
    },
  };
}

/** A meeting set up by the secretary: roster imported, codes issued, scrutineers named and their ceremony done. */
export type Meeting = {
  readonly id: string;
  readonly title: string;
  readonly members: MemberView[];
  readonly codes: Map<string, string>;
  /** The scrutineer devices, signed in (index i+1 at i); empty when none were named. */
  readonly devices: SimulatedScrutineer[];
  /** The scrutineers' sign-in codes, by index − 1. */
  readonly scrutineerCodes: string[];
  readonly n: number;
  readonly t: number;
  idOf(name: string): string;
  /** Names of the members of `kinds`, in roster order. */
  names(...kinds: MemberKind[]): string[];
  /** The devices that are online. */
  online(): SimulatedScrutineer[];
};

export type ScrutinySpec = { n: number; t: number; names?: string[] };

/** The default scrutiny of the tests, as of a drill: three devices, any two of which suffice. */
export const DEFAULT_SCRUTINY: ScrutinySpec = { n: 3, t: 2 };

/** Name `n` scrutineers with threshold `t`; returns their sign-in codes by index − 1. */
export async function nameScrutineers(sec: Jar, meetingId: string, spec: ScrutinySpec): Promise<string[]> {
  const names = spec.names ?? Array.from({ length: spec.n }, (_, i) => `监票人${i + 1}`);
  const { codes } = await sec.ok('POST', `/api/meetings/${meetingId}/scrutineers`, { t: spec.t, scrutineers: names.map((name) => ({ name })) });
  return (codes as { index: number; code: string }[]).sort((a, b) => a.index - b.index).map((c) => c.code);
}

/** Devices signed in with `codes` (keys registered), in order. */
export async function signInDevices(url: string, codes: readonly string[]): Promise<SimulatedScrutineer[]> {
  const devices = codes.map((c) => new SimulatedScrutineer(url, c));
  for (const d of devices) await d.signIn();
  return devices;
}

/**
 * Create a meeting, import the roster, issue every member's code, name the scrutineers
 * (default n = 3, t = 2), sign their devices in and settle the key ceremony (checked ready).
 * `scrutineers: false` names none (the ceremony is left to the test).
 */
export async function setupMeeting(
  sec: Jar, members: RosterInput[], title = '县委常委会（测试）', opts: { scrutineers?: ScrutinySpec | false } = {},
): Promise<Meeting> {
  const { meeting } = await sec.ok('POST', '/api/meetings', { title });
  const { members: views } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const codeMap = new Map<string, string>(codes.map((c: { name: string; code: string }) => [c.name, c.code]));
  const spec = opts.scrutineers === undefined ? DEFAULT_SCRUTINY : opts.scrutineers;
  let devices: SimulatedScrutineer[] = [];
  let scrutineerCodes: string[] = [];
  if (spec) {
    scrutineerCodes = await nameScrutineers(sec, meeting.id, spec);
    devices = await signInDevices(sec.base, scrutineerCodes);
    await settle(devices);
    const { scrutiny } = await sec.ok('GET', `/api/meetings/${meeting.id}`);
    if (scrutiny.ceremony.status !== 'ready') throw new Error(`the key ceremony did not finish: ${JSON.stringify(scrutiny.ceremony)}`);
  }
  return {
    id: meeting.id,
    title,
    members: views,
    codes: codeMap,
    devices,
    scrutineerCodes,
    n: spec ? spec.n : 0,
    t: spec ? spec.t : 0,
    ...memberLookup(views),
    online() {
      return devices.filter((d) => d.online);
    },
  };
}

// ---- tablets and tokens ----------------------------------------------------------------------

/** A token as a tablet holds it after issuance. */
export type Token = {
  readonly ballotId: string;
  /** Number of items of the ballot (its shape). */
  readonly items: number;
  readonly keys: BallotKeys;
  readonly st: BlindingState;
  readonly token: Uint8Array;
  readonly blinded: Uint8Array;
  /** The t (or more) partial signatures the server relayed. */
  readonly partials: { index: number; partial: string }[];
  /** σ, combined and unblinded (checked by finishIssuance). */
  readonly signature: Uint8Array;
  readonly castKey: Uint8Array;
};

type BallotRef = { id: string; items: readonly unknown[] };

// Checking a ceremony record costs some curve work; the tablets of one test process share the result.
const keyCache = new Map<string, BallotKeys>();

/** A member's tablet: the simulation's tablet with its member id, a cookie-less jar for casts, and token steps. */
export class Tablet extends SimulatedTablet {
  readonly anonJar: Jar;
  constructor(
    server: { url: string } | string,
    name: string,
    readonly memberId: string,
  ) {
    const url = typeof server === 'string' ? server : server.url;
    super(url, name);
    this.anonJar = new Jar(url, false);
  }

  /** The ballot keys as the tablet accepts them (ceremony record checked, claimed keys compared). */
  override async keys(ballotId: string): Promise<BallotKeys> {
    const view = await this.jar.ok('GET', '/api/tablet');
    const b = view.ballots.find((x: { id: string }) => x.id === ballotId);
    const record = view.ceremony as CeremonyRecord;
    const at = JSON.stringify(record);
    let keys = keyCache.get(at);
    if (!keys) keyCache.set(at, (keys = ballotKeys(record)));
    // The keys the server names for the ballot are compared on every call, as ballotKeys does.
    return checkClaimed(record, keys, b ?? {});
  }

  /** Ask for a token with a blinded point until t partials are in (the devices must be serving). */
  async requestToken(ballot: BallotRef, keys: BallotKeys, st: BlindingState = startIssuance(ballot.id)): Promise<Token> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = await this.jar.call('POST', `/api/ballots/${ballot.id}/issue`, { blinded: toHex(st.blinded) });
      if (r.status !== 200) throw new Error(`POST /api/ballots/${ballot.id}/issue → ${r.status} ${JSON.stringify(r.json)}`);
      if (r.json.status === 'signed') {
        const signature = finishIssuance(st, r.json.partials, keys);
        return {
          ballotId: ballot.id, items: ballot.items.length, keys, st, token: st.token, blinded: st.blinded,
          partials: r.json.partials, signature, castKey: fromHex(r.json.castKey, 32, 'castKey'),
        };
      }
    }
    throw new Error(`${this.name}: no token after 20 attempts`);
  }

  /** Blind, have the online devices sign (they serve while the tablet waits), combine and unblind. */
  async issue(ballot: BallotRef, devices: readonly SimulatedScrutineer[]): Promise<Token> {
    return (await issueAll([this], ballot, devices))[0]!;
  }
}

function checkClaimed(record: CeremonyRecord, keys: BallotKeys, claimed: { publicKey?: string | null; electionKey?: string | null }): BallotKeys {
  if ((claimed.publicKey != null && claimed.publicKey !== keys.publicKey) || (claimed.electionKey != null && claimed.electionKey !== keys.electionKey))
    return ballotKeys(record, claimed); // throws, as on a real tablet
  return keys;
}

/** Tokens for several tablets at once, the devices serving until every request is answered. */
export async function issueAll(tablets: readonly Tablet[], ballot: BallotRef, devices: readonly SimulatedScrutineer[]): Promise<Token[]> {
  const all = Promise.all(tablets.map(async (t) => t.requestToken(ballot, await t.keys(ballot.id))));
  await serveWhile(devices, all.then(() => undefined, () => undefined));
  return all;
}

/**
 * The decryption share device `d` would send for a closed ballot — made as the device makes it
 * (it adds up the sealed ballots the server shows it) — without sending it or marking the
 * ballot decrypted in the device's state.
 */
export async function deviceShare(d: SimulatedScrutineer, ballotId: string): Promise<PublishedDecryptionShare> {
  const b = (await d.jar.ok('GET', '/api/scrutineer')).ballots.find((x: { id: string }) => x.id === ballotId);
  const { casts } = await d.jar.ok('GET', `/api/scrutineer/ballots/${ballotId}/casts`);
  return decryptCasts(d.state!, ballotId, b.electionKey, ballotShape(b), casts).share;
}

/** Check members in with their codes; returns their tablets by name, in the order given. */
export async function checkIn(server: { url: string }, meeting: Meeting, names: readonly string[]): Promise<Map<string, Tablet>> {
  const out = new Map<string, Tablet>();
  await Promise.all(
    names.map(async (name) => {
      const t = new Tablet(server, name, meeting.idOf(name));
      await t.checkIn(meeting.codes.get(name)!);
      out.set(name, t);
    }),
  );
  return new Map(names.map((n) => [n, out.get(n)!]));
}

// ---- casts -----------------------------------------------------------------------------------

/** A prepared cast: the body sent and what the receipt must say. */
export type Vote = {
  readonly ballotId: string;
  readonly token: Uint8Array;
  readonly choices: string[];
  readonly body: PreparedCast['body'];
  readonly expect: PreparedCast['expect'];
};

/** The selection-vector shape of a ballot of `items` items. */
export function shapeOf(items: number) {
  return ballotShape({
    type: 'decision', items: Array.from({ length: items }, () => null as never), options: [...APPROVAL_OPTIONS],
    rule: KINDS.decision.defaultRule(APPROVAL_OPTIONS), params: {}, recusedItems: [],
  });
}

/** Seal `choices` (one option per item) under the token's keys and build the cast with its MAC. */
export function prepareVote(tok: Token, choices: string[]): Vote {
  const p = prepareCast(tok.ballotId, tok.keys, shapeOf(tok.items), selectionsOf(APPROVAL_OPTIONS, choices), tok.token, tok.signature, tok.castKey);
  return { ballotId: tok.ballotId, token: tok.token, choices, body: p.body, expect: p.expect };
}

export const castPath = (ballotId: string) => `/api/anon/ballots/${ballotId}/cast`;

/** Cast anonymously; the receipt must be the server's signed promise for exactly this cast. */
export async function castVote(anon: Jar, vote: Vote): Promise<Receipt> {
  const { receipt } = await anon.ok('POST', castPath(vote.ballotId), vote.body);
  expect(receiptMatches(receipt, vote.expect)).toBe(true);
  return receipt as Receipt;
}

// ---- ballots ---------------------------------------------------------------------------------

export type BallotSpec = {
  type: 'decision' | 'consultation';
  title?: string;
  items?: { nominee: string; post: string }[];
  rule?: Record<string, unknown>;
  recused?: string[];
};

/** Items named 拟任人选1…n. */
export function items(n: number): { nominee: string; post: string }[] {
  return Array.from({ length: n }, (_, i) => ({ nominee: `拟任人选${i + 1}`, post: `县第${i + 1}局局长` }));
}

/** A fresh default title per ballot: the server refuses two open ballots of one title (TITLE_IN_USE). */
let ballotSeq = 0;
const defaultTitle = (type: BallotSpec['type']) => `${type === 'decision' ? '干部任免票决' : '征求全委会意见'}（第${++ballotSeq}项）`;

/** Create a draft ballot; returns its BallotView. */
export async function createBallot(sec: Jar, meetingId: string, spec: BallotSpec): Promise<any> {
  const { ballot } = await sec.ok('POST', `/api/meetings/${meetingId}/ballots`, {
    type: spec.type,
    title: spec.title ?? defaultTitle(spec.type),
    items: spec.items ?? items(1),
    ...(spec.rule ? { rule: spec.rule } : {}),
    ...(spec.recused ? { recused: spec.recused } : {}),
  });
  return ballot;
}

/** Every online device of the meeting confirms the ballot's attendance (present entitled members). */
export async function confirm(meeting: Meeting, ballotId: string, devices: readonly SimulatedScrutineer[] = meeting.online()): Promise<void> {
  for (const d of devices) await d.confirm(ballotId);
}

/** The online devices confirm the attendance, then the secretary opens; returns the BallotView (with keys). */
export async function openBallot(sec: Jar, meeting: Meeting, ballotId: string): Promise<any> {
  await confirm(meeting, ballotId);
  return (await sec.ok('POST', `/api/ballots/${ballotId}/open`)).ballot;
}

/** Create and open a ballot. */
export async function openNew(sec: Jar, meeting: Meeting, spec: BallotSpec): Promise<any> {
  return openBallot(sec, meeting, (await createBallot(sec, meeting.id, spec)).id);
}

/** The bundle, once the server has published it (polls; the decryption shares must be in). */
export async function waitForBundle(jar: Jar, ballotId: string, ms = 30_000): Promise<Bundle> {
  for (let waited = 0; ; waited += 25) {
    const r = await jar.call('GET', `/api/ballots/${ballotId}/bundle`);
    if (r.status === 200) return r.json as Bundle;
    if (r.json?.error !== 'NOT_PUBLISHED') throw new Error(`bundle → ${r.status} ${JSON.stringify(r.json)}`);
    if (waited >= ms) throw new Error(`ballot ${ballotId} was not published within ${ms} ms`);
    await sleep(25);
  }
}

/** Close the ballot, let the online devices decrypt and wait for the bundle; returns the final BallotView and bundle. */
export async function closeAndPublish(sec: Jar, meeting: Meeting, ballotId: string): Promise<{ ballot: any; bundle: Bundle }> {
  await sec.ok('POST', `/api/ballots/${ballotId}/close`);
  return publish(sec, meeting, ballotId);
}

/** After the close: the online devices decrypt the sums; the bundle once published. */
export async function publish(sec: Jar, meeting: Meeting, ballotId: string): Promise<{ ballot: any; bundle: Bundle }> {
  await settle(meeting.online());
  const bundle = await waitForBundle(new Jar(sec.base, false), ballotId);
  const ballot = await new Jar(sec.base, false).ok('GET', `/api/ballots/${ballotId}`);
  return { ballot, bundle };
}

/** What one member does on one ballot: choices to cast, or null to take a token and not cast. */
export type Votes = ReadonlyMap<string, string[] | null> | Record<string, string[] | null>;

export type PlayedBallot = {
  ballot: any;
  bundle: Bundle;
  tokens: Map<string, Token>;
  votes: Map<string, Vote>;
  receipts: Map<string, Receipt>;
};

/**
 * Play one ballot end to end: create, the devices confirm the attendance, open, every voter
 * takes a token (the devices serving), the voters with choices cast, close, the devices
 * decrypt, and the published bundle.
 */
export async function playBallot(
  server: { url: string },
  sec: Jar,
  meeting: Meeting,
  tablets: ReadonlyMap<string, Tablet>,
  spec: BallotSpec,
  votes: Votes,
): Promise<PlayedBallot> {
  const entries: [string, string[] | null][] = votes instanceof Map ? [...votes] : Object.entries(votes);
  const ballot = await openNew(sec, meeting, spec);
  const issued = await issueAll(entries.map(([name]) => tablets.get(name)!), ballot, meeting.online());
  const tokens = new Map(entries.map(([name], i) => [name, issued[i]!]));
  const cast = new Map<string, Vote>();
  const receipts = new Map<string, Receipt>();
  const anon = new Jar(server, false);
  await Promise.all(
    entries.map(async ([name, choices]) => {
      if (choices === null) return;
      const v = prepareVote(tokens.get(name)!, choices);
      cast.set(name, v);
      receipts.set(name, await castVote(anon, v));
    }),
  );
  const done = await closeAndPublish(sec, meeting, ballot.id);
  return { ballot: done.ballot, bundle: done.bundle, tokens, votes: cast, receipts };
}

/** Votes from counts: the first `agree` names agree, the next `disagree` disagree, … (one item). */
export function votesOf(names: readonly string[], counts: { agree?: number; disagree?: number; abstain?: number; none?: number }): Map<string, string[] | null> {
  const out = new Map<string, string[] | null>();
  let i = 0;
  for (const [k, n] of [['agree', counts.agree], ['disagree', counts.disagree], ['abstain', counts.abstain]] as const)
    for (let j = 0; j < (n ?? 0); j++) out.set(names[i++]!, [k]);
  for (let j = 0; j < (counts.none ?? 0); j++) out.set(names[i++]!, null);
  if (i > names.length) throw new Error('more votes than names');
  return out;
}

// ---- the database file -----------------------------------------------------------------------

/** Hex of the token hash of a token on a ballot. */
export function tokenHashHex(ballotId: string, token: Uint8Array): string {
  return toHex(tokenHash(ballotId, token));
}

/** Every table of the database file, read-only, with blobs as hex; the connection is closed at once. */
export function dumpDb(dbPath: string): Record<string, Record<string, unknown>[]> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[];
      out[name] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? toHex(v) : v])));
    }
    return out;
  } finally {
    db.close();
  }
}

/**
 * A dump for "nothing changed" comparisons: rows sorted; the activity times of sessions and of
 * scrutineer devices (the "online" light, touched by every request of a device) left out.
 */
export function stateOf(dbPath: string): Record<string, string[]> {
  const dump = dumpDb(dbPath);
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(dump)) {
    out[t] = rows.map((r) => JSON.stringify(t === 'sessions' || t === 'scrutineers' ? { ...r, last_seen_at: undefined } : r)).sort();
  }
  return out;
}

/** Every key named `key` anywhere in a JSON value (paths). */
export function keysNamed(value: unknown, key: string, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keysNamed(v, key, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [...(k === key ? [`${path}.${k}`] : []), ...keysNamed(v, key, `${path}.${k}`)]);
  return [];
}
