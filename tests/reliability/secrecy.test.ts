// Secrecy (issue 6.5) and the attackers of issue 9 who hold the server's side or a tablet.
//
// The meeting: the real server process (`node --import tsx server/main.ts`, PIAOJUE_LOG=debug,
// stdout and stderr captured) behind a logging proxy that records every request — source port,
// time, headers, body size — and every answer's headers, as an operator with a capture would.
// 15 members, 14 present, 3 scrutineer devices (t = 2) that talk to the server through the proxy
// like everyone else; a decision ballot (8 issued, 7 cast) and a consultation ballot (14 issued,
// 13 cast). The database, its WAL and the log are copied while each ballot is open (every cast
// in) and after the meeting.
//
// What is checked:
// - the database, its indexes, its WAL and the log hold nothing that links a member (id, name,
//   code, session, blinded point) to a cast (token, token hash, σ, sealed ballot, commitment,
//   receipt); no answer carries a count per item before publication (as in issue 6);
// - the operator with everything (issue 9, 1): every 32-byte string in every committed state of
//   the copies (each WAL commit replayed), the raw pages and the log is tried as a key: none mints
//   (s·g2 is not the token key, a public share pk_j or a dealer's commitment), none decrypts
//   (x·G is not the election key, a public share X_j, a device's encryption key or a dealer's
//   commitment), none is a device's signing key; even with a perfect member→cast link, every
//   candidate tried as a decryption key or as encryption randomness on each member's sealed
//   ballot gives no small discrete log — and the same attack with t device shares recovers every
//   vote, with one share none; the casts of different tablets carry identical headers (no cookie,
//   no language) and bodies of one size per ballot; the cast answer says `Connection: close`;
// - the coercer with a tablet's storage (issue 9, 3): what a tablet keeps after a cast finds the
//   member's sealed ballot in the bundle, and nothing in it decrypts it.
import { ed25519 } from '@noble/curves/ed25519.js';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE, Fr, G2, APPROVAL_OPTIONS, RP, ballotShape, checkReceipt, compareBytes, decodeElement, discreteLog, fromHex, lagrangeAtZero,
  packedDigits, packedValues, parseSealedBallot, sealedCiphertexts, toHex, tokenHash, verifyBundle, verifyCeremonyRecord,
  type BallotKeys, type Bundle, type Ciphertext, type Element, type PreparedCast, type Receipt,
} from '../../crypto/index.ts';
import {
  Client, PASSWORD, castDef, checkInAll, closeAndPublish, firstEvent, issueAll, keysNamed, occurring, openNewBallot, rawPages, readOnly, roster,
  setupRoom, sha256Hex, spawnServer, startLoggingProxy, tempDir, tokenHashHex, dumpDb,
  type ChildServer, type Room, type Seen, type Tablet, type Tok,
} from '../helpers/reliability.ts';

let server: ChildServer;
let proxy: Awaited<ReturnType<typeof startLoggingProxy>>;
let sec: Client;
let anon: Client;
let room: Room;
let tablets: Map<string, Tablet>;
let reissuedCode = '';
const work = tempDir('piaojue-secrecy-');

type CastRec = { name: string; memberId: string; tok: Tok; keys: BallotKeys; prepared: PreparedCast; receipt: Receipt; choices: string[] };
type PlayedBallot = { id: string; type: string; itemCount: number; tokens: { name: string; tok: Tok }[]; casts: CastRec[]; bundle: Bundle };
const played: PlayedBallot[] = [];
const views: { label: string; json: unknown }[] = []; // every answer seen before publication
const pageChecks: { when: string; problems: string[] }[] = [];
type Copy = { when: string; dir: string; db: string; wal: string | null; log: string };
const copies: Copy[] = [];

/** The operator copies the database, its WAL and the log. */
function copyAll(when: string): void {
  const dir = join(work, `copy${copies.length}`);
  mkdirSync(dir);
  const db = join(dir, 'piaojue.db');
  copyFileSync(server.dbPath, db);
  const wal = existsSync(`${server.dbPath}-wal`) ? join(dir, 'piaojue.db-wal.copy') : null;
  if (wal) copyFileSync(`${server.dbPath}-wal`, wal);
  copies.push({ when, dir, db, wal, log: server.output.join('') });
}

/** Every read a member, a scrutineer, the secretary or the public can make, as each of them. */
async function sweep(when: string, bid: string): Promise<void> {
  const t = tablets.values().next().value as Tablet;
  const reads: [string, Client | { get(p: string): Promise<{ json: unknown }> }, string][] = [
    ['secretary: meetings', sec, '/api/meetings'], ['secretary: meeting', sec, `/api/meetings/${room.id}`], ['secretary: me', sec, '/api/secretary/me'],
    ['tablet: state', t.jar, '/api/tablet'], ['tablet: ballot', t.jar, `/api/ballots/${bid}`], ['tablet: screen', t.jar, `/api/meetings/${room.id}/screen`],
    ['public: ballot', anon, `/api/ballots/${bid}`], ['public: screen', anon, `/api/meetings/${room.id}/screen`], ['public: bundle', anon, `/api/ballots/${bid}/bundle`],
  ];
  for (const [label, jar, path] of reads) views.push({ label: `${when}: ${label}`, json: (await jar.get(path)).json });
  for (const d of room.devices) {
    views.push({ label: `${when}: scrutineer ${d.index}: state`, json: await d.jar.ok('GET', '/api/scrutineer') });
    views.push({ label: `${when}: scrutineer ${d.index}: requests`, json: await d.jar.ok('GET', '/api/scrutineer/requests') });
  }
  views.push({ label: `${when}: events`, json: await firstEvent(server, room.id) });
}

