// Ballot secrecy at rest and on the wire. After a whole meeting (a decision and a
// consultation) the SQLite file is opened read-only and every table dumped, and the raw
// bytes of the database and its WAL are searched, to show that nothing links a member to a
// token, commitment, opening or receipt: the casts table has no member, session, time or
// address column and no rowid; no token, token hash, commitment, signature or salt appears
// in any other table; issuances hold only hashes of blinded points; the ballot secret key is
// erased at close and its bytes are nowhere in the files; the casts' physical order in the
// file is not their arrival order. Before publication no response carries a per-item count.
import Database from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, castVote, checkIn, createBallot, dumpDb, firstEvent, keysNamed, openVote, prepareVote, roster, setupMeeting, signIn,
  startTestServer, tokenHashHex, type Meeting, type Tablet, type TestServer, type Token, type Vote,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablets: Map<string, Tablet>;

type Played = {
  id: string;
  secretKey: Buffer;
  tokens: Token[];
  votes: Vote[]; // in arrival order
  receipts: Receipt[];
  bundle: Bundle;
  walAfterClose: number;
  /** The database file right after close, before any opening. */
  fileAfterClose: Buffer;
};
const played: Played[] = [];
/** Every response seen before publication, to check for per-item counts. */
const views: { label: string; json: unknown }[] = [];
let sessionsUnchangedByCookieCast = false;
let filesWhileRunning: Buffer[] = [];

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Read the ballot secret key straight from the file while the ballot is open (the connection is closed at once). */
function readSecretKey(bid: string): Buffer {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT secret_key FROM ballots WHERE id = ?').get(bid) as { secret_key: Buffer }).secret_key;
  } finally {
    db.close();
  }
}

function sessionsRows(): unknown[] {
  return dumpDb(server.dbPath).sessions!;
}

async function snapshotViews(when: string, bid: string): Promise<void> {
  const anyTablet = tablets.values().next().value as Tablet;
  views.push(
    { label: `${when}: secretary meeting`, json: await sec.ok('GET', `/api/meetings/${meeting.id}`) },
    { label: `${when}: secretary meetings`, json: await sec.ok('GET', '/api/meetings') },
    { label: `${when}: ballot`, json: await anon.ok('GET', `/api/ballots/${bid}`) },
    { label: `${when}: screen`, json: await anon.ok('GET', `/api/meetings/${meeting.id}/screen`) },
    { label: `${when}: tablet`, json: await anyTablet.jar.ok('GET', '/api/tablet') },
    { label: `${when}: events`, json: await firstEvent(server, meeting.id) },
  );
}

