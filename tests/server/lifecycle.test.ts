// The ballot state machine draft → open → closed → published | void over HTTP (piaojue/2):
// every refused transition is 409 BAD_STATE with {error, message} in Chinese (default) or
// English, and changes nothing — for the secretary's actions, casts, issuance and the
// scrutineer devices' confirmations, partial signatures and decryption shares; ending a
// meeting signs its tablets and devices out; the two-thirds quorum of decision ballots at its
// edge; issuance that is idempotent for a retried blinded point, refused for a second one,
// and re-issue (with each device's approval), up to a void ballot; racing transitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { G1, confirmAttendance, randomBytes, randomScalar, sealedBallotBytes, startIssuance, toHex, verifyBundle } from '../../crypto/index.ts';
import { ERRORS } from '../../server/errors.ts';
import {
  Jar, castPath, castVote, checkIn, closeAndPublish, confirm, createBallot, expectError, issueAll, openBallot, openNew, prepareVote,
  publish, roster, setupMeeting, shapeOf, signIn, startTestServer, stateOf, type Meeting, type Res, type SimulatedScrutineer, type Tablet, type TestServer,
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

const randomHex = (bytes: number) => toHex(randomBytes(bytes));
/** A well-formed cast that no tablet made (1-item ballot). */
const fakeCast = () => ({ token: randomHex(32), signature: toHex(G1.BASE.multiply(randomScalar()).toBytes(true)), sealed: randomHex(sealedBallotBytes(shapeOf(1))), commitment: randomHex(32), mac: randomHex(32) });

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

  it('every refused transition answers 409 BAD_STATE {error, message} and leaves the database as it was', async () => {
    const b = await createBallot(sec, meeting.id, { type: 'decision' });
    const bid = b.id as string;
    const t = tablets.get('常委01')!;
    const [d1, d2] = meeting.devices;
    /** Each call (made only after the snapshot, one by one) is refused with BAD_STATE, and nothing changes. */
    const refused = async (what: string, calls: (() => Promise<Res>)[]) => {
      const before = stateOf(server.dbPath);
      for (const call of calls) {
        const r = await call();
        expect(r.json.error, `${what}: ${JSON.stringify(r.json)}`).toBe('BAD_STATE');
        expectError(r, 'BAD_STATE');
      }
      expect(stateOf(server.dbPath), what).toEqual(before);
    };
    const decrypt = (d: typeof d1) => d!.jar.post(`/api/scrutineer/ballots/${bid}/decryption`, { share: { index: d!.index, factors: [], proofs: [] } });

    // draft: close, cast, issue, reissue, decryption are refused
    expect(b.status).toBe('draft');
    expect(b.publicKey).toBeNull();
    await refused('draft', [
      () => sec.post(`/api/ballots/${bid}/close`),
      () => anon.post(castPath(bid), fakeCast()),
      () => t.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(startIssuance(bid).blinded) }),
      () => sec.post(`/api/ballots/${bid}/reissue`, { memberId: t.memberId }),
      () => decrypt(d1),
    ]);
    expect(await status(bid)).toBe('draft');

    // open: open again and decryption are refused
    const opened = await openBallot(sec, meeting, bid);
    expect(opened).toMatchObject({ status: 'open', confirmations: 3 });
    const [tok, other] = await issueAll([t, tablets.get('常委02')!], opened, meeting.devices);
    const vote = prepareVote(tok!, ['agree']);
    await refused('open', [() => sec.post(`/api/ballots/${bid}/open`), () => decrypt(d1)]);
    await castVote(anon, vote);
    expect(await anon.ok('GET', `/api/ballots/${bid}`)).toMatchObject({ status: 'open', publicKey: opened.publicKey, cast: 1, decryptions: 0 });

    // closed: open, close, cast, issue, reissue, confirmation and partials are refused
    await sec.ok('POST', `/api/ballots/${bid}/close`);
    const log = (await d1!.jar.ok('GET', '/api/scrutineer')).ballots.find((x: { id: string }) => x.id === bid);
    expect(log).toMatchObject({ status: 'closed', confirmed: true, issuedByMe: 2, decrypted: false });
    expect(log.sums).toHaveLength(1); // one item, packed (protocol §5.1)
    await refused('closed', [
      () => sec.post(`/api/ballots/${bid}/open`),
      () => sec.post(`/api/ballots/${bid}/close`),
      () => anon.post(castPath(bid), prepareVote(other!, ['agree']).body), // issued while open, cast too late
      () => tablets.get('常委03')!.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(startIssuance(bid).blinded) }),
      () => sec.post(`/api/ballots/${bid}/reissue`, { memberId: t.memberId }),
      () => d2!.jar.post(`/api/scrutineer/ballots/${bid}/confirm`, { log: confirmLog(d2!, bid) }),
      () => d2!.jar.post('/api/scrutineer/partials', { ballotId: bid, partials: [], log: confirmLog(d2!, bid) }),
    ]);
    expect(await anon.ok('GET', `/api/ballots/${bid}`)).toMatchObject({ status: 'closed', cast: 1, issued: 2, result: null });

    // published: nothing moves any more
    const { ballot: pub } = await publish(sec, meeting, bid);
    expect(pub.status).toBe('published');
    await refused('published', [
      () => sec.post(`/api/ballots/${bid}/open`),
      () => sec.post(`/api/ballots/${bid}/close`),
      () => anon.post(castPath(bid), vote.body),
      () => t.jar.post(`/api/ballots/${bid}/issue`, { blinded: toHex(tok!.blinded) }),
      () => decrypt(meeting.devices[2]),
    ]);
    expect(pub).toMatchObject({ status: 'published', cast: 1, issued: 2 });
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
    expectError(await sec.post(`/api/ballots/${b.id}/close`, undefined, { lang: 'en-US,en;q=0.9' }), 'BAD_STATE', 'en');
    expect((await sec.post(`/api/ballots/${b.id}/close`, undefined, { lang: 'en' })).json.message).toBe(ERRORS.BAD_STATE[2]);
    expectError(await anon.get('/api/ballots/bnosuchballot', { lang: 'en' }), 'NOT_FOUND', 'en');
    expect((await anon.get('/api/ballots/bnosuchballot')).headers.get('content-type')).toMatch(/^application\/json; charset=utf-8/i);
    await openBallot(sec, meeting, b.id);
    await closeAndPublish(sec, meeting, b.id);
  });

  it('ending the meeting: refused while a ballot is open or awaiting its result (BALLOT_IN_PROGRESS, naming it); afterwards MEETING_ENDED, and tablets and scrutineer devices are signed out', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, '终'), '将结束的会议');
    const tabs = await checkIn(server, m, m.names());
    const b = await openNew(sec, m, { type: 'decision' });
    const before = stateOf(server.dbPath);
    const refused = await sec.post(`/api/meetings/${m.id}/end`);
    expectError(refused, 'BALLOT_IN_PROGRESS');
    expect(refused.json.ballot).toBe(b.title);
    expectError(await sec.post(`/api/meetings/${m.id}/end`, undefined, { lang: 'en' }), 'BALLOT_IN_PROGRESS', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    expectError(await sec.post(`/api/meetings/${m.id}/end`), 'BALLOT_IN_PROGRESS'); // awaiting its result
    await publish(sec, m, b.id);
    await sec.ok('POST', `/api/meetings/${m.id}/end`);
    expect((await sec.ok('GET', `/api/meetings/${m.id}`)).meeting.status).toBe('ended');
    expectError(await sec.post(`/api/meetings/${m.id}/ballots`, { type: 'decision', title: 't', items: [{ nominee: 'a', post: 'b' }] }), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/codes`), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/end`), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { members: [{ name: 'x', kind: 'standing' }] }), 'MEETING_ENDED');
    expectError(await sec.post(`/api/meetings/${m.id}/scrutineers`, { t: 1, scrutineers: [{ name: '新监票人' }] }), 'MEETING_ENDED');
    for (const t of tabs.values()) expectError(await t.jar.get('/api/tablet'), 'NOT_CHECKED_IN');
    for (const d of m.devices) {
      expectError(await d.jar.get('/api/scrutineer'), 'NOT_CHECKED_IN');
      expectError(await d.jar.get('/api/scrutineer/requests'), 'NOT_CHECKED_IN');
    }
  });
});