/** Cast-side and member-side values known so far. */
function secrets() {
  const dump = dumpDb(server.dbPath);
  const s = {
    token: [] as string[], tokenHash: [] as string[], commitment: [] as string[], sigma: [] as string[], sealed: [] as string[], mac: [] as string[],
    receiptSignature: [] as string[], blinded: [] as string[], r: [] as string[], castKey: [] as string[],
    memberId: room.members.map((m) => m.id), memberName: room.members.map((m) => m.name),
    codeHash: (dump.members ?? []).map((m) => m.code_hash as string).filter(Boolean),
    sessionHash: (dump.sessions ?? []).filter((x) => x.kind === 'tablet').map((x) => x.id_hash as string),
    blindedHash: (dump.issuances ?? []).map((x) => x.blinded_hash as string),
    storedBlinded: (dump.issuances ?? []).map((x) => x.blinded as string),
    partial: (dump.partials ?? []).map((x) => x.partial as string),
    code: [...room.codes.values(), reissuedCode].filter(Boolean),
  };
  for (const p of played) {
    for (const { tok } of p.tokens) {
      s.blinded.push(toHex(tok.st.blinded));
      s.r.push(toHex(tok.st.r));
      s.castKey.push(toHex(tok.castKey));
    }
    for (const c of p.casts) {
      s.token.push(c.prepared.body.token);
      s.tokenHash.push(c.prepared.expect.tokenHash);
      s.commitment.push(c.prepared.body.commitment);
      s.sigma.push(c.prepared.body.signature);
      s.sealed.push(c.prepared.body.sealed.slice(0, 128)); // α ‖ β of its first entry
      s.mac.push(c.prepared.body.mac);
      s.receiptSignature.push(c.receipt.signature);
    }
  }
  return s;
}
const castSide = (s: ReturnType<typeof secrets>) => [...s.token, ...s.tokenHash, ...s.commitment, ...s.sigma, ...s.sealed, ...s.receiptSignature];
const memberSide = (s: ReturnType<typeof secrets>) => [...s.memberId, ...s.memberName, ...s.codeHash, ...s.sessionHash, ...s.blindedHash, ...s.storedBlinded, ...s.partial];

/**
 * True iff every printable run of the page that holds a value is a piece of a published bundle's
 * text (an overflow page starts with a 4-byte page number, whose bytes may be printable).
 */
function ofBundle(bytes: Buffer, bundles: readonly string[]): boolean {
  const runs = bytes.toString('latin1').match(/[\x20-\x7e]{64,}/g) ?? [];
  const inBundle = (r: string) => [0, 1, 2, 3, 4].some((k) => bundles.some((b) => b.includes(r.slice(k))));
  return bundles.length > 0 && runs.filter((r) => /[0-9a-f]{64}/.test(r)).every(inBundle);
}

function checkPages(when: string): void {
  const bundles = readOnly(server.dbPath, (db) => (db.prepare('SELECT bundle FROM ballots WHERE bundle IS NOT NULL').all() as { bundle: string }[]).map((r) => r.bundle));
  const s = secrets();
  const cs = castSide(s);
  const ms = memberSide(s);
  const problems: string[] = [];
  for (const p of rawPages(server.dbPath)) {
    const c = occurring(p.bytes, cs);
    if (c.length === 0) continue;
    const m = occurring(p.bytes, ms);
    const label = `${p.where} page ${p.no}${p.frame === undefined ? '' : ` (frame ${p.frame})`} of ${p.owner}`;
    // A published bundle lists the roster and the casts side by side, unlinked; nothing else may hold both.
    if (m.length && !ofBundle(p.bytes, bundles)) {
      problems.push(`${label}: ${m.length} member values next to ${c.length} cast values`);
    }
    if (p.where === 'db' && !['casts', 'ballots'].includes(p.owner)) problems.push(`${label} holds cast values`);
  }
  pageChecks.push({ when, problems });
}

