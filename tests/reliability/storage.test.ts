// Storage faults (issue 6.1): createApp on a store opened here, whose SQLite connection is
// made (a) read-only with PRAGMA query_only (every write fails with SQLITE_READONLY) or (b)
// full with PRAGMA max_page_count = page_count (the next write that needs a new page fails
// with SQLITE_FULL, as on a full disk). Every write of a meeting is tried under the fault:
// the API answers 503 STORAGE_UNAVAILABLE {error, message}, hands out no receipt, blind
// signature, code or cookie, and the database is exactly as before (a dump of every table).
// Once the fault is gone the very same request succeeds — a refused check-in code still
// works, a refused cast gets its receipt — and the bundle verifies with every receipt in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindToken, checkReceipt, toHex, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import { PASSWORD, expectError, prepareVote, roster, stateOf, tokenHashHex, type Res, type Token, type Vote } from '../helpers/server.ts';
import {
  AppClient, appCheckIn, appIssue, appMeeting, appOpenBallot, appWorld, inPool, readOnly, type AppMeeting, type AppWorld,
} from '../helpers/reliability.ts';

const ROOMY = 1_073_741_823;

let w: AppWorld;
let sec: AppClient;
let anon: AppClient;

beforeAll(async () => {
  w = appWorld();
  sec = new AppClient(w);
  anon = new AppClient(w, 'http://localhost', '127.0.0.1', false);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
});
afterAll(async () => w?.dispose());

const pragma = (p: string) => w.store.sqlite.pragma(p, { simple: true }) as number;

type Fault = 'read-only' | 'disk full';
function inject(fault: Fault): void {
  if (fault === 'read-only') w.store.sqlite.pragma('query_only = ON');
  else {
    if (pragma('freelist_count') > 0) w.store.sqlite.exec('VACUUM'); // no free pages to fall back on
    w.store.sqlite.pragma(`max_page_count = ${pragma('page_count')}`);
  }
}
function heal(): void {
  w.store.sqlite.pragma('query_only = OFF');
  w.store.sqlite.pragma(`max_page_count = ${ROOMY}`);
}

/** A clean refusal: 503 STORAGE_UNAVAILABLE, nothing handed out, nothing changed. */
function expectClean503(res: Res & { setCookies?: string[] }, before: ReturnType<typeof stateOf>, label: string): void {
  expect(res.status, `${label}: ${JSON.stringify(res.json)}`).toBe(503);
  expectError(res, 'STORAGE_UNAVAILABLE');
  for (const k of ['receipt', 'signed', 'codes', 'code', 'ballot', 'meeting', 'members', 'ok']) expect(res.json, label).not.toHaveProperty(k);
  expect((res.setCookies ?? []).filter((c) => !/max-age=0/i.test(c)), `${label}: no new cookie`).toEqual([]);
  expect(stateOf(w.dbPath), `${label}: the database is as before`).toEqual(before);
}

/** Under `fault` the request is refused cleanly; healed, the same request succeeds. */
async function faultThenRetry(fault: Fault, label: string, send: () => Promise<Res & { setCookies?: string[] }>): Promise<Res> {
  const before = stateOf(w.dbPath);
  inject(fault);
  let res;
  try {
    res = await send();
  } finally {
    heal();
  }
  expectClean503(res, before, `${fault}: ${label}`);
  const again = await send();
  expect(again.status, `${label} after healing: ${JSON.stringify(again.json)}`).toBeLessThan(300);
  return again;
}

/**
 * The disk fills up while `send(i)` keeps succeeding; the first refusal must be a clean 503,
 * and once space is freed the refused request, sent again as it was, succeeds.
 */
async function untilFull(label: string, send: (i: number) => Promise<Res & { setCookies?: string[] }>, max: number): Promise<{ i: number; retried: Res }> {
  inject('disk full');
  try {
    for (let i = 0; i < max; i++) {
      const before = stateOf(w.dbPath);
      const res = await send(i);
      if (res.status === 503) {
        heal();
        expectClean503(res, before, `disk full: ${label} #${i}`);
        const retried = await send(i);
        expect(retried.status, `${label} #${i} after space was freed: ${JSON.stringify(retried.json)}`).toBeLessThan(300);
        return { i, retried };
      }
      expect(res.status, `${label} #${i} before the disk was full: ${JSON.stringify(res.json)}`).toBeLessThan(300);
    }
  } finally {
    heal();
  }
  throw new Error(`${label}: ${max} requests and the disk never filled`);
}

