// Bad input changes nothing: a wrong content type (415), an oversize body (413), unknown
// fields and malformed JSON (400) on every route that takes a body — the secretary's, the
// tablets', the scrutineer devices' and the anonymous cast, each with its own body limit;
// roster import from CSV and JSON with per-line errors (ROSTER_INVALID), the sample county
// roster (files: roster-files.test.ts), ROSTER_LOCKED once a ballot exists, and invalid ballot definitions (BALLOT_INVALID).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmAttendance, sealedBallotBytes, startIssuance, toHex } from '../../crypto/index.ts';
import {
  Jar, castPath, createBallot, checkIn, deviceShare, expectError, issueAll, items, openNew, prepareVote, roster, setupMeeting, shapeOf, signIn,
  startTestServer, stateOf, type Meeting, type Res, type Tablet, type TestServer, type Token,
} from '../helpers/server.ts';

// The fictional county committee roster shipped with the repo (samples/).
const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
const SAMPLE_CSV = `${SAMPLES}county-committee.csv`;
const SAMPLE_JSON = `${SAMPLES}county-committee.json`;

let server: TestServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablet: Tablet;
let ballot: any; // open
let closed: any; // closed, waiting for decryption
let tok: Token;
let share: unknown;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  meeting = await setupMeeting(sec, roster({ standing: 3 }), '输入校验');
  tablet = (await checkIn(server, meeting, ['常委01'])).get('常委01')!;
  closed = await openNew(sec, meeting, { type: 'consultation' });
  await sec.ok('POST', `/api/ballots/${closed.id}/close`);
  ballot = await openNew(sec, meeting, { type: 'consultation' });
  tok = (await issueAll([tablet], ballot, meeting.devices))[0]!;
  share = await deviceShare(meeting.devices[0]!, closed.id);
});
afterAll(async () => server?.dispose());

/**
 * Every route that reads a JSON body, with a valid body, the jar that may call it, and its body
 * limit. (Login is tested on its own: every login attempt, even a malformed one, counts against
 * the limit of 10 a minute.)
 */
function bodyRoutes(): { name: string; jar: Jar; path: string; body: Record<string, unknown>; limit?: number }[] {
  const v = prepareVote(tok, ['agree']);
  const d = meeting.devices[0]!;
  const log = confirmAttendance(d.state!, ballot.id, []).log;
  return [
    { name: 'create meeting', jar: sec, path: '/api/meetings', body: { title: '会议' } },
    { name: 'roster', jar: sec, path: `/api/meetings/${meeting.id}/roster`, body: { members: [{ name: '甲', kind: 'standing' }] }, limit: 1024 * 1024 },
    { name: 'roster preview', jar: sec, path: `/api/meetings/${meeting.id}/roster/preview`, body: { members: [{ name: '甲', kind: 'standing' }] }, limit: 1024 * 1024 },
    { name: 'scrutineers', jar: sec, path: `/api/meetings/${meeting.id}/scrutineers`, body: { t: 1, scrutineers: [{ name: '甲' }] } },
    { name: 'create ballot', jar: sec, path: `/api/meetings/${meeting.id}/ballots`, body: { type: 'decision', title: 't', items: items(1) } },
    { name: 'reissue', jar: sec, path: `/api/ballots/${ballot.id}/reissue`, body: { memberId: tablet.memberId } },
    { name: 'check-in', jar: new Jar(server), path: '/api/checkin', body: { code: 'ZZZZZ-ZZZZZ' } },
    { name: 'scrutineer check-in', jar: new Jar(server), path: '/api/scrutineer/checkin', body: { code: 'ZZZZZ-ZZZZZ' } },
    { name: 'issue', jar: tablet.jar, path: `/api/ballots/${ballot.id}/issue`, body: { blinded: toHex(startIssuance(ballot.id).blinded) } },
    { name: 'cast', jar: anon, path: castPath(ballot.id), body: v.body, limit: 2 * sealedBallotBytes(shapeOf(1)) + 4096 },
    { name: 'device keys', jar: d.jar, path: '/api/scrutineer/keys', body: { signingKey: d.state!.key.signingKey, encryptionKey: d.state!.key.encryptionKey } },
    { name: 'ceremony', jar: d.jar, path: '/api/scrutineer/ceremony', body: { ack: { index: 1, transcript: '00'.repeat(32), signature: '00'.repeat(64) } } },
    { name: 'confirm', jar: d.jar, path: `/api/scrutineer/ballots/${ballot.id}/confirm`, body: { log } },
    { name: 'partials', jar: d.jar, path: '/api/scrutineer/partials', body: { ballotId: ballot.id, partials: [], log }, limit: 4 * 1024 * 1024 },
    { name: 'decryption', jar: d.jar, path: `/api/scrutineer/ballots/${closed.id}/decryption`, body: { share }, limit: 1024 * 1024 },
  ];
}

