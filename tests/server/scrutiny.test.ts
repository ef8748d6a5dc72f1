// The scrutineers (监票人) of piaojue/2 over HTTP: naming them (n and t bounds, single-use
// codes, renaming, refused once their ceremony finished), their devices' keys, the key
// ceremony the server only relays (a message in another device's name, a second different
// commit, messages out of round; a dealer who sends a bad share is caught by a complaint
// that fails the ceremony naming it), opening (KEYS_NOT_READY before the ceremony,
// NOT_CONFIRMED with fewer than t confirmations), threshold issuance (the long poll answers
// `pending` while no device serves, `signed` with t partials once they do; a device that never
// confirmed is not asked and may not sign; a re-issue needs each device's approval), and
// decryption (a bad share is BAD_DECRYPTION_SHARE; publication once t shares are in, also with
// a device offline).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Fr, ballotKeys, confirmAttendance, dealerCommit, dealerReveal, generateDeviceKey, randomBytes,
  startIssuance, toHex, verifyBundle,
  type CeremonyCommit, type CeremonyParams, type CeremonyRecord, type DealerState,
} from '../../crypto/index.ts';
import { ISSUE_WAIT_MS } from '../../server/routes/tablet.ts';
import {
  Jar, SimulatedScrutineer, castVote, checkIn, closeAndPublish, confirm, createBallot, deviceShare, expectError, issueAll, nameScrutineers, openNew,
  playBallot, prepareVote, roster, settle, setupMeeting, signIn, signInDevices, sleep, startTestServer, stateOf, votesOf, waitForBundle,
  type Meeting, type Tablet, type TestServer,
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

const scrutiny = async (mid: string) => (await sec.ok('GET', `/api/meetings/${mid}`)).scrutiny;
const bare = (title: string, prefix: string, counts = { standing: 3 }) => setupMeeting(sec, roster(counts, prefix), title, { scrutineers: false });
const hex = (bytes: number) => toHex(randomBytes(bytes));

describe('naming the scrutineers', () => {
  it('n from 1 to 15, t from 1 to n, distinct names of 1–100 characters; anything else is 400 BAD_REQUEST and changes nothing', async () => {
    const m = await bare('监票人人数', 'A');
    expect(await scrutiny(m.id)).toEqual({ n: 0, t: 0, scrutineers: [], ceremony: { status: 'unnamed', fingerprint: null, failure: null } });
    const names = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `监票人${i + 1}` }));
    const path = `/api/meetings/${m.id}/scrutineers`;
    const before = stateOf(server.dbPath);
    for (const [what, body] of [
      ['no scrutineer', { t: 1, scrutineers: [] }],
      ['16 scrutineers', { t: 2, scrutineers: names(16) }],
      ['t = 0', { t: 0, scrutineers: names(3) }],
      ['t > n', { t: 4, scrutineers: names(3) }],
      ['t not an integer', { t: 1.5, scrutineers: names(3) }],
      ['t as text', { t: '2', scrutineers: names(3) }],
      ['two with one name', { t: 1, scrutineers: [{ name: '甲' }, { name: '甲' }] }],
      ['an empty name', { t: 1, scrutineers: [{ name: '  ' }] }],
      ['a name of 101 characters', { t: 1, scrutineers: [{ name: '监'.repeat(101) }] }],
      ['an unknown field', { t: 1, scrutineers: [{ name: '甲', code: 'x' }] }],
      ['no t', { scrutineers: names(2) }],
    ] as const) expect((await sec.post(path, body)).json.error, what).toBe('BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
    const fifteen = await sec.ok('POST', path, { t: 15, scrutineers: names(15) });
    expect(fifteen.codes.map((c: { index: number }) => c.index)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(new Set(fifteen.codes.map((c: { code: string }) => c.code)).size).toBe(15);
    for (const c of fifteen.codes) expect(c.code).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    const one = await sec.ok('POST', path, { t: 1, scrutineers: [{ name: '唯一监票人' }] });
    expect(one.codes).toEqual([{ index: 1, name: '唯一监票人', code: expect.any(String) }]);
    expect(await scrutiny(m.id)).toEqual({
      n: 1, t: 1, scrutineers: [{ index: 1, name: '唯一监票人', hasCode: true, registered: false, online: false }],
      ceremony: { status: 'waiting', fingerprint: null, failure: null },
    });
  });

  it('a code signs a device in once (401 BAD_CODE the second time); member and scrutineer codes are not interchangeable; no view shows a code', async () => {
    const m = await bare('监票人登录码', 'B');
    const codes = await nameScrutineers(sec, m.id, { n: 2, t: 1 });
    expectError(await new Jar(server).post('/api/scrutineer/checkin', { code: m.codes.get('B常委01') }), 'BAD_CODE');
    expectError(await new Jar(server).post('/api/checkin', { code: codes[0] }), 'BAD_CODE');
    const d = new Jar(server);
    const res = await d.ok('POST', '/api/scrutineer/checkin', { code: codes[0]!.toLowerCase().replace('-', ' ') });
    expect(res).toEqual({ scrutineer: { index: 1, name: '监票人1' }, meeting: { id: m.id, title: m.title } });
    expectError(await new Jar(server).post('/api/scrutineer/checkin', { code: codes[0] }), 'BAD_CODE');
    expectError(await d.post('/api/scrutineer/checkin', { code: codes[0] }, { lang: 'en' }), 'BAD_CODE', 'en');
    expect((await d.ok('GET', '/api/scrutineer')).scrutineer).toEqual({ index: 1, name: '监票人1', registered: false }); // still signed in
    const view = await sec.ok('GET', `/api/meetings/${m.id}`);
    expect(view.scrutiny.scrutineers.map((s: { hasCode: boolean; online: boolean }) => [s.hasCode, s.online])).toEqual([[false, true], [true, false]]);
    for (const c of codes) {
      expect(JSON.stringify(view)).not.toContain(c);
      expect(JSON.stringify(await anon.ok('GET', `/api/meetings/${m.id}/screen`))).not.toContain(c);
    }
  });

  it('naming again before the ceremony finished replaces the scrutineers: the old codes stop working and the old devices are signed out', async () => {
    const m = await bare('重新指定监票人', 'C');
    const old = await nameScrutineers(sec, m.id, { n: 3, t: 2 });
    const [d1] = await signInDevices(server.url, old.slice(0, 1));
    expect((await d1!.jar.ok('GET', '/api/scrutineer')).scrutineer.registered).toBe(true);
    const fresh = await nameScrutineers(sec, m.id, { n: 2, t: 2, names: ['新一', '新二'] });
    expectError(await d1!.jar.get('/api/scrutineer'), 'NOT_CHECKED_IN');
    for (const c of old) expectError(await new Jar(server).post('/api/scrutineer/checkin', { code: c }), 'BAD_CODE');
    const devices = await signInDevices(server.url, fresh);
    await settle(devices);
    expect((await scrutiny(m.id)).ceremony.status).toBe('ready');
    expect((await scrutiny(m.id)).scrutineers.map((s: { name: string }) => s.name)).toEqual(['新一', '新二']);
  });

  it('once the ceremony finished, naming is 409 BAD_STATE and changes nothing', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'D'), '仪式完成');
    const before = stateOf(server.dbPath);
    expectError(await sec.post(`/api/meetings/${m.id}/scrutineers`, { t: 1, scrutineers: [{ name: '另一人' }] }), 'BAD_STATE');
    expectError(await sec.post(`/api/meetings/${m.id}/scrutineers`, { t: 1, scrutineers: [{ name: '另一人' }] }, { lang: 'en' }), 'BAD_STATE', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await m.devices[0]!.jar.ok('GET', '/api/scrutineer')).ceremony.status).toBe('ready');
  });
});

