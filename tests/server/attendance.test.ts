// Attendance that stays true (issue 11): "不是我" on the tablet undoes the check-in (absent again,
// signed out, the code used up); a re-issued code makes the member not signed in; the secretary
// records 请假 and 离会 (stored, in the meeting view, not counted present, per-ballot 应到 / 实到);
// every change that would falsify a ballot under way is refused with ATTENDANCE_LOCKED and changes
// nothing; the console lists present entitled members without a ballot; two open ballots of one
// title are refused with TITLE_IN_USE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, startIssuance } from '../../crypto/index.ts';
import {
  Jar, checkIn, confirm, createBallot, expectError, openNew, roster, setupMeeting, signIn, startTestServer, stateOf,
  type TestServer,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
});
afterAll(async () => server?.dispose());

type View = { id: string; name: string; present: boolean; status: string; hasCode: boolean };
const memberOf = async (mid: string, name: string): Promise<View> =>
  (await sec.ok('GET', `/api/meetings/${mid}`)).members.find((m: View) => m.name === name);

describe('不是我', () => {
  it('undoes the check-in: the member is absent again, the tablet is signed out, its code cannot sign in again', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'N'), '不是我');
    const tabs = await checkIn(server, m, ['N常委01']);
    expect(await memberOf(m.id, 'N常委01')).toMatchObject({ present: true, status: 'present' });
    const jar = tabs.get('N常委01')!.jar;
    expect((await jar.ok('POST', '/api/tablet/not-me')).absent).toBe(true);
    expect(await memberOf(m.id, 'N常委01')).toMatchObject({ present: false, status: 'absent', hasCode: false });
    expectError(await jar.get('/api/tablet'), 'NOT_CHECKED_IN'); // a reload cannot vote as the member
    expectError(await jar.post('/api/tablet/not-me'), 'NOT_CHECKED_IN');
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('N常委01') }), 'BAD_CODE');
    expect((await anon.ok('GET', `/api/meetings/${m.id}/screen`)).present).toBe(0);
  });

  it('while the member holds a ballot under way: the tablet is signed out, but the member stays present so that ballot can be published', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'H'), '不是我（已领票）');
    const tabs = await checkIn(server, m, m.names());
    const b = await openNew(sec, m, { type: 'decision' });
    await tabs.get('H常委01')!.issue(b, m.devices);
    // A re-issued code, then "不是我" on the new tablet.
    const { code } = await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('H常委01')}/code`);
    expect(await memberOf(m.id, 'H常委01')).toMatchObject({ present: true, status: 'present', hasCode: true });
    const fresh = new Jar(server);
    await fresh.ok('POST', '/api/checkin', { code });
    expect((await fresh.ok('POST', '/api/tablet/not-me')).absent).toBe(false);
    expectError(await fresh.get('/api/tablet'), 'NOT_CHECKED_IN');
    expect(await memberOf(m.id, 'H常委01')).toMatchObject({ present: true, status: 'present' });
  });
});

describe('re-issued codes', () => {
  it('a re-issue makes the member not signed in until the new code is used; a bulk re-issue is all or none', async () => {
    const m = await setupMeeting(sec, roster({ standing: 4 }, 'R'), '重发登录码');
    await checkIn(server, m, ['R常委01', 'R常委02']);
    await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('R常委01')}/code`);
    expect(await memberOf(m.id, 'R常委01')).toMatchObject({ present: false, status: 'absent', hasCode: true });

    const before = stateOf(server.dbPath);
    expectError(await sec.post(`/api/meetings/${m.id}/codes/reissue`, { memberIds: [m.idOf('R常委02'), 'unosuchmember0000'] }), 'NOT_FOUND');
    expectError(await sec.post(`/api/meetings/${m.id}/codes/reissue`, { memberIds: [m.idOf('R常委02'), m.idOf('R常委02')] }), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/codes/reissue`, { memberIds: [] }), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/codes/reissue`, { memberIds: 'R常委02' }), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);

    const { codes } = await sec.ok('POST', `/api/meetings/${m.id}/codes/reissue`, { memberIds: [m.idOf('R常委02'), m.idOf('R常委03')] });
    expect(codes.map((c: { name: string }) => c.name)).toEqual(['R常委02', 'R常委03']);
    expect(await memberOf(m.id, 'R常委02')).toMatchObject({ present: false, hasCode: true });
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('R常委03') }), 'BAD_CODE');
    await new Jar(server).ok('POST', '/api/checkin', { code: codes[1].code });
    expect(await memberOf(m.id, 'R常委03')).toMatchObject({ present: true, status: 'present' });
  });
});

