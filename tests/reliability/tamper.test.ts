// Verifier tamper classes (issue 6.4). A real meeting is run through the server (9 standing
// members, 8 present and issued, 7 cast, 6 opened; two items), its bundle fetched, and the
// server's own Ed25519 key read from its database — so each mutation below is what a
// cheating server could publish, re-signed with the real key wherever a cheater would. Each
// row of the table states the exact failure codes the verifier must report (in check order).
// Changes the verifier cannot see by design (protocol §11.4: rule and roster are the
// server's word; a consistent re-count without a cast) are caught elsewhere, and the table
// says where: a dropped or substituted cast leaves a signed receipt that checkReceipt — and
// POST /api/ballots/:bid/receipt on the server serving the tampered bundle — reports as
// `missing`, which is transferable proof of misbehaviour.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  G2, castLeaf, checkReceipt, commit, computeTally, fromHex, generateBallotKey, generateServerKey, leafHash, merkleRoot, newSalt,
  signBundle, sortByTokenHash, toHex, tokenHash, verifyBundle, verifyReceipt, type Bundle, type BundleBallot, type FailureCode, type Receipt,
} from '../../crypto/index.ts';
import { clone, makeCast, recount, type Mutable } from '../helpers/bundle-fixture.ts';
import {
  Jar, castVote, checkIn, createBallot, openBallot, openVote, prepareVote, roster, setupMeeting, signIn, startTestServer,
  type TestServer, type Vote,
} from '../helpers/server.ts';
import { randomG1, readOnly } from '../helpers/reliability.ts';

let server: TestServer;
let anon: Jar;
let bundle: Bundle;
let ballotView: any; // as the tablets saw it at open (rule, items)
let serverSecret: Uint8Array;
let votes: Vote[]; // the 7 casts, in the order they were cast
let receipts: Receipt[];

// c0..c6; c6 is never opened. Item 1: agree 5 of 9 entitled → passed; item 2: agree 3 → failed.
const CHOICES = [
  ['agree', 'agree'], ['agree', 'agree'], ['agree', 'disagree'], ['agree', 'agree'], ['agree', 'abstain'], ['disagree', 'disagree'], ['agree', 'disagree'],
];

