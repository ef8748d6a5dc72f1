// Whole meetings over HTTP with real crypto (piaojue/2): a decision ballot (standing members
// only) and a consultation (every member), the outcomes the regulations give at and around
// "over half", the published bundle verifying offline (verifyBundle, server key pinned), and
// every receipt found in it (checkReceipt) — also with other numbers of scrutineers.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReceipt, verifyBundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, checkIn, closeAndPublish, createBallot, expectError, openNew, playBallot, roster, setupMeeting, signIn, startTestServer,
  votesOf, type Meeting, type PlayedBallot, type Tablet, type TestServer,
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

/** Checks shared by every published ballot: verifies offline with the pinned server key, each receipt included. */
function expectPublished(p: PlayedBallot, meeting: Meeting): void {
  const check = verifyBundle(p.bundle, { serverKey });
  expect(check.failures).toEqual([]);
  expect(check.ok).toBe(true);
  expect(p.ballot.status).toBe('published');
  expect(p.ballot.result).toEqual(p.bundle.tally);
  expect(p.bundle.ballots).toHaveLength(p.receipts.size);
  expect(p.bundle.ceremony.params).toMatchObject({ n: meeting.n, t: meeting.t });
  expect(p.bundle.decryption.length).toBeGreaterThanOrEqual(meeting.t);
  for (const [name, receipt] of p.receipts) {
    expect(receipt.serverKey, name).toBe(serverKey);
    expect(checkReceipt(p.bundle, receipt).status, name).toBe('included');
  }
}

