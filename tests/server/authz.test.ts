// Who may call what: anonymous callers, a member's tablet, the secretary and a tablet of
// another meeting on every route; the Origin check on mutating secretary routes; sign-in
// codes (single use, re-issue revokes the old tablet); and the rate limits on check-in and
// secretary login. Every refusal leaves the database as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindToken, toHex } from '../../crypto/index.ts';
import {
  Jar, PASSWORD, Tablet, castVote, checkIn, createBallot, expectError, openBallot, prepareVote, roster, setupMeeting, signIn,
  startTestServer, stateOf, type Meeting, type Res, type TestServer,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;
let A: Meeting;
let B: Meeting;
let tabletA: Tablet;
let tabletB: Tablet;
let tabletA3: Tablet;
let ballotA: any; // open, meeting A
let ballotB: any; // open, meeting B
let draftA: any;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  A = await setupMeeting(sec, roster({ standing: 3 }, 'A'), '甲县常委会');
  B = await setupMeeting(sec, roster({ standing: 3 }, 'B'), '乙县常委会');
  const tabsA = await checkIn(server, A, A.names());
  tabletA = tabsA.get('A常委01')!;
  tabletA3 = tabsA.get('A常委03')!;
  tabletB = (await checkIn(server, B, B.names())).get('B常委01')!;
  ballotA = await openBallot(sec, (await createBallot(sec, A.id, { type: 'decision' })).id);
  ballotB = await openBallot(sec, (await createBallot(sec, B.id, { type: 'decision' })).id);
  draftA = await createBallot(sec, A.id, { type: 'decision' });
});
afterAll(async () => server?.dispose());

type Route = { method: 'GET' | 'POST'; path: () => string; body?: () => unknown };

const secretaryReads: Route[] = [
  { method: 'GET', path: () => '/api/secretary/me' },
  { method: 'GET', path: () => '/api/meetings' },
  { method: 'GET', path: () => `/api/meetings/${A.id}` },
];

/** Mutating secretary routes, each with a body that would succeed for the secretary. */
const secretaryWrites: Route[] = [
  { method: 'POST', path: () => '/api/meetings', body: () => ({ title: '不该创建的会议' }) },
  { method: 'POST', path: () => `/api/meetings/${A.id}/roster`, body: () => ({ members: [{ name: '张三', kind: 'standing' }] }) },
  { method: 'POST', path: () => `/api/meetings/${A.id}/codes` },
  { method: 'POST', path: () => `/api/meetings/${A.id}/members/${A.idOf('A常委02')}/code` },
  { method: 'POST', path: () => `/api/meetings/${A.id}/end` },
  { method: 'POST', path: () => `/api/meetings/${A.id}/ballots`, body: () => ({ type: 'decision', title: 'x', items: [{ nominee: 'a', post: 'b' }] }) },
  { method: 'POST', path: () => `/api/ballots/${draftA.id}/open` },
  { method: 'POST', path: () => `/api/ballots/${ballotA.id}/close` },
  { method: 'POST', path: () => `/api/ballots/${ballotA.id}/finalize` },
  { method: 'POST', path: () => `/api/ballots/${ballotA.id}/reissue`, body: () => ({ memberId: A.idOf('A常委01') }) },
];

const call = (jar: Jar, r: Route, opts?: Parameters<Jar['call']>[3]): Promise<Res> => jar.call(r.method, r.path(), r.body?.(), opts);
const label = (r: Route) => `${r.method} ${r.path()}`;

