// Who may call what (piaojue/2): every route by every kind of caller — nobody, a member's
// tablet, a scrutineer's device, the secretary, and a tablet or device of another meeting —
// including a session cookie of one kind presented as another (a scrutineer's session id as a
// tablet or secretary cookie and every other swap); the Origin check on mutating secretary
// routes; anonymous routes answer everyone alike and ignore cookies; session cookies are
// HttpOnly and SameSite=Strict; sign-in codes (single use, re-issue revokes the old tablet);
// and the rate limits on check-in and secretary login. Every refusal leaves the database as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmAttendance, startIssuance, toHex } from '../../crypto/index.ts';
import type { ErrorCode } from '../../server/errors.ts';
import {
  Jar, PASSWORD, Tablet, castPath, castVote, checkIn, createBallot, deviceShare, expectError, issueAll, nameScrutineers, openNew, prepareVote, roster,
  setupMeeting, signIn, startTestServer, stateOf, type Meeting, type Res, type SimulatedScrutineer, type TestServer,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;
let A: Meeting;
let B: Meeting;
let tabletA: Tablet;
let tabletB: Tablet;
let tabletA3: Tablet;
let deviceA: SimulatedScrutineer;
let deviceB: SimulatedScrutineer;
let ballotA: any; // open, meeting A
let ballotB: any; // open, meeting B
let closedA: any; // closed, waiting for decryption
let draftA: any;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  A = await setupMeeting(sec, roster({ standing: 3 }, 'A'), '甲县常委会');
  B = await setupMeeting(sec, roster({ standing: 3 }, 'B'), '乙县常委会');
  deviceA = A.devices[0]!;
  deviceB = B.devices[0]!;
  const tabsA = await checkIn(server, A, A.names());
  tabletA = tabsA.get('A常委01')!;
  tabletA3 = tabsA.get('A常委03')!;
  tabletB = (await checkIn(server, B, B.names())).get('B常委01')!;
  closedA = await openNew(sec, A, { type: 'decision' });
  await sec.ok('POST', `/api/ballots/${closedA.id}/close`);
  ballotA = await openNew(sec, A, { type: 'decision' });
  ballotB = await openNew(sec, B, { type: 'decision' });
  draftA = await createBallot(sec, A.id, { type: 'decision' });
});
afterAll(async () => server?.dispose());

type Kind = 'secretary' | 'tablet' | 'scrutineer';
type Route = { kind: Kind; method: 'GET' | 'POST'; path: () => string; body?: () => unknown; ballot?: boolean };

const logOf = (bid: string) => confirmAttendance(deviceA.state!, bid, []).log;

/** Every route that needs a session, with a body that would be well formed for its own caller. */
const routes: Route[] = [
  { kind: 'secretary', method: 'GET', path: () => '/api/secretary/me' },
  { kind: 'secretary', method: 'GET', path: () => '/api/meetings' },
  { kind: 'secretary', method: 'GET', path: () => `/api/meetings/${A.id}` },
  { kind: 'secretary', method: 'POST', path: () => '/api/meetings', body: () => ({ title: '不该创建的会议' }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/roster/preview`, body: () => ({ members: [{ name: '张三', kind: 'standing' }] }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/roster`, body: () => ({ members: [{ name: '张三', kind: 'standing' }] }) },
  { kind: 'secretary', method: 'GET', path: () => '/api/roster-template/csv' },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/codes` },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/members/${A.idOf('A常委02')}/code` },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/codes/reissue`, body: () => ({ memberIds: [A.idOf('A常委02')] }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/members/${A.idOf('A常委02')}/attendance`, body: () => ({ status: 'leave' }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/scrutineers`, body: () => ({ t: 1, scrutineers: [{ name: '某人' }] }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/end` },
  { kind: 'secretary', method: 'POST', path: () => `/api/meetings/${A.id}/ballots`, body: () => ({ type: 'decision', title: 'x', items: [{ nominee: 'a', post: 'b' }] }) },
  { kind: 'secretary', method: 'POST', path: () => `/api/ballots/${draftA.id}/open` },
  { kind: 'secretary', method: 'POST', path: () => `/api/ballots/${ballotA.id}/close` },
  { kind: 'secretary', method: 'POST', path: () => `/api/ballots/${closedA.id}/finalize` },
  { kind: 'secretary', method: 'POST', path: () => `/api/ballots/${ballotA.id}/reissue`, body: () => ({ memberId: A.idOf('A常委01') }) },
  { kind: 'tablet', method: 'GET', path: () => '/api/tablet' },
  { kind: 'tablet', method: 'POST', path: () => '/api/tablet/not-me' },
  { kind: 'tablet', method: 'POST', path: () => `/api/ballots/${ballotA.id}/issue`, body: () => ({ blinded: toHex(startIssuance(ballotA.id).blinded) }), ballot: true },
  { kind: 'scrutineer', method: 'GET', path: () => '/api/scrutineer' },
  { kind: 'scrutineer', method: 'GET', path: () => '/api/scrutineer/requests' },
  { kind: 'scrutineer', method: 'POST', path: () => '/api/scrutineer/keys', body: () => ({ signingKey: deviceA.state!.key.signingKey, encryptionKey: deviceA.state!.key.encryptionKey }) },
  { kind: 'scrutineer', method: 'POST', path: () => '/api/scrutineer/ceremony', body: () => ({ ack: { index: 1, transcript: '00'.repeat(32), signature: '00'.repeat(64) } }) },
  { kind: 'scrutineer', method: 'POST', path: () => `/api/scrutineer/ballots/${draftA.id}/confirm`, body: () => ({ log: logOf(draftA.id) }), ballot: true },
  { kind: 'scrutineer', method: 'POST', path: () => '/api/scrutineer/partials', body: () => ({ ballotId: ballotA.id, partials: [], log: logOf(ballotA.id) }), ballot: true },
  { kind: 'scrutineer', method: 'GET', path: () => `/api/scrutineer/ballots/${closedA.id}/casts`, ballot: true },
  { kind: 'scrutineer', method: 'POST', path: () => `/api/scrutineer/ballots/${closedA.id}/decryption`, body: () => ({ share: decryptionOfA() }), ballot: true },
];

