// Tamper classes of a v2 bundle (issue 6.4, issue 9 "cheating server" and "minting"): a real
// meeting runs through the server — 9 standing members, 8 present, scrutineer devices 1–3
// (t = 2; device 3 confirms the attendance and then goes away, so devices 1 and 2 sign every
// token and decrypt), 8 casts — and its published bundle is mutated the way a cheating server
// would, then re-signed with the server's own Ed25519 key read from its database (signBundle),
// so that the specific check, not the bundle signature, must catch the change. Each class is
// verified with the room key pinned and must fail with exactly the listed codes, in check order.
// Changes the verifier cannot see (the cheater also feeds the devices doctored sums, which they
// decrypt as they decrypt any sums) are caught by the tablets' receipts (checkReceipt →
// missing / other-keys), also through the bundle a cheating server serves.
// Minting: a cast with a token signed by a key that is not the ceremony's is refused at cast
// time (BAD_TOKEN_SIGNATURE) even with a valid MAC, and in a bundle fails TOKEN_SIGNATURE; more
// casts than the signed issuance logs allow fail COUNT_EXCEEDS_ISSUED; an altered issuance log
// fails ISSUANCE_LOG.
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE, CHECKS, G2, combinePartials, partialSign, APPROVAL_OPTIONS, RP, assembleBundle, ballotHash, ballotShape, blindToken, castMac, checkReceipt, decodeElement,
  decodeExponent, decryptCasts, encodeCiphertext, encodeElement, encodeExponent, fromHex, generateBallotKey, generateServerKey, leafHash,
  merkleRoot, encodeSealedBallot, parseSealedBallot, sealBallot, castLeaf, selectionsOf, signBlinded, signBundle, signIssuanceLog, signReceipt, sortCasts, sumCasts, toHex,
  tokenHash, unblindSignature, verifyBundle, verifyReceipt,
  type Bundle, type FailureCode, type PublishedShare, type Receipt, type SealedCast, type UnsignedBundle,
} from '../../crypto/index.ts';
import {
  Client, PASSWORD, castDef, checkInAll, closeAndPublish, confirmAndOpen, createBallot, expectError, issueAll, openNewBallot, readOnly, roster, setupRoom, startAppServer,
  type AppServer, type Room, type Tablet, type Tok,
} from '../helpers/reliability.ts';

let server: AppServer;
let sec: Client;
let room: Room;
let bundle: Bundle;
let receipts: Receipt[]; // in cast order
let tokens: Tok[];
let serverSecret: Uint8Array;
let ballotView: any;
let tablets: Map<string, Tablet>;

// Item 1: 6 agree → passed (more than half of 9 entitled); item 2: 3 agree → failed.
const CHOICES = [
  ['agree', 'agree'], ['agree', 'agree'], ['agree', 'disagree'], ['agree', 'agree'], ['agree', 'abstain'], ['disagree', 'disagree'], ['agree', 'disagree'], ['abstain', 'disagree'],
];

beforeAll(async () => {
  server = await startAppServer();
  sec = new Client(server);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  room = await setupRoom(sec, server.url, roster({ standing: 9 }), { title: '县委常委会（篡改测试）', n: 3, t: 2 });
  const present = room.names().slice(0, 8);
  tablets = await checkInAll(server, room, present);
  const draft = await createBallot(sec, room.id, { type: 'decision', items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }] });
  ballotView = await confirmAndOpen(sec, room, draft.id);
  room.devices[2]!.online = false; // device 3 confirmed, then went away: devices 1 and 2 sign and decrypt
  const issued = await issueAll(room, present.map((n) => tablets.get(n)!), ballotView.id);
  tokens = issued.map((x) => x.tok);
  receipts = [];
  for (const [i, x] of issued.entries()) receipts.push(await x.tablet.cast(x.tablet.prepare(castDef(ballotView), x.keys, x.tok, CHOICES[i]!)));
  bundle = await closeAndPublish(sec, room, ballotView.id);
  // The cheating server's own key, as it reads it from its database.
  serverSecret = fromHex(readOnly(server.dbPath, (db) => (db.prepare("SELECT value FROM settings WHERE key = 'server_key'").get() as { value: string }).value), 32, 'server key');
}, 120_000);
afterAll(async () => server?.dispose());

// ---- what a cheating server can do to its own bundle -------------------------------------------