async function play(type: 'decision' | 'consultation', voters: string[]): Promise<void> {
  const ballot = await openNewBallot(sec, room, { type, items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  views.push({ label: `${type}: open answer`, json: ballot });
  const issued = await issueAll(room, voters.map((n) => tablets.get(n)!), ballot.id);
  const p: PlayedBallot = { id: ballot.id, type, itemCount: 2, tokens: issued.map((x, i) => ({ name: voters[i]!, tok: x.tok })), casts: [], bundle: null as unknown as Bundle };
  played.push(p);
  for (const [i, { tablet, keys, tok }] of issued.entries()) {
    if (i === issued.length - 1) continue; // the last voter takes a token and does not cast
    const choices = [APPROVAL_OPTIONS[i % 3]!, APPROVAL_OPTIONS[(i * 2 + 1) % 3]!];
    const prepared = tablet.prepare(castDef(ballot), keys, tok, choices);
    const receipt = await tablet.cast(prepared);
    views.push({ label: `${type}: cast answer`, json: { receipt } });
    p.casts.push({ name: tablet.name, memberId: tablet.memberId, tok, keys, prepared, receipt, choices });
    if (i === 3) await sweep(`${type} open`, ballot.id);
  }
  checkPages(`${type} open, casts in`);
  copyAll(`${type} open, every cast in`);
  await sweep(`${type} open, every cast in`, ballot.id);
  p.bundle = await closeAndPublish(sec, room, ballot.id);
}

beforeAll(async () => {
  server = await spawnServer({ env: { PIAOJUE_LOG: 'debug' } });
  proxy = await startLoggingProxy(server.url);
  sec = new Client(proxy);
  anon = new Client(proxy, false);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  room = await setupRoom(sec, proxy.url, roster({ standing: 9, full: 4, alternate: 2 }), { title: '县委全体会议（保密性）', n: 3, t: 2 });
  const present = room.names().filter((n) => n !== '常委09');
  tablets = await checkInAll(proxy, room, present);
  views.push({ label: 'check-in answer', json: (await new Client(proxy).post('/api/checkin', { code: 'AAAAA-AAAAA' })).json });
  // A re-issued code puts a member id into a logged path.
  reissuedCode = (await sec.ok('POST', `/api/meetings/${room.id}/members/${room.idOf('常委09')}/code`)).code;
  await play('decision', present.filter((n) => n.startsWith('常委')));
  await play('consultation', present);
  checkPages('after the meeting');
  copyAll('after publication');
}, 240_000);
afterAll(async () => {
  await proxy?.close();
  await server?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('the database and its WAL after a meeting', () => {
  it('the meeting played: 7 of 8 and 13 of 14 cast, both bundles verify, every receipt is in its bundle', () => {
    expect(played.map((p) => p.bundle.tally.cast)).toEqual([7, 13]);
    for (const p of played) {
      expect(verifyBundle(p.bundle, { serverKey: p.casts[0]!.receipt.serverKey }).failures).toEqual([]);
      for (const c of p.casts) expect(checkReceipt(p.bundle, c.receipt).status).toBe('included');
    }
  });

  it('the casts table: only ballot, token hash, token, σ, sealed ballot, commitment; no rowid; no index but its primary key; no other index spans a cast column', () => {
    readOnly(server.dbPath, (db) => {
      expect((db.pragma('table_info(casts)') as { name: string }[]).map((c) => c.name)).toEqual(['ballot_id', 'token_hash', 'token', 'signature', 'sealed', 'commitment']);
      expect(() => db.prepare('SELECT rowid FROM casts').all()).toThrow(/no such column/);
      expect((db.pragma('index_list(casts)') as { origin: string }[]).map((i) => i.origin)).toEqual(['pk']);
      const indexes = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").all() as { name: string; tbl_name: string }[];
      for (const ix of indexes) {
        const cols = (db.pragma(`index_info("${ix.name}")`) as { name: string }[]).map((c) => c.name);
        if (ix.tbl_name === 'casts') expect(cols).toEqual(['ballot_id', 'token_hash']);
        else expect(cols.some((c) => ['token', 'token_hash', 'sealed', 'commitment', 'signature'].includes(c)), ix.name).toBe(false);
      }
    });
  });

  it('no row of any table holds a member value together with a cast value; cast values live only in casts and in published bundles; nothing only the tablet or the wire saw is stored', () => {
    const s = secrets();
    const cs = castSide(s);
    const ms = memberSide(s);
    const dump = dumpDb(server.dbPath);
    for (const [table, rows] of Object.entries(dump))
      for (const row of rows) {
        const cells = Object.entries(row).filter(([k]) => !(table === 'ballots' && k === 'bundle')).map(([, v]) => (v === null ? '' : String(v))).join('\u0000');
        const c = cs.filter((x) => cells.includes(x));
        const m = ms.filter((x) => cells.includes(x));
        if (table !== 'casts') expect(c, `${table} row holds cast values`).toEqual([]);
        expect(m.length && c.length ? `${table}: ${m.length} member and ${c.length} cast values in one row` : null).toBeNull();
      }
    // The tablets' blinding factors, the MACs, the receipt signatures and the codes are stored nowhere (the blinded points
    // are, in issuances, next to their member: each is uniformly random and unlinkable to its token).
    const all = JSON.stringify(dump);
    expect([...s.r, ...s.mac, ...s.receiptSignature, ...s.code].filter((x) => all.includes(x))).toEqual([]);
    // The cast keys were erased at the close.
    expect([...new Set(s.castKey)].filter((x) => all.includes(x))).toEqual([]);
    expect((dump.partials ?? []).length, 'partial signatures are dropped at publication').toBe(0);
  });

  it('raw pages of the database and frames of the WAL, during each ballot and after the meeting: no page outside a published bundle holds a member value next to a cast value, and no page of another table holds cast values', () => {
    expect(pageChecks.map((p) => p.when)).toEqual(['decision open, casts in', 'consultation open, casts in', 'after the meeting']);
    for (const p of pageChecks) expect(p.problems, `${p.when}: ${p.problems.join('; ')}`).toEqual([]);
  });

  it('no client address, code or session id in the database or WAL bytes; cast rows carry no time', () => {
    const s = secrets();
    for (const p of rawPages(server.dbPath)) expect(occurring(p.bytes, ['127.0.0.1', '::1', '::ffff:', ...s.code]), `${p.where} page ${p.no}`).toEqual([]);
    readOnly(server.dbPath, (db) => {
      for (const row of db.prepare('SELECT * FROM casts').all() as Record<string, unknown>[])
        for (const v of Object.values(row)) expect(typeof v === 'number', 'no numeric (time-like) cell in a cast').toBe(false);
    });
  });

  it('bundles list casts sorted by token hash, not in arrival order, with nothing but token, σ, sealed ballot and commitment; the roster has no cast field', () => {
    for (const p of played) {
      const hashes = p.bundle.ballots.map((b) => tokenHash(p.id, fromHex(b.token, 32, 'token')));
      for (let i = 1; i < hashes.length; i++) expect(compareBytes(hashes[i - 1]!, hashes[i]!)).toBeLessThan(0);
      expect(p.bundle.ballots.map((b) => b.token)).not.toEqual(p.casts.map((c) => c.prepared.body.token));
      for (const b of p.bundle.ballots) expect(Object.keys(b).sort()).toEqual(['commitment', 'sealed', 'signature', 'token']);
      for (const r of p.bundle.roster) expect(Object.keys(r).sort()).toEqual(['issued', 'kind', 'memberId', 'name', 'present']);
    }
  });
});

describe('the log at its most verbose (PIAOJUE_LOG=debug)', () => {
  it('never holds a token, token hash, σ, sealed ballot, commitment, MAC, receipt, blinded point, partial, code or session; no line names a member next to any of them', () => {
    const log = server.output.join('');
    const lines = log.split('\n');
    expect(lines.filter((l) => /\/api\/anon\/ballots\/b[0-9a-f]+\/cast 200/.test(l)).length, 'the request lines were logged').toBe(20);
    const s = secrets();
    const forbidden = [...castSide(s), ...s.mac, ...s.blinded, ...s.storedBlinded, ...s.partial, ...s.code, ...s.sessionHash, ...s.blindedHash, ...s.codeHash, ...s.castKey, ...s.r];
    expect(forbidden.filter((x) => log.includes(x))).toEqual([]);
    const memberLines = lines.filter((l) => s.memberId.some((id) => l.includes(id)) || s.memberName.some((n) => l.includes(n)));
    for (const l of memberLines) expect(l).toMatch(/^\[piaojue\] POST \/api\/meetings\/m[0-9a-f]+\/members\/u[0-9a-f]+\/code 200$/);
    expect(memberLines.length).toBe(1);
    expect(log).not.toMatch(/internal error|self-verification failed/);
  });
});

describe('no count per item before publication', () => {
  it('every answer to the secretary, a tablet, a scrutineer device or the public while a ballot is open or closed has no tally, no per-item count and result null', () => {
    expect(views.length).toBeGreaterThanOrEqual(60);
    const unpublished = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(unpublished)
        : v && typeof v === 'object'
          ? ['published', 'void'].includes((v as { status?: string }).status ?? '') && 'result' in v ? null : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unpublished(x)]))
          : v;
    let checked = 0;
    for (const { label, json: raw } of views) {
      const json = unpublished(raw);
      checked += keysNamed(json, 'result').length;
      for (const k of ['tally', 'counts', 'agree', 'disagree', 'abstain', 'valid', 'invalid', 'outcome', 'choices'])
        expect(keysNamed(json, k), `${label}: ${k}`).toEqual([]);
      for (const path of keysNamed(json, 'result')) {
        const v = path.split(/\.|\[|\]/).filter(Boolean).slice(1).reduce((o: any, p) => o?.[p], json);
        expect(v, `${label}: ${path}`).toBeNull();
      }
    }
    expect(checked, 'ballot views checked').toBeGreaterThanOrEqual(24);
    expect(views.filter((v) => v.label.endsWith('public: bundle')).every((v) => (v.json as { error: string }).error === 'NOT_PUBLISHED')).toBe(true);
  });

  it('the public and a tablet see the same ballot view', () => {
    const byWhen = new Map<string, Map<string, string>>();
    for (const { label, json } of views) {
      const [when, who] = label.split(': ');
      if (!who || !/^(tablet|public): ballot$/.test(label.slice(when!.length + 2))) continue;
      if (!byWhen.has(when!)) byWhen.set(when!, new Map());
      byWhen.get(when!)!.set(label.slice(when!.length + 2), sha256Hex(JSON.stringify(json)));
    }
    expect(byWhen.size).toBeGreaterThanOrEqual(4);
    for (const [when, m] of byWhen) expect(m.get('tablet: ballot'), when).toBe(m.get('public: ballot'));
  });
});

// ---- the operator with everything (issue 9, 1) -----------------------------------------------------

const L = RP.Fn.ORDER;
const beInt = (b: Uint8Array) => BigInt(`0x${toHex(b) || '0'}`);
const leInt = (b: Uint8Array) => beInt(Uint8Array.from(b).reverse());

/**
 * Every 64-hex window of every run of ≥ 64 hex digits, at 32-byte steps from both ends of the run
 * (every field of the protocol is a multiple of 16 bytes, so a 32-byte value next to any of them
 * is caught from one end or the other).
 */
function hexWindows(text: string, into: Map<string, Uint8Array>): void {
  for (const m of text.matchAll(/[0-9a-fA-F]{64,}/g)) {
    const run = m[0].toLowerCase();
    for (let o = 0; o + 64 <= run.length; o += 64) add(run.slice(o, o + 64));
    for (let o = run.length - 64; o >= 0; o -= 64) add(run.slice(o, o + 64));
  }
  function add(h: string) {
    if (!into.has(h)) into.set(h, fromHex(h, 32, 'candidate'));
  }
}
/** Every 32-byte window of a binary value, at every byte. */
function blobWindows(b: Uint8Array, into: Map<string, Uint8Array>): void {
  for (let o = 0; o + 32 <= b.length; o++) {
    const w = b.subarray(o, o + 32);
    const h = toHex(w);
    if (!into.has(h)) into.set(h, Uint8Array.from(w));
  }
}

/** Every cell of every table of a database file. */
function cellsOf(dbFile: string, into: Set<string | Buffer>): void {
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      for (const row of db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][])
        for (const v of row) if (typeof v === 'string' || Buffer.isBuffer(v)) into.add(v);
  } finally {
    db.close();
  }
}