beforeAll(async () => {
  server = await startTestServer();
  const sec = await signIn(server);
  anon = new Jar(server, false);
  const m = await setupMeeting(sec, roster({ standing: 9 }), '县委常委会（篡改测试）');
  const present = m.names().slice(0, 8);
  const tablets = await checkIn(server, m, present);
  const draft = await createBallot(sec, m.id, { type: 'decision', items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  ballotView = await openBallot(sec, draft.id);
  const tokens = await Promise.all(present.map((n) => tablets.get(n)!.issue(ballotView)));
  votes = CHOICES.map((c, i) => prepareVote(tokens[i]!, c));
  receipts = [];
  for (const v of votes) receipts.push(await castVote(anon, v));
  await sec.ok('POST', `/api/ballots/${ballotView.id}/close`);
  for (const v of votes.slice(0, 6)) await openVote(anon, v);
  await sec.ok('POST', `/api/ballots/${ballotView.id}/finalize`);
  bundle = (await anon.ok('GET', `/api/ballots/${ballotView.id}/bundle`)) as Bundle;
  serverSecret = fromHex(readOnly(server.dbPath, (db) => (db.prepare("SELECT value FROM settings WHERE key = 'server_key'").get() as { value: string }).value), 32, 'server key');
}, 120_000);
afterAll(async () => server?.dispose());

// ---- what a cheating server can do to its own bundle -------------------------------------------

const idx = (b: { ballots: readonly BundleBallot[] }, v: Vote) => b.ballots.findIndex((x) => x.token === toHex(v.token));
const resign = (b: Mutable<Bundle>) => signBundle(b as Bundle, serverSecret);
const honest = (b: Mutable<Bundle>) => recount(b, serverSecret);
function withRoot(b: Mutable<Bundle>): Mutable<Bundle> {
  b.merkleRoot = toHex(merkleRoot(b.ballots.map((x) => leafHash(castLeaf(b.ballot.id, x)))));
  return b;
}
/** Root recomputed and the tally counted from the published openings as they stand (a cheater counts its forgeries), re-signed. */
function cheat(b: Mutable<Bundle>): Bundle {
  withRoot(b);
  b.tally = clone(computeTally(b.ballot.type, b.ballot.rule, b.ballot.items, b.roster, b.ballots.map((x) => x.opening?.choices ?? null)));
  return resign(b);
}
const rep = <T,>(x: T, n: number): T[] => Array(n).fill(x);
const ALL_CASTS = [0, 1, 2, 3, 4, 5, 6];

type Case = {
  name: string;
  make: (b: Mutable<Bundle>) => unknown;
  expected: FailureCode[];
  /** Casts (by index into `votes`) whose receipts must come out `missing`; every other receipt stays `included`. */
  missing?: number[];
  /** Where a change the verifier cannot see is caught instead. */
  caughtBy?: string;
};

const CASES: Case[] = [
  { name: 'untouched (control)', make: (b) => b, expected: [] },
  { name: 'the title edited after signing, not re-signed', make: (b) => ((b.ballot.title = '改过的标题'), b), expected: ['BUNDLE_SIGNATURE'] },
  { name: 'a count edited after signing, not re-signed', make: (b) => ((b.tally.items[0]!.counts.agree += 1), b), expected: ['BUNDLE_SIGNATURE', 'TALLY_MISMATCH'] },
  {
    name: 'signed by another server key, verified with the room key pinned',
    make: (b) => {
      const other = generateServerKey();
      b.serverKey = toHex(other.publicKey);
      return signBundle(b as Bundle, other.secretKey);
    },
    expected: ['SERVER_KEY'],
  },
  // Dropping a cast.
  {
    name: 'drop a ballot; root and tally recomputed; re-signed',
    make: (b) => (b.ballots.splice(idx(b, votes[5]!), 1), honest(b)),
    expected: [], missing: [5], caughtBy: 'the receipt (checkReceipt / POST receipt: missing) and the root shown at close',
  },
  {
    name: 'drop a ballot; tally recomputed; the root shown in the room at close kept',
    make: (b) => {
      b.ballots.splice(idx(b, votes[5]!), 1);
      const r = clone(honest(b));
      r.merkleRoot = bundle.merkleRoot;
      return resign(r);
    },
    expected: ['MERKLE_ROOT'], missing: ALL_CASTS, // no receipt can be proven against a root that does not cover the list
  },
  {
    name: 'drop a ballot; root recomputed; tally left as announced',
    make: (b) => (b.ballots.splice(idx(b, votes[5]!), 1), resign(withRoot(b))),
    expected: rep('TALLY_MISMATCH', 4), missing: [5], // cast, valid; item 1 disagree; item 2 disagree
  },
  // Duplicating a cast.
  { name: 'duplicate a ballot (8 casts, 8 issued); recounted', make: (b) => (b.ballots.splice(idx(b, votes[0]!), 0, clone(b.ballots[idx(b, votes[0]!)]!)), honest(b)), expected: ['DUPLICATE_TOKEN'] },
  {
    name: 'duplicate two ballots (9 casts, 8 issued); recounted',
    make: (b) => {
      for (const v of [votes[0]!, votes[1]!]) b.ballots.splice(idx(b, v), 0, clone(b.ballots[idx(b, v)]!));
      return honest(b);
    },
    expected: ['COUNT_EXCEEDS_ISSUED', 'DUPLICATE_TOKEN', 'DUPLICATE_TOKEN'],
  },
  // Replacing an opening or a whole vote.
  {
    name: 'replace an opening (item 1 agree → disagree) and count it',
    make: (b) => ((b.ballots[idx(b, votes[0]!)]!.opening!.choices[0] = 'disagree'), cheat(b)),
    expected: ['COMMITMENT_OPENING', ...rep('TALLY_MISMATCH', 4)] as FailureCode[], // valid, invalid; item 1 disagree; item 2 agree
  },
  {
    name: 'replace an opening (item 1 agree → disagree), counted honestly',
    make: (b) => ((b.ballots[idx(b, votes[0]!)]!.opening!.choices[0] = 'disagree'), honest(b)),
    expected: ['COMMITMENT_OPENING'],
  },
  {
    name: 'invent an opening for the cast that was never opened, and count it',
    make: (b) => ((b.ballots[idx(b, votes[6]!)]!.opening = { choices: ['agree', 'agree'], salt: toHex(newSalt()) }), cheat(b)),
    expected: ['COMMITMENT_OPENING', ...rep('TALLY_MISMATCH', 4)] as FailureCode[], // valid, invalid; item 1 agree; item 2 agree
  },
  {
    name: 'substitute a whole vote: a new commitment to other choices, with its opening, under a token the server saw',
    make: (b) => {
      const x = b.ballots[idx(b, votes[2]!)]!;
      const salt = newSalt();
      x.commitment = toHex(commit(b.ballot.id, fromHex(x.token, 32, 'token'), ['disagree', 'disagree'], salt));
      x.opening = { choices: ['disagree', 'disagree'], salt: toHex(salt) };
      return honest(b);
    },
    expected: [], missing: [2], caughtBy: 'the receipt of that cast (its commitment is not in the bundle): missing',
  },
  // Changing counts and outcomes.
  { name: 'change an item count (item 1 abstain + 1)', make: (b) => ((b.tally.items[0]!.counts.abstain += 1), resign(b)), expected: ['TALLY_MISMATCH'] },
  { name: 'change a turnout figure (present 8 → 9)', make: (b) => ((b.tally.present = 9), resign(b)), expected: ['TALLY_MISMATCH'] },
  { name: 'change an outcome (item 2 failed → passed)', make: (b) => ((b.tally.items[1]!.outcome = 'passed'), resign(b)), expected: ['OUTCOME_MISMATCH'] },
  {
    name: 'change counts and the outcome to match (item 2: agree 3 → 5, disagree 2 → 0, passed)',
    make: (b) => {
      const it2 = b.tally.items[1]!;
      it2.counts.agree = 5;
      it2.counts.disagree = 0;
      it2.outcome = 'passed';
      return resign(b);
    },
    expected: ['TALLY_MISMATCH', 'TALLY_MISMATCH', 'OUTCOME_MISMATCH'],
  },
  // The ballot key.
  { name: 'swap the ballot key for another valid key', make: (b) => ((b.publicKey = toHex(generateBallotKey().publicKey)), resign(b)), expected: rep('TOKEN_SIGNATURE', 7) },
  { name: 'ballot key replaced by the G2 identity', make: (b) => ((b.publicKey = toHex(G2.ZERO.toBytes(true))), resign(b)), expected: ['PUBLIC_KEY', ...rep('TOKEN_SIGNATURE', 7)] as FailureCode[] },
  // Stuffing.
  {
    name: 'add a ballot with a forged signature (a valid point that is no signature) and an opening; recounted',
    make: (b) => {
      const salt = newSalt();
      const token = newSalt();
      const forged = { token: toHex(token), signature: toHex(randomG1()), commitment: toHex(commit(b.ballot.id, token, ['agree', 'agree'], salt)), opening: { choices: ['agree', 'agree'], salt: toHex(salt) } };
      b.ballots = clone(sortByTokenHash(b.ballot.id, [...(b.ballots as BundleBallot[]), forged]));
      return honest(b);
    },
    expected: ['TOKEN_SIGNATURE'],
  },
  {
    name: 'add two ballots signed with a second, secret ballot key (9 casts, 8 issued); recounted',
    make: (b) => {
      const rogue = generateBallotKey();
      const extra = [1, 2].map((n) => makeCast(b.ballot.id, rogue, { token: toHex(newSalt()), r: toHex(newSalt().map((x, i) => (i === 0 ? x & 0x3f : x))), salt: toHex(newSalt()), choices: ['agree', 'agree'] }));
      b.ballots = clone(sortByTokenHash(b.ballot.id, [...(b.ballots as BundleBallot[]), ...extra]));
      return honest(b);
    },
    expected: ['COUNT_EXCEEDS_ISSUED', 'TOKEN_SIGNATURE', 'TOKEN_SIGNATURE'],
  },
  // Order.
  {
    name: 'reorder the ballots (arrival order); root recomputed',
    make: (b) => ((b.ballots = votes.map((v) => clone(b.ballots[idx(b, v)]!))), resign(withRoot(b))),
    expected: ['BALLOT_ORDER'],
  },
  {
    name: 'reorder the ballots (arrival order); the root shown at close kept',
    make: (b) => ((b.ballots = votes.map((v) => clone(b.ballots[idx(b, v)]!))), resign(b)),
    expected: ['BALLOT_ORDER', 'MERKLE_ROOT'], missing: ALL_CASTS,
  },
  // The roster.
  {
    name: 'roster: two members shown as never issued, so cast (7) > issued (6); recounted',
    make: (b) => {
      b.roster[0]!.issued = 0;
      b.roster[1]!.issued = 0;
      return honest(b);
    },
    expected: ['COUNT_EXCEEDS_ISSUED'],
  },
  { name: 'roster: an issued member marked absent; recounted', make: (b) => ((b.roster[0]!.present = false), honest(b)), expected: ['ROSTER_INCONSISTENT'] },
  {
    name: 'roster: the absent member marked present; recounted',
    make: (b) => ((b.roster[8]!.present = true), honest(b)),
    expected: [], caughtBy: 'the sign-in sheet and the attendance announced in the room (protocol §11.4: the roster is the server’s word)',
  },
  // The rule.
  {
    name: 'rule changed (agree·3 ≥ entitled), outcomes recomputed',
    make: (b) => ((b.ballot.rule = { ...b.ballot.rule, threshold: { num: 1, den: 3 }, strict: false }), honest(b)),
    expected: [], caughtBy: 'the rule the tablets showed at open (BallotView.rule) and the regulations (protocol §11.4)',
  },
  { name: 'rule changed, outcomes left as announced', make: (b) => ((b.ballot.rule = { ...b.ballot.rule, threshold: { num: 1, den: 3 }, strict: false }), resign(b)), expected: ['OUTCOME_MISMATCH'] },
  { name: 'quorum raised to all members; recounted', make: (b) => ((b.ballot.rule = { ...b.ballot.rule, quorum: { num: 1, den: 1 } }), honest(b)), expected: ['QUORUM_NOT_MET'] },
  // Not a bundle.
  { name: 'truncated (a member missing)', make: (b) => (delete (b as Partial<Mutable<Bundle>>).tally, b), expected: ['MALFORMED'] },
];

function receiptStatuses(b: unknown): string[] {
  return receipts.map((r) => checkReceipt(b as Bundle, r).status);
}

describe(`a real meeting's bundle, tampered with the server's own key (${CASES.length} classes)`, () => {
  it('the untampered bundle verifies under the pinned server key and holds all 7 receipts (6 opened)', () => {
    expect(verifyBundle(bundle, { serverKey: receipts[0]!.serverKey }).failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ entitled: 9, present: 8, issued: 8, cast: 7, valid: 6, invalid: 1 });
    expect(bundle.tally.items.map((x) => x.outcome)).toEqual(['passed', 'failed']);
    expect(receipts.map((r) => checkReceipt(bundle, r))).toEqual(receipts.map((_, i) => expect.objectContaining({ status: 'included', opened: i < 6 })));
  });

  for (const c of CASES)
    it(`${c.name} → ${c.expected.length ? c.expected.join(', ') : `verifies (caught by ${c.caughtBy ?? '—'})`}`, () => {
      const tampered = JSON.parse(JSON.stringify(c.make(clone(bundle))));
      const result = verifyBundle(tampered, { serverKey: bundle.serverKey });
      expect(result.failures.map((f) => f.code)).toEqual(c.expected);
      if (c.expected.length === 0 && c.name !== 'untouched (control)') expect(c.caughtBy, 'a change the verifier cannot see says what catches it').toBeDefined();
      if (result.failures.some((f) => f.code === 'MALFORMED')) return;
      const statuses = receiptStatuses(tampered);
      const missing = statuses.flatMap((s, i) => (s === 'missing' ? [i] : []));
      if (c.expected.includes('BUNDLE_SIGNATURE') || c.expected.includes('SERVER_KEY')) return; // not this server's bundle
      expect(missing, 'receipts reported missing').toEqual(c.missing ?? []);
      if (c.missing) {
        // Proof of misbehaviour: a receipt that verifies, from the key that signed a bundle that verifies, for a cast that is not in it.
        for (const i of c.missing) {
          expect(verifyReceipt(receipts[i]!)).toBe(true);
          expect(receipts[i]!.serverKey).toBe(tampered.serverKey);
        }
      }
      if (c.name === 'rule changed (agree·3 ≥ entitled), outcomes recomputed') expect(tampered.ballot.rule).not.toEqual(ballotView.rule);
    });

  it('POST /api/ballots/:bid/receipt on a server that serves the tampered bundle answers `missing` for the dropped and the substituted cast, `included` for the others', async () => {
    const original = readOnly(server.dbPath, (db) => (db.prepare('SELECT bundle FROM ballots WHERE id = ?').get(bundle.ballot.id) as { bundle: string }).bundle);
    const write = (text: string) => {
      const db = new Database(server.dbPath);
      try {
        db.pragma('busy_timeout = 5000');
        db.prepare('UPDATE ballots SET bundle = ? WHERE id = ?').run(text, bundle.ballot.id);
      } finally {
        db.close();
      }
    };
    try {
      for (const name of ['drop a ballot; root and tally recomputed; re-signed', 'substitute a whole vote: a new commitment to other choices, with its opening, under a token the server saw']) {
        const c = CASES.find((x) => x.name === name)!;
        const tampered = c.make(clone(bundle)) as Bundle;
        expect(verifyBundle(tampered, { serverKey: bundle.serverKey }).ok).toBe(true);
        write(JSON.stringify(tampered));
        for (const [i, r] of receipts.entries()) {
          const res = await anon.ok('POST', `/api/ballots/${bundle.ballot.id}/receipt`, { receipt: r });
          expect(res.status, `${name}: receipt ${i}`).toBe(c.missing!.includes(i) ? 'missing' : 'included');
          expect(res.merkleRoot).toBe(tampered.merkleRoot);
        }
      }
    } finally {
      write(original);
    }
    expect((await anon.ok('POST', `/api/ballots/${bundle.ballot.id}/receipt`, { receipt: receipts[5] })).status).toBe('included');
  });

  it('every cast of the bundle is bound to its token hash (the receipts name token hashes, the bundle lists tokens)', () => {
    for (const [i, v] of votes.entries()) expect(receipts[i]!.tokenHash).toBe(toHex(tokenHash(bundle.ballot.id, v.token)));
  });
});
