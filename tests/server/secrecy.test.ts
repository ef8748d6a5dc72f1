// Ballot secrecy at rest and on the wire (piaojue/2). After a whole meeting (a decision and a
// consultation) the SQLite file is opened read-only and every table dumped, and the raw bytes
// of the database and its WAL are searched, to show that nothing links a member to a token,
// sealed ballot or receipt: the casts table has no member, session, time or address column and
// no rowid; no token, token hash, σ, sealed ballot or commitment appears in any other table;
// issuances hold only the blinded points (and their hashes); the cast key is erased at close
// and the partial signatures at publication, their bytes nowhere in the files; the scrutineer
// devices' secrets and key shares never reach the server; the casts' physical order in the file
// is not their arrival order. Before publication no response carries a per-item count or a
// decryption factor.
import Database from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combinePartials, fromHex, toHex, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, castPath, castVote, checkIn, createBallot, dumpDb, firstEvent, issueAll, keysNamed, openBallot, prepareVote, roster, setupMeeting,
  signIn, startTestServer, tokenHashHex, waitForBundle, type Meeting, type Tablet, type TestServer, type Token, type Vote,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablets: Map<string, Tablet>;

type Played = {
  id: string;
  castKey: Buffer;
  tokens: Token[];
  votes: Vote[]; // in arrival order
  receipts: Receipt[];
  partials: string[];
  bundle: Bundle;
  /** The WAL right after close: the sums written after the checkpoint that erased the cast key. */
  walAfterClose: Buffer;
  /** The database file right after close, before any decryption. */
  fileAfterClose: Buffer;
};
const played: Played[] = [];
/** Every response seen before publication, to check for per-item counts. */
const views: { label: string; json: unknown }[] = [];
let sessionsUnchangedByCookieCast = false;
let filesWhileRunning: Buffer[] = [];

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Read the cast key straight from the file while the ballot is open (the connection is closed at once). */
function readCastKey(bid: string): Buffer {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT cast_key FROM ballots WHERE id = ?').get(bid) as { cast_key: Buffer }).cast_key;
  } finally {
    db.close();
  }
}

function sessionsRows(): unknown[] {
  return dumpDb(server.dbPath).sessions!;
}

function files(): Buffer[] {
  return [readFileSync(server.dbPath), ...(existsSync(`${server.dbPath}-wal`) ? [readFileSync(`${server.dbPath}-wal`)] : [])];
}

async function snapshotViews(when: string, bid: string): Promise<void> {
  const anyTablet = tablets.values().next().value as Tablet;
  views.push(
    { label: `${when}: secretary meeting`, json: await sec.ok('GET', `/api/meetings/${meeting.id}`) },
    { label: `${when}: secretary meetings`, json: await sec.ok('GET', '/api/meetings') },
    { label: `${when}: ballot`, json: await anon.ok('GET', `/api/ballots/${bid}`) },
    { label: `${when}: screen`, json: await anon.ok('GET', `/api/meetings/${meeting.id}/screen`) },
    { label: `${when}: tablet`, json: await anyTablet.jar.ok('GET', '/api/tablet') },
    { label: `${when}: scrutineer device`, json: await meeting.devices[2]!.jar.ok('GET', '/api/scrutineer') },
    { label: `${when}: events`, json: await firstEvent(server, meeting.id) },
  );
}