let shareA: unknown;
function decryptionOfA(): unknown {
  return shareA;
}

const call = (jar: Jar, r: Route, opts?: Parameters<Jar['call']>[3]): Promise<Res> => jar.call(r.method, r.path(), r.body?.(), opts);
const label = (r: Route) => `${r.method} ${r.path()}`;
/** The route whose label is `method path`. */
const route = (l: string): Route => routes.find((r) => label(r) === l) ?? (() => { throw new Error(`no route ${l}`); })();
const REFUSAL: Record<Kind, ErrorCode> = { secretary: 'NOT_SIGNED_IN', tablet: 'NOT_CHECKED_IN', scrutineer: 'NOT_CHECKED_IN' };

/** A jar holding exactly one cookie. */
function jarWith(name: string, value: string): Jar {
  const j = new Jar(server);
  j.cookies.set(name, value);
  return j;
}

describe('every route by every kind of caller', () => {
  beforeAll(async () => {
    shareA = await deviceShare(deviceA, closedA.id);
  });

  it('a caller of the wrong kind is refused (401 NOT_SIGNED_IN / NOT_CHECKED_IN); a tablet or device of another meeting gets 404 on this meeting\'s ballots; nothing changes', async () => {
    const callers: [string, Jar, Kind | null, 'A' | 'B' | null][] = [
      ['nobody', anon, null, null],
      ['nobody with a forged cookie', jarWith('piaojue_sid', 'f'.repeat(64)), null, null],
      ['the secretary', sec, 'secretary', null],
      ['a tablet of meeting A', tabletA.jar, 'tablet', 'A'],
      ['a tablet of meeting B', tabletB.jar, 'tablet', 'B'],
      ['a scrutineer device of meeting A', deviceA.jar, 'scrutineer', 'A'],
      ['a scrutineer device of meeting B', deviceB.jar, 'scrutineer', 'B'],
    ];
    const before = stateOf(server.dbPath);
    let checked = 0;
    for (const [who, jar, kind, meeting] of callers)
      for (const r of routes) {
        if (kind === r.kind && (kind === 'secretary' || meeting === 'A' || !r.ballot)) continue; // its own route (below)
        const res = await call(jar, r);
        const code: ErrorCode = kind === r.kind ? 'NOT_FOUND' : REFUSAL[r.kind];
        expect(res.json.error, `${who}: ${label(r)} ${JSON.stringify(res.json)}`).toBe(code);
        expectError(res, code);
        checked++;
      }
    expect(checked).toBeGreaterThan(120);
    expectError(await call(anon, route(`POST /api/ballots/${draftA.id}/open`), { lang: 'en' }), 'NOT_SIGNED_IN', 'en');
    expectError(await call(anon, route(`POST /api/ballots/${ballotA.id}/issue`), { lang: 'en' }), 'NOT_CHECKED_IN', 'en');
    expectError(await call(anon, route('GET /api/scrutineer'), { lang: 'en' }), 'NOT_CHECKED_IN', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('a session cookie of one kind presented as another kind is refused: scrutineer as tablet or secretary, tablet as scrutineer or secretary, secretary as tablet or scrutineer', async () => {
    const sids = { piaojue_sid: sec.cookies.get('piaojue_sid')!, piaojue_tablet: tabletA.jar.cookies.get('piaojue_tablet')!, piaojue_scrutineer: deviceA.jar.cookies.get('piaojue_scrutineer')! };
    for (const v of Object.values(sids)) expect(v).toMatch(/^[0-9a-f]{64}$/);
    const probe: Record<string, Route> = {
      piaojue_sid: route('GET /api/meetings'),
      piaojue_tablet: route('GET /api/tablet'),
      piaojue_scrutineer: route('GET /api/scrutineer'),
    };
    const before = stateOf(server.dbPath);
    for (const [from, sid] of Object.entries(sids))
      for (const [as, r] of Object.entries(probe)) {
        const res = await call(jarWith(as, sid), r);
        if (from === as) expect(res.status, `${from} as itself`).toBe(200);
        else expectError(res, r.kind === 'secretary' ? 'NOT_SIGNED_IN' : 'NOT_CHECKED_IN');
        // Every protected route of the other kinds refuses it too.
        if (from !== as) for (const other of routes.filter((x) => x.kind === probe[as]!.kind && x.method === 'GET'))
          expectError(await call(jarWith(as, sid), other), REFUSAL[other.kind]);
      }
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('each caller reaches its own routes and sees only its own meeting', async () => {
    for (const r of routes.filter((x) => x.kind === 'secretary' && x.method === 'GET')) expect((await call(sec, r)).status, label(r)).toBe(200);
    const a = await tabletA.jar.ok('GET', '/api/tablet');
    expect(a.member).toMatchObject({ id: tabletA.memberId, name: 'A常委01', kind: 'standing' });
    expect(a.meeting.id).toBe(A.id);
    expect(a.ballots.map((x: { id: string }) => x.id).sort()).toEqual([closedA.id, ballotA.id, draftA.id].sort());
    expect(a.ballots.every((x: { meetingId: string }) => x.meetingId === A.id)).toBe(true);
    expect((await tabletB.jar.ok('GET', '/api/tablet')).ballots.map((x: { id: string }) => x.id)).toEqual([ballotB.id]);
    const dA = await deviceA.jar.ok('GET', '/api/scrutineer');
    expect(dA).toMatchObject({ scrutineer: { index: 1, registered: true }, meeting: { id: A.id } });
    expect(dA.ballots.map((x: { id: string }) => x.id).sort()).toEqual([closedA.id, ballotA.id, draftA.id].sort());
    const dB = await deviceB.jar.ok('GET', '/api/scrutineer');
    expect(dB.meeting.id).toBe(B.id);
    expect(dB.ballots.map((x: { id: string }) => x.id)).toEqual([ballotB.id]);
    // A request of meeting A's tablet reaches meeting A's devices only.
    const asked = tabletA3.requestToken(ballotA, await tabletA3.keys(ballotA.id));
    for (let i = 0; i < 100 && !(await deviceA.jar.ok('GET', '/api/scrutineer/requests')).requests.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await deviceA.jar.ok('GET', '/api/scrutineer/requests')).requests.map((q: { memberId: string }) => q.memberId)).toEqual([tabletA3.memberId]);
    expect((await deviceB.jar.ok('GET', '/api/scrutineer/requests')).requests).toEqual([]);
    for (const d of A.devices) await d.serve();
    expect((await asked).partials.length).toBeGreaterThanOrEqual(A.t);
  });
});

describe('secretary routes and the Origin check', () => {
  it('mutating secretary requests without Origin, with a foreign Origin or with Origin "null" → 403 BAD_ORIGIN, and nothing changes; device and tablet routes take no Origin', async () => {
    const before = stateOf(server.dbPath);
    const writes = routes.filter((r) => r.kind === 'secretary' && r.method === 'POST');
    for (const origin of [null, 'http://evil.example', 'null', server.url.replace('127.0.0.1', 'localhost'), `${server.url}.evil.example`])
      for (const r of [...writes, { kind: 'secretary' as const, method: 'POST' as const, path: () => '/api/secretary/logout' }]) {
        const res = await call(sec, r, { origin });
        expect(res.json.error, `${label(r)} Origin ${origin}`).toBe('BAD_ORIGIN');
        expectError(res, 'BAD_ORIGIN');
      }
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await sec.ok('GET', '/api/secretary/me', undefined, { origin: null })).signedIn).toBe(true); // reads need no Origin
    expect((await deviceA.jar.call('GET', '/api/scrutineer', undefined, { origin: null })).status).toBe(200);
    await deviceA.jar.ok('POST', '/api/scrutineer/keys', route('POST /api/scrutineer/keys').body!(), { origin: null });
  });

  it('session cookies are HttpOnly, SameSite=Strict, Path=/ for the secretary, a tablet and a scrutineer device', async () => {
    const res = await new Jar(server).post('/api/secretary/login', { password: PASSWORD });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('piaojue_sid='))!;
    expect(res.headers.get('cache-control')).toBe('no-store');
    const t = new Tablet(server, 'A常委02', A.idOf('A常委02'));
    const code = (await sec.ok('POST', `/api/meetings/${A.id}/members/${A.idOf('A常委02')}/code`)).code;
    const tcookie = (await t.jar.post('/api/checkin', { code })).headers.getSetCookie().find((c) => c.startsWith('piaojue_tablet='))!;
    const m = await setupMeeting(sec, roster({ standing: 1 }, 'K'), '曲奇', { scrutineers: false });
    const [scode] = await nameScrutineers(sec, m.id, { n: 1, t: 1 });
    const scookie = (await new Jar(server).post('/api/scrutineer/checkin', { code: scode })).headers.getSetCookie().find((c) => c.startsWith('piaojue_scrutineer='))!;
    for (const c of [cookie, tcookie, scookie]) {
      expect(c).toMatch(/HttpOnly/i);
      expect(c).toMatch(/SameSite=Strict/i);
      expect(c).toMatch(/Path=\//i);
    }
  });

  it('a wrong password is 401 BAD_PASSWORD; logout ends the session (its cookie no longer works); a new login gets a new session id', async () => {
    expectError(await new Jar(server).post('/api/secretary/login', { password: 'wrong' }), 'BAD_PASSWORD');
    expectError(await new Jar(server).post('/api/secretary/login', { password: 'wrong' }, { lang: 'en' }), 'BAD_PASSWORD', 'en');
    const s = await signIn(server);
    const old = s.cookies.get('piaojue_sid')!;
    expect((await jarWith('piaojue_sid', old).get('/api/meetings')).status).toBe(200);
    await s.ok('POST', '/api/secretary/login', { password: PASSWORD });
    expect(s.cookies.get('piaojue_sid')).not.toBe(old); // rotated
    expectError(await jarWith('piaojue_sid', old).get('/api/meetings'), 'NOT_SIGNED_IN'); // the old id died with the rotation
    const current = s.cookies.get('piaojue_sid')!;
    await s.ok('POST', '/api/secretary/logout');
    expect(s.cookies.has('piaojue_sid')).toBe(false);
    expectError(await jarWith('piaojue_sid', current).get('/api/secretary/me'), 'NOT_SIGNED_IN');
  });
});

describe('anonymous routes answer everyone alike and ignore cookies', () => {
  it('ballot view, screen, server key, bundle and cast with a tablet, device or secretary cookie attached: the same answers as anonymous', async () => {
    for (const who of [anon, tabletA.jar, tabletB.jar, deviceA.jar, deviceB.jar, sec]) {
      const v = await who.ok('GET', `/api/ballots/${ballotA.id}`, undefined, { origin: null });
      expect(v).toMatchObject({ id: ballotA.id, meetingId: A.id, status: 'open', result: null });
      const screen = await who.ok('GET', `/api/meetings/${A.id}/screen`, undefined, { origin: null });
      expect(screen).toMatchObject({ meeting: { id: A.id }, members: 3 });
      expect((await who.ok('GET', '/api/server-key')).serverKey).toMatch(/^[0-9a-f]{64}$/);
      expectError(await who.get(`/api/ballots/${ballotA.id}/bundle`), 'NOT_PUBLISHED');
      const events = await who.call('GET', `/api/meetings/${A.id}/events`, undefined, { headOnly: true });
      expect([events.status, events.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^text\/event-stream/)]);
    }
    // A tablet that (wrongly) sends its cookie on a cast: accepted like any cast, nothing about the caller kept.
    const [tok] = await issueAll([tabletA], ballotA, A.devices);
    const v = prepareVote(tok!, ['agree']);
    const withCookie = await tabletA.jar.call('POST', castPath(ballotA.id), v.body, { origin: null });
    expect(withCookie.headers.get('connection')).toBe('close');
    expect(withCookie.json.receipt).toEqual(await castVote(anon, v));
  });
});

describe('sign-in codes', () => {
  it('a code checks in once: the second check-in with it (any tablet) is 401 BAD_CODE; lower case and without the dash it is the same code', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'C'), '登录码', { scrutineers: false });
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

  it('a re-issued code revokes the old code and signs the old tablet out; the new code checks in and the member is issued', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'D'), '补发登录码');
    const tabs = await checkIn(server, m, ['D常委01']);
    const old = tabs.get('D常委01')!;
    const b = await openNew(sec, m, { type: 'consultation' });
    const { code, memberId, name } = await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('D常委01')}/code`);
    expect({ memberId, name }).toEqual({ memberId: m.idOf('D常委01'), name: 'D常委01' });
    expect(code).not.toBe(m.codes.get('D常委01'));
    expectError(await old.jar.get('/api/tablet'), 'NOT_CHECKED_IN');
    expectError(await old.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }), 'NOT_CHECKED_IN');
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('D常委01') }), 'BAD_CODE');
    // An unused code re-issued: the old one stops working too.
    const { code: code2 } = await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('D常委02')}/code`);
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('D常委02') }), 'BAD_CODE');
    const fresh = new Tablet(server, 'D常委01', m.idOf('D常委01'));
    await fresh.jar.ok('POST', '/api/checkin', { code });
    expect((await fresh.jar.ok('GET', '/api/tablet')).member.name).toBe('D常委01');
    await fresh.issue(b, m.devices);
    await new Tablet(server, 'D常委02', m.idOf('D常委02')).jar.ok('POST', '/api/checkin', { code: code2 });
    expectError(await sec.post(`/api/meetings/${m.id}/members/${A.idOf('A常委01')}/code`), 'NOT_FOUND'); // member of another meeting
  });
});

