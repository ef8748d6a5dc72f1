// Anonymous casts and openings over HTTP: replays give the same receipt, a used token with
// another commitment is DUPLICATE_TOKEN (also under a race), forged and cross-ballot tokens
// are BAD_TOKEN_SIGNATURE, every malformed point is BAD_REQUEST / BAD_POINT (on cast and on
// issue), and openings that do not match, do not fit the ballot, or name no cast are refused.
// A refused cast changes nothing and does not use up the token.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  G1, blindToken, commit, fromHex, generateBallotKey, newSalt, randomBytes, randomScalar, signBlinded, toHex, tokenPoint,
  unblindSignature, verifyBundle,
} from '../../crypto/index.ts';
import type { ErrorCode } from '../../server/errors.ts';
import {
  Jar, castVote, checkIn, createBallot, expectError, openBallot, openVote, prepareVote, roster, setupMeeting, signIn,
  startTestServer, stateOf, tokenHashHex, type Meeting, type Tablet, type TestServer, type Token, type Vote,
} from '../helpers/server.ts';

const { Fp } = bls12_381.fields;

let server: TestServer;
let sec: Jar;
let anon: Jar;
let meeting: Meeting;
let tablets: Map<string, Tablet>;

beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
  anon = new Jar(server, false);
  meeting = await setupMeeting(sec, roster({ standing: 5, full: 1 }), '县委常委会（投票）');
  tablets = await checkIn(server, meeting, meeting.names());
});
afterAll(async () => server?.dispose());

const tablet = (i: number) => tablets.get(meeting.names('standing')[i]!)!;

async function freshBallot(type: 'decision' | 'consultation' = 'decision', n = 1) {
  const items = Array.from({ length: n }, (_, i) => ({ nominee: `人选${i + 1}`, post: `职务${i + 1}` }));
  return openBallot(sec, (await createBallot(sec, meeting.id, { type, items })).id);
}

async function castCount(bid: string): Promise<number> {
  return (await anon.ok('GET', `/api/ballots/${bid}`)).cast;
}

// ---- malformed G1 encodings -------------------------------------------------------------

function be48(x: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(96, '0'), 'hex'));
}
function enc(x: bigint, flags = 0x80): string {
  const b = be48(x);
  b[0]! |= flags;
  return toHex(b);
}
const isSquare = (v: bigint) => v === 0n || Fp.pow(v, (Fp.ORDER - 1n) / 2n) === 1n;
const rhs = (x: bigint) => Fp.add(Fp.pow(x, 3n), 4n);
function smallX(onCurve: boolean): bigint {
  for (let x = 1n; x < 1000n; x++) if (isSquare(rhs(x)) === onCurve) return x;
  throw new Error('no x');
}
const validHex = toHex(G1.BASE.multiply(12345n).toBytes(true));
const xOn = smallX(true); // on the curve, almost surely outside the prime-order subgroup

/** Every malformed encoding of a 48-byte G1 field and the API error it must give. */
const BAD_POINTS: [string, unknown, ErrorCode][] = [
  ['47 bytes (wrong length)', validHex.slice(2), 'BAD_REQUEST'],
  ['49 bytes (wrong length)', validHex + '00', 'BAD_REQUEST'],
  ['96-byte uncompressed encoding', toHex(G1.BASE.multiply(12345n).toBytes(false)), 'BAD_REQUEST'],
  ['upper-case hex', validHex.toUpperCase(), 'BAD_REQUEST'],
  ['not hex', 'zz' + validHex.slice(2), 'BAD_REQUEST'],
  ['odd length', validHex.slice(1), 'BAD_REQUEST'],
  ['a number', 12345, 'BAD_REQUEST'],
  ['null', null, 'BAD_REQUEST'],
  ['compression flag cleared (uncompressed flag)', toHex(Uint8Array.from(Buffer.from(validHex, 'hex'), (b, i) => (i === 0 ? b & 0x7f : b))), 'BAD_POINT'],
  ['identity c000…00', 'c0' + '00'.repeat(47), 'BAD_POINT'],
  ['infinity flag with a nonzero body (non-canonical)', 'c0' + '00'.repeat(46) + '01', 'BAD_POINT'],
  ['infinity with the sign flag e000…00 (non-canonical)', 'e0' + '00'.repeat(47), 'BAD_POINT'],
  ['x = p (coordinate outside the field, non-canonical)', enc(Fp.ORDER), 'BAD_POINT'],
  ['x + p for an x on the curve (non-canonical)', enc(xOn + Fp.ORDER), 'BAD_POINT'],
  ['x not on the curve', enc(smallX(false)), 'BAD_POINT'],
  ['on the curve but not in the subgroup', enc(xOn), 'BAD_POINT'],
];