describe('device keys', () => {
  it('the same keys again are accepted; other keys before the ceremony starts replace them, after it started are 409 BAD_STATE; keys that are no keys are refused', async () => {
    const m = await bare('设备密钥', 'E');
    const codes = await nameScrutineers(sec, m.id, { n: 2, t: 2 });
    const [j1, j2] = [new Jar(server), new Jar(server)];
    await j1.ok('POST', '/api/scrutineer/checkin', { code: codes[0] });
    await j2.ok('POST', '/api/scrutineer/checkin', { code: codes[1] });
    const k = (i: number) => {
      const { key } = generateDeviceKey(i, `监票人${i}`);
      return { signingKey: key.signingKey, encryptionKey: key.encryptionKey };
    };
    const first = k(1);
    const second = k(1);
    for (const bad of [
      { ...first, signingKey: first.signingKey.toUpperCase() }, { ...first, signingKey: first.signingKey.slice(2) }, { ...first, encryptionKey: 7 },
      { signingKey: first.signingKey }, { ...first, index: 1 },
    ]) expectError(await j1.post('/api/scrutineer/keys', bad), 'BAD_REQUEST');
    await j1.ok('POST', '/api/scrutineer/keys', first);
    await j1.ok('POST', '/api/scrutineer/keys', first);
    await j1.ok('POST', '/api/scrutineer/keys', second); // nothing started yet: the device may start over
    expect((await scrutiny(m.id)).scrutineers.map((s: { registered: boolean }) => s.registered)).toEqual([true, false]);
    // The last device's keys complete the parameters; keys that are no valid points, or another device's, are refused.
    const before = stateOf(server.dbPath);
    expectError(await j2.post('/api/scrutineer/keys', { ...k(2), encryptionKey: 'ff'.repeat(32) }), 'BAD_REQUEST');
    expectError(await j2.post('/api/scrutineer/keys', second), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await scrutiny(m.id)).ceremony.status).toBe('waiting');
    await j2.ok('POST', '/api/scrutineer/keys', k(2));
    expect((await scrutiny(m.id)).ceremony.status).toBe('running');
    const params = (await j1.ok('GET', '/api/scrutineer')).ceremony.params as CeremonyParams;
    expect(params.devices.map((d) => d.signingKey)).toContain(second.signingKey);
    await j1.ok('POST', '/api/scrutineer/keys', second);
    expectError(await j1.post('/api/scrutineer/keys', first), 'BAD_STATE');
    expectError(await j1.post('/api/scrutineer/keys', k(1)), 'BAD_STATE');
    expect((await j1.ok('GET', '/api/scrutineer')).ceremony.params).toEqual(params);
  });
});

