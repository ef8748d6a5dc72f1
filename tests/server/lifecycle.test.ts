// The ballot state machine draft → open → closed → published | void over HTTP: every
// refused transition is 409 BAD_STATE with {error, message} in Chinese (default) or English,
// and changes nothing; the two-thirds quorum of decision ballots at its edge; issuance that
// is idempotent for a retried blinded point, refused for a second one, and re-issue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { G1, blindToken, randomBytes, randomScalar, toHex, verifyBundle } from '../../crypto/index.ts';
import { ERRORS } from '../../server/errors.ts';
import {
  Jar, castVote, checkIn, createBallot, expectError, openBallot, openVote, prepareVote, roster, setupMeeting, signIn,
  startTestServer, type Meeting, type Tablet, type TestServer,
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

/** A random but valid G1 point, hex (a well-formed signature that signs nothing). */
const randomPoint = () => toHex(G1.BASE.multiply(randomScalar()).toBytes(true));
const randomHex = (bytes: number) => toHex(randomBytes(bytes));

async function status(bid: string): Promise<string> {
  return (await anon.ok('GET', `/api/ballots/${bid}`)).status;
}

describe('state transitions', () => {
  let meeting: Meeting;
  let tablets: Map<string, Tablet>;
  beforeAll(async () => {
    meeting = await setupMeeting(sec, roster({ standing: 3, full: 1 }), '县委常委会（状态）');
    tablets = await checkIn(server, meeting, meeting.names());
  });

  it('every refused transition answers 409 BAD_STATE {error, message} and leaves the ballot as it was', async () => {
    const b = await createBallot(sec, meeting.id, { type: 'decision' });
    const bid = b.id as string;
    const fakeCast = { token: randomHex(32), signature: randomPoint(), commitment: randomHex(32) };
    const fakeOpening = { token: randomHex(32), choices: ['agree'], salt: randomHex(32) };
    const t = tablets.get('常委01')!;

    // draft: close, finalize, cast, issue, openings, reissue are refused
    expect(b.status).toBe('draft');
    expect(b.publicKey).toBeNull();
    expectError(await sec.post(`/api/ballots/${bid}/close`), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${bid}/finalize`), 'BAD_STATE');
    expectError(await anon.post(`/api/ballots/${bid}/cast`, fakeCast), 'BAD_STATE');
    expectError(await t.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(blindToken(bid).blinded) }), 'BAD_STATE');
    expectError(await anon.post(`/api/ballots/${bid}/openings`, fakeOpening), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${bid}/reissue`, { memberId: t.memberId }), 'BAD_STATE');
    expect(await status(bid)).toBe('draft');

    // open: open again, finalize, openings (before close) are refused
    const opened = await openBallot(sec, bid);
    expect(opened.status).toBe('open');
    const tok = await t.issue(opened);
    const vote = prepareVote(tok, ['agree']);
    expectError(await sec.post(`/api/ballots/${bid}/open`), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${bid}/finalize`), 'BAD_STATE');
    await castVote(anon, vote);
    expectError(await anon.post(`/api/ballots/${bid}/openings`, vote.opening), 'BAD_STATE');
    const stillOpen = await anon.ok('GET', `/api/ballots/${bid}`);
    expect(stillOpen).toMatchObject({ status: 'open', publicKey: opened.publicKey, cast: 1, openings: 0 });

    // closed: open, close, cast, issue, reissue are refused; openings accepted
    const other = await tablets.get('常委02')!.issue(opened); // issued while open, cast too late
    await sec.ok('POST', `/api/ballots/${bid}/close`);
    expectError(await sec.post(`/api/ballots/${bid}/open`), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${bid}/close`), 'BAD_STATE');
    expectError(await anon.post(`/api/ballots/${bid}/cast`, prepareVote(other, ['agree']).body), 'BAD_STATE');
    expectError(await tablets.get('常委03')!.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(blindToken(bid).blinded) }), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${bid}/reissue`, { memberId: t.memberId }), 'BAD_STATE');
    expect(await anon.ok('GET', `/api/ballots/${bid}`)).toMatchObject({ status: 'closed', cast: 1, issued: 2 });
    await openVote(anon, vote);
    await openVote(anon, vote); // idempotent

    // published: nothing moves any more
    const fin = await sec.ok('POST', `/api/ballots/${bid}/finalize`);
    expect(fin.ballot.status).toBe('published');
    for (const act of ['open', 'close', 'finalize']) expectError(await sec.post(`/api/ballots/${bid}/${act}`), 'BAD_STATE');
    expectError(await anon.post(`/api/ballots/${bid}/cast`, vote.body), 'BAD_STATE');
    expectError(await anon.post(`/api/ballots/${bid}/openings`, vote.opening), 'BAD_STATE');
    expectError(await t.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(tok.blinded) }), 'BAD_STATE');
    const pub = await anon.ok('GET', `/api/ballots/${bid}`);
    expect(pub).toMatchObject({ status: 'published', cast: 1, openings: 1 });
    expect(pub.result.items[0].counts).toEqual({ agree: 1, disagree: 0, abstain: 0 });
  });

  it('error messages: Chinese by default and for zh-CN, English for Accept-Language en and en-US', async () => {
    const b = await createBallot(sec, meeting.id, { type: 'decision' });
    const zh = await sec.post(`/api/ballots/${b.id}/close`);
    expect(Object.keys(zh.json).sort()).toEqual(expect.arrayContaining(['error', 'message']));
    expect(zh.json).toMatchObject({ error: 'BAD_STATE', message: ERRORS.BAD_STATE[1] });
    expect(zh.json.message).toMatch(/[\u4e00-\u9fff]/);
    expectError(await sec.post(`/api/ballots/${b.id}/close`, undefined, { lang: 'zh-CN,zh;q=0.9,en;q=0.8' }), 'BAD_STATE', 'zh');
    expectError(await sec.post(`/api/ballots/${b.id}/close`, undefined, { lang: 'en' }), 'BAD_STATE', 'en');
    expectError(await sec.post(`/api/ballots/${b.id}/finalize`, undefined, { lang: 'en-US,en;q=0.9' }), 'BAD_STATE', 'en');
    expect((await sec.post(`/api/ballots/${b.id}/close`, undefined, { lang: 'en' })).json.message).toBe('Not allowed in the current phase. Reload to see the latest state.');
    expectError(await anon.get('/api/ballots/bnosuchballot', { lang: 'en' }), 'NOT_FOUND', 'en');
    expect((await anon.get('/api/ballots/bnosuchballot')).headers.get('content-type')).toMatch(/^application\/json; charset=utf-8/i);
    await openBallot(sec, b.id);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
  });

  it('ending the meeting: refused while a ballot is open (BAD_STATE); afterwards ballots and codes are refused with MEETING_ENDED and tablets are signed out', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, '终'), '将结束的会议');
    const tabs = await checkIn(server, m, m.names());
    const b = await openBallot(sec, (await createBallot(sec, m.id, { type: 'decision' })).id);
    expectError(await sec.post(`/api/meetings/${m.id}/end`), 'BAD_STATE');
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    expectError(await sec.post(`/api/meetings/${m.id}/end`), 'BAD_STATE'); // awaiting its result
    await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    await sec.ok('POST', `/api/meetings/${m.id}/end`);
    expect((await sec.ok('GET', `/api/meetings/${m.id}`)).meeting.status).toBe('ended');
    expectError(await sec.post(`/api/meetings/${m.id}/ballots`, { type: 'decision', title: 't', items: [{ nominee: 'a', post: 'b' }] }), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/codes`), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/end`), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { members: [{ name: 'x', kind: 'standing' }] }), 'MEETING_ENDED');
    for (const t of tabs.values()) expectError(await t.jar.get('/api/tablet'), 'NOT_CHECKED_IN');
  });
});

describe('quorum of decision ballots (present×3 ≥ entitled×2)', () => {
  it('9 standing members: 5 present → 409 QUORUM_NOT_MET and still a draft; 6 present (exactly two thirds) → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 9, full: 3 }, 'Q'), '法定人数 9');
    const standing = m.names('standing');
    await checkIn(server, m, [...standing.slice(0, 5), ...m.names('full')]); // full members do not count
    const b = await createBallot(sec, m.id, { type: 'decision' });
    const refused = await sec.post(`/api/ballots/${b.id}/open`);
    expectError(refused, 'QUORUM_NOT_MET');
    expectError(await sec.post(`/api/ballots/${b.id}/open`, undefined, { lang: 'en' }), 'QUORUM_NOT_MET', 'en');
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).toMatchObject({ status: 'draft', publicKey: null, entitled: 9, present: 5, quorumMet: false });
    await checkIn(server, m, [standing[5]!]);
    const opened = await openBallot(sec, b.id);
    expect(opened).toMatchObject({ status: 'open', entitled: 9, present: 6, quorumMet: true });
    expect(opened.publicKey).toMatch(/^[0-9a-f]{192}$/);
    // A consultation in the same meeting opens whatever the attendance.
    const c = await openBallot(sec, (await createBallot(sec, m.id, { type: 'consultation' })).id);
    expect(c).toMatchObject({ status: 'open', entitled: 12, present: 9 });
  });

  it('3 standing members: 1 present → QUORUM_NOT_MET, 2 present → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'R'), '法定人数 3');
    await checkIn(server, m, ['R常委01']);
    const b = await createBallot(sec, m.id, { type: 'decision' });
    expectError(await sec.post(`/api/ballots/${b.id}/open`), 'QUORUM_NOT_MET');
    await checkIn(server, m, ['R常委02']);
    expect(await openBallot(sec, b.id)).toMatchObject({ status: 'open', entitled: 3, present: 2 });
  });

  it('a recused member leaves the entitled count: 4 standing, one recused, 2 present of 3 → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 4 }, 'S'), '回避与法定人数');
    await checkIn(server, m, ['S常委01', 'S常委02']);
    const plain = await createBallot(sec, m.id, { type: 'decision' });
    expectError(await sec.post(`/api/ballots/${plain.id}/open`), 'QUORUM_NOT_MET'); // 2 of 4
    const b = await createBallot(sec, m.id, { type: 'decision', recused: [m.idOf('S常委04')] });
    expect(await openBallot(sec, b.id)).toMatchObject({ status: 'open', entitled: 3, present: 2 });
  });

  it('a decision ballot in a meeting without standing members cannot open (400 BALLOT_INVALID)', async () => {
    const m = await setupMeeting(sec, roster({ full: 2 }, 'T'), '无常委');
    await checkIn(server, m, m.names());
    const b = await createBallot(sec, m.id, { type: 'decision' });
    expectError(await sec.post(`/api/ballots/${b.id}/open`), 'BALLOT_INVALID');
    expect(await status(b.id)).toBe('draft');
  });
});

describe('issuance: idempotent retry, one token per member, re-issue', () => {
  let meeting: Meeting;
  let tablets: Map<string, Tablet>;
  beforeAll(async () => {
    meeting = await setupMeeting(sec, roster({ standing: 3 }, 'I'), '领票');
    tablets = await checkIn(server, meeting, meeting.names());
  });

  it('the same blinded point twice gets the same signed answer; a second blinded point is 409 ALREADY_ISSUED', async () => {
    const b = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'decision' })).id);
    const t = tablets.get('I常委01')!;
    const st = blindToken(b.id);
    const first = await t.jar.ok('POST', `/api/ballots/${b.id}/issue`, { blinded: toHex(st.blinded) });
    const again = await t.jar.ok('POST', `/api/ballots/${b.id}/issue`, { blinded: toHex(st.blinded) });
    expect(again.signed).toBe(first.signed);
    expect(first.signed).toMatch(/^[0-9a-f]{96}$/);
    expectError(await t.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(blindToken(b.id).blinded) }), 'ALREADY_ISSUED');
    expectError(await t.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(blindToken(b.id).blinded) }, { lang: 'en' }), 'ALREADY_ISSUED', 'en');
    expect((await t.jar.ok('GET', '/api/tablet')).ballots.find((x: { id: string }) => x.id === b.id)).toMatchObject({ issued: true });
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).issued).toBe(1);
    // Re-issue for a member who was never issued is refused.
    expectError(await sec.post(`/api/ballots/${b.id}/reissue`, { memberId: meeting.idOf('I常委02') }), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${b.id}/reissue`, { memberId: 'unope' }), 'BAD_STATE');
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
  });

  it('after POST /reissue the member gets a second token (once), both cast; the bundle roster shows issued: 2 and the ballot publishes', async () => {
    const b = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'decision' })).id);
    const [a, bb, c] = ['I常委01', 'I常委02', 'I常委03'].map((n) => tablets.get(n)!);
    const ta = await a!.issue(b);
    const tb = await bb!.issue(b);
    await c!.issue(b); // takes a token, never casts
    expectError(await a!.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(blindToken(b.id).blinded) }), 'ALREADY_ISSUED');
    const re = await sec.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: a!.memberId });
    expect(re.ballot.status).toBe('open');
    const ta2 = await a!.issue(b); // e.g. the replacement tablet
    const retried = await a!.jar.ok('POST', `/api/ballots/${b.id}/issue`, { blinded: toHex(ta2.blinded) });
    expect(retried.signed).toBe(ta2.signed); // retry of the re-issued request is still idempotent
    expectError(await a!.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(blindToken(b.id).blinded) }), 'ALREADY_ISSUED');
    const votes = [prepareVote(ta, ['agree']), prepareVote(ta2, ['agree']), prepareVote(tb, ['disagree'])];
    for (const v of votes) await castVote(anon, v);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    for (const v of votes) await openVote(anon, v);
    const fin = await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    expect(fin.ballot.status).toBe('published');
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(Object.fromEntries(bundle.roster.map((m: { name: string; issued: number }) => [m.name, m.issued]))).toEqual({ I常委01: 2, I常委02: 1, I常委03: 1 });
    expect(bundle.tally).toMatchObject({ issued: 3, cast: 3, valid: 3 });
  });

  it('when a re-issued member casts both tokens and every other member casts too (cast > issued), the ballot is void', async () => {
    const b = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'decision' })).id);
    const toks = await Promise.all(meeting.names().map((n) => tablets.get(n)!.issue(b)));
    await sec.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: meeting.idOf('I常委01') });
    toks.push(await tablets.get('I常委01')!.issue(b));
    const votes = toks.map((t) => prepareVote(t, ['agree']));
    for (const v of votes) await castVote(anon, v);
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).cast).toBe(4);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    for (const v of votes) await openVote(anon, v);
    const fin = await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    expect(fin.ballot.status).toBe('void');
    expect(fin.ballot.result).toMatchObject({ issued: 3, cast: 4 });
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    const check = verifyBundle(bundle);
    expect(check.failures.map((f) => f.code)).toEqual(['COUNT_EXCEEDS_ISSUED']);
    for (const act of ['open', 'close', 'finalize']) expectError(await sec.post(`/api/ballots/${b.id}/${act}`), 'BAD_STATE');
  });
});