type Mut = { -readonly [K in keyof Bundle]: any };
const clone = <T,>(x: T): T => JSON.parse(JSON.stringify(x));
const rep = <T,>(x: T, n: number): T[] => Array(n).fill(x);
const idOf = (b: Mut, r: Receipt) => b.ballots.findIndex((x: SealedCast) => toHex(tokenHash(b.ballot.id, fromHex(x.token, 32, 'token'))) === r.tokenHash);
const entries = () => ballotView.items.length * APPROVAL_OPTIONS.length;

function resign(b: Mut): Bundle {
  const { serverSignature: _s, ...rest } = b;
  return signBundle(rest as UnsignedBundle, serverSecret);
}
function withRoot(b: Mut): Mut {
  b.merkleRoot = toHex(merkleRoot(b.ballots.map((x: SealedCast) => leafHash(castLeaf(b.ballot.id, x)))));
  return b;
}
function withSums(b: Mut): Mut {
  b.sums = sumCasts(b.ballot, b.ballots).map((c) => toHex(encodeCiphertext(c)));
  return b;
}
/** The cast list changed: sorted, root recomputed (sums and shares as they were). */
function relist(b: Mut, casts: SealedCast[]): Mut {
  b.ballots = clone(sortCasts(b.ballot.id, casts));
  return withRoot(b);
}
/**
 * What a cheater can publish so that the bundle verifies: it shows the devices its own cast list
 * at the close (each device adds up the sealed ballots it is shown and decrypts that sum, once),
 * and assembles the bundle with those shares and the resulting counts. The devices' count is
 * what their pages show; here the cheater keeps it equal to the room's.
 */
function withDevicesFooled(b: Mut, casts: SealedCast[]): Bundle {
  const decryption: PublishedShare[] = room.devices.slice(0, 2).map((d) =>
    decryptCasts({ ...d.state!, ballots: {} }, b.ballot.id, b.electionKey, ballotShape(b.ballot), casts.map((c) => c.sealed)).share);
  return assembleBundle({ ballot: b.ballot, ceremony: b.ceremony, publicKey: b.publicKey, electionKey: b.electionKey, roster: b.roster, issuanceLogs: b.issuanceLogs, casts, decryption }, serverSecret);
}
/** A cast the server makes itself: a token signed by `key` (not the ceremony's), sealed honestly under the election key. */
function forgedCast(b: Mut, key = generateBallotKey(), choices = ['agree', 'agree']): SealedCast {
  const st = blindToken(b.ballot.id);
  const sigma = unblindSignature(st, signBlinded(key.secretKey, st.blinded), key.publicKey);
  const th = tokenHash(b.ballot.id, st.token);
  const sealed = sealBallot({ ballotId: b.ballot.id, electionKey: fromHex(b.electionKey, 32, 'electionKey'), tokenHash: th }, ballotShape(b.ballot), selectionsOf(APPROVAL_OPTIONS, choices));
  return { token: toHex(st.token), signature: toHex(sigma), sealed: toHex(sealed), commitment: toHex(ballotHash(b.ballot.id, sealed)) };
}
type MutCiphertext = { ciphertext: { alpha: any; beta: any }; proof: { responses: bigint[] } };
/**
 * A cast's sealed ballot changed through its parsed form (the wire format is crypto/sealed.ts's), re-encoded; the
 * proofs are not checked on encoding. The bundle's items are approval items, so every group is packed (protocol §5.1).
 */
function reseal(b: Mut, hex: string, f: (s: { groups: { packed: MutCiphertext }[] }) => void): string {
  const shape = ballotShape(b.ballot);
  const sealed = parseSealedBallot(shape, fromHex(hex, undefined, 'sealed')) as any;
  const copy = { groups: sealed.groups.map((g: any) => ({ packed: { ciphertext: { ...g.packed.ciphertext }, proof: { ...g.packed.proof, responses: [...g.packed.proof.responses] } } })) };
  f(copy);
  return toHex(encodeSealedBallot(shape, copy as never));
}
/** Replace a 32-byte exponent (little-endian) at `offset` in hex by itself + 1 mod ℓ. */
function bumpExponent(hex: string, offset: number): string {
  const at = 2 * offset;
  const x = decodeExponent(fromHex(hex.slice(at, at + 64), 32, 'exponent'));
  return hex.slice(0, at) + toHex(encodeExponent((x + 1n) % RP.Fn.ORDER)) + hex.slice(at + 64);
}
const plusG = (hex: string) => toHex(encodeElement(decodeElement(fromHex(hex, 32, 'element')).add(BASE)));

type Case = {
  name: string;
  make: (b: Mut) => unknown;
  expected: FailureCode[];
  /** Casts (by index into `receipts`) whose receipts must come out `missing`; every other one stays `included`. */
  missing?: number[];
  /** Where a change the verifier cannot see is caught instead. */
  caughtBy?: string;
};