describe('secretary routes', () => {
  it('without a secretary session (anonymous, tablet, tablet of another meeting) → 401 NOT_SIGNED_IN, and nothing changes', async () => {
    const before = stateOf(server.dbPath);
    for (const who of [anon, tabletA.jar, tabletB.jar])
      for (const r of [...secretaryReads, ...secretaryWrites]) {
        const res = await call(who, r);
        expect(res.json.error, label(r)).toBe('NOT_SIGNED_IN');
        expectError(res, 'NOT_SIGNED_IN');
      }
    expectError(await call(anon, secretaryWrites[6]!, { lang: 'en' }), 'NOT_SIGNED_IN', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('mutating secretary requests without Origin, with a foreign Origin or with Origin "null" → 403 BAD_ORIGIN, and nothing changes', async () => {
    const before = stateOf(server.dbPath);
    for (const origin of [null, 'http://evil.example', 'null', server.url.replace('127.0.0.1', 'localhost'), `${server.url}.evil.example`])
      for (const r of [...secretaryWrites, { method: 'POST' as const, path: () => '/api/secretary/logout' }]) {
        const res = await call(sec, r, { origin });
        expect(res.json.error, `${label(r)} Origin ${origin}`).toBe('BAD_ORIGIN');
        expectError(res, 'BAD_ORIGIN');
      }
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await sec.ok('GET', '/api/secretary/me', undefined, { origin: null })).signedIn).toBe(true); // reads need no Origin
  });

  it('the secretary reaches every read route; cookies are HttpOnly, SameSite=Strict, Path=/', async () => {
    for (const r of secretaryReads) expect((await call(sec, r)).status, label(r)).toBe(200);
    const fresh = new Jar(server);
    const res = await fresh.post('/api/secretary/login', { password: PASSWORD });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('piaojue_sid='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//i);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const t = new Tablet(server, 'A常委02', A.idOf('A常委02'));
    const code = (await sec.ok('POST', `/api/meetings/${A.id}/members/${A.idOf('A常委02')}/code`)).code;
    const tr = await t.jar.post('/api/checkin', { code });
    const tcookie = tr.headers.getSetCookie().find((c) => c.startsWith('piaojue_tablet='))!;
    expect(tcookie).toMatch(/HttpOnly/i);
    expect(tcookie).toMatch(/SameSite=Strict/i);
  });

  it('a wrong password is 401 BAD_PASSWORD; logout ends the session (its cookie no longer works); a new login gets a new session id', async () => {
    expectError(await new Jar(server).post('/api/secretary/login', { password: 'wrong' }), 'BAD_PASSWORD');
    expectError(await new Jar(server).post('/api/secretary/login', { password: 'wrong' }, { lang: 'en' }), 'BAD_PASSWORD', 'en');
    const s = await signIn(server);
    const old = s.cookies.get('piaojue_sid')!;
    const copy = new Jar(server);
    copy.cookies.set('piaojue_sid', old);
    expect((await copy.get('/api/meetings')).status).toBe(200);
    await s.ok('POST', '/api/secretary/login', { password: PASSWORD });
    expect(s.cookies.get('piaojue_sid')).not.toBe(old); // rotated
    expectError(await copy.get('/api/meetings'), 'NOT_SIGNED_IN'); // the old id died with the rotation
    await s.ok('POST', '/api/secretary/logout');
    expect(s.cookies.has('piaojue_sid')).toBe(false);
    const after = new Jar(server);
    after.cookies.set('piaojue_sid', old);
    expectError(await after.get('/api/secretary/me'), 'NOT_SIGNED_IN');
    const forged = new Jar(server);
    forged.cookies.set('piaojue_sid', 'f'.repeat(64));
    expectError(await forged.get('/api/secretary/me'), 'NOT_SIGNED_IN');
  });
});

describe('tablet routes', () => {
  it('GET /api/tablet: 401 NOT_CHECKED_IN for anonymous and secretary; each tablet sees only its own meeting', async () => {
    expectError(await anon.get('/api/tablet'), 'NOT_CHECKED_IN');
    expectError(await sec.get('/api/tablet'), 'NOT_CHECKED_IN');
    expectError(await anon.get('/api/tablet', { lang: 'en' }), 'NOT_CHECKED_IN', 'en');
    const a = await tabletA.jar.ok('GET', '/api/tablet');
    expect(a.member).toMatchObject({ id: tabletA.memberId, name: 'A常委01', kind: 'standing' });
    expect(a.meeting.id).toBe(A.id);
    expect(a.ballots.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([ballotA.id, draftA.id]));
    expect(a.ballots.map((x: { meetingId: string }) => x.meetingId).every((m: string) => m === A.id)).toBe(true);
    const b = await tabletB.jar.ok('GET', '/api/tablet');
    expect(b.meeting.id).toBe(B.id);
    expect(b.ballots.map((x: { id: string }) => x.id)).toEqual([ballotB.id]);
  });

  it('POST issue: anonymous or secretary → 401 NOT_CHECKED_IN; a tablet of meeting B on meeting A\'s ballot → 404; unknown ballot → 404; own tablet → 200', async () => {
    const blinded = () => ({ blinded: toHex(blindToken(ballotA.id).blinded) });
    const before = stateOf(server.dbPath);
    expectError(await anon.post(`/api/ballots/${ballotA.id}/issue`, blinded()), 'NOT_CHECKED_IN');
    expectError(await sec.post(`/api/ballots/${ballotA.id}/issue`, blinded()), 'NOT_CHECKED_IN');
    expectError(await tabletB.jar.post(`/api/ballots/${ballotA.id}/issue`, blinded()), 'NOT_FOUND');
    expectError(await tabletB.jar.post(`/api/ballots/${ballotA.id}/issue`, blinded(), { lang: 'en' }), 'NOT_FOUND', 'en');
    expectError(await tabletA.jar.post('/api/ballots/bnosuch/issue', blinded()), 'NOT_FOUND');
    expect(stateOf(server.dbPath)).toEqual(before);
    const tok = await tabletA.issue(ballotA);
    expect(tok.signature).toHaveLength(48);
    expect((await tabletB.issue(ballotB)).signature).toHaveLength(48);
  });
});

describe('anonymous routes answer everyone alike and ignore cookies', () => {
  it('ballot view, screen, server key, cast with a tablet or secretary cookie attached: same answers as anonymous', async () => {
    for (const who of [anon, tabletA.jar, tabletB.jar, sec]) {
      const v = await who.ok('GET', `/api/ballots/${ballotA.id}`, undefined, { origin: null });
      expect(v).toMatchObject({ id: ballotA.id, meetingId: A.id, status: 'open', result: null });
      const screen = await who.ok('GET', `/api/meetings/${A.id}/screen`, undefined, { origin: null });
      expect(screen).toMatchObject({ meeting: { id: A.id }, members: 3 });
      expect((await who.ok('GET', '/api/server-key')).serverKey).toMatch(/^[0-9a-f]{64}$/);
      expectError(await who.get(`/api/ballots/${ballotA.id}/bundle`), 'NOT_PUBLISHED');
    }
    // A tablet that (wrongly) sends its cookie on a cast: accepted like any cast, nothing about the caller kept.
    const tok = await tabletA3.issue(ballotA);
    const v = prepareVote(tok, ['agree']);
    const withCookie = await tabletA3.jar.ok('POST', `/api/ballots/${ballotA.id}/cast`, v.body, { origin: null });
    expect(withCookie.receipt).toEqual(await castVote(anon, v));
  });
});

describe('sign-in codes', () => {
  it('a code checks in once: the second check-in with it (any tablet) is 401 BAD_CODE; lower case and without the dash it is the same code', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'C'), '登录码');
    const code = m.codes.get('C常委01')!;
    expect(code).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    const t = new Tablet(server, 'C常委01', m.idOf('C常委01'));
    const res = await t.jar.ok('POST', '/api/checkin', { code: code.toLowerCase().replace('-', ' ') });
    expect(res).toEqual({ member: { id: m.idOf('C常委01'), name: 'C常委01', kind: 'standing', title: '' }, meeting: { id: m.id, title: m.title } });
    expectError(await new Jar(server).post('/api/checkin', { code }), 'BAD_CODE');
    expectError(await t.jar.post('/api/checkin', { code }), 'BAD_CODE');
    expectError(await new Jar(server).post('/api/checkin', { code }, { lang: 'en' }), 'BAD_CODE', 'en');
    expect((await t.jar.ok('GET', '/api/tablet')).member.id).toBe(m.idOf('C常委01')); // the first tablet is still in
    const view = await sec.ok('GET', `/api/meetings/${m.id}`);
    expect(view.members.map((x: { name: string; present: boolean; hasCode: boolean }) => [x.name, x.present, x.hasCode])).toEqual([
      ['C常委01', true, false], ['C常委02', false, true], ['C常委03', false, true],
    ]);
    expect(JSON.stringify(view)).not.toContain(m.codes.get('C常委02')!); // plaintext codes are shown once only
    expect((await sec.ok('POST', `/api/meetings/${m.id}/codes`)).codes).toEqual([]); // live and used codes are kept
    // (Each BAD_CODE counts against this address's budget of 10 failed tries a minute.)
    for (const bad of ['', 'x'.repeat(41), 42]) expectError(await new Jar(server).post('/api/checkin', { code: bad }), 'BAD_CODE');
  });

  it('a re-issued code revokes the old code and signs the old tablet out; the new code checks in', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'D'), '补发登录码');
    const tabs = await checkIn(server, m, ['D常委01']);
    const old = tabs.get('D常委01')!;
    const b = await openBallot(sec, (await createBallot(sec, m.id, { type: 'consultation' })).id);
    const { code, memberId, name } = await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('D常委01')}/code`);
    expect({ memberId, name }).toEqual({ memberId: m.idOf('D常委01'), name: 'D常委01' });
    expect(code).not.toBe(m.codes.get('D常委01'));
    expectError(await old.jar.get('/api/tablet'), 'NOT_CHECKED_IN');
    expectError(await old.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(blindToken(b.id).blinded) }), 'NOT_CHECKED_IN');
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('D常委01') }), 'BAD_CODE');
    // An unused code re-issued: the old one stops working too.
    const { code: code2 } = await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('D常委02')}/code`);
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('D常委02') }), 'BAD_CODE');
    const fresh = new Tablet(server, 'D常委01', m.idOf('D常委01'));
    await fresh.jar.ok('POST', '/api/checkin', { code });
    expect((await fresh.jar.ok('GET', '/api/tablet')).member.name).toBe('D常委01');
    await fresh.issue(b);
    await new Tablet(server, 'D常委02', m.idOf('D常委02')).jar.ok('POST', '/api/checkin', { code: code2 });
    expectError(await sec.post(`/api/meetings/${m.id}/members/${A.idOf('A常委01')}/code`), 'NOT_FOUND'); // member of another meeting
  });
});