async function play(type: 'decision' | 'consultation', voters: string[], choose: (i: number) => string[] | null): Promise<void> {
  const draft = await createBallot(sec, meeting.id, { type, items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  const ballot = await openBallot(sec, meeting, draft.id);
  views.push({ label: `${type}: open response`, json: { ballot } });
  const castKey = readCastKey(ballot.id);
  expect(castKey).toHaveLength(32);
  const tokens = await issueAll(voters.map((n) => tablets.get(n)!), ballot, meeting.devices);
  const partials = tokens.flatMap((t) => t.partials.map((p) => p.partial));
  // The searches below can find what is there: while open, the cast key and the partials are on disk.
  expect(files().some((f) => f.indexOf(castKey) >= 0), 'cast key on disk while open').toBe(true);
  expect(files().some((f) => f.indexOf(Buffer.from(partials[0]!)) >= 0), 'a partial on disk while open').toBe(true);
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
      const { receipt } = await tablets.get(voters[i]!)!.jar.ok('POST', castPath(ballot.id), v.body);
      receipts.push(receipt);
      sessionsUnchangedByCookieCast = JSON.stringify(sessionsRows()) === JSON.stringify(before);
    } else receipts.push(await castVote(tablets.get(voters[i]!)!.anonJar, v));
    if (j === 2) await snapshotViews(`${type} open`, ballot.id);
  }
  const closeRes = await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
  views.push({ label: `${type}: close response`, json: closeRes });
  const wal = `${server.dbPath}-wal`;
  const walAfterClose = existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0);
  const fileAfterClose = readFileSync(server.dbPath);
  await snapshotViews(`${type} closed`, ballot.id);
  expect(await meeting.devices[0]!.step()).toBe(true); // one decryption share of t = 2
  await snapshotViews(`${type} closed, one decryption share in`, ballot.id);
  expect(await meeting.devices[1]!.step()).toBe(true);
  const bundle = await waitForBundle(anon, ballot.id);
  await meeting.devices[2]!.step(); // too late: not needed
  expect(verifyBundle(bundle).ok).toBe(true);
  played.push({ id: ballot.id, castKey, tokens, votes, receipts, partials, bundle, walAfterClose, fileAfterClose });
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
  filesWhileRunning = files();
}, 180_000);
afterAll(async () => server?.dispose());

/** Hex strings that must not appear outside the casts table (and the published bundle). */
function castSecrets() {
  const s = { token: [] as string[], tokenHash: [] as string[], commitment: [] as string[], signature: [] as string[], sealed: [] as string[] };
  for (const p of played)
    for (const v of p.votes) {
      s.token.push(v.body.token);
      s.tokenHash.push(tokenHashHex(p.id, v.token));
      s.commitment.push(v.body.commitment);
      s.signature.push(v.body.signature);
      s.sealed.push(v.body.sealed);
    }
  return s;
}

/** Hex strings that must appear nowhere at all: what only a tablet or a scrutineer device ever held. */
function deviceSecrets() {
  return {
    blindingFactor: played.flatMap((p) => p.tokens.map((t) => toHex(t.st.r))),
    combinedBlindSignature: played.flatMap((p) =>
      p.tokens.map((t) => toHex(combinePartials(t.partials.slice(0, meeting.t).map((x) => ({ index: x.index, partial: fromHex(x.partial, 48, 'p') }))))),
    ),
    receiptSignature: played.flatMap((p) => p.receipts.map((r) => r.signature)),
    uncastToken: played.flatMap((p) => p.tokens.filter((t) => !p.votes.some((v) => toHex(v.token) === toHex(t.token))).map((t) => toHex(t.token))),
    scrutineerSigningSecret: meeting.devices.map((d) => d.state!.signingSecret),
    scrutineerEncryptionSecret: meeting.devices.map((d) => d.state!.encryptionSecret),
    tokenKeyShare: meeting.devices.map((d) => d.state!.shares!.token),
    electionKeyShare: meeting.devices.map((d) => d.state!.shares!.election),
  };
}

/** Hex strings the server held for a while and erased: the cast keys (at close) and the partial signatures (at publication). */
function erased() {
  return { castKey: played.map((p) => toHex(p.castKey)), partial: played.flatMap((p) => p.partials) };
}

function cells(row: Record<string, unknown>, skip: string[] = []): [string, string][] {
  return Object.entries(row).filter(([k]) => !skip.includes(k)).map(([k, v]) => [k, v === null ? '' : String(v)]);
}

const needles = (hex: string) => [Buffer.from(hex, 'hex'), Buffer.from(hex)];