async function play(type: 'decision' | 'consultation', voters: string[], choose: (i: number) => string[] | null): Promise<void> {
  const draft = await createBallot(sec, meeting.id, { type, items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  const openRes = await sec.ok('POST', `/api/ballots/${draft.id}/open`);
  views.push({ label: `${type}: open response`, json: openRes });
  const ballot = openRes.ballot;
  const secretKey = readSecretKey(ballot.id);
  expect(secretKey).toHaveLength(32);
  const tokens = await Promise.all(voters.map((n) => tablets.get(n)!.issue(ballot)));
  const votes: Vote[] = [];
  const receipts: Receipt[] = [];
  // Casts arrive one by one, in an order scrambled against their token hashes (rank i·k mod n
  // in arrival i), so any layout that follows the hash order differs from the arrival order.
  const casters = voters.map((_, i) => i).filter((i) => choose(i) !== null);
  const byHash = [...casters].sort((a, b) => (tokenHashHex(ballot.id, tokens[a]!.token) < tokenHashHex(ballot.id, tokens[b]!.token) ? -1 : 1));
  const n = byHash.length;
  let k = 3;
  while (gcd(k, n) !== 1) k++;
  const arrival = byHash.map((_, i) => byHash[(i * k) % n]!);
  for (const [j, i] of arrival.entries()) {
    const v = prepareVote(tokens[i]!, choose(i)!);
    votes.push(v);
    if (j === 0) {
      // This tablet (wrongly) sends its cookie with the cast: nothing about its session changes.
      const before = sessionsRows();
      const { receipt } = await tablets.get(voters[i]!)!.jar.ok('POST', `/api/ballots/${ballot.id}/cast`, v.body);
      receipts.push(receipt);
      sessionsUnchangedByCookieCast = JSON.stringify(sessionsRows()) === JSON.stringify(before);
    } else receipts.push(await castVote(tablets.get(voters[i]!)!.anon, v));
    if (j === 2) await snapshotViews(`${type} open`, ballot.id);
  }
  const closeRes = await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
  views.push({ label: `${type}: close response`, json: closeRes });
  const wal = `${server.dbPath}-wal`;
  const walAfterClose = existsSync(wal) ? statSync(wal).size : 0;
  const fileAfterClose = readFileSync(server.dbPath);
  for (const v of votes.slice(0, 3)) await openVote(anon, v);
  await snapshotViews(`${type} closed, some openings in`, ballot.id);
  for (const v of votes.slice(3)) await openVote(anon, v);
  await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
  const bundle = (await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
  expect(verifyBundle(bundle).ok).toBe(true);
  played.push({ id: ballot.id, secretKey, tokens, votes, receipts, bundle, walAfterClose, fileAfterClose });
}

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  meeting = await setupMeeting(sec, roster({ standing: 9, full: 4, alternate: 2 }), '县委全体会议（保密性）');
  tablets = await checkIn(server, meeting, meeting.names());
  const opts = ['agree', 'disagree', 'abstain'];
  // Decision: 9 standing members issued, 8 cast (the last takes a token and does not cast).
  await play('decision', meeting.names('standing'), (i) => (i === 8 ? null : [opts[i % 3]!, opts[(i + 1) % 3]!]));
  // Consultation: all 15 members, all cast.
  await play('consultation', meeting.names(), (i) => [opts[(i * 7) % 3]!, opts[i % 2]!]);
  filesWhileRunning = [readFileSync(server.dbPath), ...(existsSync(`${server.dbPath}-wal`) ? [readFileSync(`${server.dbPath}-wal`)] : [])];
}, 180_000);
afterAll(async () => server?.dispose());

/** Hex strings that must not appear outside the casts table (and the published bundle). */
function castSecrets() {
  const s = { token: [] as string[], tokenHash: [] as string[], commitment: [] as string[], signature: [] as string[], salt: [] as string[] };
  for (const p of played)
    for (const v of p.votes) {
      s.token.push(toHex(v.token));
      s.tokenHash.push(tokenHashHex(p.id, v.token));
      s.commitment.push(toHex(v.commitment));
      s.signature.push(v.body.signature);
      s.salt.push(toHex(v.salt));
    }
  return s;
}

/** Hex strings that must appear nowhere at all: what only the tablet and the wire ever saw. */
function wireSecrets() {
  return {
    blinded: played.flatMap((p) => p.tokens.map((t) => toHex(t.blinded))),
    blindSignature: played.flatMap((p) => p.tokens.map((t) => t.signed)),
    receiptSignature: played.flatMap((p) => p.receipts.map((r) => r.signature)),
    blindingFactor: played.flatMap((p) => p.tokens.map((t) => toHex(t.st.r))),
    uncastToken: played.flatMap((p) => p.tokens.filter((t) => !p.votes.some((v) => toHex(v.token) === toHex(t.token))).map((t) => toHex(t.token))),
    ballotSecretKey: played.map((p) => toHex(p.secretKey)),
  };
}

function cells(row: Record<string, unknown>, skip: string[] = []): [string, string][] {
  return Object.entries(row).filter(([k]) => !skip.includes(k)).map(([k, v]) => [k, v === null ? '' : String(v)]);
}

describe('secrecy of the stored data after a whole meeting', () => {
  it('the meeting played: 8 of 9 and 15 of 15 cast, both bundles verify', () => {
    expect(played.map((p) => [p.votes.length, p.tokens.length])).toEqual([[8, 9], [15, 15]]);
    expect(played.map((p) => p.bundle.tally.valid)).toEqual([8, 15]);
  });

  it('the casts table has only ballot, token hash, token, signature, commitment, choices, salt — no member, session, time or address — and no rowid', () => {
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const cols = (db.prepare('PRAGMA table_info(casts)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(['ballot_id', 'token_hash', 'token', 'signature', 'commitment', 'choices', 'salt']);
      for (const c of cols) expect(c).not.toMatch(/member|user|session|sid|time|date|created|seen|ip|addr|agent|seq|order|row/i);
      expect(() => db.prepare('SELECT rowid FROM casts').all()).toThrow(/no such column: rowid/);
      expect(() => db.prepare('SELECT _rowid_ FROM casts').all()).toThrow(/no such column/);
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'casts'").get() as { sql: string }).sql;
      expect(sql).toMatch(/WITHOUT ROWID\s*$/i);
      const extra = db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'casts' AND name <> 'casts'").all();
      expect(extra).toEqual([]); // no index or trigger on casts
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')").all()).toEqual([]);
      const issuanceCols = (db.prepare('PRAGMA table_info(issuances)').all() as { name: string }[]).map((c) => c.name);
      expect(issuanceCols).toEqual(['ballot_id', 'member_id', 'blinded_hash', 'issued', 'allowed']);
    } finally {
      db.close();
    }
  });

  it('casts hold exactly the accepted casts and nothing a tablet kept to itself', () => {
    const dump = dumpDb(server.dbPath);
    const rows = dump.casts!;
    const s = castSecrets();
    expect(rows.map((r) => r.token_hash).sort()).toEqual([...s.tokenHash].sort());
    expect(rows.map((r) => r.token).sort()).toEqual([...s.token].sort());
    const forbidden = Object.values(wireSecrets()).flat();
    const memberIds = meeting.members.map((m) => m.id);
    for (const row of rows)
      for (const [col, value] of cells(row)) {
        for (const f of forbidden) expect(value.includes(f), `casts.${col}`).toBe(false);
        for (const m of memberIds) expect(value.includes(m), `casts.${col} names a member`).toBe(false);
      }
  });

  it('no token, token hash, commitment, signature or salt appears in any row of any other table (the published bundle aside)', () => {
    const dump = dumpDb(server.dbPath);
    expect(Object.keys(dump).sort()).toEqual(expect.arrayContaining(['ballots', 'casts', 'issuances', 'meetings', 'members', 'sessions', 'settings']));
    const secrets = Object.entries({ ...castSecrets(), ...wireSecrets() });
    let checked = 0;
    for (const [table, rows] of Object.entries(dump)) {
      if (table === 'casts') continue;
      for (const row of rows)
        for (const [col, value] of cells(row, table === 'ballots' ? ['bundle'] : [])) {
          for (const [kind, list] of secrets) for (const x of list) expect(value.includes(x), `${kind} found in ${table}.${col}`).toBe(false);
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('issuances hold only SHA-256 hashes of the blinded points sent, equal to no token, token hash, commitment or signature', () => {
    const dump = dumpDb(server.dbPath);
    const rows = dump.issuances!;
    expect(rows).toHaveLength(9 + 15);
    const sent = played.flatMap((p) => p.tokens.map((t) => toHex(sha256(t.blinded))));
    expect(rows.map((r) => r.blinded_hash).sort()).toEqual([...sent].sort());
    const s = castSecrets();
    const others = new Set([...s.token, ...s.tokenHash, ...s.commitment, ...s.signature, ...s.salt, ...s.token.map((t) => toHex(sha256(Buffer.from(t, 'hex'))))]);
    for (const r of rows) {
      expect(others.has(r.blinded_hash as string)).toBe(false);
      expect(Object.keys(r).sort()).toEqual(['allowed', 'ballot_id', 'blinded_hash', 'issued', 'member_id']);
      expect([r.issued, r.allowed]).toEqual([1, 1]);
    }
  });

  it('the ballot secret key is NULL after close and its bytes appear nowhere in the database or WAL file (running, and after shutdown)', async () => {
    for (const row of dumpDb(server.dbPath).ballots!) {
      expect(row.secret_key).toBeNull();
      expect(row.public_key).toMatch(/^[0-9a-f]{192}$/);
    }
    for (const p of played) expect(p.walAfterClose, 'the WAL is checkpointed and truncated at close').toBe(0);
    const needles = (hex: string) => [Buffer.from(hex, 'hex'), Buffer.from(hex)];
    const wire = wireSecrets();
    const check = (files: Buffer[], when: string) => {
      expect(files[0]!.length).toBeGreaterThan(4096);
      for (const file of files) {
        for (const k of wire.ballotSecretKey) for (const n of needles(k)) expect(file.indexOf(n), `secret key in file ${when}`).toBe(-1);
        for (const [kind, list] of Object.entries(wire)) for (const x of list) expect(file.indexOf(Buffer.from(x)), `${kind} in file ${when}`).toBe(-1);
      }
    };
    check(filesWhileRunning, 'while running');
    await server.stop();
    check([readFileSync(server.dbPath), ...(existsSync(`${server.dbPath}-wal`) ? [readFileSync(`${server.dbPath}-wal`)] : [])], 'after shutdown');
    await server.restart();
  });

  it('the file does not keep the casts in arrival order (cell positions are not the cast order), right after close and at the end', () => {
    const final = readFileSync(server.dbPath);
    for (const p of played)
      for (const [when, file] of [['right after close', p.fileAfterClose], ['after publication', final]] as const) {
        const arrival = p.votes.map((v) => tokenHashHex(p.id, v.token));
        const offsets = arrival.map((h) => {
          const at = file.indexOf(Buffer.from(h));
          expect(at, when).toBeGreaterThan(0);
          expect(file.indexOf(Buffer.from(h), at + 1), `${when}: a token hash is stored once`).toBe(-1);
          return at;
        });
        const byPosition = arrival.map((h, i) => ({ h, at: offsets[i]! })).sort((a, b) => a.at - b.at).map((x) => x.h);
        expect(byPosition, `${when}: file order = arrival order`).not.toEqual(arrival);
        expect(byPosition, `${when}: file order = reverse arrival order`).not.toEqual([...arrival].reverse());
      }
  });

  it('bundles list casts sorted by token hash, with no member link and nothing of the wire', () => {
    const wire = Object.values(wireSecrets()).flat();
    for (const p of played) {
      const hashes = p.bundle.ballots.map((b) => tokenHashHex(p.id, Buffer.from(b.token, 'hex')));
      expect(hashes).toEqual([...hashes].sort());
      expect(new Set(hashes).size).toBe(hashes.length);
      expect(hashes).not.toEqual(p.votes.map((v) => tokenHashHex(p.id, v.token))); // not arrival order
      for (const b of p.bundle.ballots) expect(Object.keys(b).sort()).toEqual(['commitment', 'opening', 'signature', 'token']);
      for (const m of p.bundle.roster) expect(Object.keys(m).sort()).toEqual(['issued', 'kind', 'memberId', 'name', 'present']);
      const text = JSON.stringify(p.bundle);
      for (const x of wire) expect(text.includes(x)).toBe(false);
    }
  });

  it('a cast sent with a tablet cookie attached changed nothing in the sessions table', () => {
    expect(sessionsUnchangedByCookieCast).toBe(true);
  });
});

/** `json` with every ballot view of a published (or void) ballot left out; their ids are added to `seen`. */
function withoutPublished(json: unknown, seen: Set<string>): unknown {
  if (Array.isArray(json)) return json.map((x) => withoutPublished(x, seen)).filter((x) => x !== undefined);
  if (json && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    if ('result' in o && (o.status === 'published' || o.status === 'void')) {
      seen.add(o.id as string);
      return undefined;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withoutPublished(v, seen)]));
  }
  return json;
}

describe('no per-item count before publication', () => {
  it('every secretary, tablet, public and SSE view while open and while closed has result null and no counts, tally or per-option figure', () => {
    expect(views.length).toBeGreaterThanOrEqual(2 * (2 + 2 * 6));
    const published = new Set<string>();
    for (const { label, json } of views) {
      // Ballot views of ballots published earlier carry their result; every other one must not.
      const unpublished = withoutPublished(json, published);
      for (const key of ['counts', 'tally', 'agree', 'disagree', 'abstain', 'choices', 'salt', 'valid', 'invalid'])
        expect(keysNamed(unpublished, key), `${label}: ${key}`).toEqual([]);
      if (!label.endsWith('secretary meetings')) expect(keysNamed(unpublished, 'result').length, `${label} has ballot views`).toBeGreaterThan(0);
      expect(JSON.stringify(unpublished), label).not.toMatch(/"result":(?!null)/);
    }
    expect([...published]).toEqual([played[0]!.id]); // only the decision, seen while the consultation ran
  });

  it('while open the live figures are entitled, present, issued and cast only; the result appears once published', async () => {
    const open = views.find((v) => v.label === 'decision open: ballot')!.json as Record<string, unknown>;
    expect(open).toMatchObject({ status: 'open', entitled: 9, present: 9, issued: 9, cast: 3, openings: 0, result: null });
    const closed = views.find((v) => v.label === 'decision closed, some openings in: ballot')!.json as Record<string, unknown>;
    expect(closed).toMatchObject({ status: 'closed', cast: 8, openings: 3, result: null });
    const published = await anon.ok('GET', `/api/ballots/${played[0]!.id}`);
    expect(published.status).toBe('published');
    expect(published.result).toEqual(played[0]!.bundle.tally);
  });
});
