// Concurrency (issue 6.2), on the real server (startServer: worker pool, group casting):
// - 50 parallel casts of one token with 50 different commitments: exactly one is accepted,
//   49 are 409 DUPLICATE_TOKEN; the uniqueness is the database's primary key, not only the
//   handler; the identical cast sent again returns the identical receipt;
// - close racing the casts: every cast either has a receipt and is in the final bundle, or was
//   refused (409 BAD_STATE) and is nowhere — never acknowledged and then missing;
// - a token issued for ballot A is refused on ballot B (same meeting and another meeting).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReceipt, commit, newSalt, toHex, verifyBundle, type Bundle, type Receipt } from '../../crypto/index.ts';
import {
  Jar, castVote, checkIn, createBallot, expectError, openBallot, openVote, prepareVote, roster, setupMeeting, signIn,
  startTestServer, tokenHashHex, type Meeting, type Tablet, type TestServer, type Vote,
} from '../helpers/server.ts';
import { readOnly, scaled, sleep } from '../helpers/reliability.ts';

const SAME_TOKEN_ROUNDS = scaled(3, 20);
const RACE_ROUNDS = scaled(4, 25);
const RACE_MEMBERS = 30;

let server: TestServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablets: Map<string, Tablet>;
let serverKey: string;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  meeting = await setupMeeting(sec, roster({ standing: 5, full: RACE_MEMBERS - 5 }), '县委全体会议（并发）');
  tablets = await checkIn(server, meeting, meeting.names());
  serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
}, 120_000);
afterAll(async () => server?.dispose());

const storedCasts = (bid: string) =>
  readOnly(server.dbPath, (db) => db.prepare('SELECT token_hash, commitment FROM casts WHERE ballot_id = ?').all(bid) as { token_hash: string; commitment: string }[]);

describe('one token, many commitments at once', () => {
  it(`50 parallel casts of one token with different commitments: exactly one accepted, 49 DUPLICATE_TOKEN; the identical re-send gets the same receipt (${SAME_TOKEN_ROUNDS} rounds)`, async () => {
    const ballot = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'consultation' })).id);
    const names = meeting.names().slice(0, SAME_TOKEN_ROUNDS);
    for (const name of names) {
      const tok = await tablets.get(name)!.issue(ballot);
      const votes = Array.from({ length: 50 }, (_, i) => prepareVote(tok, [['agree', 'disagree', 'abstain'][i % 3]!]));
      // Separate connections, some sent a moment later, so they land in one batch and in several.
      const res = await Promise.all(votes.map(async (v, i) => {
        if (i % 5 === 4) await sleep(Math.random() * 10);
        return new Jar(server, false).post(`/api/ballots/${ballot.id}/cast`, v.body);
      }));
      const ok = res.flatMap((r, i) => (r.status === 200 ? [i] : []));
      expect(ok, name).toHaveLength(1);
      for (const [i, r] of res.entries()) if (i !== ok[0]) expectError(r, 'DUPLICATE_TOKEN');
      const winner = votes[ok[0]!]!;
      const receipt = res[ok[0]!]!.json.receipt as Receipt;
      expect(receipt.commitment).toBe(toHex(winner.commitment));
      const rows = storedCasts(ballot.id).filter((r) => r.token_hash === tokenHashHex(ballot.id, tok.token));
      expect(rows).toEqual([{ token_hash: tokenHashHex(ballot.id, tok.token), commitment: toHex(winner.commitment) }]);
      // The identical cast again (a tablet whose answer was lost): the same receipt; a loser again: still refused.
      const again = await Promise.all([winner, winner, winner].map((v) => anon.post(`/api/ballots/${ballot.id}/cast`, v.body)));
      for (const r of again) expect(r.json.receipt).toEqual(receipt);
      expectError(await anon.post(`/api/ballots/${ballot.id}/cast`, votes[(ok[0]! + 1) % 50]!.body), 'DUPLICATE_TOKEN');
    }
    expect(storedCasts(ballot.id)).toHaveLength(names.length);
  });

  it('the uniqueness is the primary key (ballot, token hash) of the casts table: a second row for a token cannot be written even by hand', () => {
    const copy = join(server.dir, 'pk-copy.db');
    readOnly(server.dbPath, (db) => {
      const pk = (db.pragma('table_info(casts)') as { name: string; pk: number }[]).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      expect(pk).toEqual(['ballot_id', 'token_hash']);
      db.exec(`VACUUM INTO '${copy}'`);
    });
    const db = new Database(copy);
    try {
      const row = db.prepare('SELECT * FROM casts LIMIT 1').get() as Record<string, string>;
      expect(row).toBeDefined();
      let code = '';
      try {
        db.prepare('INSERT INTO casts (ballot_id, token_hash, token, signature, commitment) VALUES (?, ?, ?, ?, ?)')
          .run(row.ballot_id, row.token_hash, row.token, row.signature, 'ff'.repeat(32));
      } catch (e) {
        code = (e as { code: string }).code;
      }
      expect(code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    } finally {
      db.close();
    }
  });
});