/** The device's current log of a ballot, signed again (what a repeated confirmation sends). */
function confirmLog(d: SimulatedScrutineer, ballotId: string) {
  return confirmAttendance(d.state!, ballotId, []).log;
}

describe('quorum of decision ballots (present×3 ≥ entitled×2)', () => {
  it('9 standing members: 5 present → 409 QUORUM_NOT_MET and still a draft; 6 present (exactly two thirds) → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 9, full: 3 }, 'Q'), '法定人数 9');
    const standing = m.names('standing');
    await checkIn(server, m, [...standing.slice(0, 5), ...m.names('full')]); // full members do not count
    const b = await createBallot(sec, m.id, { type: 'decision' });
    await confirm(m, b.id);
    expectError(await sec.post(`/api/ballots/${b.id}/open`), 'QUORUM_NOT_MET');
    expectError(await sec.post(`/api/ballots/${b.id}/open`, undefined, { lang: 'en' }), 'QUORUM_NOT_MET', 'en');
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).toMatchObject({ status: 'draft', publicKey: null, entitled: 9, present: 5, quorumMet: false });
    await checkIn(server, m, [standing[5]!]);
    const opened = await openBallot(sec, m, b.id);
    expect(opened).toMatchObject({ status: 'open', entitled: 9, present: 6, quorumMet: true });
    expect(opened.publicKey).toMatch(/^[0-9a-f]{192}$/);
    expect(opened.electionKey).toMatch(/^[0-9a-f]{64}$/);
    // A consultation in the same meeting opens whatever the attendance.
    const c = await openNew(sec, m, { type: 'consultation' });
    expect(c).toMatchObject({ status: 'open', entitled: 12, present: 9 });
  });

  it('3 standing members: 1 present → QUORUM_NOT_MET, 2 present → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'R'), '法定人数 3');
    await checkIn(server, m, ['R常委01']);
    const b = await createBallot(sec, m.id, { type: 'decision' });
    await confirm(m, b.id);
    expectError(await sec.post(`/api/ballots/${b.id}/open`), 'QUORUM_NOT_MET');
    await checkIn(server, m, ['R常委02']);
    expect(await openBallot(sec, m, b.id)).toMatchObject({ status: 'open', entitled: 3, present: 2 });
  });

  it('a recused member leaves the entitled count: 4 standing, one recused, 2 present of 3 → opens', async () => {
    const m = await setupMeeting(sec, roster({ standing: 4 }, 'S'), '回避与法定人数');
    await checkIn(server, m, ['S常委01', 'S常委02']);
    const plain = await createBallot(sec, m.id, { type: 'decision' });
    await confirm(m, plain.id);
    expectError(await sec.post(`/api/ballots/${plain.id}/open`), 'QUORUM_NOT_MET'); // 2 of 4
    const b = await createBallot(sec, m.id, { type: 'decision', recused: [m.idOf('S常委04')] });
    expect(await openBallot(sec, m, b.id)).toMatchObject({ status: 'open', entitled: 3, present: 2 });
  });

  it('a decision ballot in a meeting without standing members cannot open (400 BALLOT_INVALID)', async () => {
    const m = await setupMeeting(sec, roster({ full: 2 }, 'T'), '无常委');
    await checkIn(server, m, m.names());
    const b = await createBallot(sec, m.id, { type: 'decision' });
    await confirm(m, b.id);
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

  it('the same blinded point twice gets the same partials; a second blinded point is 409 ALREADY_ISSUED', async () => {
    const b = await openNew(sec, meeting, { type: 'decision' });
    const t = tablets.get('I常委01')!;
    const first = await t.issue(b, meeting.devices);
    const keys = await t.keys(b.id);
    const again = await t.requestToken(b, keys, first.st); // no device serves: answered from what is stored
    expect(again.partials).toEqual(expect.arrayContaining(first.partials)); // a late device may have added its own
    expect(toHex(again.signature)).toBe(toHex(first.signature));
    expect(toHex(again.castKey)).toBe(toHex(first.castKey));
    expect(first.partials.length).toBeGreaterThanOrEqual(meeting.t);
    for (const p of first.partials) expect(p.partial).toMatch(/^[0-9a-f]{96}$/);
    expectError(await t.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }), 'ALREADY_ISSUED');
    expectError(await t.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }, { lang: 'en' }), 'ALREADY_ISSUED', 'en');
    expect((await t.jar.ok('GET', '/api/tablet')).ballots.find((x: { id: string }) => x.id === b.id)).toMatchObject({ issued: true });
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).issued).toBe(1);
    // Re-issue for a member who was never issued is refused.
    expectError(await sec.post(`/api/ballots/${b.id}/reissue`, { memberId: meeting.idOf('I常委02') }), 'BAD_STATE');
    expectError(await sec.post(`/api/ballots/${b.id}/reissue`, { memberId: 'unope' }), 'BAD_STATE');
    await closeAndPublish(sec, meeting, b.id);
  });

  it('after POST /reissue and each device\'s approval the member gets a second token (once), both cast; the bundle roster shows issued: 2 and the ballot publishes', async () => {
    const b = await openNew(sec, meeting, { type: 'decision' });
    const [a, bb, c] = ['I常委01', 'I常委02', 'I常委03'].map((n) => tablets.get(n)!);
    const [ta, tb] = await issueAll([a!, bb!, c!], b, meeting.devices); // c takes a token, never casts
    expectError(await a!.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }), 'ALREADY_ISSUED');
    // The member's tablet learns of the re-issue from its own view (no ballot status changes):
    // `reissue` is set from POST /reissue until a tablet asks for the new token.
    const reissueFlag = async () => (await a!.jar.ok('GET', '/api/tablet')).ballots.find((x: { id: string }) => x.id === b.id).reissue;
    expect(await reissueFlag()).toBe(false);
    const re = await sec.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: a!.memberId });
    expect(re.ballot.status).toBe('open');
    expect(await reissueFlag()).toBe(true);
    expect((await bb!.jar.ok('GET', '/api/tablet')).ballots.find((x: { id: string }) => x.id === b.id).reissue).toBe(false);
    for (const d of meeting.devices) d.approve(b.id, a!.memberId);
    const ta2 = await a!.issue(b, meeting.devices); // e.g. the replacement tablet
    expect(await reissueFlag()).toBe(false);
    const retried = await a!.requestToken(b, ta2.keys, ta2.st);
    expect(retried.partials).toEqual(expect.arrayContaining(ta2.partials)); // a retry of the re-issued request is still idempotent
    expect(toHex(retried.signature)).toBe(toHex(ta2.signature));
    expectError(await a!.jar.post(`/api/ballots/${b.id}/issue`, { blinded: toHex(startIssuance(b.id).blinded) }), 'ALREADY_ISSUED');
    const votes = [prepareVote(ta!, ['agree']), prepareVote(ta2, ['agree']), prepareVote(tb!, ['disagree'])];
    for (const v of votes) await castVote(anon, v);
    const { ballot, bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(ballot.status).toBe('published');
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(Object.fromEntries(bundle.roster.map((m) => [m.name, m.issued]))).toEqual({ I常委01: 2, I常委02: 1, I常委03: 1 });
    expect(bundle.tally).toMatchObject({ issued: 3, cast: 3, valid: 3 });
    for (const log of bundle.issuanceLogs) expect(log!.entries.filter((e) => e === a!.memberId)).toHaveLength(2);
  });

  it('when a re-issued member casts both tokens and every other member casts too (cast > issued), the ballot is void', async () => {
    const b = await openNew(sec, meeting, { type: 'decision' });
    const toks = await issueAll(meeting.names().map((n) => tablets.get(n)!), b, meeting.devices);
    await sec.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: meeting.idOf('I常委01') });
    for (const d of meeting.devices) d.approve(b.id, meeting.idOf('I常委01'));
    toks.push(await tablets.get('I常委01')!.issue(b, meeting.devices));
    for (const tk of toks) await castVote(anon, prepareVote(tk, ['agree']));
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).cast).toBe(4);
    const { ballot, bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(ballot.status).toBe('void');
    expect(ballot.result).toMatchObject({ issued: 3, cast: 4 });
    // protocol §9.4: no outcome of a void ballot reaches any view (the bundle keeps it, for the verifier).
    expect(bundle.tally.items[0]!.outcome).not.toBeNull();
    for (const view of [ballot, await anon.ok('GET', `/api/ballots/${b.id}`), (await anon.ok('GET', `/api/meetings/${meeting.id}/screen`)).ballots.find((x: { id: string }) => x.id === b.id)])
      expect(view.result.items.map((it: { outcome: unknown; rank: unknown; flagged: unknown }) => [it.outcome, it.rank, it.flagged])).toEqual([[null, null, null]]);
    const check = verifyBundle(bundle);
    expect(check.failures.map((f) => f.code)).toEqual(['COUNT_EXCEEDS_ISSUED']);
    for (const act of ['open', 'close']) expectError(await sec.post(`/api/ballots/${b.id}/${act}`), 'BAD_STATE');
  });
});