describe('the key ceremony, relayed by the server', () => {
  it('a message in another device\'s name, a second different commit, a reveal or ack out of round, a malformed message → 400 CEREMONY_MESSAGE, changing nothing; then the ceremony finishes and every view shows one fingerprint', async () => {
    const m = await bare('密钥仪式消息', 'F');
    const devices = await signInDevices(server.url, await nameScrutineers(sec, m.id, { n: 3, t: 2 }));
    const [d1, d2] = devices;
    // Messages before every device registered or after the end are out of place: BAD_STATE (below).
    expect(await d1!.step()).toBe(true); // device 1 commits
    const view = await d1!.jar.ok('GET', '/api/scrutineer');
    const c1 = view.ceremony.commits[0] as CeremonyCommit;
    expect(c1.index).toBe(1);
    const fakeReveal = (index: number) => ({
      index, tokenCommitments: [hex(96), hex(96)], electionCommitments: [hex(32), hex(32)],
      shares: [1, 2, 3].filter((j) => j !== index).map((to) => ({ to, ciphertext: hex(96) })), signature: hex(64),
    });
    const before = stateOf(server.dbPath);
    const refusals: [string, typeof d1, unknown][] = [
      ['device 2 sends device 1\'s commit', d2, { commit: c1 }],
      ['device 1 sends another commit', d1, { commit: { ...c1, digest: hex(32) } }],
      ['a reveal before every commit', d1, { reveal: fakeReveal(1) }],
      ['an ack before every reveal', d1, { ack: { index: 1, transcript: hex(32), signature: hex(64) } }],
      ['a commit of the wrong shape', d2, { commit: { index: 2, digest: 'zz' } }],
      ['a commit that is a number', d2, { commit: 5 }],
      ['a commit with a device index out of range', d2, { commit: { index: 16, digest: hex(32), signature: hex(64) } }],
      ['device 2 sends a commit its key did not sign', d2, { commit: { index: 2, digest: hex(32), signature: hex(64) } }],
    ];
    for (const [what, d, body] of refusals) {
      const r = await d!.jar.post('/api/scrutineer/ceremony', body);
      expect(r.json.error, what).toBe('CEREMONY_MESSAGE');
      expectError(r, 'CEREMONY_MESSAGE');
    }
    expectError(await d2!.jar.post('/api/scrutineer/ceremony', { commit: c1 }, { lang: 'en' }), 'CEREMONY_MESSAGE', 'en');
    expectError(await d1!.jar.post('/api/scrutineer/ceremony', { commit: c1, ack: {} }), 'BAD_REQUEST');
    expectError(await d1!.jar.post('/api/scrutineer/ceremony', {}), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
    await d1!.jar.ok('POST', '/api/scrutineer/ceremony', { commit: c1 }); // the same commit again: accepted, nothing new
    expect(stateOf(server.dbPath)).toEqual(before);

    await settle(devices);
    const s = await scrutiny(m.id);
    expect(s.ceremony).toMatchObject({ status: 'ready', failure: null });
    expect(s.ceremony.fingerprint).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    expect((await anon.ok('GET', `/api/meetings/${m.id}/screen`)).scrutiny.ceremony.fingerprint).toBe(s.ceremony.fingerprint);
    const tablet = (await checkIn(server, m, ['F常委01'])).get('F常委01')!;
    const record = (await tablet.jar.ok('GET', '/api/tablet')).ceremony as CeremonyRecord;
    expect(ballotKeys(record).fingerprint).toBe(s.ceremony.fingerprint); // the tablet derives the same fingerprint itself
    for (const d of devices) expect((await d.jar.ok('GET', '/api/scrutineer')).ceremony.fingerprint).toBe(s.ceremony.fingerprint);
    // After the end no ceremony message is taken.
    expectError(await d1!.jar.post('/api/scrutineer/ceremony', { commit: c1 }), 'BAD_STATE');
  });

  it('a dealer who encrypts bad shares: its receivers complain, the ceremony fails naming that device, ballots cannot open; naming again starts a ceremony that finishes', async () => {
    const m = await bare('密钥仪式作弊', 'G');
    await checkIn(server, m, m.names());
    const codes = await nameScrutineers(sec, m.id, { n: 3, t: 2 });
    const [h1, h3] = await signInDevices(server.url, [codes[0]!, codes[2]!]);
    // Device 2 cheats, made by hand from crypto/ceremony.ts.
    const cheat = new Jar(server);
    await cheat.ok('POST', '/api/scrutineer/checkin', { code: codes[1] });
    const { key, secret } = generateDeviceKey(2, '监票人2');
    await cheat.ok('POST', '/api/scrutineer/keys', { signingKey: key.signingKey, encryptionKey: key.encryptionKey });
    const params = (await cheat.ok('GET', '/api/scrutineer')).ceremony.params as CeremonyParams;
    const { state, message } = dealerCommit(params, 2, secret);
    await cheat.ok('POST', '/api/scrutineer/ceremony', { commit: message });
    await h1!.step();
    await h3!.step();
    const commits = (await cheat.ok('GET', '/api/scrutineer')).ceremony.commits as CeremonyCommit[];
    // Shares from a polynomial other than the committed one, in a correctly signed reveal (publicly it looks fine).
    const lying: DealerState = { ...state, tokenCoefficients: state.tokenCoefficients.map((a, k) => (k === 0 ? Fr.add(a, 1n) : a)) };
    await cheat.ok('POST', '/api/scrutineer/ceremony', { reveal: dealerReveal(params, lying, commits) });
    await h1!.step(); // reveals
    await h3!.step(); // reveals
    expect(await h1!.step()).toBe(true); // checks its shares: complains about device 2
    expect(await h3!.step()).toBe(false); // the ceremony has failed: nothing more to do
    const s = await scrutiny(m.id);
    expect(s.ceremony.status).toBe('failed');
    expect(s.ceremony.failure).toMatch(/device 2 cheated/);
    expect(s.ceremony.fingerprint).toBeNull();
    const relayed = (await h3!.jar.ok('GET', '/api/scrutineer')).ceremony;
    expect(relayed.complaints.map((c: { from: number; against: number }) => [c.from, c.against])).toEqual([[1, 2]]);
    expect(h1!.state!.shares).toBeNull();
    expectError(await cheat.post('/api/scrutineer/ceremony', { ack: { index: 2, transcript: hex(32), signature: hex(64) } }), 'BAD_STATE');
    const b = await createBallot(sec, m.id, { type: 'decision' });
    expectError(await sec.post(`/api/ballots/${b.id}/open`), 'KEYS_NOT_READY');
    expect((await anon.ok('GET', `/api/meetings/${m.id}/screen`)).scrutiny.ceremony).toMatchObject({ status: 'failed', fingerprint: null });

    const again = await signInDevices(server.url, await nameScrutineers(sec, m.id, { n: 3, t: 2 }));
    await settle(again);
    expect((await scrutiny(m.id)).ceremony).toMatchObject({ status: 'ready', failure: null });
    const params2 = (await again[0]!.jar.ok('GET', '/api/scrutineer')).ceremony.params as CeremonyParams;
    expect(params2.ceremonyId).not.toBe(params.ceremonyId);
    const next = { ...m, devices: again, online: () => again } as Meeting;
    const opened = await openNew(sec, next, { type: 'decision' });
    expect(opened.status).toBe('open');
  });
});

describe('opening needs the ceremony and t confirmations', () => {
  it('KEYS_NOT_READY before naming, while devices register and while the ceremony runs; NOT_CONFIRMED with fewer than t confirmations; opens with t', async () => {
    const m = await bare('开始表决条件', 'H');
    await checkIn(server, m, m.names());
    const b = await createBallot(sec, m.id, { type: 'decision' });
    const open = () => sec.post(`/api/ballots/${b.id}/open`);
    expectError(await open(), 'KEYS_NOT_READY');
    expectError(await sec.post(`/api/ballots/${b.id}/open`, undefined, { lang: 'en' }), 'KEYS_NOT_READY', 'en');
    const codes = await nameScrutineers(sec, m.id, { n: 3, t: 2 });
    expectError(await open(), 'KEYS_NOT_READY'); // waiting
    const devices = await signInDevices(server.url, codes);
    expect((await scrutiny(m.id)).ceremony.status).toBe('running');
    expectError(await open(), 'KEYS_NOT_READY');
    await settle(devices);
    expectError(await open(), 'NOT_CONFIRMED');
    await devices[0]!.confirm(b.id);
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).toMatchObject({ status: 'draft', confirmations: 1 });
    const before = stateOf(server.dbPath);
    expectError(await open(), 'NOT_CONFIRMED');
    expectError(await sec.post(`/api/ballots/${b.id}/open`, undefined, { lang: 'en' }), 'NOT_CONFIRMED', 'en');
    // A confirmation that is not the device's own signed log is refused.
    const log1 = confirmAttendance(devices[0]!.state!, b.id, []).log;
    expectError(await devices[1]!.jar.post(`/api/scrutineer/ballots/${b.id}/confirm`, { log: log1 }), 'BAD_ISSUANCE_LOG');
    expectError(await devices[1]!.jar.post(`/api/scrutineer/ballots/${b.id}/confirm`, { log: { ...log1, device: 2 } }), 'BAD_ISSUANCE_LOG');
    expectError(await devices[1]!.jar.post(`/api/scrutineer/ballots/${b.id}/confirm`, { log: 'yes' }), 'BAD_ISSUANCE_LOG');
    expect(stateOf(server.dbPath)).toEqual(before);
    await devices[1]!.confirm(b.id);
    const opened = (await sec.ok('POST', `/api/ballots/${b.id}/open`)).ballot;
    expect(opened).toMatchObject({ status: 'open', confirmations: 2, fingerprint: (await scrutiny(m.id)).ceremony.fingerprint });
    const { params, commits, reveals, acks } = (await devices[0]!.jar.ok('GET', '/api/scrutineer')).ceremony;
    const record: CeremonyRecord = { params, commits, reveals, acks };
    expect(ballotKeys(record, opened)).toMatchObject({ publicKey: opened.publicKey, electionKey: opened.electionKey, t: 2 });
  });
});