describe('repeated and replayed casts', () => {
  it('the identical cast twice returns the identical receipt and counts once', async () => {
    const b = await freshBallot();
    const v = prepareVote(await tablet(0).issue(b), ['agree']);
    const r1 = await castVote(anon, v);
    const r2 = await castVote(anon, v);
    expect(r2).toEqual(r1);
    expect(r1).toMatchObject({ ballotId: b.id, tokenHash: tokenHashHex(b.id, v.token), commitment: toHex(v.commitment) });
    expect(await castCount(b.id)).toBe(1);
  });

  it('the same token with another commitment is 409 DUPLICATE_TOKEN and the first commitment stands', async () => {
    const b = await freshBallot();
    const tok = await tablet(0).issue(b);
    const first = prepareVote(tok, ['agree']);
    await castVote(anon, first);
    const second = prepareVote(tok, ['disagree']);
    const before = stateOf(server.dbPath);
    expectError(await anon.post(`/api/ballots/${b.id}/cast`, second.body), 'DUPLICATE_TOKEN');
    expectError(await anon.post(`/api/ballots/${b.id}/cast`, second.body, { lang: 'en' }), 'DUPLICATE_TOKEN', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    expectError(await anon.post(`/api/ballots/${b.id}/openings`, second.opening), 'OPENING_MISMATCH');
    await openVote(anon, first);
    await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    expect(bundle.ballots).toEqual([{ ...first.body, opening: { choices: ['agree'], salt: toHex(first.salt) } }]);
  });

  it('racing casts: the same cast 6× in parallel gives one stored cast and 6 equal receipts; 6 commitments under one token give exactly one 200', async () => {
    const b = await freshBallot();
    const v = prepareVote(await tablet(1).issue(b), ['agree']);
    const same = await Promise.all(Array.from({ length: 6 }, () => anon.post(`/api/ballots/${b.id}/cast`, v.body)));
    expect(same.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const r of same) expect(r.json.receipt).toEqual(same[0]!.json.receipt);
    const tok = await tablet(2).issue(b);
    const rivals = Array.from({ length: 6 }, (_, i) => prepareVote(tok, [['agree', 'disagree', 'abstain'][i % 3]!]));
    const res = await Promise.all(rivals.map((r) => anon.post(`/api/ballots/${b.id}/cast`, r.body)));
    expect(res.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of res.filter((x) => x.status !== 200)) expectError(r, 'DUPLICATE_TOKEN');
    expect(await castCount(b.id)).toBe(2);
  });
});

describe('forged and misplaced tokens', () => {
  it('a signature under another key, a random valid point, or the signature of another token → 400 BAD_TOKEN_SIGNATURE; nothing stored and the real token still casts', async () => {
    const b = await freshBallot();
    const tok = await tablet(0).issue(b);
    const other = await tablet(1).issue(b);
    const foreignKey = generateBallotKey();
    const forgedSig = toHex(signBlinded(foreignKey.secretKey, tokenPoint(b.id, tok.token).toBytes(true)));
    const commitment = toHex(commit(b.id, tok.token, ['agree'], newSalt()));
    const forgeries = {
      'wrong key': { token: toHex(tok.token), signature: forgedSig, commitment },
      'random valid point': { token: toHex(tok.token), signature: toHex(G1.BASE.multiply(randomScalar()).toBytes(true)), commitment },
      'signature of another token': { token: toHex(tok.token), signature: toHex(other.signature), commitment },
      'random token with a real signature': { token: toHex(randomBytes(32)), signature: toHex(tok.signature), commitment },
      'the unblinded blind signature': { token: toHex(tok.token), signature: tok.signed, commitment },
    };
    const before = stateOf(server.dbPath);
    for (const [what, body] of Object.entries(forgeries)) {
      const r = await anon.post(`/api/ballots/${b.id}/cast`, body);
      expect(r.json.error, what).toBe('BAD_TOKEN_SIGNATURE');
      expectError(r, 'BAD_TOKEN_SIGNATURE');
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    await castVote(anon, prepareVote(tok, ['agree']));
    expect(await castCount(b.id)).toBe(1);
  });

  it('a token of ballot A cast on ballot B (both open) → 400 BAD_TOKEN_SIGNATURE, and it still casts on A', async () => {
    const a = await freshBallot();
    const b = await freshBallot();
    const tok = await tablet(3).issue(a);
    const onA = prepareVote(tok, ['agree']);
    // Same bytes sent to B; the commitment is even recomputed for B, the signature still binds A.
    const onB = { ...onA.body, commitment: toHex(commit(b.id, tok.token, ['agree'], newSalt())) };
    expectError(await anon.post(`/api/ballots/${b.id}/cast`, onA.body), 'BAD_TOKEN_SIGNATURE');
    expectError(await anon.post(`/api/ballots/${b.id}/cast`, onB), 'BAD_TOKEN_SIGNATURE');
    expect(await castCount(b.id)).toBe(0);
    await castVote(anon, onA);
    expect(await castCount(a.id)).toBe(1);
  });

  it('a blinded point issued on ballot A and unblinded against B\'s key does not verify (the tablet refuses it)', async () => {
    const a = await freshBallot();
    const b = await freshBallot();
    const st = blindToken(a.id);
    const { signed } = await tablet(4).jar.ok('POST', `/api/ballots/${a.id}/issue`, { blinded: toHex(st.blinded) });
    expect(() => unblindSignature(st, fromHex(signed, 48, 'signed'), fromHex(b.publicKey, 96, 'pk'))).toThrow(/BAD_SIGNATURE/);
  });
});

describe('malformed points', () => {
  let ballot: any;
  let tok: Token;
  let commitment: string;
  beforeAll(async () => {
    ballot = await freshBallot();
    tok = await tablet(0).issue(ballot);
    commitment = toHex(commit(ballot.id, tok.token, ['agree'], newSalt()));
  });

  it.each(BAD_POINTS)('cast with signature = %s → 400 %s', async (_what, signature, code) => {
    const r = await anon.post(`/api/ballots/${ballot.id}/cast`, { token: toHex(tok.token), signature, commitment });
    expectError(r, code as ErrorCode);
  });

  it.each(BAD_POINTS)('issue with blinded = %s → 400 %s, and the member can still be issued', async (_what, blinded, code) => {
    const t = tablet(1);
    const r = await t.jar.post(`/api/ballots/${ballot.id}/issue`, { blinded });
    expectError(r, code as ErrorCode);
  });

  it('malformed token and commitment fields → 400 BAD_REQUEST', async () => {
    const good = prepareVote(tok, ['agree']).body;
    for (const patch of [
      { token: toHex(tok.token).slice(2) }, { token: toHex(tok.token).toUpperCase() }, { commitment: good.commitment + '00' },
      { commitment: 7 }, { token: null },
    ]) expectError(await anon.post(`/api/ballots/${ballot.id}/cast`, { ...good, ...patch }), 'BAD_REQUEST');
  });

  it('after all those refusals nothing was stored: no cast, one issuance; both members still get their token and cast', async () => {
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ cast: 0, issued: 1 });
    await castVote(anon, prepareVote(tok, ['agree']));
    await castVote(anon, prepareVote(await tablet(1).issue(ballot), ['disagree']));
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ cast: 2, issued: 2 });
  });
});