describe('secrecy of the stored data after a whole meeting', () => {
  it('the meeting played: 8 of 9 and 15 of 15 cast, both bundles verify', () => {
    expect(played.map((p) => [p.votes.length, p.tokens.length])).toEqual([[8, 9], [15, 15]]);
    expect(played.map((p) => p.bundle.tally.valid)).toEqual([8, 15]);
  });

  it('the casts table has only ballot, token hash, token, signature, sealed ballot, commitment — no member, session, time or address — and no rowid', () => {
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const cols = (db.prepare('PRAGMA table_info(casts)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(['ballot_id', 'token_hash', 'token', 'signature', 'sealed', 'commitment']);
      for (const c of cols) expect(c).not.toMatch(/member|user|session|sid|time|date|created|seen|ip|addr|agent|seq|order|row/i);
      expect(() => db.prepare('SELECT rowid FROM casts').all()).toThrow(/no such column: rowid/);
      expect(() => db.prepare('SELECT _rowid_ FROM casts').all()).toThrow(/no such column/);
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'casts'").get() as { sql: string }).sql;
      expect(sql).toMatch(/WITHOUT ROWID\s*$/i);
      const extra = db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'casts' AND name <> 'casts'").all();
      expect(extra).toEqual([]); // no index or trigger on casts
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')").all()).toEqual([]);
      const issuanceCols = (db.prepare('PRAGMA table_info(issuances)').all() as { name: string }[]).map((c) => c.name);
      expect(issuanceCols).toEqual(['ballot_id', 'member_id', 'blinded_hash', 'blinded', 'issued', 'allowed']);
    } finally {
      db.close();
    }
  });

  it('casts hold exactly the accepted casts and nothing a tablet or a device kept to itself', () => {
    const dump = dumpDb(server.dbPath);
    const rows = dump.casts!;
    const s = castSecrets();
    expect(rows.map((r) => r.token_hash).sort()).toEqual([...s.tokenHash].sort());
    expect(rows.map((r) => r.sealed).sort()).toEqual([...s.sealed].sort());
    const forbidden = Object.values({ ...deviceSecrets(), ...erased() }).flat();
    const memberIds = meeting.members.map((m) => m.id);
    for (const row of rows)
      for (const [col, value] of cells(row)) {
        for (const f of forbidden) expect(value.includes(f), `casts.${col}`).toBe(false);
        for (const m of memberIds) expect(value.includes(m), `casts.${col} names a member`).toBe(false);
      }
  });

  it('no token, token hash, σ, sealed ballot or commitment appears in any row of any other table (the published bundle aside)', () => {
    const dump = dumpDb(server.dbPath);
    expect(Object.keys(dump).sort()).toEqual(expect.arrayContaining(['ballots', 'casts', 'issuances', 'issuance_logs', 'partials', 'decryptions', 'ceremonies', 'scrutineers', 'meetings', 'members', 'sessions', 'settings']));
    const secrets = Object.entries({ ...castSecrets(), ...deviceSecrets(), ...erased() });
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
    expect(dump.partials).toEqual([]); // erased at publication
  });

  it('issuances hold the blinded points sent and their SHA-256, equal to no token, token hash, commitment or σ', () => {
    const rows = dumpDb(server.dbPath).issuances!;
    expect(rows).toHaveLength(9 + 15);
    const sent = played.flatMap((p) => p.tokens.map((t) => toHex(t.blinded)));
    expect(rows.map((r) => r.blinded).sort()).toEqual([...sent].sort());
    for (const r of rows) expect(r.blinded_hash).toBe(toHex(sha256(Buffer.from(r.blinded as string, 'hex'))));
    const s = castSecrets();
    const others = new Set([...s.token, ...s.tokenHash, ...s.commitment, ...s.signature, ...s.token.map((t) => toHex(sha256(Buffer.from(t, 'hex'))))]);
    for (const r of rows) {
      expect(others.has(r.blinded_hash as string)).toBe(false);
      expect(others.has(r.blinded as string)).toBe(false);
      expect(Object.keys(r).sort()).toEqual(['allowed', 'ballot_id', 'blinded', 'blinded_hash', 'issued', 'member_id']);
      expect([r.issued, r.allowed]).toEqual([1, 1]);
    }
  });

  it('the cast key is NULL after close and the partials are gone after publication; their bytes, and the devices\' secrets and key shares, appear nowhere in the database or WAL file (running, and after shutdown)', async () => {
    for (const row of dumpDb(server.dbPath).ballots!) {
      expect(row.cast_key).toBeNull();
      expect(row.public_key).toMatch(/^[0-9a-f]{192}$/);
    }
    for (const p of played)
      for (const n of needles(toHex(p.castKey))) {
        expect(p.fileAfterClose.indexOf(n), 'cast key in the file right after close').toBe(-1);
        expect(p.walAfterClose.indexOf(n), 'cast key in the WAL right after close').toBe(-1);
      }
    const check = (fs: Buffer[], when: string) => {
      expect(fs[0]!.length).toBeGreaterThan(4096);
      for (const file of fs)
        for (const [kind, list] of Object.entries({ ...deviceSecrets(), ...erased() }))
          for (const x of list) for (const n of needles(x)) expect(file.indexOf(n), `${kind} in file ${when}`).toBe(-1);
    };
    check(filesWhileRunning, 'while running');
    await server.stop();
    check(files(), 'after shutdown');
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

  it('bundles list casts sorted by token hash, with no member link and nothing a tablet or a device kept to itself', () => {
    const hidden = Object.values({ ...deviceSecrets(), ...erased() }).flat();
    for (const p of played) {
      const hashes = p.bundle.ballots.map((b) => tokenHashHex(p.id, Buffer.from(b.token, 'hex')));
      expect(hashes).toEqual([...hashes].sort());
      expect(new Set(hashes).size).toBe(hashes.length);
      expect(hashes).not.toEqual(p.votes.map((v) => tokenHashHex(p.id, v.token))); // not arrival order
      for (const b of p.bundle.ballots) expect(Object.keys(b).sort()).toEqual(['commitment', 'sealed', 'signature', 'token']);
      for (const m of p.bundle.roster) expect(Object.keys(m).sort()).toEqual(['issued', 'kind', 'memberId', 'name', 'present']);
      const text = JSON.stringify(p.bundle);
      for (const x of hidden) expect(text.includes(x)).toBe(false);
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
    if ('status' in o && 'id' in o && (o.status === 'published' || o.status === 'void')) {
      seen.add(o.id as string);
      return undefined;
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withoutPublished(v, seen)]));
  }
  return json;
}

describe('no per-item count before publication', () => {
  it('every secretary, tablet, device, public and SSE view while open and while closed has result null and no counts, tally, per-option figure or decryption factor', () => {
    expect(views.length).toBeGreaterThanOrEqual(2 * (2 + 3 * 7));
    const published = new Set<string>();
    for (const { label, json } of views) {
      // Ballot views of ballots published earlier carry their result; every other one must not.
      const unpublished = withoutPublished(json, published);
      for (const key of ['counts', 'tally', 'agree', 'disagree', 'abstain', 'choices', 'valid', 'invalid', 'factors', 'proofs', 'decryption'])
        expect(keysNamed(unpublished, key), `${label}: ${key}`).toEqual([]);
      if (!/secretary meetings|scrutineer device/.test(label)) expect(keysNamed(unpublished, 'result').length, `${label} has ballot views`).toBeGreaterThan(0);
      expect(JSON.stringify(unpublished), label).not.toMatch(/"result":(?!null)/);
    }
    expect([...published]).toEqual([played[0]!.id]); // only the decision, seen while the consultation ran
  });

  it('while open the live figures are entitled, present, issued and cast only; closed, the decryptions so far; the result appears once published', async () => {
    const open = views.find((v) => v.label === 'decision open: ballot')!.json as Record<string, unknown>;
    expect(open).toMatchObject({ status: 'open', entitled: 9, present: 9, issued: 9, cast: 3, confirmations: 3, decryptions: 0, result: null });
    const closed = views.find((v) => v.label === 'decision closed, one decryption share in: ballot')!.json as Record<string, unknown>;
    expect(closed).toMatchObject({ status: 'closed', cast: 8, decryptions: 1, result: null });
    const published = await anon.ok('GET', `/api/ballots/${played[0]!.id}`);
    expect(published.status).toBe('published');
    expect(published.result).toEqual(played[0]!.bundle.tally);
  });
});
