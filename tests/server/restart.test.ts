// A server restarted in the middle of a ballot keeps everything on disk: the open ballot and
// its key, sessions of the secretary and the tablets, the casts already made (a replay still
// gets the same receipt), and the server key; after a second restart during the openings the
// ballot finalises into a verified bundle holding every cast, each receipt included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReceipt, verifyBundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, castVote, checkIn, createBallot, openBallot, openVote, prepareVote, roster, setupMeeting, signIn, startTestServer,
  type Tablet, type TestServer, type Vote,
} from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.dispose());

describe('restart in the middle of a meeting', () => {
  it('open → some casts → restart → the rest cast → close → restart → openings → finalize: verified bundle with all casts', async () => {
    const sec = await signIn(server);
    const anon = new Jar(server, false);
    const meeting = await setupMeeting(sec, roster({ standing: 6, full: 1 }), '重启');
    const tablets: Map<string, Tablet> = await checkIn(server, meeting, meeting.names());
    const names = meeting.names('standing');
    const serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
    const ballot = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'decision' })).id);

    // Before the restart: four members take tokens, two cast.
    const early = await Promise.all(names.slice(0, 4).map((n) => tablets.get(n)!.issue(ballot)));
    const votes: Vote[] = early.map((t, i) => prepareVote(t, [i % 2 ? 'disagree' : 'agree']));
    const receipts: Receipt[] = [];
    for (const v of votes.slice(0, 2)) receipts.push(await castVote(anon, v));
    const oldUrl = server.url;

    await server.restart();
    expect(server.url).not.toBe(oldUrl);

    // Sessions, ballot state and keys survived.
    expect((await sec.ok('GET', '/api/secretary/me')).signedIn).toBe(true);
    expect((await anon.ok('GET', '/api/server-key')).serverKey).toBe(serverKey);
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ status: 'open', publicKey: ballot.publicKey, issued: 4, cast: 2 });
    expect((await tablets.get(names[0]!)!.jar.ok('GET', '/api/tablet')).member.name).toBe(names[0]);
    // A replayed pre-restart cast gets the very same receipt; a retried issuance the same answer.
    expect(await castVote(anon, votes[0]!)).toEqual(receipts[0]);
    const retried = await tablets.get(names[0]!)!.jar.ok('POST', `/api/ballots/${ballot.id}/issue`, { blinded: Buffer.from(early[0]!.blinded).toString('hex') });
    expect(retried.signed).toBe(early[0]!.signed);

    // After the restart: pre-restart tokens cast, and the last two members are issued with the persisted key.
    for (const v of votes.slice(2)) receipts.push(await castVote(anon, v));
    const late = await Promise.all(names.slice(4).map((n) => tablets.get(n)!.issue(ballot)));
    for (const t of late) {
      const v = prepareVote(t, ['agree']);
      votes.push(v);
      receipts.push(await castVote(anon, v));
    }
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    await openVote(anon, votes[0]!);

    await server.restart();

    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ status: 'closed', cast: 6, openings: 1 });
    for (const v of votes) await openVote(anon, v); // the first again: idempotent
    const fin = await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
    expect(fin.ballot.status).toBe('published');
    const bundle = await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`);
    const check = verifyBundle(bundle, { serverKey });
    expect(check.failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ entitled: 6, present: 6, issued: 6, cast: 6, valid: 6 });
    expect(bundle.tally.items[0]).toMatchObject({ counts: { agree: 4, disagree: 2, abstain: 0 }, outcome: 'passed' });
    for (const r of receipts) {
      expect(checkReceipt(bundle, r).status).toBe('included');
      expect((await anon.ok('POST', `/api/ballots/${ballot.id}/receipt`, { receipt: r })).status).toBe('included');
    }
  });
});