describe('a meeting of 10 standing, 4 full and 2 alternate members, one alternate absent', () => {
  let meeting: Meeting;
  let tablets: Map<string, Tablet>;
  const absent = '候补02';

  beforeAll(async () => {
    meeting = await setupMeeting(sec, roster({ standing: 10, full: 4, alternate: 2 }), '县委全体会议（流程）');
    tablets = await checkIn(server, meeting, meeting.names().filter((n) => n !== absent));
  });

  it('decision: entitled are the 10 standing members; 6 agree passes, exactly 5 of 10 fails, bundle verifies and receipts are included', async () => {
    const standing = meeting.names('standing');
    // Item 1: 6 agree, 2 disagree, 1 abstain; item 2: 5 agree (exactly half), 3 disagree, 1 abstain; one member takes a token and does not cast.
    const choices: (string[] | null)[] = [
      ['agree', 'agree'], ['agree', 'agree'], ['agree', 'agree'], ['agree', 'agree'], ['agree', 'agree'],
      ['agree', 'disagree'], ['disagree', 'disagree'], ['disagree', 'disagree'], ['abstain', 'abstain'], null,
    ];
    const votes = new Map(standing.map((n, i) => [n, choices[i]!]));
    const p = await playBallot(server, sec, meeting, tablets, {
      type: 'decision', items: [{ nominee: '郑一', post: '县水利局局长' }, { nominee: '钱二', post: '县商务局局长' }],
    }, votes);
    expectPublished(p, meeting);
    const t = p.bundle.tally;
    expect({ entitled: t.entitled, present: t.present, issued: t.issued, cast: t.cast, valid: t.valid, invalid: t.invalid })
      .toEqual({ entitled: 10, present: 10, issued: 10, cast: 9, valid: 9, invalid: 0 });
    expect(t.items.map((i) => [i.counts, i.outcome])).toEqual([
      [{ agree: 6, disagree: 2, abstain: 1 }, 'passed'],
      [{ agree: 5, disagree: 3, abstain: 1 }, 'failed'],
    ]);
    expect(p.bundle.roster.map((m) => [m.name, m.kind, m.present, m.issued])).toEqual(standing.map((n) => [n, 'standing', true, 1]));
    expect(p.bundle.ballot.rule).toMatchObject({ option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true });
    // Every device signed for the 10 members it confirmed, once each.
    for (const log of p.bundle.issuanceLogs) expect([...log!.entries].sort()).toEqual(standing.map((n) => meeting.idOf(n)).sort());
  });

  it('decision: full and alternate members are not entitled (403 NOT_ELIGIBLE on issue, eligible:false on their tablet)', async () => {
    const b = await openNew(sec, meeting, { type: 'decision' });
    for (const name of ['委员01', '候补01']) {
      const t = tablets.get(name)!;
      await expect(t.issue(b, meeting.devices)).rejects.toThrow(/403.*NOT_ELIGIBLE/);
      const view = await t.jar.ok('GET', '/api/tablet');
      expect(view.ballots.find((x: { id: string }) => x.id === b.id)).toMatchObject({ eligible: false, issued: false });
    }
    const mine = await tablets.get('常委01')!.jar.ok('GET', '/api/tablet');
    expect(mine.ballots.find((x: { id: string }) => x.id === b.id)).toMatchObject({ eligible: true, issued: false, entitled: 10, present: 10 });
    const { ballot, bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(ballot.status).toBe('published');
    expect(bundle.tally).toMatchObject({ issued: 0, cast: 0 });
  });

  it('consultation: entitled are all 16 members (absent included); 8 disagree of 16 is kept, 9 is dropped', async () => {
    const voters = meeting.names().filter((n) => n !== absent); // 15 present
    // Item 1: 8 disagree (over half of the 15 present, but exactly half of the 16 entitled) → kept.
    // Item 2: 9 disagree → dropped.
    const votes = new Map<string, string[] | null>(voters.map((n, i) => [n, [i < 8 ? 'disagree' : 'agree', i < 9 ? 'disagree' : i < 12 ? 'abstain' : 'agree']]));
    const p = await playBallot(server, sec, meeting, tablets, { type: 'consultation', items: [{ nominee: '孙三', post: '县卫健局局长' }, { nominee: '李四', post: '县文旅局局长' }] }, votes);
    expectPublished(p, meeting);
    const t = p.bundle.tally;
    expect({ entitled: t.entitled, present: t.present, issued: t.issued, cast: t.cast, valid: t.valid })
      .toEqual({ entitled: 16, present: 15, issued: 15, cast: 15, valid: 15 });
    expect(t.items.map((i) => [i.counts, i.outcome])).toEqual([
      [{ agree: 7, disagree: 8, abstain: 0 }, 'kept'],
      [{ agree: 3, disagree: 9, abstain: 3 }, 'dropped'],
    ]);
    expect(p.bundle.roster).toHaveLength(16);
    expect(p.bundle.roster.find((m) => m.name === absent)).toMatchObject({ kind: 'alternate', present: false, issued: 0 });
    expect(p.bundle.ballot.rule).toMatchObject({ option: 'disagree', base: 'entitled', strict: true, quorum: null });
  });

  it('receipts: other-ballot for a receipt of another ballot, invalid-receipt for a tampered one; 404 NOT_PUBLISHED before publication; a ballot nobody cast on publishes', async () => {
    const a = await playBallot(server, sec, meeting, tablets, { type: 'decision' }, votesOf(meeting.names('standing'), { agree: 2 }));
    const b = await playBallot(server, sec, meeting, tablets, { type: 'decision' }, votesOf(meeting.names('standing'), { disagree: 1 }));
    expectPublished(a, meeting);
    expectPublished(b, meeting);
    const ra = [...a.receipts.values()][0]!;
    expect(checkReceipt(b.bundle, ra).status).toBe('other-ballot');
    const tampered: Receipt = { ...ra, commitment: ra.commitment.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    expect(checkReceipt(a.bundle, tampered).status).toBe('invalid-receipt');
    const draft = await createBallot(sec, meeting.id, { type: 'decision' });
    expectError(await anon.get(`/api/ballots/${draft.id}/bundle`), 'NOT_PUBLISHED');
    expectError(await anon.get(`/api/ballots/${draft.id}/bundle`, { lang: 'en' }), 'NOT_PUBLISHED', 'en');
    await openNew(sec, meeting, { type: 'decision' }).then((o) => closeAndPublish(sec, meeting, o.id)).then(({ bundle }) => {
      expect(verifyBundle(bundle, { serverKey }).ok).toBe(true); // nobody cast: published with zero casts
      expect(bundle.tally).toMatchObject({ cast: 0, valid: 0, issued: 0 });
      expect(bundle.tally.items[0]!.outcome).toBe('failed');
    });
  });
});

describe('other numbers of scrutineers', () => {
  for (const spec of [{ n: 1, t: 1 }, { n: 5, t: 3 }]) {
    it(`n = ${spec.n}, t = ${spec.t}: a ballot publishes with t decryption shares and verifies; each receipt is included`, async () => {
      const meeting = await setupMeeting(sec, roster({ standing: 3 }, `N${spec.n}`), `监票人 ${spec.n} 选 ${spec.t}`, { scrutineers: spec });
      const tablets = await checkIn(server, meeting, meeting.names());
      const p = await playBallot(server, sec, meeting, tablets, { type: 'decision' }, votesOf(meeting.names(), { agree: 2, disagree: 1 }));
      expectPublished(p, meeting);
      expect(p.bundle.issuanceLogs).toHaveLength(spec.n);
      expect(p.bundle.tally.items[0]).toMatchObject({ counts: { agree: 2, disagree: 1, abstain: 0 }, outcome: 'passed' });
    });
  }
});

describe('outcomes follow the rule for any split of votes (fast-check, 4 standing members)', () => {
  let meeting: Meeting;
  let tablets: Map<string, Tablet>;
  beforeAll(async () => {
    meeting = await setupMeeting(sec, roster({ standing: 4, full: 1 }), '县委常委会（性质测试）');
    tablets = await checkIn(server, meeting, meeting.names());
  });

  it('decision passes iff agree×2 > 4 and consultation is dropped iff disagree×2 > 5, whatever the others do', async () => {
    const choice = fc.option(fc.constantFrom('agree', 'disagree', 'abstain'), { nil: null });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('decision' as const, 'consultation' as const), fc.array(choice, { minLength: 5, maxLength: 5 }), async (type, picks) => {
        const names = type === 'decision' ? meeting.names('standing') : meeting.names();
        const votes = new Map(names.map((n, i) => [n, picks[i] === null ? null : [picks[i]!]]));
        const p = await playBallot(server, sec, meeting, tablets, { type }, votes);
        expect(verifyBundle(p.bundle, { serverKey }).ok).toBe(true);
        const counted = (o: string) => names.filter((_, i) => picks[i] === o).length;
        const item = p.bundle.tally.items[0]!;
        expect(item.counts).toEqual({ agree: counted('agree'), disagree: counted('disagree'), abstain: counted('abstain') });
        if (type === 'decision') expect(item.outcome).toBe(counted('agree') * 2 > 4 ? 'passed' : 'failed');
        else expect(item.outcome).toBe(counted('disagree') * 2 > 5 ? 'dropped' : 'kept');
      }),
      { numRuns: 6 },
    );
  });
});