describe('请假 and 离会', () => {
  it('are stored and shown, count as not present everywhere, per ballot too; a check-in makes the member present again', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3, full: 2 }, 'L'), '请假离会');
    await checkIn(server, m, ['L常委01', 'L常委02', 'L委员01']);
    const draft = await createBallot(sec, m.id, { type: 'decision' });
    const set = (name: string, status: string) => sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf(name)}/attendance`, { status });
    expect((await set('L常委03', 'leave')).member).toMatchObject({ present: false, status: 'leave' });
    expect((await set('L常委02', 'left')).member).toMatchObject({ present: false, status: 'left' });
    const detail = await sec.ok('GET', `/api/meetings/${m.id}`);
    expect(Object.fromEntries(detail.members.map((x: View) => [x.name, x.status]))).toEqual({
      L常委01: 'present', L常委02: 'left', L常委03: 'leave', L委员01: 'present', L委员02: 'absent',
    });
    // 应到 of a standing-committee ballot is the standing committee, not the roster.
    expect(detail.ballots.find((b: { id: string }) => b.id === draft.id)).toMatchObject({ entitled: 3, present: 1 });
    expect((await anon.ok('GET', `/api/meetings/${m.id}/screen`)).present).toBe(2);
    // 未签到 again (signed in by mistake): the secretary says so too.
    expect((await set('L常委01', 'absent')).member).toMatchObject({ present: false, status: 'absent' });
    // A 请假 member who comes after all checks in and is present.
    await new Jar(server).ok('POST', '/api/checkin', { code: m.codes.get('L常委03') });
    expect(await memberOf(m.id, 'L常委03')).toMatchObject({ present: true, status: 'present' });
  });

  it('a wrong status, member or meeting is refused and changes nothing', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'W'), '状态有误');
    const other = await setupMeeting(sec, roster({ standing: 1 }, 'X'), '另一个会议', { scrutineers: false });
    const before = stateOf(server.dbPath);
    for (const status of ['present', 'gone', '', 7, null]) expectError(await sec.post(`/api/meetings/${m.id}/members/${m.idOf('W常委01')}/attendance`, { status }), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/members/${m.idOf('W常委01')}/attendance`, {}), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/members/${other.idOf('X常委01')}/attendance`, { status: 'leave' }), 'NOT_FOUND');
    expectError(await anon.post(`/api/meetings/${m.id}/members/${m.idOf('W常委01')}/attendance`, { status: 'leave' }), 'NOT_SIGNED_IN');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('ATTENDANCE_LOCKED while the change would falsify a ballot under way: a member holding its ballot, or its quorum; nothing changes', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'Q'), '表决中离会');
    const tabs = await checkIn(server, m, m.names());
    const b = await openNew(sec, m, { type: 'decision' }); // quorum ⅔: 3 of 3 present
    await tabs.get('Q常委01')!.issue(b, m.devices);
    const before = stateOf(server.dbPath);
    const held = await sec.post(`/api/meetings/${m.id}/members/${m.idOf('Q常委01')}/attendance`, { status: 'left' });
    expectError(held, 'ATTENDANCE_LOCKED');
    expect(held.json.ballot).toBe(b.title);
    expectError(await sec.post(`/api/meetings/${m.id}/members/${m.idOf('Q常委01')}/attendance`, { status: 'left' }, { lang: 'en' }), 'ATTENDANCE_LOCKED', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    // Q常委02 holds no ballot: one may leave (2 of 3 still reach ⅔), then nobody else.
    await sec.ok('POST', `/api/meetings/${m.id}/members/${m.idOf('Q常委02')}/attendance`, { status: 'left' });
    expectError(await tabs.get('Q常委02')!.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }), 'NOT_CHECKED_IN');
    const mid = stateOf(server.dbPath);
    expectError(await sec.post(`/api/meetings/${m.id}/members/${m.idOf('Q常委03')}/attendance`, { status: 'left' }), 'ATTENDANCE_LOCKED');
    expect(stateOf(server.dbPath)).toEqual(mid);
    // Once the ballot is closed and published the lock is gone.
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    expectError(await sec.post(`/api/meetings/${m.id}/members/${m.idOf('Q常委01')}/attendance`, { status: 'left' }), 'ATTENDANCE_LOCKED'); // awaiting its result
  });
});

describe('progress against who should vote', () => {
  it('the console names present entitled members with no ballot yet; the public views do not', async () => {
    const m = await setupMeeting(sec, roster({ standing: 4, full: 1 }, 'P'), '应参加');
    const tabs = await checkIn(server, m, ['P常委01', 'P常委02', 'P常委03', 'P委员01']);
    const b = await openNew(sec, m, { type: 'decision' });
    await tabs.get('P常委01')!.issue(b, m.devices);
    const card = (await sec.ok('GET', `/api/meetings/${m.id}`)).ballots.find((x: { id: string }) => x.id === b.id);
    expect(card).toMatchObject({ entitled: 4, present: 3, issued: 1, cast: 0 });
    expect(card.withoutBallot.map((x: { name: string }) => x.name)).toEqual(['P常委02', 'P常委03']);
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).not.toHaveProperty('withoutBallot');
    expect(JSON.stringify(await anon.ok('GET', `/api/meetings/${m.id}/screen`))).not.toContain('P常委02');
  });
});

describe('two open ballots of one title', () => {
  it('the second is refused with TITLE_IN_USE and stays a draft; once the first is closed it opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'T'), '同名表决');
    await checkIn(server, m, m.names());
    const first = await openNew(sec, m, { type: 'decision', title: '任免票决' });
    const second = await createBallot(sec, m.id, { type: 'decision', title: '任免票决' });
    await confirm(m, second.id);
    const before = stateOf(server.dbPath);
    const refused = await sec.post(`/api/ballots/${second.id}/open`);
    expectError(refused, 'TITLE_IN_USE');
    expect(refused.json.ballot).toBe('任免票决');
    expect(stateOf(server.dbPath)).toEqual(before);
    await sec.ok('POST', `/api/ballots/${first.id}/close`);
    await sec.ok('POST', `/api/ballots/${second.id}/open`);
  });
});