/** Every committed state of a copy: the database file alone, then with the WAL replayed up to each commit frame. */
function committedStates(c: Copy): { states: number; cells: Set<string | Buffer> } {
  const cells = new Set<string | Buffer>();
  const stateDir = join(c.dir, 'state');
  const one = (walBytes: Buffer | null) => {
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir);
    copyFileSync(c.db, join(stateDir, 's.db'));
    if (walBytes) writeFileSync(join(stateDir, 's.db-wal'), walBytes);
    cellsOf(join(stateDir, 's.db'), cells);
  };
  one(null);
  let states = 1;
  if (c.wal && readFileSync(c.wal).length > 32) {
    const wal = readFileSync(c.wal);
    const pageSize = wal.readUInt32BE(8);
    for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize)
      if (wal.readUInt32BE(off + 4) !== 0) {
        one(wal.subarray(0, off + 24 + pageSize));
        states++;
      }
  }
  rmSync(stateDir, { recursive: true, force: true });
  return { states, cells };
}

/** The attacker's candidates: every 32-byte string in every committed state, in the raw pages and frames, and in the log. */
function candidatesOf(cs: readonly Copy[]): { candidates: Map<string, Uint8Array>; states: number } {
  const candidates = new Map<string, Uint8Array>();
  let states = 0;
  for (const c of cs) {
    const s = committedStates(c);
    states += s.states;
    for (const v of s.cells) typeof v === 'string' ? hexWindows(v, candidates) : blobWindows(v, candidates);
    hexWindows(readFileSync(c.db).toString('latin1'), candidates);
    if (c.wal) hexWindows(readFileSync(c.wal).toString('latin1'), candidates);
    hexWindows(c.log, candidates);
  }
  return { candidates, states };
}