describe('close racing the casts', () => {
  it(`every cast is either acknowledged and in the bundle, or refused (BAD_STATE) and nowhere — never acknowledged then missing (${RACE_ROUNDS} rounds, ${RACE_MEMBERS} casts each)`, async () => {
    const totals = { acknowledged: 0, refused: 0, raced: 0, racedAcknowledged: 0 };
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const ballot = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'consultation', items: [{ nominee: '甲', post: '乙' }] })).id);
      const names = meeting.names();
      const tokens = await Promise.all(names.map((n) => tablets.get(n)!.issue(ballot)));
      const votes = tokens.map((t, i) => prepareVote(t, [['agree', 'disagree', 'abstain'][(i + round) % 3]!]));
      // Wave A arrives over `spread` ms; the moment the k-th of its casts is answered, the close
      // and wave B go out together, the close up to 200 ms later (B races the close: queued, being verified or being committed
      // when the close commits); wave C goes out once the close is answered.
      const third = Math.floor(votes.length / 3);
      const [waveA, waveB, waveC] = [votes.slice(0, third), votes.slice(third, 2 * third), votes.slice(2 * third)];
      const spread = 20 + 40 * (round % 4);
      const k = 1 + Math.floor(Math.random() * waveA.length);
      let answered = 0;
      let fire!: () => void;
      const signal = new Promise<void>((r) => (fire = r));
      const send = (v: Vote) => new Jar(server, false).post(`/api/ballots/${ballot.id}/cast`, v.body);
      const closing = signal.then(() => sleep(Math.random() * 200)).then(() => sec.post(`/api/ballots/${ballot.id}/close`));
      const [outA, outB, closed, outC] = await Promise.all([
        Promise.all(waveA.map(async (v) => {
          await sleep(Math.random() * spread);
          const r = await send(v);
          if (++answered === k) fire();
          return r;
        })),
        signal.then(() => Promise.all(waveB.map(async (v) => {
          await sleep(Math.random() * 10);
          return send(v);
        }))),
        closing,
        closing.then(() => Promise.all(waveC.map(send))),
      ]);
      expect(closed.status, 'the close itself succeeds').toBe(200);
      const outcomes = [...outA, ...outB, ...outC];
      totals.raced += waveB.length;
      totals.racedAcknowledged += outB.filter((r) => r.status === 200).length;
      const receipts = new Map<Vote, Receipt>();
      outcomes.forEach((r, i) => {
        if (r.status === 200) receipts.set(votes[i]!, r.json.receipt);
        else expectError(r, 'BAD_STATE');
      });
      // The stored casts are exactly the acknowledged ones.
      expect(storedCasts(ballot.id).map((r) => r.token_hash).sort()).toEqual([...receipts.keys()].map((v) => tokenHashHex(ballot.id, v.token)).sort());
      // Openings: accepted for acknowledged casts, UNKNOWN_TOKEN for refused ones.
      await Promise.all(votes.map(async (v) => {
        if (receipts.has(v)) await openVote(anon, v);
        else expectError(await anon.post(`/api/ballots/${ballot.id}/openings`, v.opening), 'UNKNOWN_TOKEN');
      }));
      await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
      const bundle = (await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
      expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
      expect(bundle.ballots.map((b) => b.token).sort()).toEqual([...receipts.keys()].map((v) => toHex(v.token)).sort());
      for (const r of receipts.values()) expect(checkReceipt(bundle, r)).toMatchObject({ status: 'included', opened: true });
      totals.acknowledged += receipts.size;
      totals.refused += votes.length - receipts.size;
    }
    console.log(`[reliability] close vs cast: ${totals.acknowledged} acknowledged and included, ${totals.refused} refused and absent, 0 lost; of ${totals.raced} casts sent with the close, ${totals.racedAcknowledged} were acknowledged`);
    expect(totals.acknowledged).toBeGreaterThan(0);
    expect(totals.refused).toBeGreaterThan(0);
  });
});

describe('tokens are bound to their ballot', () => {
  it('a token issued for ballot A is refused on ballot B of the same meeting and on a ballot of another meeting (400 BAD_TOKEN_SIGNATURE), nothing is stored, and it still casts on A', async () => {
    const a = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'consultation' })).id);
    const b = await openBallot(sec, (await createBallot(sec, meeting.id, { type: 'consultation' })).id);
    const other = await setupMeeting(sec, roster({ standing: 3 }, 'O'), '另一会议');
    await checkIn(server, other, other.names());
    const c = await openBallot(sec, (await createBallot(sec, other.id, { type: 'decision' })).id);
    const tok = await tablets.get(meeting.names()[0]!)!.issue(a);
    for (const target of [b, c]) {
      // The cast as the tablet made it for A, and the same token re-committed for the target ballot.
      const recommitted = { token: toHex(tok.token), signature: toHex(tok.signature), commitment: toHex(commit(target.id, tok.token, ['agree'], newSalt())) };
      for (const body of [prepareVote(tok, ['agree']).body, recommitted]) expectError(await anon.post(`/api/ballots/${target.id}/cast`, body), 'BAD_TOKEN_SIGNATURE');
      expect(storedCasts(target.id)).toEqual([]);
    }
    const receipt = await castVote(anon, prepareVote(tok, ['agree']));
    expect(receipt.ballotId).toBe(a.id);
  });
});
