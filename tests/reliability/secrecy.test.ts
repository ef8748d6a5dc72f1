// Secrecy (issue 6.5) of a whole meeting run on the real server process with the most verbose
// logging (PIAOJUE_LOG=debug, stdout and stderr captured):
// - the database, its indexes and its WAL — read as tables and as raw pages — hold nothing
//   that links a member (id, name, code, session, blinded point) to a token, commitment,
//   opening, receipt or choice: no record and no page outside a published bundle holds both;
//   cast rows have no time, address, session or rowid; no client address is stored anywhere;
//   the bundle lists casts by token hash, not in arrival order;
// - the log never holds a token, commitment, salt, signature or receipt, and no line names a
//   member together with any of them;
// - no response to a member, the secretary or the public carries a count per item (or any
//   tally) before publication.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReceipt, compareBytes, toHex, tokenHash, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, checkIn, createBallot, dumpDb, firstEvent, keysNamed, prepareVote, roster, setupMeeting, signIn, tokenHashHex, type Meeting, type Tablet, type Token, type Vote,
} from '../helpers/server.ts';
import { occurring, rawPages, readOnly, sha256Hex, spawnServer, type ChildServer } from '../helpers/reliability.ts';

let server: ChildServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablets: Map<string, Tablet>;
const played: { id: string; tokens: Token[]; votes: Vote[]; receipts: Receipt[]; bundle: Bundle }[] = [];
const views: { label: string; json: unknown }[] = []; // every answer seen before publication
const pageChecks: { when: string; problems: string[] }[] = [];
let reissuedCode = '';

/** Every read a member, the secretary or the public can make, as each of them. */
async function sweep(when: string, bid: string): Promise<void> {
  const t = tablets.values().next().value as Tablet;
  const reads: [string, Jar, string][] = [
    ['secretary: meetings', sec, '/api/meetings'], ['secretary: meeting', sec, `/api/meetings/${meeting.id}`], ['secretary: me', sec, '/api/secretary/me'],
    ['tablet: state', t.jar, '/api/tablet'], ['tablet: ballot', t.jar, `/api/ballots/${bid}`], ['tablet: screen', t.jar, `/api/meetings/${meeting.id}/screen`],
    ['public: ballot', anon, `/api/ballots/${bid}`], ['public: screen', anon, `/api/meetings/${meeting.id}/screen`], ['public: bundle', anon, `/api/ballots/${bid}/bundle`],
    ['public: receipt check', anon, `/api/ballots/${bid}/receipt`],
  ];
  const someReceipt = { ballotId: bid, tokenHash: '00'.repeat(32), commitment: '00'.repeat(32), serverKey: '00'.repeat(32), signature: '00'.repeat(64) };
  for (const [label, jar, path] of reads) {
    const r = label.endsWith('receipt check') ? await jar.post(path, { receipt: someReceipt }) : await jar.get(path);
    views.push({ label: `${when}: ${label}`, json: r.json });
  }
  views.push({ label: `${when}: events`, json: await firstEvent(server, meeting.id) });
}

function checkPages(when: string): void {
  const s = secrets();
  const castSide = [...s.token, ...s.tokenHash, ...s.commitment, ...s.signature, ...s.salt, ...s.receiptSignature];
  const memberSide = [...s.memberId, ...s.memberName, ...s.codeHash, ...s.sessionHash, ...s.blindedHash];
  const problems: string[] = [];
  for (const p of rawPages(server.dbPath)) {
    const c = occurring(p.bytes, castSide);
    if (c.length === 0) continue;
    const m = occurring(p.bytes, memberSide);
    const label = `${p.where} page ${p.no}${p.frame === undefined ? '' : ` (frame ${p.frame})`} of ${p.owner}`;
    // A published bundle lists the roster and the casts side by side, unlinked; nothing else may hold both.
    const bundleText = p.bytes.includes('"memberId":"') && p.bytes.includes('"commitment":"');
    if (m.length && !bundleText) problems.push(`${label}: ${m.length} member values next to ${c.length} cast values`);
    if (p.where === 'db' && !['casts', 'ballots'].includes(p.owner)) problems.push(`${label} holds cast values`);
  }
  pageChecks.push({ when, problems });
}