function expectCode(res: Res, code: string, what: string): void {
  expect(res.json.error, `${what}: ${JSON.stringify(res.json)}`).toBe(code);
  expect(typeof res.json.message, what).toBe('string');
}

describe('malformed requests are refused before anything happens', () => {
  it('wrong or missing content type → 415 UNSUPPORTED_MEDIA_TYPE on every body route, nothing changes', async () => {
    const before = stateOf(server.dbPath);
    for (const r of bodyRoutes())
      for (const ct of [null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonp']) {
        const res = await r.jar.post(r.path, undefined, { raw: JSON.stringify(r.body), contentType: ct });
        expect(res.status, `${r.name} ${ct}`).toBe(415);
        expectCode(res, 'UNSUPPORTED_MEDIA_TYPE', `${r.name} ${ct}`);
      }
    expectError(await sec.post('/api/meetings', undefined, { raw: '{"title":"x"}', contentType: 'text/plain', lang: 'en' }), 'UNSUPPORTED_MEDIA_TYPE', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    // The accepted spellings
    expect((await sec.post('/api/meetings', undefined, { raw: '{"title":"大小写"}', contentType: 'Application/JSON; Charset=UTF-8' })).status).toBe(201);
  });

  it('a body over the limit → 413 BODY_TOO_LARGE (64 KiB; 1 MiB for the roster and a decryption share, 4 MiB for partials, twice the sealed size + 4 KiB for a cast), also when streamed without Content-Length; just under it the body is read', async () => {
    const before = stateOf(server.dbPath);
    for (const r of bodyRoutes()) {
      const limit = r.limit ?? 64 * 1024;
      const raw = JSON.stringify({ ...r.body, pad: 'x'.repeat(limit) });
      const res = await r.jar.post(r.path, undefined, { raw });
      expect(res.status, r.name).toBe(413);
      expectCode(res, 'BODY_TOO_LARGE', r.name);
      expect(res.headers.get('connection'), r.name).toBe('close'); // the unread body spoils the connection
      // One byte under the limit the body is read (and refused for its unknown field).
      const under = JSON.stringify({ ...r.body, pad: '' });
      const fits = await r.jar.post(r.path, undefined, { raw: under.replace('"pad":""', `"pad":"${'x'.repeat(limit - Buffer.byteLength(under) - 1)}"`) });
      expect(fits.json.detail, r.name).toMatch(/unknown field/);
    }
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 8) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await fetch(`${server.url}${castPath(ballot.id)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: stream, duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe('BODY_TOO_LARGE');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('malformed JSON, a non-object body, invalid UTF-8 → 400 BAD_REQUEST on every body route, nothing changes', async () => {
    const before = stateOf(server.dbPath);
    const raws: (string | Uint8Array)[] = ['', '{', '{"a":1,}', 'null', '[]', '"text"', '42', "{'a':1}", Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])];
    for (const r of bodyRoutes())
      for (const raw of raws) {
        const res = await r.jar.post(r.path, undefined, { raw });
        expectCode(res, 'BAD_REQUEST', `${r.name} ${String(raw)}`);
        expect(res.status).toBe(400);
      }
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('an unknown field or a missing field → 400 BAD_REQUEST on every body route, nothing changes', async () => {
    const before = stateOf(server.dbPath);
    for (const r of bodyRoutes()) {
      const extra = await r.jar.post(r.path, { ...r.body, isAdmin: true });
      expectCode(extra, 'BAD_REQUEST', `${r.name} + isAdmin`);
      expect(extra.json.detail, r.name).toMatch(/unknown field/);
      const [first] = Object.keys(r.body);
      const { [first!]: _dropped, ...missing } = r.body;
      if (r.name === 'roster') continue; // {} is "give either members or csv", also 400 below
      expectCode(await r.jar.post(r.path, missing), 'BAD_REQUEST', `${r.name} without ${first}`);
    }
    expectCode(await sec.post(`/api/meetings/${meeting.id}/roster`, {}), 'BAD_REQUEST', 'roster {}');
    expectCode(await sec.post(`/api/meetings/${meeting.id}/roster`, { members: [], csv: 'name,kind' }), 'BAD_REQUEST', 'roster both');
    expectCode(await sec.post(`/api/meetings/${meeting.id}/ballots`, { type: 'decision', title: 't', items: [{ ...items(1)[0], votes: 3 }] }), 'BAD_REQUEST', 'item + votes');
    expectCode(await sec.post('/api/meetings', { title: '   ' }), 'BAD_REQUEST', 'blank title');
    expectCode(await sec.post('/api/meetings', { title: 'x'.repeat(201) }), 'BAD_REQUEST', 'long title');
    expectCode(await sec.post('/api/meetings', { title: '\ud800' }), 'BAD_REQUEST', 'lone surrogate');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('login: wrong content type 415, malformed JSON 400, unknown field 400, oversize 413', async () => {
    const j = new Jar(server);
    expectError(await j.post('/api/secretary/login', undefined, { raw: '{"password":"x"}', contentType: 'text/plain' }), 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await j.post('/api/secretary/login', undefined, { raw: '{"password":' }), 'BAD_REQUEST');
    expectError(await j.post('/api/secretary/login', { password: 'x', user: 'admin' }), 'BAD_REQUEST');
    expectError(await j.post('/api/secretary/login', { password: 'x'.repeat(70 * 1024) }), 'BODY_TOO_LARGE');
    expect(j.cookies.size).toBe(0);
  });

  it('unknown routes and malformed ids → 404 NOT_FOUND {error, message}', async () => {
    expectError(await anon.get('/api/nothing'), 'NOT_FOUND');
    expectError(await anon.get('/api/ballots/..%2F..%2Fetc'), 'NOT_FOUND');
    expectError(await anon.get(`/api/ballots/${'b'.repeat(65)}`), 'NOT_FOUND');
    expectError(await sec.get('/api/meetings/mnosuch'), 'NOT_FOUND');
    expectError(await anon.get('/api/meetings/mnosuch/screen'), 'NOT_FOUND');
  });
});

describe('roster import', () => {
  it('imports the sample county roster from CSV: 48 members, 11 standing, 29 full, 8 alternate, titles kept', async () => {
    const { meeting: m } = await sec.ok('POST', '/api/meetings', { title: '（示例）某县第十五届县委全体会议' });
    const { members } = await sec.ok('POST', `/api/meetings/${m.id}/roster`, { csv: readFileSync(SAMPLE_CSV, 'utf8') });
    const sample = JSON.parse(readFileSync(SAMPLE_JSON, 'utf8')).members as { name: string; kind: string; title: string }[];
    expect(members.map((x: { name: string; kind: string; title: string }) => ({ name: x.name, kind: x.kind, title: x.title }))).toEqual(sample);
    const count = (k: string) => members.filter((x: { kind: string }) => x.kind === k).length;
    expect([members.length, count('standing'), count('full'), count('alternate')]).toEqual([48, 11, 29, 8]);
    // The same roster as JSON gives the same members.
    const { meeting: m2 } = await sec.ok('POST', '/api/meetings', { title: 'JSON 导入' });
    const viaJson = await sec.ok('POST', `/api/meetings/${m2.id}/roster`, { members: sample });
    expect(viaJson.members.map((x: { name: string }) => x.name)).toEqual(sample.map((x) => x.name));
  });

  it('CSV with bad lines → 400 ROSTER_INVALID listing each bad line; the roster stays as it was', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'R'), '名单错误', { scrutineers: false });
    const before = stateOf(server.dbPath);
    const csv = [
      'name,kind,title', //          1
      '张三,standing,县委书记', //    2 ok
      ',standing,县长', //            3 no name
      '李四,boss,副县长', //          4 unknown kind
      '王五,full,"未闭合', //         5 unterminated quote
      '张三,full,委员', //            6 duplicate name
      '赵六,常委,县委常委', //        7 ok (Chinese kind)
      '孙七,委员,委员,多余', //       8 too many fields
      '', //                          blank lines are skipped
      `周八,候补委员,${'长'.repeat(101)}`, // 10 title too long
    ].join('\n');
    const res = await sec.post(`/api/meetings/${m.id}/roster`, { csv });
    expectError(res, 'ROSTER_INVALID');
    const lines = res.json.lines as { line: number; code: string; error: string }[];
    expect(lines.map((l) => [l.line, l.code])).toEqual([[3, 'NAME'], [4, 'KIND'], [5, 'FIELDS'], [6, 'DUPLICATE'], [8, 'FIELDS'], [10, 'TITLE']]);
    expect(lines.find((l) => l.line === 6)!.error).toBe('姓名重复（与第 2 行相同）');
    const en = await sec.post(`/api/meetings/${m.id}/roster`, { csv }, { lang: 'en' });
    expectError(en, 'ROSTER_INVALID', 'en');
    expect(en.json.lines.find((l: { line: number }) => l.line === 6).error).toBe('duplicate name (also on line 2)');
    const preview = await sec.post(`/api/meetings/${m.id}/roster/preview`, { csv });
    expect(preview.status).toBe(200);
    expect(preview.json.lines.map((l: { line: number }) => l.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 10]);
    expect(preview.json.lines[5]).toEqual({ line: 7, name: '赵六', kind: '常委', title: '县委常委', category: '' });
    expect(preview.json.problems).toEqual(lines);
    const header = await sec.post(`/api/meetings/${m.id}/roster`, { csv: '名字,类别\n张三,standing' });
    expectError(header, 'ROSTER_INVALID');
    expect(header.json.lines).toEqual([{ line: 1, code: 'HEADER', error: '首行为“姓名,类别,职务”，类别填写 常委/委员/候补委员（参会人员名单可再加一列“参会类别”）' }]);
    const empty = await sec.post(`/api/meetings/${m.id}/roster`, { csv: 'name,kind,title\n' });
    expect(empty.json).toMatchObject({ error: 'ROSTER_INVALID', lines: [{ line: 0 }] });
    const json = await sec.post(`/api/meetings/${m.id}/roster`, { members: [{ name: '甲', kind: 'standing' }, { name: '乙', kind: 'x' }, 'str', { name: '丙', kind: 'full', id: 'u1' }] });
    expect(json.json).toMatchObject({ error: 'ROSTER_INVALID' });
    expect(json.json.lines.map((l: { line: number }) => l.line).sort()).toEqual([2, 3, 4]);
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { csv: 7 }), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
    const view = await sec.ok('GET', `/api/meetings/${m.id}`);
    expect(view.members.map((x: { name: string }) => x.name)).toEqual(['R常委01', 'R常委02']);
  });

  it('a large roster (600 members, ~130 KB) is accepted under the 1 MiB roster limit', async () => {
    const { meeting: m } = await sec.ok('POST', '/api/meetings', { title: '大名单' });
    const csv = ['name,kind,title', ...Array.from({ length: 600 }, (_, i) => `成员${i},full,"${'县委委员'.repeat(20)}"`)].join('\r\n');
    expect(Buffer.byteLength(csv)).toBeGreaterThan(64 * 1024);
    const { members } = await sec.ok('POST', `/api/meetings/${m.id}/roster`, { csv });
    expect(members).toHaveLength(600);
  });

  it('the roster can be replaced until a ballot exists (voiding the 2 issued codes, as confirmed), then 409 ROSTER_LOCKED and it stays as it was', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'L'), '名单锁定', { scrutineers: false });
    const replaced = await sec.ok('POST', `/api/meetings/${m.id}/roster`, { members: roster({ standing: 3 }, 'M'), voidCodes: 2 });
    expect(replaced.members.map((x: { name: string }) => x.name)).toEqual(['M常委01', 'M常委02', 'M常委03']);
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('L常委01') }), 'BAD_CODE'); // the old members are gone
    await createBallot(sec, m.id, { type: 'decision' });
    const before = stateOf(server.dbPath);
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { members: roster({ standing: 1 }, 'N') }), 'ROSTER_LOCKED');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { members: roster({ standing: 1 }, 'N'), voidCodes: 0 }), 'ROSTER_LOCKED');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { csv: 'name,kind\n新人,standing' }, { lang: 'en' }), 'ROSTER_LOCKED', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
  });
});

describe('ballot definitions', () => {
  it('invalid definitions → 400 BALLOT_INVALID or BAD_REQUEST, no ballot created; a custom rule is kept', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'V'), '表决定义', { scrutineers: false });
    const other = meeting.idOf('常委01');
    const path = `/api/meetings/${m.id}/ballots`;
    const base = { type: 'decision', title: '票决', items: items(1) };
    const before = stateOf(server.dbPath);
    const cases: [unknown, string][] = [
      [{ ...base, items: [] }, 'BALLOT_INVALID'],
      [{ ...base, recused: [other] }, 'BALLOT_INVALID'], // a member of another meeting
      [{ ...base, recused: ['unope'] }, 'BALLOT_INVALID'],
      [{ ...base, recused: [m.idOf('V常委01'), m.idOf('V常委01')] }, 'BALLOT_INVALID'],
      [{ ...base, rule: { threshold: { num: 3, den: 2 } } }, 'BALLOT_INVALID'],
      [{ ...base, rule: { option: 'maybe' } }, 'BALLOT_INVALID'],
      [{ ...base, rule: { extra: 1 } }, 'BALLOT_INVALID'],
      [{ ...base, rule: null }, 'BALLOT_INVALID'], // not silently the default rule
      [{ ...base, rule: 5 }, 'BALLOT_INVALID'],
      [{ ...base, rule: '' }, 'BALLOT_INVALID'],
      [{ ...base, rule: [] }, 'BALLOT_INVALID'],
      [{ ...base, type: 'election' }, 'BAD_REQUEST'],
      [{ ...base, type: 'recommendation' }, 'BALLOT_INVALID'],
      [{ ...base, items: items(51) }, 'BAD_REQUEST'],
      [{ ...base, items: [{ nominee: '', post: 'x' }] }, 'BAD_REQUEST'],
      [{ ...base, title: 'x'.repeat(201) }, 'BAD_REQUEST'],
      [{ ...base, recused: 'V常委01' }, 'BAD_REQUEST'],
    ];
    for (const [body, code] of cases) {
      const r = await sec.post(path, body);
      expect(r.json.error, JSON.stringify(body).slice(0, 120)).toBe(code);
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    const custom = await createBallot(sec, m.id, { type: 'decision', rule: { base: 'present', quorum: null } });
    expect(custom.rule).toEqual({ option: 'agree', base: 'present', threshold: { num: 1, den: 2 }, strict: true, quorum: null });
    const withRecusal = await createBallot(sec, m.id, { type: 'decision', recused: [m.idOf('V常委03')], items: items(3) });
    expect(withRecusal).toMatchObject({ status: 'draft', entitled: 2, recused: [m.idOf('V常委03')], result: null });
    expect(withRecusal.items.map((i: { id: string }) => i.id)).toEqual(['i1', 'i2', 'i3']);
  });
});