type Targets = {
  g2: Map<string, string>; // compressed G2 → what it is
  g: Map<string, string>; // ristretto255 encoding → what it is
  ed: Map<string, string>; // Ed25519 public key → what it is
};
let targetsCache: Targets | null = null;
function targets(): Targets {
  if (targetsCache) return targetsCache;
  const v = verifyCeremonyRecord(room.record);
  if (!v.ok) throw new Error('ceremony');
  const g2 = new Map<string, string>([[toHex(v.tokenPublicKey), 'the token key pk']]);
  v.tokenPublicShares.forEach((p, j) => g2.set(toHex(p), `token public share pk_${j + 1}`));
  const g = new Map<string, string>([[toHex(v.electionKey), 'the election key Y']]);
  v.electionPublicShares.forEach((p, j) => g.set(toHex(p), `election public share X_${j + 1}`));
  const ed = new Map<string, string>();
  for (const d of room.record.params.devices) {
    g.set(d.encryptionKey, `device ${d.index}'s share-encryption key E_${d.index}`);
    ed.set(d.signingKey, `device ${d.index}'s signing key`);
  }
  for (const r of room.record.reveals) {
    r.tokenCommitments.forEach((h, k) => g2.set(h, `dealer ${r.index}'s token coefficient commitment ${k}`));
    r.electionCommitments.forEach((h, k) => g.set(h, `dealer ${r.index}'s election coefficient commitment ${k}`));
  }
  return (targetsCache = { g2, g, ed });
}

/** A member's sealed ballot as the attacker reads it, with the lookups the decryption attempts need. */
type Target = {
  label: string;
  A: Element; // Σα over the cast's entries (precomputed for fast multiplication)
  B: Element[]; // Σβ − k·G for every k the sum could decrypt to
  alphas: Set<string>; // every α of the cast's entries
  betas: Set<string>; // every β − m·G, m ∈ {0, 1}
};
const small = (n: number) => Array.from({ length: n + 1 }, (_, k) => (k === 0 ? RP.ZERO : BASE.multiply(BigInt(k))));

const linkedCache = new Map<Copy, Target[]>();
function linkedTargets(copy: Copy): Target[] {
  const hit = linkedCache.get(copy);
  if (hit) return hit;
  const out: Target[] = [];
  linkedCache.set(copy, out);
  const db = new Database(join(copy.dir, 'piaojue.db'), { fileMustExist: true, readonly: true });
  try {
    for (const p of played)
      for (const c of p.casts) {
        // The perfect link: the attacker knows which member cast which token (from timing); the sealed ballot is read from the copy.
        const row = db.prepare('SELECT sealed FROM casts WHERE ballot_id = ? AND token_hash = ?').get(p.id, c.prepared.expect.tokenHash) as { sealed: string } | undefined;
        const sealedHex = row?.sealed ?? p.bundle?.ballots.find((b) => b.token === c.prepared.body.token)?.sealed;
        if (!sealedHex) continue;
        const s = parseSealedBallot(ballotShape(castDef({ id: p.id, items: p.bundle.ballot.items })), fromHex(sealedHex, undefined, 'sealed'));
        const entries = sealedCiphertexts(s);
        let A = RP.ZERO;
        let B = RP.ZERO;
        for (const e of entries) {
          A = A.add(e.alpha);
          B = B.add(e.beta);
        }
        (A as unknown as { precompute(w: number): void }).precompute(8);
        const G = small(entries.length);
        out.push({
          label: `${c.name} on the ${p.type} ballot`,
          A,
          B: G.map((kG) => B.subtract(kG)),
          alphas: new Set(entries.map((e) => toHex(e.alpha.toBytes()))),
          betas: new Set(entries.flatMap((e) => [toHex(e.beta.toBytes()), toHex(e.beta.subtract(BASE).toBytes())])),
        });
      }
  } finally {
    db.close();
  }
  return out;
}

type Finding = { candidate: string; what: string };

/** The G2 targets as points (compared projectively: compressing a G2 point costs twice its multiplication). */
const g2Decoded = new WeakMap<Targets, [ReturnType<typeof G2.fromHex>, string][]>();
function g2Points(t: Targets) {
  let out = g2Decoded.get(t);
  if (!out) g2Decoded.set(t, (out = [...t.g2].map(([h, what]) => [G2.fromHex(h), what])));
  return out;
}

