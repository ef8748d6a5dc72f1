// Anonymous sealed casts over HTTP (piaojue/2): the MAC is checked first (a wrong one is
// BAD_CAST_MAC before any curve arithmetic, whatever else is wrong); replays give the same
// receipt; another sealed ballot under a used token is DUPLICATE_TOKEN (also under a race);
// forged and cross-ballot tokens are BAD_TOKEN_SIGNATURE; a tampered or misplaced sealed
// ballot is BAD_BALLOT_PROOF; sealed ballots of the wrong size are refused; malformed points
// are BAD_REQUEST / BAD_POINT (on cast and on issue); a cast after the close is BAD_STATE.
// A refused cast changes nothing and does not use up the token.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRANCH_BYTES, CIPHERTEXT_BYTES, G1, ballotHash, ballotKeys, castMac, combinePartials, fromHex, generateBallotKey, prepareCast, randomBytes, randomScalar,
  sealBallot, sealedBallotBytes, selectionsOf, signBlinded, toHex, tokenHash, tokenPoint, verifyBundle, APPROVAL_OPTIONS, type CeremonyRecord,
} from '../../crypto/index.ts';
import type { ErrorCode } from '../../server/errors.ts';
import {
  Jar, castPath, castVote, checkIn, closeAndPublish, expectError, openNew, prepareVote, publish, roster, setupMeeting, shapeOf, signIn,
  startTestServer, stateOf, tokenHashHex, type Meeting, type Tablet, type TestServer, type Token,
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
const issue = (t: Tablet, b: any) => t.issue(b, meeting.devices);

async function freshBallot(type: 'decision' | 'consultation' = 'decision', n = 1) {
  const items = Array.from({ length: n }, (_, i) => ({ nominee: `人选${i + 1}`, post: `职务${i + 1}` }));
  return openNew(sec, meeting, { type, items });
}

async function castCount(bid: string): Promise<number> {
  return (await anon.ok('GET', `/api/ballots/${bid}`)).cast;
}

/** A cast body from its parts, with the commitment hash and the MAC computed as an issued tablet would. */
function body(tok: Token, parts: { token?: Uint8Array; signature?: Uint8Array; sealed: Uint8Array; commitment?: Uint8Array; ballotId?: string; castKey?: Uint8Array }) {
  const bid = parts.ballotId ?? tok.ballotId;
  const token = parts.token ?? tok.token;
  const signature = parts.signature ?? tok.signature;
  const commitment = parts.commitment ?? ballotHash(bid, parts.sealed);
  return {
    token: toHex(token), signature: toHex(signature), sealed: toHex(parts.sealed), commitment: toHex(commitment),
    mac: castMac(parts.castKey ?? tok.castKey, bid, token, signature, commitment),
  };
}

/** A sealed ballot for `choices` bound to `tokenBytes` (default the token's own). */
function seal(tok: Token, choices: string[], tokenBytes = tok.token, ballotId = tok.ballotId, items = tok.items): Uint8Array {
  return sealBallot(
    { ballotId, electionKey: fromHex(tok.keys.electionKey, 32, 'electionKey'), tokenHash: tokenHash(ballotId, tokenBytes) },
    shapeOf(items), selectionsOf(APPROVAL_OPTIONS, choices),
  );
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at]! ^= 0x01;
  return out;
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

describe('the cast MAC is checked first', () => {
  it('a wrong MAC (random, another ballot\'s cast key, another commitment, another ballot id) → 400 BAD_CAST_MAC; nothing stored; the real cast still goes in', async () => {
    const a = await freshBallot();
    const b = await freshBallot();
    const [tok, tokB] = [await issue(tablet(0), a), await issue(tablet(0), b)];
    const v = prepareVote(tok, ['agree']);
    const before = stateOf(server.dbPath);
    const wrong = {
      random: { ...v.body, mac: toHex(randomBytes(32)) },
      'the cast key of another ballot': { ...v.body, mac: castMac(tokB.castKey, a.id, tok.token, tok.signature, fromHex(v.body.commitment, 32, 'c')) },
      'over another commitment': { ...v.body, mac: castMac(tok.castKey, a.id, tok.token, tok.signature, randomBytes(32)) },
      'over another ballot id': { ...v.body, mac: castMac(tok.castKey, b.id, tok.token, tok.signature, fromHex(v.body.commitment, 32, 'c')) },
      'one bit off': { ...v.body, mac: toHex(flip(fromHex(v.body.mac, 32, 'mac'), 31)) },
    };
    for (const [what, body] of Object.entries(wrong)) {
      const r = await anon.post(castPath(a.id), body);
      expect(r.json.error, what).toBe('BAD_CAST_MAC');
      expectError(r, 'BAD_CAST_MAC');
    }
    expectError(await anon.post(castPath(a.id), wrong.random, { lang: 'en' }), 'BAD_CAST_MAC', 'en');
    // The cast sent as is to another open ballot: the MAC binds ballot and cast key.
    expectError(await anon.post(castPath(b.id), v.body), 'BAD_CAST_MAC');
    expect(stateOf(server.dbPath)).toEqual(before);
    await castVote(anon, v);
    expect(await castCount(a.id)).toBe(1);
    expect(await castCount(b.id)).toBe(0);
  });

  it('with a wrong MAC, a point that is no point, a forged signature or a sealed ballot of garbage are never looked at: BAD_CAST_MAC, not BAD_POINT / BAD_TOKEN_SIGNATURE / BAD_BALLOT_PROOF', async () => {
    const b = await freshBallot();
    const tok = await issue(tablet(1), b);
    const good = prepareVote(tok, ['agree']).body;
    const mac = toHex(randomBytes(32));
    const sealedBytes = fromHex(good.sealed, undefined, 'sealed').length;
    for (const [what, patch] of [
      ['not a point', { signature: enc(smallX(false)) }],
      ['the identity', { signature: 'c0' + '00'.repeat(47) }],
      ['a valid point that signs nothing', { signature: toHex(G1.BASE.multiply(randomScalar()).toBytes(true)) }],
      ['a random token', { token: toHex(randomBytes(32)) }],
      ['a sealed ballot of zeros', { sealed: '00'.repeat(sealedBytes) }],
      ['a sealed ballot of ff', { sealed: 'ff'.repeat(sealedBytes) }],
    ] as const) {
      const r = await anon.post(castPath(b.id), { ...good, ...patch, mac });
      expect(r.json.error, what).toBe('BAD_CAST_MAC');
      expectError(r, 'BAD_CAST_MAC');
    }
    expect(await castCount(b.id)).toBe(0);
  });
});

describe('repeated and replayed casts', () => {
  it('the identical cast twice returns the identical receipt and counts once', async () => {
    const b = await freshBallot();
    const v = prepareVote(await issue(tablet(0), b), ['agree']);
    const r1 = await castVote(anon, v);
    const r2 = await castVote(anon, v);
    expect(r2).toEqual(r1);
    expect(r1).toMatchObject({ ballotId: b.id, tokenHash: tokenHashHex(b.id, v.token), commitment: v.body.commitment, sigma: v.body.signature, publicKey: b.publicKey, electionKey: b.electionKey });
    expect(await castCount(b.id)).toBe(1);
  });

  it('another sealed ballot under a used token is 409 DUPLICATE_TOKEN, nothing changes, and the first cast is the one published', async () => {
    const b = await freshBallot();
    const tok = await issue(tablet(0), b);
    const first = prepareVote(tok, ['agree']);
    await castVote(anon, first);
    const second = prepareVote(tok, ['disagree']);
    expect(second.body.sealed).not.toBe(first.body.sealed);
    const before = stateOf(server.dbPath);
    expectError(await anon.post(castPath(b.id), second.body), 'DUPLICATE_TOKEN');
    expectError(await anon.post(castPath(b.id), second.body, { lang: 'en' }), 'DUPLICATE_TOKEN', 'en');
    // The same choice sealed again (fresh randomness) is another sealed ballot too.
    expectError(await anon.post(castPath(b.id), prepareVote(tok, ['agree']).body), 'DUPLICATE_TOKEN');
    expect(stateOf(server.dbPath)).toEqual(before);
    const { bundle } = await closeAndPublish(sec, meeting, b.id);
    expect(bundle.ballots).toEqual([{ token: first.body.token, signature: first.body.signature, sealed: first.body.sealed, commitment: first.body.commitment }]);
    expect(bundle.tally.items[0]!.counts).toEqual({ agree: 1, disagree: 0, abstain: 0 });
  });

  it('racing casts: the same cast 6× in parallel gives one stored cast and 6 equal receipts; 6 sealed ballots under one token give exactly one 200', async () => {
    const b = await freshBallot();
    const v = prepareVote(await issue(tablet(1), b), ['agree']);
    const same = await Promise.all(Array.from({ length: 6 }, () => anon.post(castPath(b.id), v.body)));
    expect(same.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const r of same) expect(r.json.receipt).toEqual(same[0]!.json.receipt);
    const tok = await issue(tablet(2), b);
    const rivals = Array.from({ length: 6 }, (_, i) => prepareVote(tok, [APPROVAL_OPTIONS[i % 3]!]));
    const res = await Promise.all(rivals.map((r) => anon.post(castPath(b.id), r.body)));
    expect(res.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of res.filter((x) => x.status !== 200)) expectError(r, 'DUPLICATE_TOKEN');
    expect(await castCount(b.id)).toBe(2);
  });
});

describe('forged and misplaced tokens (sent by an issued tablet, so the MAC is right)', () => {
  it('a signature under another key, a random valid point, the signature of another token, a random token, the combined blind signature or one device\'s partial → 400 BAD_TOKEN_SIGNATURE; nothing stored; the real token still casts', async () => {
    const b = await freshBallot();
    const tok = await issue(tablet(0), b);
    const other = await issue(tablet(1), b);
    const foreign = generateBallotKey();
    const randomToken = randomBytes(32);
    const forgeries: Record<string, { token?: Uint8Array; signature: Uint8Array }> = {
      'a key that is not the ceremony\'s': { signature: signBlinded(foreign.secretKey, tokenPoint(b.id, tok.token).toBytes(true)) },
      'a random valid point': { signature: G1.BASE.multiply(randomScalar()).toBytes(true) },
      'the signature of another token': { signature: other.signature },
      'a random token with a real signature': { token: randomToken, signature: tok.signature },
      'the combined blind signature (not unblinded)': { signature: combinePartials(tok.partials.slice(0, meeting.t).map((p) => ({ index: p.index, partial: fromHex(p.partial, 48, 'p') }))) },
      'one device\'s partial signature': { signature: fromHex(tok.partials[0]!.partial, 48, 'p') },
    };
    const before = stateOf(server.dbPath);
    for (const [what, f] of Object.entries(forgeries)) {
      const r = await anon.post(castPath(b.id), body(tok, { ...f, sealed: seal(tok, ['agree'], f.token ?? tok.token) }));
      expect(r.json.error, what).toBe('BAD_TOKEN_SIGNATURE');
      expectError(r, 'BAD_TOKEN_SIGNATURE');
    }
    expect(stateOf(server.dbPath)).toEqual(before);
    await castVote(anon, prepareVote(tok, ['agree']));
    expect(await castCount(b.id)).toBe(1);
  });

  it('a token of ballot A cast on ballot B (both open, same ceremony keys, B\'s cast key) → 400 BAD_TOKEN_SIGNATURE, and it still casts on A', async () => {
    const a = await freshBallot();
    const b = await freshBallot();
    expect(b.publicKey).toBe(a.publicKey); // one ceremony per meeting: the signature binds the ballot id
    const t = tablet(3);
    const tokA = await issue(t, a);
    const tokB = await issue(t, b);
    const onB = body(tokA, { ballotId: b.id, castKey: tokB.castKey, sealed: seal(tokA, ['agree'], tokA.token, b.id) });
    expectError(await anon.post(castPath(b.id), onB), 'BAD_TOKEN_SIGNATURE');
    expect(await castCount(b.id)).toBe(0);
    await castVote(anon, prepareVote(tokA, ['agree']));
    expect(await castCount(a.id)).toBe(1);
  });

  it('a tablet refuses ballot keys that are not its ceremony\'s (a tagging server), before it blinds anything', async () => {
    const b = await freshBallot();
    const view = await tablet(4).jar.ok('GET', '/api/tablet');
    const record = view.ceremony as CeremonyRecord;
    expect(ballotKeys(record, { publicKey: b.publicKey, electionKey: b.electionKey }).fingerprint).toBe(b.fingerprint);
    expect(() => ballotKeys(record, { publicKey: toHex(generateBallotKey().publicKey) })).toThrow(/not the key of the ceremony/);
    expect(() => ballotKeys(record, { electionKey: toHex(flip(fromHex(b.electionKey, 32, 'k'), 0)) })).toThrow();
  });
});

describe('sealed ballots', () => {
  let ballot: any;
  let tok: Token;
  beforeAll(async () => {
    ballot = await freshBallot('consultation', 1);
    tok = await issue(tablet(0), ballot);
  });

  it('a proof or ciphertext byte changed (hash and MAC recomputed) → 400 BAD_BALLOT_PROOF; nothing stored', async () => {
    const sealed = seal(tok, ['disagree']);
    const before = stateOf(server.dbPath);
    // A consultation item is a packed group (protocol §5.1): its ciphertext α ‖ β, then the three branches of its proof.
    expect(sealed.length).toBe(CIPHERTEXT_BYTES + 3 * BRANCH_BYTES);
    for (const [what, at] of [
      ['α', 5], ['β', CIPHERTEXT_BYTES - 3], ['the first branch (a commitment)', CIPHERTEXT_BYTES + 1],
      ['the second branch (its challenge)', CIPHERTEXT_BYTES + BRANCH_BYTES + 64 + 3], ['the last branch (its response)', sealed.length - 20],
    ] as const) {
      const r = await anon.post(castPath(ballot.id), body(tok, { sealed: flip(sealed, at) }));
      expect(r.json.error, what).toBe('BAD_BALLOT_PROOF');
      expectError(r, 'BAD_BALLOT_PROOF');
    }
    expectError(await anon.post(castPath(ballot.id), body(tok, { sealed: flip(sealed, CIPHERTEXT_BYTES + 6) }), { lang: 'en' }), 'BAD_BALLOT_PROOF', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('another voter\'s sealed ballot copied under one\'s own token (the proofs are bound to the token hash) → 400 BAD_BALLOT_PROOF', async () => {
    const other = await issue(tablet(1), ballot);
    const theirs = prepareVote(other, ['disagree']);
    await castVote(anon, theirs);
    const copied = body(tok, { sealed: fromHex(theirs.body.sealed, undefined, 'sealed') });
    expectError(await anon.post(castPath(ballot.id), copied), 'BAD_BALLOT_PROOF');
    // Sealed for another ballot of the same meeting (same election key): bound to the ballot id too.
    const elsewhere = body(tok, { sealed: seal(tok, ['agree'], tok.token, 'bsomewhereelse') });
    expectError(await anon.post(castPath(ballot.id), elsewhere), 'BAD_BALLOT_PROOF');
  });

  it('a commitment that is not the hash of the sealed ballot (MAC over it) → 400 BAD_BALLOT_PROOF; nothing stored', async () => {
    const before = stateOf(server.dbPath);
    const sealed = seal(tok, ['agree']);
    expectError(await anon.post(castPath(ballot.id), body(tok, { sealed, commitment: randomBytes(32) })), 'BAD_BALLOT_PROOF');
    expectError(await anon.post(castPath(ballot.id), body(tok, { sealed, commitment: ballotHash(ballot.id, seal(tok, ['disagree'])) })), 'BAD_BALLOT_PROOF');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('a sealed ballot of the wrong size (a byte short or long, another ballot shape) → 400 BAD_REQUEST; a body past twice the sealed size + 4 KiB → 413 BODY_TOO_LARGE', async () => {
    const sealed = seal(tok, ['agree']);
    expect(sealed.length).toBe(sealedBallotBytes(shapeOf(1)));
    for (const wrong of [sealed.subarray(1), Uint8Array.from([...sealed, 0]), seal(tok, ['agree', 'agree'], tok.token, tok.ballotId, 2)])
      expectError(await anon.post(castPath(ballot.id), body(tok, { sealed: wrong })), 'BAD_REQUEST');
    const huge = body(tok, { sealed: new Uint8Array(sealed.length + 4096) });
    expectError(await anon.post(castPath(ballot.id), huge), 'BODY_TOO_LARGE');
    expectError(await anon.post(castPath(ballot.id), { ...prepareVote(tok, ['agree']).body, pad: 'x'.repeat(2 * sealed.length + 4096) }), 'BODY_TOO_LARGE');
  });

  it('malformed token, commitment, mac and sealed fields, missing or unknown fields → 400 BAD_REQUEST', async () => {
    const good = prepareVote(tok, ['agree']).body;
    for (const patch of [
      { token: good.token.slice(2) }, { token: good.token.toUpperCase() }, { commitment: good.commitment + '00' },
      { commitment: 7 }, { token: null }, { mac: good.mac.slice(2) }, { mac: 'zz' + good.mac.slice(2) }, { sealed: good.sealed.toUpperCase() },
      { sealed: [] }, { extra: 1 },
    ]) expectError(await anon.post(castPath(ballot.id), { ...good, ...patch }), 'BAD_REQUEST');
    const { mac: _m, ...noMac } = good;
    expectError(await anon.post(castPath(ballot.id), noMac), 'BAD_REQUEST');
  });
});

describe('malformed points', () => {
  let ballot: any;
  let tok: Token;
  beforeAll(async () => {
    ballot = await freshBallot();
    tok = await issue(tablet(0), ballot);
  });

  it.each(BAD_POINTS)('cast with signature = %s (right MAC) → 400 %s', async (_what, signature, code) => {
    const good = prepareVote(tok, ['agree']).body;
    const mac = typeof signature === 'string' && /^[0-9a-f]{96}$/.test(signature)
      ? castMac(tok.castKey, ballot.id, tok.token, fromHex(signature, 48, 's'), fromHex(good.commitment, 32, 'c'))
      : good.mac;
    expectError(await anon.post(castPath(ballot.id), { ...good, signature, mac }), code);
  });

  it.each(BAD_POINTS)('issue with blinded = %s → 400 %s', async (_what, blinded, code) => {
    expectError(await tablet(1).jar.post(`/api/ballots/${ballot.id}/issue`, { blinded }), code);
  });

  it('after all those refusals nothing was stored: no cast, one issuance; both members still get their token and cast', async () => {
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ cast: 0, issued: 1 });
    await castVote(anon, prepareVote(tok, ['agree']));
    await castVote(anon, prepareVote(await issue(tablet(1), ballot), ['disagree']));
    expect(await anon.ok('GET', `/api/ballots/${ballot.id}`)).toMatchObject({ cast: 2, issued: 2 });
  });
});

describe('casts and the ballot state', () => {
  it('a cast made while open but sent after the close → 409 BAD_STATE, nothing stored; the bundle holds only the earlier cast and verifies', async () => {
    const b = await freshBallot();
    const early = prepareVote(await issue(tablet(0), b), ['agree']);
    const late = prepareVote(await issue(tablet(1), b), ['disagree']);
    await castVote(anon, early);
    await sec.ok('POST', `/api/ballots/${b.id}/close`);
    const before = stateOf(server.dbPath);
    expectError(await anon.post(castPath(b.id), late.body), 'BAD_STATE');
    expectError(await anon.post(castPath(b.id), early.body), 'BAD_STATE'); // even the identical replay: no receipt after the close
    expect(stateOf(server.dbPath)).toEqual(before);
    const { bundle } = await publish(sec, meeting, b.id);
    expect(verifyBundle(bundle).ok).toBe(true);
    expect(bundle.ballots.map((x) => x.token)).toEqual([early.body.token]);
    expect(bundle.tally).toMatchObject({ issued: 2, cast: 1 });
  });

  it('a cast on a draft → 409 BAD_STATE', async () => {
    const draft = (await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, { type: 'decision', title: '草稿', items: [{ nominee: '甲', post: '乙' }] })).ballot;
    const any = await freshBallot();
    const tok = await issue(tablet(2), any);
    const v = prepareCast(draft.id, tok.keys, shapeOf(1), selectionsOf(APPROVAL_OPTIONS, ['agree']), tok.token, tok.signature, tok.castKey);
    expectError(await anon.post(castPath(draft.id), v.body), 'BAD_STATE');
  });
});