describe('rate limits (each on its own server, since the limit is per client address)', () => {
  it('check-in: successful check-ins from one address are not limited (one NAT for the whole room); after 10 bad codes the 11th try is 429 RATE_LIMITED', async () => {
    const s = await startTestServer();
    try {
      const sj = await signIn(s);
      const m = await setupMeeting(sj, roster({ standing: 11, full: 4 }), '限速');
      await checkIn(s, m, m.names().slice(0, 14)); // 14 good check-ins from 127.0.0.1
      const probe = new Jar(s);
      for (let i = 0; i < 10; i++) expectError(await probe.post('/api/checkin', { code: `AAAAA-AAAA${'23456789AB'[i]}` }), 'BAD_CODE');
      const before = stateOf(s.dbPath);
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAC' }), 'RATE_LIMITED');
      expectError(await new Jar(s).post('/api/checkin', { code: m.codes.get(m.names()[14]!) }), 'RATE_LIMITED'); // even a good code
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAC' }, { lang: 'en' }), 'RATE_LIMITED', 'en');
      expect(stateOf(s.dbPath)).toEqual(before);
    } finally {
      await s.dispose();
    }
  });

  it('secretary login: 10 wrong passwords are 401 BAD_PASSWORD, the 11th try is 429 RATE_LIMITED even with the right password', async () => {
    const s = await startTestServer();
    try {
      for (let i = 0; i < 10; i++) expectError(await new Jar(s).post('/api/secretary/login', { password: `guess-${i}` }), 'BAD_PASSWORD');
      expectError(await new Jar(s).post('/api/secretary/login', { password: PASSWORD }), 'RATE_LIMITED');
    } finally {
      await s.dispose();
    }
  });
});