/** The attack: every candidate, read both ways, as a token key, an election key, a signing key, a member's decryption key and as encryption randomness. */
function attack(candidates: Iterable<Uint8Array>, t: Targets, linked: readonly Target[]): { findings: Finding[]; tried: number; decryptionAttempts: number } {
  const findings: Finding[] = [];
  const Y = electionKeyPoint();
  let tried = 0;
  let decryptionAttempts = 0;
  for (const c of candidates) {
    tried++;
    const h = toHex(c);
    const hit = (what: string) => findings.push({ candidate: h, what });
    // Read both ways; a key is stored canonically (below the group order), so only those readings are tried.
    for (const s of new Set([beInt(c), leInt(c)])) {
      if (s === 0n || s >= Fr.ORDER) continue;
      const P = G2.BASE.multiplyUnsafe(s);
      for (const [point, what] of g2Points(t)) if (point.equals(P)) hit(`mints: s·g2 = ${what}`);
    }
    for (const x of new Set([leInt(c), beInt(c)])) {
      if (x === 0n || x >= L) continue;
      const X = toHex(BASE.multiplyUnsafe(x).toBytes());
      const what = t.g.get(X);
      if (what) hit(`decrypts: x·G = ${what}`);
      const R = toHex(Y.multiplyUnsafe(x).toBytes());
      for (const m of linked) {
        decryptionAttempts += 3;
        // As the decryption key: Σβ − x·Σα is a small multiple of G only for the key.
        const xA = m.A.multiplyUnsafe(x);
        if (m.B.some((b) => b.equals(xA))) hit(`decrypts ${m.label}`);
        // As the encryption randomness r of one of its entries: α = r·G, or β − r·Y ∈ {0, G}.
        if (m.alphas.has(X) || m.betas.has(R)) hit(`is the randomness of an entry of ${m.label}`);
      }
    }
    const what = t.ed.get(toHex(ed25519.getPublicKey(c)));
    if (what) hit(`signs as ${what}`);
  }
  return { findings, tried, decryptionAttempts };
}
let Ycache: Element | null = null;
function electionKeyPoint(): Element {
  if (Ycache) return Ycache;
  const v = verifyCeremonyRecord(room.record);
  if (!v.ok) throw new Error('ceremony');
  Ycache = decodeElement(v.electionKey, 'Y');
  (Ycache as unknown as { precompute(w: number): void }).precompute(8);
  return Ycache;
}

/** Combine t device shares of a kind into the joint secret (Lagrange at 0). */
function joint(kind: 'token' | 'election', indices: number[]): bigint {
  const order = kind === 'token' ? Fr.ORDER : L;
  return indices.reduce((acc, i) => {
    const st = room.devices[i - 1]!.state!;
    const share = kind === 'token' ? beInt(fromHex(st.shares!.token, 32, 's')) : leInt(fromHex(st.shares!.election, 32, 'x'));
    return (acc + lagrangeAtZero(indices, i, order) * share) % order;
  }, 0n);
}

/** Decrypt one cast's entries with x: the member's choices, or null when x is not the key. */
function decryptCast(p: PlayedBallot, sealedHex: string, x: bigint): string[] | null {
  const shape = ballotShape(castDef({ id: p.id, items: p.bundle.ballot.items }));
  const s = parseSealedBallot(shape, fromHex(sealedHex, undefined, 'sealed'));
  const out: string[] = [];
  for (const [gi, g] of s.groups.entries()) {
    const open = (c: Ciphertext) => c.beta.subtract(c.alpha.multiply(x));
    if ('packed' in g) {
      // A packed item (protocol §5.1): message 0 is the first option, 1 the second, B the third.
      const M = open(g.packed.ciphertext);
      const k = packedValues(packedDigits(shape.groups[gi]!)!).findIndex((v) => M.equals(v === 0 ? RP.ZERO : BASE.multiply(BigInt(v))));
      if (k < 0) return null;
      out.push(APPROVAL_OPTIONS[k]!);
      continue;
    }
    const m = g.entries.map((e) => discreteLog(open(e.ciphertext), 1));
    if (m.some((v) => v === null) || m.filter((v) => v === 1).length !== 1) return null;
    out.push(APPROVAL_OPTIONS[m.indexOf(1)]!);
  }
  return out;
}