const castIn = (bid: string, v: Vote) =>
  readOnly(w.dbPath, (db) => db.prepare('SELECT commitment FROM casts WHERE ballot_id = ? AND token_hash = ?').get(bid, tokenHashHex(bid, v.token)) as { commitment: string } | undefined);

describe('read-only storage (PRAGMA query_only = ON → SQLITE_READONLY)', () => {
  it('every write of a whole meeting, tried first on the read-only store, is a clean 503 and succeeds unchanged afterwards; anonymous reads keep working', async () => {
    const f: Fault = 'read-only';
    const sec2 = new AppClient(w);
    await faultThenRetry(f, 'secretary login', () => sec2.post('/api/secretary/login', { password: PASSWORD }));
    const mid = (await faultThenRetry(f, 'create meeting', () => sec2.post('/api/meetings', { title: '只读演练' }))).json.meeting.id;
    const members = roster({ standing: 5, full: 1 }, 'R');
    const views = (await faultThenRetry(f, 'roster import', () => sec2.post(`/api/meetings/${mid}/roster`, { members }))).json.members;
    const codes = new Map<string, string>((await faultThenRetry(f, 'issue codes', () => sec2.post(`/api/meetings/${mid}/codes`))).json.codes.map((c: any) => [c.name, c.code]));
    const idOf = (n: string) => views.find((v: any) => v.name === n).id as string;
    codes.set('R常委05', (await faultThenRetry(f, 're-issue a code', () => sec2.post(`/api/meetings/${mid}/members/${idOf('R常委05')}/code`))).json.code);
    const m: AppMeeting = { id: mid, members: views, codes, idOf };
    const first = new AppClient(w);
    await faultThenRetry(f, 'check-in', () => first.post('/api/checkin', { code: codes.get('R常委01') })); // the refused code still works
    const tablets = new Map([['R常委01', first], ...(await appCheckIn(w, m, ['R常委02', 'R常委03', 'R常委04', 'R常委05']))]);
    const draft = (await faultThenRetry(f, 'create ballot', () => sec2.post(`/api/meetings/${mid}/ballots`, { type: 'decision', title: '只读', items: [{ nominee: '甲', post: '乙' }] }))).json.ballot;
    const ballot = (await faultThenRetry(f, 'open ballot', () => sec2.post(`/api/ballots/${draft.id}/open`))).json.ballot;
    const st = blindToken(ballot.id);
    const signed = await faultThenRetry(f, 'issue (blind signature)', () => tablets.get('R常委01')!.post(`/api/ballots/${ballot.id}/issue`, { blinded: toHex(st.blinded) }));
    expect(signed.json.signed).toMatch(/^[0-9a-f]{96}$/);
    const tokens: Token[] = [];
    for (const n of ['R常委02', 'R常委03', 'R常委04']) tokens.push(await appIssue(tablets.get(n)!, ballot));
    const votes = tokens.map((t, i) => prepareVote(t, [['agree', 'disagree', 'agree'][i]!]));
    const receipts: Receipt[] = [];
    receipts.push((await faultThenRetry(f, 'cast', () => anon.post(`/api/ballots/${ballot.id}/cast`, votes[0]!.body))).json.receipt);
    for (const v of votes.slice(1)) receipts.push((await anon.ok('POST', `/api/ballots/${ballot.id}/cast`, v.body)).receipt);
    await faultThenRetry(f, 'allow a re-issue', () => sec2.post(`/api/ballots/${ballot.id}/reissue`, { memberId: idOf('R常委02') }));
    // Reads that write nothing still answer on a read-only store.
    inject(f);
    try {
      for (const p of [`/api/ballots/${ballot.id}`, `/api/meetings/${mid}/screen`, '/api/server-key']) expect((await anon.get(p)).status, p).toBe(200);
      expect((await tablets.get('R常委01')!.get('/api/tablet')).status).toBe(200);
      // The secretary can still read (the idle-timer refresh is best effort).
      expect((await sec2.get(`/api/meetings/${mid}`)).status).toBe(200);
    } finally {
      heal();
    }
    await faultThenRetry(f, 'close', () => sec2.post(`/api/ballots/${ballot.id}/close`));
    await faultThenRetry(f, 'opening', () => anon.post(`/api/ballots/${ballot.id}/openings`, votes[0]!.opening));
    for (const v of votes.slice(1)) await anon.ok('POST', `/api/ballots/${ballot.id}/openings`, v.opening);
    await faultThenRetry(f, 'finalize', () => sec2.post(`/api/ballots/${ballot.id}/finalize`));
    const bundle = (await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
    expect(verifyBundle(bundle, { serverKey: receipts[0]!.serverKey }).failures).toEqual([]);
    for (const r of receipts) expect(checkReceipt(bundle, r)).toMatchObject({ status: 'included', opened: true });
    await faultThenRetry(f, 'end meeting', () => sec2.post(`/api/meetings/${mid}/end`));
    await faultThenRetry(f, 'logout', () => sec2.post('/api/secretary/logout'));
    expect((await sec2.get('/api/secretary/me')).status).toBe(401);
  });
});

describe('disk full (PRAGMA max_page_count = page_count → SQLITE_FULL)', () => {
  let big: AppMeeting;
  let tablets: Map<string, AppClient>;
  const N = 60;

  it('creating meetings until the disk is full: a clean 503, then the same request succeeds', async () => {
    const r = await untilFull('create meeting', (i) => sec.post('/api/meetings', { title: `会议${i}`.padEnd(150, '议') }), 400);
    expect(r.retried.json.meeting.title).toMatch(/^会议/);
  });

  it('check-ins until the disk is full: the refused check-in used up nothing, its code still checks in', async () => {
    big = await appMeeting(sec, roster({ full: N }, 'F'), '满盘演练');
    const names = big.members.map((m) => m.name);
    tablets = new Map(names.map((n) => [n, new AppClient(w)]));
    const done = await untilFull('check-in', (i) => tablets.get(names[i]!)!.post('/api/checkin', { code: big.codes.get(names[i]!) }), N);
    for (const n of names.slice(done.i + 1)) await tablets.get(n)!.ok('POST', '/api/checkin', { code: big.codes.get(n) });
    for (const n of names) expect((await tablets.get(n)!.get('/api/tablet')).status, n).toBe(200);
  });

  it('opening ballots, issuance, casts (one by one and in concurrent batches), openings and finalisation on a full disk: every refusal clean, every receipt stored and in the bundle', async () => {
    const names = big.members.map((m) => m.name);
    const drafts: string[] = [];
    for (let i = 0; i < 40; i++) drafts.push((await sec.ok('POST', `/api/meetings/${big.id}/ballots`, { type: 'consultation', title: `草稿${i}`, items: [{ nominee: '甲', post: '乙' }] })).ballot.id);
    await untilFull('open ballot', (i) => sec.post(`/api/ballots/${drafts[i]}/open`), drafts.length);

    const b1 = await appOpenBallot(sec, big.id, { type: 'consultation', items: 2, title: '满盘表决' });
    const votes = (await inPool(names, 4, (n) => appIssue(tablets.get(n)!, b1))).map((t, i) => prepareVote(t, [['agree', 'disagree', 'abstain'][i % 3]!, 'agree']));
    const b2 = await appOpenBallot(sec, big.id, { type: 'consultation', items: 1, title: '满盘领票' });
    const states = names.map(() => blindToken(b2.id));
    const issued = await untilFull('issue', (i) => tablets.get(names[i]!)!.post(`/api/ballots/${b2.id}/issue`, { blinded: toHex(states[i]!.blinded) }), names.length);
    expect(issued.retried.json.signed).toMatch(/^[0-9a-f]{96}$/);

    const receipts = new Map<number, Receipt>();
    const one = await untilFull('cast', (i) => anon.post(`/api/ballots/${b1.id}/cast`, votes[i]!.body), votes.length);
    for (let i = 0; i <= one.i; i++) receipts.set(i, i === one.i ? one.retried.json.receipt : (await anon.ok('POST', `/api/ballots/${b1.id}/cast`, votes[i]!.body)).receipt);
    // Concurrent casts (grouped into one transaction per batch) until a batch does not fit.
    let next = one.i + 1;
    let refusedInBatch = 0;
    inject('disk full');
    try {
      while (refusedInBatch === 0 && next < votes.length) {
        const group = votes.slice(next, next + 8).map((v, k) => [next + k, v] as const);
        next += group.length;
        const res = await Promise.all(group.map(([, v]) => anon.post(`/api/ballots/${b1.id}/cast`, v.body)));
        res.forEach((r, k) => {
          const [i, v] = group[k]!;
          if (r.status === 200) {
            expect(castIn(b1.id, v)?.commitment).toBe(toHex(v.commitment)); // acknowledged ⇒ stored
            receipts.set(i, r.json.receipt);
          } else {
            expectError(r, 'STORAGE_UNAVAILABLE');
            expect(r.json.receipt).toBeUndefined();
            expect(castIn(b1.id, v), 'refused ⇒ not stored').toBeUndefined();
            refusedInBatch++;
          }
        });
      }
    } finally {
      heal();
    }
    expect(refusedInBatch).toBeGreaterThan(0);
    for (let i = 0; i < votes.length; i++) if (!receipts.has(i)) receipts.set(i, (await anon.ok('POST', `/api/ballots/${b1.id}/cast`, votes[i]!.body)).receipt);

    await sec.ok('POST', `/api/ballots/${b1.id}/close`);
    const opened = await untilFull('opening', (i) => anon.post(`/api/ballots/${b1.id}/openings`, votes[i]!.opening), votes.length);
    for (let i = 0; i < votes.length; i++) if (i !== opened.i) await anon.ok('POST', `/api/ballots/${b1.id}/openings`, votes[i]!.opening);
    await untilFull('finalize', () => sec.post(`/api/ballots/${b1.id}/finalize`), 2);

    const bundle = (await anon.ok('GET', `/api/ballots/${b1.id}/bundle`)) as Bundle;
    const serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
    expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ cast: N, valid: N });
    for (const [i, r] of receipts) expect(checkReceipt(bundle, r), `cast ${i}`).toMatchObject({ status: 'included', opened: true });
    console.log(`[reliability] disk full: first refusal after ${one.i} casts, ${issued.i} issuances, ${opened.i} openings; ${refusedInBatch} casts refused in a concurrent batch`);
  });

  it('secretary sign-ins (one new session each) until the disk is full: a clean 503 sets no cookie', async () => {
    await untilFull('login', (i) => new AppClient(w, 'http://localhost', `10.9.${i >> 8}.${i & 255}`).post('/api/secretary/login', { password: PASSWORD }), 200);
  });
  it('a roster import, the codes for it, and a large ballot definition that do not fit: clean 503s (no partial roster, no partial codes)', async () => {
    const { meeting } = await sec.ok('POST', '/api/meetings', { title: '大名单' });
    const members = Array.from({ length: 1000 }, (_, i) => ({ name: `委员${String(i).padStart(4, '0')}${'名'.repeat(20)}`, kind: 'full', title: '县政协委员'.repeat(5) }));
    await untilFull('roster of 1000', () => sec.post(`/api/meetings/${meeting.id}/roster`, { members }), 3);
    await untilFull('codes for 1000', () => sec.post(`/api/meetings/${meeting.id}/codes`), 3);
    const items = Array.from({ length: 50 }, (_, i) => ({ nominee: `拟任人选${i}`.padEnd(100, '名'), post: `县第${i}局局长`.padEnd(200, '职') }));
    await untilFull('ballot of 50 long items', () => sec.post(`/api/meetings/${meeting.id}/ballots`, { type: 'consultation', title: '大表决', items }), 3);
  });
});