describe('concurrent transitions', () => {
  it('two opens, two closes, two finalizes at once: exactly one of each succeeds, the other is 409 BAD_STATE', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'P'), '并发');
    await checkIn(server, m, m.names());
    const b = await createBallot(sec, m.id, { type: 'decision' });
    for (const act of ['open', 'close', 'finalize']) {
      const res = await Promise.all([sec.post(`/api/ballots/${b.id}/${act}`), sec.post(`/api/ballots/${b.id}/${act}`)]);
      expect(res.map((r) => r.status).sort(), act).toEqual([200, 409]);
      expectError(res.find((r) => r.status === 409)!, 'BAD_STATE');
    }
    expect(await status(b.id)).toBe('published');
  });

  it('openings racing the finalisation: every opening answered 200 is in the published bundle', async () => {
    const m = await setupMeeting(sec, roster({ standing: 5 }, 'O'), '开票竞争');
    const tabs = await checkIn(server, m, m.names());
    const b = await openBallot(sec, (await createBallot(sec, m.id, { type: 'decision' })).id);
    const votes = [];
    for (const t of tabs.values()) {
      const v = prepareVote(await t.issue(b), ['agree']);
      await castVote(anon, v);
      votes.push(v);
    }
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    await openVote(anon, votes[0]!);
    const [fin, ...opened] = await Promise.all([
      sec.post(`/api/ballots/${b.id}/finalize`),
      ...votes.slice(1).map((v) => anon.post(`/api/ballots/${b.id}/openings`, v.opening)),
    ]);
    if (fin.status !== 200) {
      expectError(fin, 'BAD_STATE'); // openings arrived while it verified: finalise again
      await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    }
    for (const r of opened) if (r.status !== 200) expectError(r, 'BAD_STATE'); // too late: already published
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    expect(verifyBundle(bundle).ok).toBe(true);
    const openedTokens = new Set(bundle.ballots.filter((x: { opening: unknown }) => x.opening !== null).map((x: { token: string }) => x.token));
    const accepted = [votes[0]!, ...votes.slice(1).filter((_, i) => opened[i]!.status === 200)];
    for (const v of accepted) expect(openedTokens.has(v.opening.token)).toBe(true);
    expect(bundle.tally.valid).toBe(accepted.length);
  });
});