describe('the operator with everything: database, WAL, raw pages and log copied mid-ballot and after publication, every request recorded (issue 9, 1)', () => {
  let scan: ReturnType<typeof candidatesOf>;
  let result: ReturnType<typeof attack>;
  let t: Targets;
  let linked: Target[];
  beforeAll(() => {
    const cpu0 = process.cpuUsage();
    expect(copies.map((c) => c.when)).toEqual(['decision open, every cast in', 'consultation open, every cast in', 'after publication']);
    scan = candidatesOf(copies);
    t = targets();
    linked = linkedTargets(copies[copies.length - 1]!);
    const cpu1 = process.cpuUsage(cpu0);
    result = attack(scan.candidates.values(), t, linked);
    const cpu2 = process.cpuUsage(cpu0);
    console.log(`[reliability] operator: cpu scan ${Math.round((cpu1.user + cpu1.system) / 1000)} ms, attack ${Math.round((cpu2.user + cpu2.system - cpu1.user - cpu1.system) / 1000)} ms; ${scan.states} committed states replayed, ${scan.candidates.size} distinct 32-byte candidates, ${result.decryptionAttempts} decryption attempts on ${linked.length} linked casts; findings: ${JSON.stringify(result.findings.map((f) => f.what))}`);
  }, 300_000);

  it('the copies are real: mid-ballot they hold the open ballots\' casts and the WAL, and the scan finds the server\'s own Ed25519 key in them (it signs receipts and bundles, so it is meant to be there)', () => {
    expect(copies.filter((c) => c.wal).length).toBeGreaterThanOrEqual(2);
    expect(scan.states).toBeGreaterThan(copies.length);
    const serverSecret = readOnly(server.dbPath, (db) => (db.prepare("SELECT value FROM settings WHERE key = 'server_key'").get() as { value: string }).value);
    expect(scan.candidates.has(serverSecret)).toBe(true);
    const serverKey = played[0]!.casts[0]!.receipt.serverKey;
    expect(attack([fromHex(serverSecret, 32, 'k')], { g2: new Map(), g: new Map(), ed: new Map([[serverKey, 'the server key']]) }, []).findings.map((f) => f.what)).toEqual(['signs as the server key']);
    // Every cast of both ballots is in the copies, with its sealed ballot.
    for (const p of played) for (const c of p.casts) expect(scan.candidates.has(c.prepared.body.sealed.slice(0, 64)), c.name).toBe(true);
  });

  it('(a) no key that mints and (b) no key that decrypts: no candidate (read big- and little-endian, below the group order) s has s·g2 = the token key, a public share pk_j or a dealer commitment; no x has x·G = the election key, a public share X_j, a device\'s encryption key or a dealer commitment; none is a device\'s signing key', () => {
    expect(scan.candidates.size).toBeGreaterThan(1000);
    expect(result.tried).toBe(scan.candidates.size);
    expect(result.findings.filter((f) => !f.what.startsWith('decrypts ') && !f.what.startsWith('is the randomness'))).toEqual([]);
  });

  it('the same search finds a device\'s shares, the joint keys or a device\'s secrets if they were anywhere (the attack would have worked)', () => {
    const planted = [
      fromHex(room.devices[0]!.state!.shares!.token, 32, 's1'),
      fromHex(room.devices[1]!.state!.shares!.election, 32, 'x2'),
      fromHex(room.devices[2]!.state!.signingSecret, 32, 'sk3'),
      fromHex(room.devices[2]!.state!.encryptionSecret, 32, 'd3'),
      fromHex(joint('token', [1, 3]).toString(16).padStart(64, '0'), 32, 's'),
    ];
    expect(attack(planted, t, []).findings.map((f) => f.what)).toEqual([
      'mints: s·g2 = token public share pk_1', 'decrypts: x·G = election public share X_2', 'signs as device 3\'s signing key', 'decrypts: x·G = device 3\'s share-encryption key E_3', 'mints: s·g2 = the token key pk',
    ]);
  });

  it('and every secret the devices and tablets ever held — shares, joint keys, dealer coefficients, device keys, blinding factors — appears nowhere in the copies, in any encoding at any offset', () => {
    const values = new Set<string>();
    for (const d of room.devices)
      for (const st of d.history) {
        values.add(st.signingSecret);
        values.add(st.encryptionSecret);
        if (st.shares) [st.shares.token, st.shares.election].forEach((v) => values.add(v));
        if (st.dealer) [...st.dealer.tokenCoefficients, ...st.dealer.electionCoefficients].forEach((v) => values.add(v));
      }
    values.add(joint('token', [1, 2]).toString(16).padStart(64, '0'));
    values.add(toHex(Uint8Array.from(fromHex(joint('election', [1, 2]).toString(16).padStart(64, '0'), 32, 'x')).reverse()));
    for (const p of played) for (const { tok } of p.tokens) values.add(toHex(tok.st.r));
    expect(values.size).toBeGreaterThan(20);
    const needles = [...values].flatMap((h) => {
      const b = fromHex(h, 32, 'secret');
      const r = Uint8Array.from(b).reverse();
      return [Buffer.from(h), Buffer.from(h.toUpperCase()), Buffer.from(toHex(r)), Buffer.from(b), Buffer.from(r), Buffer.from(Buffer.from(b).toString('base64')), Buffer.from(Buffer.from(b).toString('base64url'))];
    });
    for (const c of copies)
      for (const [what, bytes] of [['database', readFileSync(c.db)], ['WAL', c.wal ? readFileSync(c.wal) : Buffer.alloc(0)], ['log', Buffer.from(c.log)]] as const)
        expect(needles.filter((n) => bytes.includes(n)).length, `${c.when}: ${what}`).toBe(0);
  });

  it('(c) linking: even with every member linked to their cast, no candidate decrypts any member\'s sealed ballot or is the randomness of any of its entries; with t = 2 device shares every vote is read, with one share none', () => {
    expect(linked.length).toBe(20);
    expect(result.decryptionAttempts).toBeGreaterThan(3 * 20 * scan.candidates.size / 16);
    expect(result.findings.filter((f) => f.what.startsWith('decrypts ') || f.what.startsWith('is the randomness'))).toEqual([]);
    // Control: with two devices' election shares combined, the attacker reads every linked vote; with one share alone, none.
    const x = joint('election', [2, 3]);
    const one = leInt(fromHex(room.devices[0]!.state!.shares!.election, 32, 'x1'));
    for (const p of played)
      for (const c of p.casts) {
        expect(decryptCast(p, c.prepared.body.sealed, x), c.name).toEqual(c.choices);
        expect(decryptCast(p, c.prepared.body.sealed, one), c.name).toBeNull();
      }
    expect(attack([fromHex(toHex(Uint8Array.from(fromHex(x.toString(16).padStart(64, '0'), 32, 'x')).reverse()), 32, 'x')], t, linked.slice(0, 2)).findings.map((f) => f.what))
      .toEqual(['decrypts: x·G = the election key Y', `decrypts ${linked[0]!.label}`, `decrypts ${linked[1]!.label}`]);
  });

  it('(d) the casts of different tablets carry identical headers — no cookie, no language (fetch\'s own `*` at most), the same Origin and agent — and, per ballot, bodies of one size', () => {
    const casts = proxy.seen.filter((s) => s.method === 'POST' && /^\/api\/anon\/ballots\/[^/]+\/cast$/.test(s.path));
    expect(casts.length).toBe(20);
    for (const p of played) {
      const mine = casts.filter((s) => s.path === `/api/anon/ballots/${p.id}/cast`);
      expect(mine.length).toBe(p.casts.length);
      const norm = (s: Seen) => JSON.stringify(Object.entries(s.headers).sort());
      expect(new Set(mine.map(norm)).size, 'one header set for every tablet').toBe(1);
      const h = mine[0]!.headers;
      expect(h.cookie).toBeUndefined();
      expect(h['accept-language'] === undefined || h['accept-language'] === '*', `Accept-Language: ${h['accept-language']}`).toBe(true);
      expect(Object.keys(h).filter((k) => /^x-|authorization|referer/.test(k))).toEqual([]);
      expect(new Set(mine.map((s) => s.bodyBytes)).size, 'one body size per ballot').toBe(1);
      expect(Number(h['content-length'])).toBe(mine[0]!.bodyBytes);
    }
    // The same tablet's issuance carried its cookie: the two are told apart only by time and port, which the attacker is granted above.
    expect(proxy.seen.filter((s) => /\/issue$/.test(s.path)).every((s) => typeof s.headers.cookie === 'string')).toBe(true);
    expect(casts.every((s) => s.port > 0 && s.at > 0)).toBe(true);
  });

  it('(e) every anonymous cast answer carries Connection: close', () => {
    const casts = proxy.seen.filter((s) => /^\/api\/anon\//.test(s.path));
    expect(casts.length).toBeGreaterThanOrEqual(20);
    for (const s of casts) expect([s.status, s.responseHeaders.connection]).toEqual([200, 'close']);
    // Nothing else is closed that way: a tablet's own requests keep their connection.
    expect(proxy.seen.filter((s) => s.path === '/api/tablet').some((s) => s.responseHeaders.connection !== 'close')).toBe(true);
  });
});

// ---- the coercer with a tablet's storage (issue 9, 3) ------------------------------------------------

/**
 * The tablet's storage rule (client/tablet/store.ts, stage `cast`), as a pure function: after the
 * receipt arrives the tablet keeps at most these fields — no token, no cast key, no body, no
 * choices, no randomness.
 */
const KEPT_AFTER_CAST = ['ballotId', 'tokenHash', 'sigma', 'commitment', 'keys', 'receipt'] as const;
function keptAfterCast(c: CastRec) {
  return { ballotId: c.prepared.expect.ballotId, tokenHash: c.prepared.expect.tokenHash, sigma: c.prepared.expect.sigma, commitment: c.prepared.expect.commitment, keys: { publicKey: c.keys.publicKey, electionKey: c.keys.electionKey, fingerprint: c.keys.fingerprint }, receipt: c.receipt };
}

describe('the coercer with a tablet\'s storage and the published bundle (issue 9, 3)', () => {
  it('what a tablet keeps after a cast has only the allowed fields, and is enough for its one remaining job (the receipt check)', () => {
    for (const p of played)
      for (const c of p.casts) {
        const kept = keptAfterCast(c);
        expect(Object.keys(kept).sort()).toEqual([...KEPT_AFTER_CAST].sort());
        expect(JSON.stringify(kept)).not.toContain(c.prepared.body.token);
        expect(JSON.stringify(kept)).not.toContain(toHex(c.tok.castKey));
        expect(checkReceipt(p.bundle, kept.receipt).status).toBe('included');
      }
  });

  it('with it the coercer finds the member\'s sealed ballot in the bundle, but every value in the storage (and in everything the tablet held before: token, blinding factor, σ, cast key, MAC) fails as a decryption key and as randomness; the record looks the same whatever the vote', () => {
    let found = 0;
    for (const p of played) {
      const pub = verifyBundle(p.bundle);
      expect(pub.ok).toBe(true);
      for (const c of p.casts) {
        const kept = keptAfterCast(c);
        const i = p.bundle.ballots.findIndex((b) => tokenHashHex(p.id, fromHex(b.token, 32, 't')) === kept.tokenHash);
        expect(i).toBeGreaterThanOrEqual(0);
        found++;
        // Everything in the storage, and everything the tablet held at any stage (a worse tablet).
        const cands = new Map<string, Uint8Array>();
        hexWindows(JSON.stringify(kept), cands);
        hexWindows(JSON.stringify({ token: c.prepared.body.token, r: toHex(c.tok.st.r), blinded: toHex(c.tok.st.blinded), castKey: toHex(c.tok.castKey), body: c.prepared.body }), cands);
        const target = linkedTargets(copies[copies.length - 1]!).find((m) => m.label === `${c.name} on the ${p.type} ballot`)!;
        expect(attack(cands.values(), targets(), [target]).findings).toEqual([]);
        // The stored fields are in the bundle anyway (σ, commitment; the token hash from the token), but for the receipt's signature.
        expect(p.bundle.ballots[i]!.signature).toBe(kept.sigma);
        expect(p.bundle.ballots[i]!.commitment).toBe(kept.commitment);
      }
      // Two members who voted differently keep records of the same shape and lengths.
      const shapes = p.casts.map((c) => JSON.stringify(keptAfterCast(c), (_k, v) => (typeof v === 'string' ? v.length : v)));
      expect(new Set(shapes).size).toBe(1);
      expect(new Set(p.casts.map((c) => c.choices.join())).size).toBeGreaterThan(1);
    }
    expect(found).toBe(20);
    // Control: the same sealed ballot opens with t device shares — what the coercer lacks is a key, not the ballot.
    const c = played[0]!.casts[0]!;
    expect(decryptCast(played[0]!, c.prepared.body.sealed, joint('election', [1, 2]))).toEqual(c.choices);
  });
});