const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

const CASES: Case[] = [
  { name: 'untouched (control)', make: (b) => b, expected: [] },
  // The signature and the server key.
  { name: 'the title edited after signing, not re-signed', make: (b) => ((b.ballot.title = '改过的标题'), b), expected: ['BUNDLE_SIGNATURE'] },
  { name: 'server signature: one bit flipped', make: (b) => ((b.serverSignature = (b.serverSignature[0] === '0' ? '1' : '0') + b.serverSignature.slice(1)), b), expected: ['BUNDLE_SIGNATURE'] },
  {
    name: 'signed by another server key, verified with the room key pinned',
    make: (b) => {
      const other = generateServerKey();
      b.serverKey = toHex(other.publicKey);
      return resignWith(b, other.secretKey);
    },
    expected: ['SERVER_KEY'],
  },
  // The sealed ballots.
  {
    name: 'wrong ballot proof: a response of the proof of cast 3\'s first item changed, its commitment and the root recomputed',
    make: (b) => {
      const i = idOf(b, receipts[3]!);
      const x = b.ballots[i];
      x.sealed = reseal(b, x.sealed, (sb) => (sb.groups[0]!.packed.proof.responses[0] = (sb.groups[0]!.packed.proof.responses[0]! + 1n) % RP.Fn.ORDER));
      x.commitment = toHex(ballotHash(b.ballot.id, fromHex(x.sealed, undefined, 'sealed')));
      return resign(withRoot(b));
    },
    expected: ['BALLOT_PROOF'], missing: [3],
  },
  {
    name: 'wrong ballot proof, the commitment left as it was',
    make: (b) => {
      const x = b.ballots[idOf(b, receipts[3]!)];
      x.sealed = reseal(b, x.sealed, (sb) => (sb.groups[0]!.packed.proof.responses[0] = (sb.groups[0]!.packed.proof.responses[0]! + 1n) % RP.Fn.ORDER));
      return resign(b);
    },
    expected: ['BALLOT_HASH', 'BALLOT_PROOF'],
  },
  {
    name: 'a sealed item re-randomised to another vote (its α and β moved by G and Y + G: message 0 → 1, 同意 → 不同意), proofs kept, commitment and root recomputed',
    make: (b) => {
      const x = b.ballots[idOf(b, receipts[0]!)];
      const Y = decodeElement(fromHex(b.electionKey, 32, 'Y'));
      x.sealed = reseal(b, x.sealed, (sb) => {
        const ct = sb.groups[0]!.packed.ciphertext;
        ct.alpha = ct.alpha.add(BASE);
        ct.beta = ct.beta.add(Y).add(BASE);
      });
      x.commitment = toHex(ballotHash(b.ballot.id, fromHex(x.sealed, undefined, 'sealed')));
      return resign(withRoot(b));
    },
    // The published sums no longer match the ballots, and the shares do not decrypt the recomputed ones.
    expected: ['BALLOT_PROOF', 'ENCRYPTED_SUM', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'], missing: [0],
  },
  // The sums and the decryption.
  { name: 'doctored sum: Σβ of the sum of item 0 moved by G', make: (b) => ((b.sums[0] = b.sums[0].slice(0, 64) + plusG(b.sums[0].slice(64))), resign(b)), expected: ['ENCRYPTED_SUM'] },
  {
    name: 'wrong decryption share: device 1\'s factor for sum 0 moved by G',
    make: (b) => ((b.decryption[0].factors[0] = plusG(b.decryption[0].factors[0])), resign(b)),
    expected: ['DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'], // its proof fails; 1 valid share of 2 needed; no counts
  },
  {
    name: 'wrong decryption share: device 2\'s proof for sum 1 changed',
    make: (b) => {
      const p = b.decryption[1].proofs[1] as string;
      b.decryption[1].proofs[1] = p.slice(0, 64) + bumpExponent(p.slice(64), 0);
      return resign(b);
    },
    expected: ['DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'],
  },
  {
    name: 'a decryption share claimed by device 3 (which never decrypted): device 2\'s share relabelled',
    make: (b) => ((b.decryption[1].index = 3), resign(b)),
    expected: ['DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'],
  },
  // The counts.
  { name: 'doctored count: item 1 abstain + 1', make: (b) => ((b.tally.items[0].counts.abstain += 1), resign(b)), expected: ['TALLY_MISMATCH'] },
  { name: 'doctored turnout: present 8 → 9', make: (b) => ((b.tally.present = 9), resign(b)), expected: ['TALLY_MISMATCH'] },
  { name: 'wrong outcome: item 2 failed → passed', make: (b) => ((b.tally.items[1].outcome = 'passed'), resign(b)), expected: ['OUTCOME_MISMATCH'] },
  {
    name: 'counts and the outcome changed to match (item 2: agree 3 → 5, disagree 4 → 2, passed)',
    make: (b) => {
      const it2 = b.tally.items[1];
      it2.counts.agree = 5;
      it2.counts.disagree = 2;
      it2.outcome = 'passed';
      return resign(b);
    },
    expected: ['TALLY_MISMATCH', 'TALLY_MISMATCH', 'OUTCOME_MISMATCH'],
  },
  // The issuance logs.
  {
    name: 'issuance log not signed by a scrutineer: device 1\'s log re-signed with another Ed25519 key',
    make: (b) => {
      const rogue = ed25519.utils.randomSecretKey();
      b.issuanceLogs[0] = signIssuanceLog(b.ballot.id, 1, rogue, ed25519.getPublicKey(rogue), b.issuanceLogs[0].entries);
      return resign(b);
    },
    expected: ['ISSUANCE_LOG'],
  },
  {
    name: 'issuance log altered: the absent member added to device 2\'s log, signature kept',
    make: (b) => ((b.issuanceLogs[1].entries = [...b.issuanceLogs[1].entries, b.roster[8].memberId]), resign(b)),
    expected: ['ISSUANCE_LOG'],
  },
  {
    name: 'issuance log altered: device 1\'s log swapped for device 2\'s',
    make: (b) => ((b.issuanceLogs[0] = { ...b.issuanceLogs[1], device: 1 }), resign(b)),
    expected: ['ISSUANCE_LOG'],
  },
  // The key ceremony.
  { name: 'ceremony record altered: device 2\'s commit digest changed', make: (b) => ((b.ceremony.commits[1].digest = bumpHex(b.ceremony.commits[1].digest)), resign(b)), expected: ['CEREMONY', 'TALLY_MISMATCH'] },
  {
    name: 'ceremony record altered: device 3\'s revealed token commitment replaced by another G2 point',
    make: (b) => ((b.ceremony.reveals[2].tokenCommitments[0] = toHex(G2.BASE.multiply(7n).toBytes(true))), resign(b)),
    expected: ['CEREMONY', 'TALLY_MISMATCH'],
  },
  { name: 'ceremony record altered: device 1\'s ack names another transcript', make: (b) => ((b.ceremony.acks[0].transcript = bumpHex(b.ceremony.acks[0].transcript)), resign(b)), expected: ['CEREMONY', 'TALLY_MISMATCH'] },
  { name: 'ceremony record altered: an ack dropped', make: (b) => (b.ceremony.acks.pop(), resign(b)), expected: ['CEREMONY', 'TALLY_MISMATCH'] },
  // The ballot keys.
  { name: 'token key not the ceremony\'s (another valid G2 key)', make: (b) => ((b.publicKey = toHex(generateBallotKey().publicKey)), resign(b)), expected: ['PUBLIC_KEY', ...rep<FailureCode>('TOKEN_SIGNATURE', 8)] },
  {
    name: 'election key not the ceremony\'s (another valid element)',
    make: (b) => ((b.electionKey = toHex(encodeElement(BASE.multiply(12345n)))), resign(b)),
    // Every ballot proof and every decryption proof is bound to the election key.
    expected: ['ELECTION_KEY', ...rep<FailureCode>('BALLOT_PROOF', 8), 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'],
  },
  // Minting.
  {
    name: 'minting: one cast more (9 > 8 issued) with a token signed by a key that is not the ceremony\'s, sealed honestly; root and sums recomputed',
    make: (b) => resign(withSums(relist(b, [...b.ballots, forgedCast(b)]))),
    // The shares decrypt the old sums, so no count can be recomputed either.
    expected: ['COUNT_EXCEEDS_ISSUED', 'COUNT_EXCEEDS_ISSUED', 'TOKEN_SIGNATURE', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'],
  },
  {
    name: 'minting with the devices fooled: one cast more, the devices decrypt the new sums, tally recounted',
    make: (b) => withDevicesFooled(b, [...b.ballots, forgedCast(b)]),
    expected: ['COUNT_EXCEEDS_ISSUED', 'COUNT_EXCEEDS_ISSUED', 'TOKEN_SIGNATURE'],
  },
  {
    name: 'one cast more than the signed issuance logs allow, the roster inflated to cover it (the absent member shown present and issued); devices fooled',
    make: (b) => {
      b.roster[8].present = true;
      b.roster[8].issued = 1;
      return withDevicesFooled(b, [...b.ballots, forgedCast(b)]);
    },
    // The roster's issued now covers 9, the logs (8 tokens at t = 2) do not, and nobody signed for member 9.
    expected: ['ISSUANCE_LOG', 'COUNT_EXCEEDS_ISSUED', 'TOKEN_SIGNATURE'],
  },
  {
    name: 'minting in place: an honest cast replaced by a forged one (count unchanged); devices fooled',
    make: (b) => withDevicesFooled(b, [...b.ballots.filter((_: unknown, i: number) => i !== idOf(b, receipts[5]!)), forgedCast(b, undefined, ['agree', 'agree'])]),
    expected: ['TOKEN_SIGNATURE'], missing: [5],
  },
  // Duplicates, order and the root.
  {
    name: 'duplicate token: cast 1 replaced by a copy of cast 0; devices fooled',
    make: (b) => withDevicesFooled(b, [...b.ballots.filter((_: unknown, i: number) => i !== idOf(b, receipts[1]!)), clone(b.ballots[idOf(b, receipts[0]!)])]),
    expected: ['DUPLICATE_TOKEN'], missing: [1],
  },
  {
    name: 'duplicate token: cast 0 listed twice (9 casts, 8 issued); devices fooled',
    make: (b) => withDevicesFooled(b, [...b.ballots, clone(b.ballots[idOf(b, receipts[0]!)])]),
    expected: ['COUNT_EXCEEDS_ISSUED', 'COUNT_EXCEEDS_ISSUED', 'DUPLICATE_TOKEN'],
  },
  {
    name: 'order: the ballots in arrival order, root recomputed',
    make: (b) => ((b.ballots = receipts.map((r) => clone(b.ballots[idOf(b, r)]))), resign(withRoot(b))),
    expected: ['BALLOT_ORDER'],
  },
  {
    name: 'order: the ballots in arrival order, the root shown at close kept',
    make: (b) => ((b.ballots = receipts.map((r) => clone(b.ballots[idOf(b, r)]))), resign(b)),
    expected: ['BALLOT_ORDER', 'MERKLE_ROOT'], missing: ALL, // no receipt can be proven against a root that does not cover the list
  },
  { name: 'Merkle root altered', make: (b) => ((b.merkleRoot = bumpHex(b.merkleRoot)), resign(b)), expected: ['MERKLE_ROOT'], missing: ALL },
  // Votes dropped or substituted: the verifier cannot see it once the devices decrypted the doctored sums; the receipt does.
  {
    name: 'drop a cast; root and sums recomputed, the shares kept',
    make: (b) => resign(withSums(relist(b, b.ballots.filter((_: unknown, i: number) => i !== idOf(b, receipts[5]!))))),
    expected: ['DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'DECRYPTION_SHARE', 'TALLY_MISMATCH'], missing: [5],
  },
  {
    name: 'drop a cast; devices fooled into decrypting the new sums; tally recounted',
    make: (b) => withDevicesFooled(b, b.ballots.filter((_: unknown, i: number) => i !== idOf(b, receipts[5]!))),
    expected: [], missing: [5], caughtBy: 'the dropped cast\'s receipt (checkReceipt: missing)',
  },
  {
    name: 'substitute a whole vote under a token the server saw: a new sealed ballot (the server can encrypt), devices fooled, tally recounted',
    make: (b) => {
      const i = idOf(b, receipts[2]!);
      const x = b.ballots[i] as SealedCast;
      const th = tokenHash(b.ballot.id, fromHex(x.token, 32, 'token'));
      const sealed = sealBallot({ ballotId: b.ballot.id, electionKey: fromHex(b.electionKey, 32, 'Y'), tokenHash: th }, ballotShape(b.ballot), selectionsOf(APPROVAL_OPTIONS, ['disagree', 'disagree']));
      const casts = b.ballots.map((c: SealedCast, k: number) => (k === i ? { ...c, sealed: toHex(sealed), commitment: toHex(ballotHash(b.ballot.id, sealed)) } : c));
      return withDevicesFooled(b, casts);
    },
    expected: [], missing: [2], caughtBy: 'that cast\'s receipt (its commitment is not in the bundle): missing',
  },
  {
    name: 'a cast whose σ differs from its receipt: cast 4 listed with cast 6\'s σ, root recomputed',
    make: (b) => {
      b.ballots[idOf(b, receipts[4]!)].signature = b.ballots[idOf(b, receipts[6]!)].signature;
      return resign(withRoot(b));
    },
    expected: ['TOKEN_SIGNATURE'], missing: [4],
  },
  // The roster and the rule.
  {
    name: 'roster: an issued member marked absent',
    make: (b) => ((b.roster[0].present = false), resign(b)),
    // Issued but absent; the devices signed for someone not present; the turnout no longer matches.
    expected: ['ISSUANCE_LOG', 'ISSUANCE_LOG', 'ROSTER_INCONSISTENT', 'TALLY_MISMATCH'],
  },
  { name: 'roster: two members shown as never issued (8 casts > 6 issued)', make: (b) => ((b.roster[0].issued = 0), (b.roster[1].issued = 0), resign(b)), expected: ['COUNT_EXCEEDS_ISSUED', 'TALLY_MISMATCH'] },
  {
    name: 'roster: the absent member marked present, tally recounted',
    make: (b) => ((b.roster[8].present = true), (b.tally.present = 9), resign(b)),
    expected: [], caughtBy: 'the sign-in sheet and the attendance announced in the room (the roster is the server\'s word); nobody signed for that member, so no token exists for them',
  },
  {
    name: 'rule changed (agree·3 ≥ entitled), outcomes recomputed',
    make: (b) => {
      b.ballot.rule = { ...b.ballot.rule, threshold: { num: 1, den: 3 }, strict: false };
      b.tally.items[1].outcome = 'passed';
      return resign(b);
    },
    expected: [], caughtBy: 'the rule the tablets showed at open (BallotView.rule) and the regulations',
  },
  { name: 'rule changed, outcomes left as announced', make: (b) => ((b.ballot.rule = { ...b.ballot.rule, threshold: { num: 1, den: 3 }, strict: false }), resign(b)), expected: ['OUTCOME_MISMATCH'] },
  { name: 'quorum raised to all members', make: (b) => ((b.ballot.rule = { ...b.ballot.rule, quorum: { num: 1, den: 1 } }), resign(b)), expected: ['QUORUM_NOT_MET'] },
  { name: 'truncated (a member missing)', make: (b) => (delete (b as Partial<Mut>).tally, b), expected: ['MALFORMED'] },
];

function resignWith(b: Mut, key: Uint8Array): Bundle {
  const { serverSignature: _s, ...rest } = b;
  return signBundle(rest as UnsignedBundle, key);
}
function bumpHex(h: string): string {
  return (h[0] === 'f' ? '0' : 'f') + h.slice(1);
}
const statuses = (b: Bundle) => receipts.map((r) => checkReceipt(b, r).status);

describe(`a real meeting's v2 bundle, tampered with and re-signed with the server's own key (${CASES.length} classes)`, () => {
  it('the untampered bundle verifies under the pinned server key and holds all 8 receipts; 2 decryption shares (t = 2), device 3 signed nothing', () => {
    expect(verifyBundle(bundle, { serverKey: receipts[0]!.serverKey }).failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ entitled: 9, present: 8, issued: 8, cast: 8, valid: 8 });
    expect(bundle.tally.items.map((x) => x.outcome)).toEqual(['passed', 'failed']);
    expect(bundle.decryption.map((d) => d.index)).toEqual([1, 2]);
    expect(bundle.issuanceLogs.map((l) => l?.entries.length)).toEqual([8, 8, 0]);
    expect(statuses(bundle)).toEqual(rep('included', 8));
    expect(entries()).toBe(6);
  });

  for (const c of CASES)
    it(`${c.name} → ${c.expected.length ? c.expected.join(', ') : `verifies (caught by ${c.caughtBy ?? '—'})`}`, () => {
      const tampered = JSON.parse(JSON.stringify(c.make(clone(bundle) as Mut)));
      const result = verifyBundle(tampered, { serverKey: bundle.serverKey });
      expect(result.failures.map((f) => f.code), JSON.stringify(result.failures.map((f) => f.detail))).toEqual(c.expected);
      // Failures come in check order.
      const order = result.failures.map((f) => CHECKS.indexOf(f.code));
      expect(order).toEqual([...order].sort((x, y) => x - y));
      if (c.expected.length === 0 && c.name !== 'untouched (control)') expect(c.caughtBy, 'a change the verifier cannot see says what catches it').toBeDefined();
      if (result.failures.some((f) => ['MALFORMED', 'BUNDLE_SIGNATURE', 'SERVER_KEY'].includes(f.code))) return; // not this server's bundle
      const got = statuses(tampered);
      expect(got.flatMap((s, i) => (s === 'missing' ? [i] : [])), `receipts missing: ${got.join(', ')}`).toEqual(c.missing ?? []);
      // Proof of misbehaviour: a receipt that verifies, from the key that signed a bundle, for a cast that is not in it.
      for (const i of c.missing ?? []) {
        expect(verifyReceipt(receipts[i]!)).toBe(true);
        expect(receipts[i]!.serverKey).toBe(tampered.serverKey);
      }
      if (c.name.startsWith('rule changed (agree')) expect(tampered.ballot.rule).not.toEqual(ballotView.rule);
    });

  it('a receipt signed by this server for other ballot keys (a tagged tablet) → other-keys; for another ballot → other-ballot; from another server → other-server; forged → invalid-receipt', () => {
    const r = receipts[0]!;
    const { serverKey: _k, signature: _s, ...body } = r;
    const tagged = signReceipt(serverSecret, r.serverKey, { ...body, publicKey: toHex(generateBallotKey().publicKey) });
    expect(verifyReceipt(tagged)).toBe(true);
    expect(checkReceipt(bundle, tagged).status).toBe('other-keys');
    const taggedY = signReceipt(serverSecret, r.serverKey, { ...body, electionKey: toHex(encodeElement(BASE.multiply(99n))) });
    expect(checkReceipt(bundle, taggedY).status).toBe('other-keys');
    const other = generateServerKey();
    expect(checkReceipt(bundle, signReceipt(other.secretKey, toHex(other.publicKey), body)).status).toBe('other-server');
    expect(checkReceipt(bundle, { ...r, sigma: receipts[1]!.sigma }).status).toBe('invalid-receipt'); // altered after signing
    expect(checkReceipt({ ...bundle, ballot: { ...bundle.ballot, id: 'bother' } }, r).status).toBe('other-ballot');
  });

  it('a tablet checking its receipt against the bundle a cheating server serves (GET …/bundle, checkReceipt) finds the dropped and the substituted cast missing, the others included', async () => {
    const original = readOnly(server.dbPath, (db) => (db.prepare('SELECT bundle FROM ballots WHERE id = ?').get(bundle.ballot.id) as { bundle: string }).bundle);
    const write = (text: string) => server.store.sqlite.prepare('UPDATE ballots SET bundle = ? WHERE id = ?').run(text, bundle.ballot.id);
    const anon = new Client(server, false);
    try {
      for (const name of ['drop a cast; devices fooled into decrypting the new sums; tally recounted', 'substitute a whole vote under a token the server saw: a new sealed ballot (the server can encrypt), devices fooled, tally recounted']) {
        const c = CASES.find((x) => x.name === name)!;
        const tampered = c.make(clone(bundle) as Mut) as Bundle;
        write(JSON.stringify(tampered));
        const served = (await anon.ok('GET', `/api/ballots/${bundle.ballot.id}/bundle`)) as Bundle;
        expect(verifyBundle(served, { serverKey: bundle.serverKey }).ok, name).toBe(true);
        expect(statuses(served).flatMap((s, i) => (s === 'missing' ? [i] : [])), name).toEqual(c.missing);
      }
    } finally {
      write(original);
    }
    expect(statuses((await anon.ok('GET', `/api/ballots/${bundle.ballot.id}/bundle`)) as Bundle)).toEqual(rep('included', 8));
  });

  it('every cast of the bundle is bound to its token hash, σ and both ballot keys of its receipt', () => {
    for (const [i, tok] of tokens.entries()) {
      const r = receipts[i]!;
      expect(r.tokenHash).toBe(toHex(tokenHash(bundle.ballot.id, tok.token)));
      expect(r.sigma).toBe(toHex(tok.sigma));
      expect([r.publicKey, r.electionKey]).toEqual([bundle.publicKey, bundle.electionKey]);
    }
  });
});

describe('minting at cast time', () => {
  it('a cast with a token signed by a key that is not the ceremony\'s is refused (BAD_TOKEN_SIGNATURE) even with a valid MAC, and nothing is stored; the same cast in a bundle fails TOKEN_SIGNATURE', async () => {
    const ballot = await openNewBallot(sec, room, { type: 'decision', items: 1, title: '铸票测试' });
    const [x] = await issueAll(room, [tablets.get(room.names()[0]!)!], ballot.id); // a member's tablet: it knows the cast key
    const rogue = generateBallotKey();
    const st = blindToken(ballot.id);
    const sigma = unblindSignature(st, signBlinded(rogue.secretKey, st.blinded), rogue.publicKey);
    const th = tokenHash(ballot.id, st.token);
    const sealed = sealBallot({ ballotId: ballot.id, electionKey: fromHex(ballot.electionKey, 32, 'Y'), tokenHash: th }, ballotShape(castDef(ballot)), selectionsOf(APPROVAL_OPTIONS, ['agree']));
    const c = ballotHash(ballot.id, sealed);
    const body = { token: toHex(st.token), signature: toHex(sigma), sealed: toHex(sealed), commitment: toHex(c), mac: castMac(x!.tok.castKey, ballot.id, st.token, sigma, c) };
    const before = readOnly(server.dbPath, (db) => db.prepare('SELECT COUNT(*) AS n FROM casts WHERE ballot_id = ?').get(ballot.id));
    expectError(await x!.tablet.anon.post(`/api/anon/ballots/${ballot.id}/cast`, body), 'BAD_TOKEN_SIGNATURE');
    // A token signed by one scrutineer's share alone (fewer than t) is no token either.
    const share = fromHex(room.devices[0]!.state!.shares!.token, 32, 'share');
    const st1 = blindToken(ballot.id);
    const one = combinePartials([{ index: 1, partial: partialSign(BigInt(`0x${toHex(share)}`), st1.blinded) }]);
    const pk = fromHex(ballot.publicKey, 96, 'pk');
    let sigma1: Uint8Array | null = null;
    try {
      sigma1 = unblindSignature(st1, one, pk);
    } catch {
      sigma1 = null; // the tablet's own check refuses it already
    }
    expect(sigma1).toBeNull();
    expect(readOnly(server.dbPath, (db) => db.prepare('SELECT COUNT(*) AS n FROM casts WHERE ballot_id = ?').get(ballot.id))).toEqual(before);
    // The honest cast still goes through.
    const receipt = await x!.tablet.cast(x!.tablet.prepare(castDef(ballot), x!.keys, x!.tok, ['agree']));
    const published = await closeAndPublish(sec, room, ballot.id);
    expect(checkReceipt(published, receipt).status).toBe('included');
    // Put into the bundle by a cheater (devices fooled): TOKEN_SIGNATURE.
    const stuffed = withDevicesFooled(clone(published) as Mut, [...published.ballots, { token: body.token, signature: body.signature, sealed: body.sealed, commitment: body.commitment }]);
    expect(verifyBundle(stuffed, { serverKey: published.serverKey }).failures.map((f) => f.code)).toEqual(['COUNT_EXCEEDS_ISSUED', 'TOKEN_SIGNATURE']);
  });

  it('a voter who sends a commitment that is not the hash of the sealed ballot (with a valid MAC over it) is refused at cast time (BAD_BALLOT_PROOF), nothing is stored, and the ballot still publishes', async () => {
    // Accepted, such a cast would fail BALLOT_HASH in the bundle and the server's self-check, so one voter could keep a ballot from ever being published.
    const ballot = await openNewBallot(sec, room, { type: 'decision', items: 1, title: '承诺测试' });
    const [x, y] = await issueAll(room, room.names().slice(0, 2).map((n) => tablets.get(n)!), ballot.id);
    const honest = x!.tablet.prepare(castDef(ballot), x!.keys, x!.tok, ['agree']);
    const other = x!.tablet.prepare(castDef(ballot), x!.keys, x!.tok, ['disagree']);
    const c = fromHex(other.body.commitment, 32, 'c'); // the hash of another sealed ballot under the same token
    const body = { ...honest.body, commitment: other.body.commitment, mac: castMac(x!.tok.castKey, ballot.id, x!.tok.token, x!.tok.sigma, c) };
    expectError(await x!.tablet.anon.post(`/api/anon/ballots/${ballot.id}/cast`, body), 'BAD_BALLOT_PROOF');
    expect(readOnly(server.dbPath, (db) => db.prepare('SELECT COUNT(*) AS n FROM casts WHERE ballot_id = ?').get(ballot.id))).toEqual({ n: 0 });
    const r1 = await x!.tablet.cast(honest);
    const r2 = await y!.tablet.cast(y!.tablet.prepare(castDef(ballot), y!.keys, y!.tok, ['disagree']));
    const published = await closeAndPublish(sec, room, ballot.id);
    expect(verifyBundle(published).failures).toEqual([]);
    expect([r1, r2].map((r) => checkReceipt(published, r).status)).toEqual(['included', 'included']);
  });
});
