/**
 * @module tests/helpers/server
 * Shared helpers of the server suite (tests/server): a real server (server/main.ts) on a
 * temporary SQLite file, a cookie-jar HTTP client like the one in server/rehearse.ts, and
 * the steps of a meeting — roster, codes, check-in, ballots, issuance with real blind BLS
 * tokens, anonymous casts, openings, finalisation — so each test states only its case.
 * Tablets cast and open through a jar that never sends a cookie, as the client does.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  blindToken, commit, fromHex, newSalt, toHex, tokenHash, unblindSignature, verifyReceipt,
  type BlindingState, type Bundle, type Receipt,
} from '../../crypto/index.ts';
import { ERRORS, type ErrorCode } from '../../server/errors.ts';
import { startServer, type Running } from '../../server/main.ts';

export const PASSWORD = 'test-secretary-password';

/** A running server on a temporary database; `url` changes after `restart()`. */
export type TestServer = {
  url: string;
  readonly dir: string;
  readonly dbPath: string;
  readonly password: string;
  /** Close the server (the database file stays). */
  stop(): Promise<void>;
  /** Start it again on the same database file (new port). */
  restart(): Promise<void>;
  /** Stop and delete the temporary directory. */
  dispose(): Promise<void>;
};

/** Start a real server (startServer) on a fresh SQLite file in a temporary directory. */
export async function startTestServer(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-test-'));
  const dbPath = join(dir, 'piaojue.db');
  let running: Running | null = null;
  const boot = async () => {
    running = await startServer({ dbPath, port: 0, host: '127.0.0.1', password: PASSWORD, quiet: true });
    server.url = running.url;
  };
  const server: TestServer = {
    url: '',
    dir,
    dbPath,
    password: PASSWORD,
    async stop() {
      const r = running;
      running = null;
      await r?.close();
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
  await boot();
  return server;
}

export type Res = { status: number; json: any; headers: Headers; setCookies?: string[] };

export type CallOptions = {
  /** Origin header: the server's own by default; null sends none. */
  origin?: string | null;
  /** Accept-Language header. */
  lang?: string;
  /** Content-Type header: application/json by default when there is a body; null sends none. */
  contentType?: string | null;
  /** A raw body, sent as is instead of JSON.stringify(body). */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Read the status and headers only, and cancel the body (a stream such as SSE). */
  headOnly?: boolean;
};

/** A minimal HTTP client with its own cookie jar (cookies sent only if `sendCookies`). */
export class Jar {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly server: { url: string },
    private readonly sendCookies = true,
  ) {}

  /** How a request is sent: over the network here; in-process in AppClient. */
  protected send(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, init);
  }

  async call(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Res & { setCookies: string[] }> {
    const base = this.server.url;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const origin = opts.origin === undefined ? new URL(base).origin : opts.origin;
    if (origin !== null) headers.Origin = origin;
    if (opts.lang) headers['Accept-Language'] = opts.lang;
    const hasBody = body !== undefined || opts.raw !== undefined;
    const ct = opts.contentType === undefined ? (hasBody ? 'application/json' : null) : opts.contentType;
    if (ct !== null) headers['Content-Type'] = ct;
    if (this.sendCookies && this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const payload = opts.raw !== undefined ? opts.raw : body === undefined ? undefined : JSON.stringify(body);
    const res = await this.send(base + path, { method, headers, body: payload as BodyInit | undefined });
    const setCookies = res.headers.getSetCookie();
    for (const sc of setCookies) {
      const [kv, ...attrs] = sc.split(';');
      const i = kv!.indexOf('=');
      const name = kv!.slice(0, i).trim();
      const value = kv!.slice(i + 1);
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if (opts.headOnly) {
      await res.body?.cancel();
      return { status: res.status, json: null, headers: res.headers, setCookies };
    }
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json, headers: res.headers, setCookies };
  }

  /** A call that must succeed (2xx); returns the JSON body. */
  async ok(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<any> {
    const r = await this.call(method, path, body, opts);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  get(path: string, opts?: CallOptions) {
    return this.call('GET', path, undefined, opts);
  }
  post(path: string, body?: unknown, opts?: CallOptions) {
    return this.call('POST', path, body, opts);
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
export async function signIn(server: TestServer): Promise<Jar> {
  const sec = new Jar(server);
  await sec.ok('POST', '/api/secretary/login', { password: server.password });
  return sec;
}

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

/** A meeting set up by the secretary: roster imported and codes issued. */
export type Meeting = {
  readonly id: string;
  readonly title: string;
  readonly members: MemberView[];
  readonly codes: Map<string, string>;
  idOf(name: string): string;
  /** Names of the members of `kinds`, in roster order. */
  names(...kinds: MemberKind[]): string[];
};

/** Create a meeting, import the roster and issue every member's code. */
export async function setupMeeting(sec: Jar, members: RosterInput[], title = '县委常委会（测试）'): Promise<Meeting> {
  const { meeting } = await sec.ok('POST', '/api/meetings', { title });
  const { members: views } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const codeMap = new Map<string, string>(codes.map((c: { name: string; code: string }) => [c.name, c.code]));
  const ids = new Map<string, string>(views.map((m: MemberView) => [m.name, m.id]));
  return {
    id: meeting.id,
    title,
    members: views,
    codes: codeMap,
    idOf(name) {
      const id = ids.get(name);
      if (!id) throw new Error(`no member ${name}`);
      return id;
    },
    names(...kinds) {
      return views.filter((m: MemberView) => kinds.length === 0 || kinds.includes(m.kind)).map((m: MemberView) => m.name);
    },
  };
}

/** A member's tablet: its own cookie jar for check-in and issuance, and an anonymous jar for casts. */
export class Tablet {
  readonly jar: Jar;
  readonly anon: Jar;
  constructor(
    server: { url: string },
    readonly name: string,
    readonly memberId: string,
  ) {
    this.jar = new Jar(server);
    this.anon = new Jar(server, false);
  }

  /** Blind a fresh token, have it signed, unblind and check the signature. */
  async issue(ballot: { id: string; publicKey: string }): Promise<Token> {
    const st = blindToken(ballot.id);
    const { signed } = await this.jar.ok('POST', `/api/ballots/${ballot.id}/issue`, { blinded: toHex(st.blinded) });
    const signature = unblindSignature(st, fromHex(signed, 48, 'signed'), fromHex(ballot.publicKey, 96, 'publicKey'));
    return { ballotId: ballot.id, st, token: st.token, signature, blinded: st.blinded, signed };
  }
}

/** Check members in with their codes; returns their tablets by name. */
export async function checkIn(server: TestServer, meeting: Meeting, names: readonly string[]): Promise<Map<string, Tablet>> {
  const out = new Map<string, Tablet>();
  await Promise.all(
    names.map(async (name) => {
      const t = new Tablet(server, name, meeting.idOf(name));
      await t.jar.ok('POST', '/api/checkin', { code: meeting.codes.get(name) });
      out.set(name, t);
    }),
  );
  return new Map(names.map((n) => [n, out.get(n)!]));
}

/** A token as a tablet holds it after issuance. */
export type Token = {
  readonly ballotId: string;
  readonly st: BlindingState;
  readonly token: Uint8Array;
  readonly signature: Uint8Array;
  readonly blinded: Uint8Array;
  /** The blind signature S' the server answered, hex. */
  readonly signed: string;
};

/** A prepared cast: the body sent, and what the tablet keeps for the opening. */
export type Vote = {
  readonly ballotId: string;
  readonly token: Uint8Array;
  readonly choices: string[];
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  readonly body: { token: string; signature: string; commitment: string };
  readonly opening: { token: string; choices: string[]; salt: string };
};

/** Commit to `choices` with a fresh salt. */
export function prepareVote(tok: Token, choices: string[]): Vote {
  const salt = newSalt();
  const commitment = commit(tok.ballotId, tok.token, choices, salt);
  return {
    ballotId: tok.ballotId,
    token: tok.token,
    choices,
    salt,
    commitment,
    body: { token: toHex(tok.token), signature: toHex(tok.signature), commitment: toHex(commitment) },
    opening: { token: toHex(tok.token), choices, salt: toHex(salt) },
  };
}

/** Cast anonymously; the receipt must verify. */
export async function castVote(anon: Jar, vote: Vote): Promise<Receipt> {
  const { receipt } = await anon.ok('POST', `/api/ballots/${vote.ballotId}/cast`, vote.body);
  expect(verifyReceipt(receipt)).toBe(true);
  return receipt as Receipt;
}

/** Open a cast after close. */
export async function openVote(anon: Jar, vote: Vote): Promise<void> {
  await anon.ok('POST', `/api/ballots/${vote.ballotId}/openings`, vote.opening);
}

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

/** Create a draft ballot; returns its BallotView. */
export async function createBallot(sec: Jar, meetingId: string, spec: BallotSpec): Promise<any> {
  const { ballot } = await sec.ok('POST', `/api/meetings/${meetingId}/ballots`, {
    type: spec.type,
    title: spec.title ?? (spec.type === 'decision' ? '干部任免票决' : '征求全委会意见'),
    items: spec.items ?? items(1),
    ...(spec.rule ? { rule: spec.rule } : {}),
    ...(spec.recused ? { recused: spec.recused } : {}),
  });
  return ballot;
}

/** Open a ballot; returns its BallotView (with publicKey). */
export async function openBallot(sec: Jar, ballotId: string): Promise<any> {
  return (await sec.ok('POST', `/api/ballots/${ballotId}/open`)).ballot;
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
 * Play one ballot end to end: create, open, every voter takes a token, the voters with
 * choices cast, close, openings, finalise, fetch the bundle.
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
  const draft = await createBallot(sec, meeting.id, spec);
  const ballot = await openBallot(sec, draft.id);
  const tokens = new Map<string, Token>();
  await Promise.all(entries.map(async ([name]) => tokens.set(name, await tablets.get(name)!.issue(ballot))));
  const cast = new Map<string, Vote>();
  const receipts = new Map<string, Receipt>();
  for (const [name, choices] of entries) {
    if (choices === null) continue;
    const v = prepareVote(tokens.get(name)!, choices);
    cast.set(name, v);
    receipts.set(name, await castVote(tablets.get(name)!.anon, v));
  }
  await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
  await Promise.all([...cast].map(([name, v]) => openVote(tablets.get(name)!.anon, v)));
  const fin = await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
  const bundle = (await new Jar(server, false).ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
  return { ballot: fin.ballot, bundle, tokens, votes: cast, receipts };
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

/** A dump for "nothing changed" comparisons: session activity times left out, rows sorted. */
export function stateOf(dbPath: string): Record<string, string[]> {
  const dump = dumpDb(dbPath);
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(dump)) {
    out[t] = rows.map((r) => JSON.stringify(t === 'sessions' ? { ...r, last_seen_at: undefined } : r)).sort();
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