async function play(type: 'decision' | 'consultation', voters: string[]): Promise<void> {
  const opts = ['agree', 'disagree', 'abstain'];
  const draft = await createBallot(sec, meeting.id, { type, items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  const openRes = await sec.ok('POST', `/api/ballots/${draft.id}/open`);
  views.push({ label: `${type}: open answer`, json: openRes });
  const ballot = openRes.ballot;
  const tokens: Token[] = [];
  for (const n of voters) {
    const tok = await tablets.get(n)!.issue(ballot);
    tokens.push(tok);
  }
  const votes: Vote[] = [];
  const receipts: Receipt[] = [];
  for (const [i, tok] of tokens.entries()) {
    if (i === tokens.length - 1) continue; // the last voter takes a token and does not cast
    const v = prepareVote(tok, [opts[i % 3]!, opts[(i * 2 + 1) % 3]!]);
    const res = await tablets.get(voters[i]!)!.anon.ok('POST', `/api/ballots/${ballot.id}/cast`, v.body);
    views.push({ label: `${type}: cast answer`, json: res });
    votes.push(v);
    receipts.push(res.receipt);
    if (i === 3) await sweep(`${type} open`, ballot.id);
  }
  checkPages(`${type} open, casts in`);
  views.push({ label: `${type}: close answer`, json: await sec.ok('POST', `/api/ballots/${ballot.id}/close`) });
  for (const [i, v] of votes.entries()) {
    if (i === votes.length - 1) continue; // one cast is never opened
    views.push({ label: `${type}: opening answer`, json: await anon.ok('POST', `/api/ballots/${ballot.id}/openings`, v.opening) });
    if (i === 2) await sweep(`${type} closed, openings arriving`, ballot.id);
  }
  await sweep(`${type} closed, before publication`, ballot.id);
  await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
  const bundle = (await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
  played.push({ id: ballot.id, tokens, votes, receipts, bundle });
}

function secrets() {
  const dump = dumpDb(server.dbPath);
  const s = {
    token: [] as string[], tokenHash: [] as string[], commitment: [] as string[], signature: [] as string[], salt: [] as string[],
    receiptSignature: [] as string[], blinded: [] as string[], blindSignature: [] as string[],
    memberId: meeting.members.map((m) => m.id), memberName: meeting.members.map((m) => m.name),
    codeHash: (dump.members ?? []).map((m) => m.code_hash as string).filter(Boolean),
    sessionHash: (dump.sessions ?? []).filter((x) => x.kind === 'tablet').map((x) => x.id_hash as string),
    blindedHash: (dump.issuances ?? []).map((x) => x.blinded_hash as string),
    code: [...meeting.codes.values(), reissuedCode].filter(Boolean),
  };
  for (const p of played) {
    for (const t of p.tokens) {
      s.blinded.push(toHex(t.blinded));
      s.blindSignature.push(t.signed);
    }
    for (const v of p.votes) {
      s.token.push(toHex(v.token));
      s.tokenHash.push(tokenHashHex(p.id, v.token));
      s.commitment.push(toHex(v.commitment));
      s.signature.push(v.body.signature);
      s.salt.push(toHex(v.salt));
    }
    s.receiptSignature.push(...p.receipts.map((r) => r.signature));
  }
  return s;
}

beforeAll(async () => {
  server = await spawnServer({ env: { PIAOJUE_LOG: 'debug' } });
  sec = await signIn(server);
  anon = new Jar(server, false);
  meeting = await setupMeeting(sec, roster({ standing: 9, full: 4, alternate: 2 }), '县委全体会议（保密性）');
  const present = meeting.names().filter((n) => n !== '常委09');
  tablets = await checkIn(server, meeting, present);
  views.push({ label: 'check-in answer', json: await new Jar(server).post('/api/checkin', { code: 'AAAAA-AAAAA' }) });
  // A re-issued code puts a member id into a logged path.
  reissuedCode = (await sec.ok('POST', `/api/meetings/${meeting.id}/members/${meeting.idOf('常委09')}/code`)).code;
  await play('decision', present.filter((n) => n.startsWith('常委')));
  await play('consultation', present);
  checkPages('after the meeting');
}, 180_000);
afterAll(async () => server?.dispose());

describe('the database and its WAL after a meeting', () => {
  it('the meeting played: 7 of 8 and 13 of 14 cast, both bundles verify, every receipt in its bundle', () => {
    expect(played.map((p) => p.bundle.tally.cast)).toEqual([7, 13]);
    for (const p of played) {
      expect(verifyBundle(p.bundle, { serverKey: p.receipts[0]!.serverKey }).failures).toEqual([]);
      for (const r of p.receipts) expect(checkReceipt(p.bundle, r).status).toBe('included');
    }
  });

  it('the casts table: only ballot, token hash, token, signature, commitment, choices, salt; no rowid; no index but its primary key', () => {
    readOnly(server.dbPath, (db) => {
      expect((db.pragma('table_info(casts)') as { name: string }[]).map((c) => c.name)).toEqual(['ballot_id', 'token_hash', 'token', 'signature', 'commitment', 'choices', 'salt']);
      expect(() => db.prepare('SELECT rowid FROM casts').all()).toThrow(/no such column/);
      expect((db.pragma('index_list(casts)') as { origin: string }[]).map((i) => i.origin)).toEqual(['pk']);
      // No index anywhere spans a member and a cast: list them all.
      const indexes = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").all() as { name: string; tbl_name: string }[];
      for (const ix of indexes) {
        const cols = (db.pragma(`index_info("${ix.name}")`) as { name: string }[]).map((c) => c.name);
        if (ix.tbl_name === 'casts') expect(cols).toEqual(['ballot_id', 'token_hash']);
        else expect(cols.some((c) => ['token', 'token_hash', 'commitment', 'choices', 'salt'].includes(c)), ix.name).toBe(false);
      }
    });
  });

  it('no row of any table holds a member value together with a cast value; cast values live only in casts and in published bundles', () => {
    const s = secrets();
    const castSide = [...s.token, ...s.tokenHash, ...s.commitment, ...s.signature, ...s.salt, ...s.receiptSignature];
    const memberSide = [...s.memberId, ...s.memberName, ...s.codeHash, ...s.sessionHash, ...s.blindedHash];
    const dump = dumpDb(server.dbPath);
    for (const [table, rows] of Object.entries(dump))
      for (const row of rows) {
        const cells = Object.entries(row).filter(([k]) => !(table === 'ballots' && k === 'bundle')).map(([, v]) => (v === null ? '' : String(v))).join('\u0000');
        const c = castSide.filter((x) => cells.includes(x));
        const m = memberSide.filter((x) => cells.includes(x));
        if (table !== 'casts') expect(c, `${table} row holds cast values`).toEqual([]);
        expect(m.length && c.length ? `${table}: ${m.length} member and ${c.length} cast values in one row` : null).toBeNull();
      }
    // Nothing only the tablet or the wire saw is stored at all: blinded points, blind signatures, receipt signatures, codes.
    const all = JSON.stringify(dump);
    expect([...s.blinded, ...s.blindSignature, ...s.receiptSignature, ...s.code].filter((x) => all.includes(x))).toEqual([]);
  });

  it('raw pages of the database and frames of the WAL, during a ballot and after the meeting: no page outside a published bundle holds a member value next to a cast value, and no page of another table holds cast values', () => {
    expect(pageChecks.map((p) => p.when)).toEqual(['decision open, casts in', 'consultation open, casts in', 'after the meeting']);
    for (const p of pageChecks) expect(p.problems, p.when).toEqual([]);
  });

  it('no client address, code or session id in the database or WAL bytes; cast rows carry no time', () => {
    const pages = rawPages(server.dbPath);
    const s = secrets();
    for (const p of pages) {
      expect(occurring(p.bytes, ['127.0.0.1', '::1', '::ffff:', ...s.code]), `${p.where} page ${p.no}`).toEqual([]);
    }
    readOnly(server.dbPath, (db) => {
      for (const row of db.prepare('SELECT * FROM casts').all() as Record<string, unknown>[])
        for (const v of Object.values(row)) expect(typeof v === 'number', 'no numeric (time-like) cell in a cast').toBe(false);
    });
  });

  it('bundles list casts sorted by token hash, not in arrival order, with nothing but the four cast fields; the roster has no cast field', () => {
    for (const p of played) {
      const hashes = p.bundle.ballots.map((b) => tokenHash(p.id, Buffer.from(b.token, 'hex')));
      for (let i = 1; i < hashes.length; i++) expect(compareBytes(hashes[i - 1]!, hashes[i]!)).toBeLessThan(0);
      expect(p.bundle.ballots.map((b) => b.token)).not.toEqual(p.votes.map((v) => toHex(v.token)));
      for (const b of p.bundle.ballots) expect(Object.keys(b).sort()).toEqual(['commitment', 'opening', 'signature', 'token']);
      for (const r of p.bundle.roster) expect(Object.keys(r).sort()).toEqual(['issued', 'kind', 'memberId', 'name', 'present']);
    }
  });
});

describe('the log at its most verbose (PIAOJUE_LOG=debug)', () => {
  it('never holds a token, token hash, commitment, salt, signature, receipt, blinded point, code or session; no line names a member next to any of them', () => {
    const log = server.output.join('');
    const lines = log.split('\n');
    expect(lines.filter((l) => /\/cast 200/.test(l)).length, 'the request lines were logged').toBeGreaterThanOrEqual(20);
    const s = secrets();
    const forbidden = [...s.token, ...s.tokenHash, ...s.commitment, ...s.signature, ...s.salt, ...s.receiptSignature, ...s.blinded, ...s.blindSignature, ...s.code, ...s.sessionHash, ...s.blindedHash, ...s.codeHash];
    expect(forbidden.filter((x) => log.includes(x))).toEqual([]);
    // Member ids appear only in the secretary's own paths (e.g. re-issuing a code), never on a line about a ballot's casts.
    const memberLines = lines.filter((l) => s.memberId.some((id) => l.includes(id)) || s.memberName.some((n) => l.includes(n)));
    for (const l of memberLines) expect(l).toMatch(/^\[piaojue\] POST \/api\/meetings\/m[0-9a-f]+\/members\/u[0-9a-f]+\/code 200$/);
    expect(memberLines.length).toBe(1);
    expect(log).not.toMatch(/internal error/);
  });
});

describe('no count per item before publication', () => {
  it('every answer to the secretary, a tablet or the public while open and while closed (reads, SSE, and the answers to open, cast, close and openings) has no tally, no per-item count and result null', () => {
    expect(views.length).toBeGreaterThanOrEqual(60);
    // Ballots published earlier in the meeting rightly carry their result: leave them out, check the rest.
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
    expect(checked, 'ballot views checked').toBeGreaterThanOrEqual(40);
    // The bundle endpoint says NOT_PUBLISHED, the receipt check too.
    expect(views.filter((v) => v.label.endsWith('public: bundle')).every((v) => (v.json as { error: string }).error === 'NOT_PUBLISHED')).toBe(true);
    expect(views.filter((v) => v.label.endsWith('receipt check')).every((v) => (v.json as { error: string }).error === 'NOT_PUBLISHED')).toBe(true);
  });

  it('sha256 of every view is stable across roles: the public and a tablet see the same ballot view', () => {
    const byWhen = new Map<string, Map<string, string>>();
    for (const { label, json } of views) {
      const [when, who] = label.split(': ');
      if (!who || !/^(tablet|public): ballot$/.test(who)) continue;
      if (!byWhen.has(when!)) byWhen.set(when!, new Map());
      byWhen.get(when!)!.set(who, sha256Hex(JSON.stringify(json)));
    }
    for (const [when, m] of byWhen) expect(m.get('tablet: ballot'), when).toBe(m.get('public: ballot'));
  });
});