describe('issuance through the devices', () => {
  let meeting: Meeting;
  let tablets: Map<string, Tablet>;
  beforeAll(async () => {
    meeting = await setupMeeting(sec, roster({ standing: 3 }, 'J'), '门限发票');
    tablets = await checkIn(server, meeting, meeting.names());
  });

  /** Wait until the devices have the member's request to answer (the issue request has set its deadline). */
  async function requestSeen(d: SimulatedScrutineer, memberId: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { requests } = await d.jar.ok('GET', '/api/scrutineer/requests');
      if (requests.some((r: { memberId: string }) => r.memberId === memberId)) return;
      await sleep(10);
    }
    throw new Error('the request never reached the devices');
  }

  /** An issue request that no device answers: `pending` once its wait is over (the clock is moved past it). */
  async function pendingIssue(t: Tablet, ballotId: string, blinded: Uint8Array, watcher: SimulatedScrutineer) {
    const asked = t.jar.post(`/api/ballots/${ballotId}/issue`, { blinded: toHex(blinded) });
    await requestSeen(watcher, t.memberId);
    server.clock.advance(ISSUE_WAIT_MS);
    return asked;
  }

  it('the long poll answers pending while no device serves and signed with t partials once they do; a device that never confirmed is not asked and may not sign', async () => {
    const [d1, d2, d3] = meeting.devices;
    const b = await createBallot(sec, meeting.id, { type: 'decision' });
    await confirm(meeting, b.id, [d1!, d3!]); // device 2 never confirms
    const opened = (await sec.ok('POST', `/api/ballots/${b.id}/open`)).ballot;
    const t = tablets.get('J常委01')!;
    const keys = await t.keys(b.id);
    const st = startIssuance(b.id);
    const pending = await pendingIssue(t, b.id, st.blinded, d1!);
    expect(pending.status).toBe(200);
    expect(pending.json).toEqual({ status: 'pending' });
    expect((await d3!.jar.ok('GET', '/api/scrutineer/requests')).requests).toEqual([{ ballotId: b.id, memberId: t.memberId, blinded: toHex(st.blinded), reissue: false }]);
    expect((await d2!.jar.ok('GET', '/api/scrutineer/requests')).requests).toEqual([]);
    expect(await d2!.serve()).toBe(0);
    // Device 2 may not sign for this ballot at all: it never confirmed its attendance.
    const d2log = confirmAttendance(d2!.state!, b.id, []).log;
    expectError(await d2!.jar.post('/api/scrutineer/partials', { ballotId: b.id, partials: [], log: d2log }), 'BAD_STATE');
    // One device is not enough (t = 2)…
    expect(await d1!.serve()).toBe(1);
    expect((await pendingIssue(t, b.id, st.blinded, d3!)).json).toEqual({ status: 'pending' });
    // …two are.
    expect(await d3!.serve()).toBe(1);
    const tok = await t.requestToken(opened, keys, st);
    expect(tok.partials.map((p) => p.index)).toEqual([1, 3]);
    await castVote(anon, prepareVote(tok, ['agree']));
    const { bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(bundle.issuanceLogs.map((l) => l && l.entries)).toEqual([[t.memberId], null, [t.memberId]]);
    expect(verifyBundle(bundle).ok).toBe(true);
  });

  it('a re-issue is signed only by devices whose scrutineer approved it; with t approvals the member gets the second token', async () => {
    const [d1, d2, d3] = meeting.devices;
    const b = await openNew(sec, meeting, { type: 'consultation' });
    const t = tablets.get('J常委02')!;
    const [first] = await issueAll([t, tablets.get('J常委01')!, tablets.get('J常委03')!], b, meeting.devices); // the others take tokens, never cast
    await sec.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: t.memberId });
    const st = startIssuance(b.id);
    const asked = await pendingIssue(t, b.id, st.blinded, d1!);
    expect(asked.json).toEqual({ status: 'pending' });
    expect((await d1!.jar.ok('GET', '/api/scrutineer/requests')).requests).toEqual([{ ballotId: b.id, memberId: t.memberId, blinded: toHex(st.blinded), reissue: true }]);
    for (const d of meeting.devices) expect(await d.serve(), 'not approved').toBe(0);
    d1!.approve(b.id, t.memberId);
    expect(await d1!.serve()).toBe(1);
    expect(await d2!.serve()).toBe(0);
    expect((await pendingIssue(t, b.id, st.blinded, d2!)).json).toEqual({ status: 'pending' });
    d2!.approve(b.id, t.memberId);
    expect(await d2!.serve()).toBe(1);
    const second = await t.requestToken(b, first!.keys, st);
    expect(second.partials.map((p) => p.index)).toEqual([1, 2]);
    expect(await d3!.serve()).toBe(0); // device 3 never approved: it does not sign the new point
    for (const tk of [first!, second]) await castVote(anon, prepareVote(tk, ['agree']));
    const { bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(bundle.roster.map((r) => r.issued)).toEqual(meeting.names().map((n) => (n === 'J常委02' ? 2 : 1)));
    expect(bundle.issuanceLogs.map((l) => l!.entries.filter((e) => e === t.memberId).length)).toEqual([2, 2, 1]);
    expect(verifyBundle(bundle).failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ issued: 3, cast: 2 });
  });
});