describe('concurrent transitions', () => {
  it('two opens and two closes at once: exactly one of each succeeds, the other is 409 BAD_STATE', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'P'), '并发');
    await checkIn(server, m, m.names());
    const b = await createBallot(sec, m.id, { type: 'decision' });
    await confirm(m, b.id);
    for (const act of ['open', 'close']) {
      const res = await Promise.all([sec.post(`/api/ballots/${b.id}/${act}`), sec.post(`/api/ballots/${b.id}/${act}`)]);
      expect(res.map((r) => r.status).sort(), act).toEqual([200, 409]);
      expectError(res.find((r) => r.status === 409)!, 'BAD_STATE');
    }
    const { ballot } = await publish(sec, m, b.id);
    expect(ballot.status).toBe('published');
  });

  it('casts racing the close: every cast answered 200 is in the published bundle, every other one is 409 BAD_STATE', async () => {
    const m = await setupMeeting(sec, roster({ standing: 6 }, 'O'), '投票与结束竞争');
    const tabs = await checkIn(server, m, m.names());
    const b = await openNew(sec, m, { type: 'decision' });
    const toks = await issueAll([...tabs.values()], b, m.devices);
    const votes = toks.map((t) => prepareVote(t, ['agree']));
    await castVote(anon, votes[0]!);
    const [closed, ...casts] = await Promise.all([sec.post(`/api/ballots/${b.id}/close`), ...votes.slice(1).map((v) => anon.post(castPath(b.id), v.body))]);
    expect(closed.status).toBe(200);
    for (const r of casts) if (r.status !== 200) expectError(r, 'BAD_STATE');
    const { bundle } = await publish(sec, m, b.id);
    expect(verifyBundle(bundle).ok).toBe(true);
    const accepted = [votes[0]!, ...votes.slice(1).filter((_, i) => casts[i]!.status === 200)];
    expect(bundle.ballots.map((x) => x.token).sort()).toEqual(accepted.map((v) => v.body.token).sort());
    expect(bundle.tally.items[0]!.counts.agree).toBe(accepted.length);
  });
});