describe('openings', () => {
  it('wrong salt or other choices → OPENING_MISMATCH; non-ids → INVALID_CHOICE; unknown token → 404 UNKNOWN_TOKEN; the right opening still counts', async () => {
    const b = await freshBallot('decision', 2);
    const v = prepareVote(await tablet(0).issue(b), ['agree', 'disagree']);
    await castVote(anon, v);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    const path = `/api/ballots/${b.id}/openings`;
    const before = stateOf(server.dbPath);
    expectError(await anon.post(path, { ...v.opening, salt: toHex(newSalt()) }), 'OPENING_MISMATCH');
    expectError(await anon.post(path, { ...v.opening, choices: ['disagree', 'agree'] }), 'OPENING_MISMATCH');
    expectError(await anon.post(path, { ...v.opening, choices: ['agree'] }), 'OPENING_MISMATCH');
    expectError(await anon.post(path, { ...v.opening, salt: toHex(newSalt()) }, { lang: 'en' }), 'OPENING_MISMATCH', 'en');
    expectError(await anon.post(path, { ...v.opening, choices: 'agree' }), 'INVALID_CHOICE');
    expectError(await anon.post(path, { ...v.opening, choices: ['同意', '不同意'] }), 'INVALID_CHOICE');
    expectError(await anon.post(path, { ...v.opening, choices: [1, 2] }), 'INVALID_CHOICE');
    expectError(await anon.post(path, { ...v.opening, token: toHex(randomBytes(32)) }), 'UNKNOWN_TOKEN');
    expectError(await anon.post(path, { ...v.opening, token: toHex(randomBytes(32)) }, { lang: 'en' }), 'UNKNOWN_TOKEN', 'en');
    expectError(await anon.post(path, { ...v.opening, salt: 'ab' }), 'BAD_REQUEST');
    expectError(await anon.post(path, { ...v.opening, extra: true }), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).openings).toBe(0);
    await openVote(anon, v);
    expect((await anon.ok('GET', `/api/ballots/${b.id}`)).openings).toBe(1);
    await openVote(anon, v); // again: idempotent
    await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    expect(bundle.tally).toMatchObject({ cast: 1, valid: 1, invalid: 0 });
  });

  it('choices that do not fit the ballot (unknown option, wrong count) were committed → INVALID_CHOICE at opening and the cast counts as invalid', async () => {
    const b = await freshBallot('consultation', 2);
    const vs: Vote[] = [];
    const picks = [['agree', 'agree'], ['maybe', 'agree'], ['agree'], ['agree', 'agree', 'agree'], ['disagree', 'abstain']];
    for (let i = 0; i < picks.length; i++) {
      const v = prepareVote(await tablet(i).issue(b), picks[i]!);
      vs.push(v);
      await castVote(anon, v);
    }
    const unopened = prepareVote(await tablets.get('委员01')!.issue(b), ['agree', 'agree']);
    await castVote(anon, unopened); // cast but never opened
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    for (const [i, v] of vs.entries()) {
      const r = await anon.post(`/api/ballots/${b.id}/openings`, v.opening);
      if (i === 0 || i === 4) expect(r.status).toBe(200);
      else expectError(r, 'INVALID_CHOICE');
    }
    expect(await anon.ok('GET', `/api/ballots/${b.id}`)).toMatchObject({ cast: 6, openings: 2 });
    await sec.ok('POST', `/api/ballots/${b.id}/finalize`);
    const bundle = await anon.ok('GET', `/api/ballots/${b.id}/bundle`);
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(bundle.tally).toMatchObject({ entitled: 6, cast: 6, valid: 2, invalid: 4 });
    expect(bundle.tally.items.map((i: { counts: unknown }) => i.counts)).toEqual([
      { agree: 1, disagree: 1, abstain: 0 },
      { agree: 1, disagree: 0, abstain: 1 },
    ]);
    expect(bundle.ballots.filter((x: { opening: unknown }) => x.opening === null)).toHaveLength(4);
  });
});