describe('decryption and publication', () => {
  it('a decryption share that fails its proof, or that is another device\'s → 400 BAD_DECRYPTION_SHARE, nothing stored; one share of t = 2 publishes nothing; the second publishes', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'K'), '解密份额');
    const tabs = await checkIn(server, m, m.names());
    const b = await openNew(sec, m, { type: 'decision' });
    const toks = await issueAll([...tabs.values()], b, m.devices);
    for (const [i, tk] of toks.entries()) await castVote(anon, prepareVote(tk, [i === 0 ? 'disagree' : 'agree']));
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    const [d1, d2] = m.devices;
    const share1 = await deviceShare(d1!, b.id);
    const share2 = await deviceShare(d2!, b.id);
    const path = `/api/scrutineer/ballots/${b.id}/decryption`;
    const swap = (a: string[], i: number, j: number) => a.map((x, k) => (k === i ? a[j]! : k === j ? a[i]! : x));
    const before = stateOf(server.dbPath);
    for (const [what, d, share] of [
      ['a factor of another entry', d1, { ...share1, factors: swap(share1.factors, 0, 1) }],
      ['a proof of another entry', d1, { ...share1, proofs: swap(share1.proofs, 0, 1) }],
      ['a factor changed', d1, { ...share1, factors: [share2.factors[0]!, ...share1.factors.slice(1)] }],
      ['another device\'s share under its own index', d1, share2],
      ['its own share sent by another device', d2, share1],
      ['its own share relabelled', d1, { ...share1, index: 2 }],
      ['one factor short', d1, { ...share1, factors: share1.factors.slice(1), proofs: share1.proofs.slice(1) }],
      ['not a share', d1, { index: 1 }],
    ] as const) {
      const r = await d!.jar.post(path, { share });
      expect(r.json.error, what).toBe('BAD_DECRYPTION_SHARE');
      expectError(r, 'BAD_DECRYPTION_SHARE');
    }
    expectError(await d1!.jar.post(path, { share: share2 }, { lang: 'en' }), 'BAD_DECRYPTION_SHARE', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    await d1!.jar.ok('POST', path, { share: share1 });
    await d1!.jar.ok('POST', path, { share: share1 }); // again: nothing new
    await sleep(50);
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).toMatchObject({ status: 'closed', decryptions: 1, result: null });
    expectError(await anon.get(`/api/ballots/${b.id}/bundle`), 'NOT_PUBLISHED');
    await d2!.jar.ok('POST', path, { share: share2 });
    const bundle = await waitForBundle(anon, b.id);
    expect(bundle.decryption.map((d) => d.index)).toEqual([1, 2]);
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(bundle.tally.items[0]).toMatchObject({ counts: { agree: 2, disagree: 1, abstain: 0 }, outcome: 'passed' });
  });

  it('with one device gone after the ceremony the meeting goes on: the other two confirm, sign and decrypt; its lamp goes out; the bundle verifies', async () => {
    const m = await setupMeeting(sec, roster({ standing: 4 }, 'L'), '一台设备离线');
    const tabs = await checkIn(server, m, m.names());
    m.devices[2]!.online = false;
    server.clock.advance(20_000); // longer than the "online" window
    const p = await playBallot(server, sec, m, tabs, { type: 'decision' }, votesOf(m.names(), { agree: 3, disagree: 1 }));
    expect(p.ballot.status).toBe('published');
    expect(verifyBundle(p.bundle).failures).toEqual([]);
    expect(p.bundle.issuanceLogs[2]).toBeNull();
    expect(p.bundle.decryption.map((d) => d.index)).toEqual([1, 2]);
    expect(p.bundle.tally.items[0]).toMatchObject({ counts: { agree: 3, disagree: 1, abstain: 0 }, outcome: 'passed' });
    expect((await scrutiny(m.id)).scrutineers.map((s: { online: boolean }) => s.online)).toEqual([true, true, false]);
  });
});
