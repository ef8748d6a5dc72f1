// A server restarted in the middle of a ballot keeps everything on disk (piaojue/2): the open
// ballot with its keys and cast key, the sessions of the secretary, the tablets and the
// scrutineer devices, the issuance requests and partial signatures (a retried request gets the
// same partials with no device serving), the casts already made (a replay gets the same
// receipt) and the server key. Restarted between close and publication, the decryption shares
// already in count and the ballot publishes once t are in; and a ballot closed just before a
// crash cut its sums short gets them recomputed at the next start (ctx.resume).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReceipt, verifyBundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, castVote, checkIn, issueAll, openNew, prepareVote, publish, roster, settle, setupMeeting, signIn, sleep, startTestServer,
  waitForBundle, type Meeting, type Tablet, type TestServer, type Vote,
} from '../helpers/server.ts';

let server: TestServer;
let sec: Jar;
let anon: Jar;
let serverKey: string;
beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
});
afterAll(async () => server?.dispose());

/** What a device sees of a ballot. */
async function deviceView(m: Meeting, bid: string, d = 0) {
  return (await m.devices[d]!.jar.ok('GET', '/api/scrutineer')).ballots.find((x: { id: string }) => x.id === bid);
}

describe('restart in the middle of a meeting', () => {
  it('open → some issued and cast → restart → the rest issued and cast → close → one share → restart → the second share: verified bundle with every cast', async () => {
    const meeting = await setupMeeting(sec, roster({ standing: 6, full: 1 }), '重启');
    const tablets: Map<string, Tablet> = await checkIn(server, meeting, meeting.names());
    const names = meeting.names('standing');
    const ballot = await openNew(sec, meeting, { type: 'decision' });

    // Before the restart: four members take tokens, two cast.
    const early = await issueAll(names.slice(0, 4).map((n) => tablets.get(n)!), ballot, meeting.devices);
    const votes: Vote[] = early.map((t, i) => prepareVote(t, [i % 2 ? 'disagree' : 'agree']));
    const receipts: Receipt[] = [];
    for (const v of votes.slice(0, 2)) receipts.push(await castVote(anon, v));
    const fingerprint = (await sec.ok('GET', `/api/meetings/${meeting.id}`)).scrutiny.ceremony.fingerprint;

    await server.restart();

    // Sessions, ballot state, keys and the ceremony survived.
    expect((await sec.ok('GET', '/api/secretary/me')).signedIn).toBe(true);
    expect((await anon.ok('GET', '/api/server-key')).serverKey).toBe(serverKey);
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ status: 'open', publicKey: ballot.publicKey, electionKey: ballot.electionKey, issued: 4, cast: 2, confirmations: 3 });
    expect((await sec.ok('GET', `/api/meetings/${meeting.id}`)).scrutiny.ceremony).toMatchObject({ status: 'ready', fingerprint });
    expect((await tablets.get(names[0]!)!.jar.ok('GET', '/api/tablet')).member.name).toBe(names[0]);
    for (const d of meeting.devices) expect((await d.jar.ok('GET', '/api/scrutineer')).scrutineer.index).toBe(d.index);
    // A replayed pre-restart cast gets the very same receipt; a retried issuance the same partials, no device serving.
    expect(await castVote(anon, votes[0]!)).toEqual(receipts[0]);
    const t0 = tablets.get(names[0]!)!;
    const retried = await t0.requestToken(ballot, early[0]!.keys, early[0]!.st);
    expect(retried.partials).toEqual(expect.arrayContaining(early[0]!.partials));

    // After the restart: pre-restart tokens cast (their cast key is the stored one), and the last two members are issued.
    for (const v of votes.slice(2)) receipts.push(await castVote(anon, v));
    const late = await issueAll(names.slice(4).map((n) => tablets.get(n)!), ballot, meeting.devices);
    for (const t of late) {
      const v = prepareVote(t, ['agree']);
      votes.push(v);
      receipts.push(await castVote(anon, v));
    }
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    expect(await meeting.devices[0]!.step()).toBe(true); // device 1's decryption share

    await server.restart();

    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ status: 'closed', cast: 6, decryptions: 1, result: null });
    expect(await meeting.devices[0]!.step()).toBe(false); // it has decrypted: nothing more to send
    expect(await meeting.devices[1]!.step()).toBe(true);
    const bundle = await waitForBundle(anon, ballot.id);
    const check = verifyBundle(bundle, { serverKey });
    expect(check.failures).toEqual([]);
    expect(bundle.decryption.map((d) => d.index)).toEqual([1, 2]);
    expect(bundle.tally).toMatchObject({ entitled: 6, present: 6, issued: 6, cast: 6, valid: 6 });
    expect(bundle.tally.items[0]).toMatchObject({ counts: { agree: 4, disagree: 2, abstain: 0 }, outcome: 'passed' });
    for (const r of receipts) expect(checkReceipt(bundle, r).status).toBe('included');
  });

  it('a ballot closed before a crash cut its sums short: the sums are recomputed at the next start, the devices decrypt and it publishes', async () => {
    const meeting = await setupMeeting(sec, roster({ standing: 3 }, 'S'), '重启补算');
    const tablets = await checkIn(server, meeting, meeting.names());
    const ballot = await openNew(sec, meeting, { type: 'consultation', items: [{ nominee: '甲', post: '乙' }, { nominee: '丙', post: '丁' }] });
    const toks = await issueAll([...tablets.values()], ballot, meeting.devices);
    const picks = [['agree', 'disagree'], ['disagree', 'disagree'], ['agree', 'abstain']];
    for (const [i, t] of toks.entries()) await castVote(anon, prepareVote(t, picks[i]!));
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    const sums = (await deviceView(meeting, ballot.id)).sums as string[];
    expect(sums).toHaveLength(2); // one per packed item (protocol §5.1)

    // The crash: the close is on disk, its sums are not.
    await server.stop();
    const db = new Database(server.dbPath);
    try {
      expect(db.prepare("UPDATE ballots SET sums = NULL WHERE id = ? AND status = 'closed'").run(ballot.id).changes).toBe(1);
    } finally {
      db.close();
    }
    await server.restart();

    let view = await deviceView(meeting, ballot.id);
    for (let i = 0; i < 200 && view.sums === null; i++) {
      await sleep(25);
      view = await deviceView(meeting, ballot.id);
    }
    expect(view.sums).toEqual(sums);
    await settle(meeting.devices);
    const { ballot: done, bundle } = await publish(sec, meeting, ballot.id);
    expect(done.status).toBe('published');
    expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
    expect(bundle.sums).toEqual(sums);
    expect(bundle.tally.items.map((i) => i.counts)).toEqual([
      { agree: 2, disagree: 1, abstain: 0 },
      { agree: 0, disagree: 2, abstain: 1 },
    ]);
  });
});