describe('rate limits (each on its own server, since the limit is per client address)', () => {
  it('check-in: successful check-ins from one address are not limited (one NAT for the whole room); after 10 bad codes — member or scrutineer — the 11th bad try is 429 RATE_LIMITED, but a correct code from the same address still signs in', async () => {
    const s = await startTestServer({ workers: 0 });
    try {
      const sj = await signIn(s);
      const m = await setupMeeting(sj, roster({ standing: 11, full: 4 }), '限速', { scrutineers: false });
      const [scode] = await nameScrutineers(sj, m.id, { n: 1, t: 1 });
      await checkIn(s, m, m.names().slice(0, 14)); // 14 good check-ins from 127.0.0.1
      const probe = new Jar(s);
      for (let i = 0; i < 10; i++)
        expectError(await probe.post(i % 2 ? '/api/checkin' : '/api/scrutineer/checkin', { code: `AAAAA-AAAA${'23456789AB'[i]}` }), 'BAD_CODE');
      const before = stateOf(s.dbPath);
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAC' }), 'RATE_LIMITED');
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAC' }, { lang: 'en' }), 'RATE_LIMITED', 'en');
      expect(stateOf(s.dbPath)).toEqual(before);
      // The lock-out of the shared address stops no member or scrutineer who has not failed (issue 12).
      await new Jar(s).ok('POST', '/api/checkin', { code: m.codes.get(m.names()[14]!) });
      await new Jar(s).ok('POST', '/api/scrutineer/checkin', { code: scode });
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAD' }), 'RATE_LIMITED');
      s.clock.advance(61_000); // the window passes
      expectError(await probe.post('/api/checkin', { code: 'AAAAA-AAAAD' }), 'BAD_CODE');
    } finally {
      await s.dispose();
    }
  });

  it('secretary login: 10 wrong passwords are 401 BAD_PASSWORD, the 11th try is 429 RATE_LIMITED even with the right password', async () => {
    const s = await startTestServer({ workers: 0 });
    try {
      for (let i = 0; i < 10; i++) expectError(await new Jar(s).post('/api/secretary/login', { password: `guess-${i}` }), 'BAD_PASSWORD');
      expectError(await new Jar(s).post('/api/secretary/login', { password: PASSWORD }), 'RATE_LIMITED');
    } finally {
      await s.dispose();
    }
  });
});
