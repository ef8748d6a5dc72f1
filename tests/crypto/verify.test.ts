// The bundle verifier (crypto/verify.ts, protocol §10): a valid bundle passes; for every failure
// code there is a tampered bundle that trips exactly that check. Tampering a cheating server
// would sign is re-signed with the fixture's server key, so it must be caught by the named
// check and not by BUNDLE_SIGNATURE. Also checkReceipt, and that the verifier never throws.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CHECKS, castLeaf, fromHex, generateBallotKey, generateServerKey, leafHash, signReceipt, toHex, tokenHash,
  verifyBundle, verifyInclusion, checkReceipt,
  type Bundle, type FailureCode, type Receipt, type VerifyResult,
} from '../../crypto/index.ts';
import { clone, fixture, makeCast, negativeCases, reassemble, recount, resign, withExtraCasts } from '../helpers/bundle-fixture.ts';

const f = fixture();
const ID = f.bundle.ballot.id;

const codes = (r: VerifyResult): FailureCode[] => [...new Set(r.failures.map((x) => x.code))];

/** Verify and expect exactly these failure codes (in the verifier's order). */
function expectExactly(bundle: unknown, expected: FailureCode[], opts = {}): VerifyResult {
  const r = verifyBundle(bundle, opts);
  expect(r.ok).toBe(false);
  expect(codes(r), JSON.stringify(r.failures, null, 1)).toEqual(expected);
  return r;
}

/** Re-sign when the tampered value can still be canonically encoded (a float cannot). */
function trySign(b: unknown): unknown {
  try {
    return resign(b as Bundle);
  } catch {
    return b;
  }
}

/** Index in the (sorted) bundle of the cast with this token. */
const indexOfToken = (b: Bundle, token: string) => b.ballots.findIndex((x) => x.token === token);

describe('a valid bundle', () => {
  it('passes every check and reports the recomputed tally', () => {
    const r = verifyBundle(f.bundle);
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.tally).toEqual(f.bundle.tally);
    expect(r.tally).toMatchObject({ entitled: 5, present: 5, issued: 5, cast: 4, valid: 3, invalid: 1 });
    expect(r.tally!.items.map((i) => i.outcome)).toEqual(['passed', 'failed']);
  });

  it('passes with the right server key pinned', () => {
    expect(verifyBundle(f.bundle, { serverKey: f.bundle.serverKey }).ok).toBe(true);
  });

  it('gives the same result with batchSize 1 and reports progress up to the total', () => {
    const seen: [number, number][] = [];
    const r = verifyBundle(f.bundle, { batchSize: 1, onProgress: (d, t) => seen.push([d, t]) });
    expect(r.ok).toBe(true);
    const [done, total] = seen.at(-1)!;
    expect(done).toBe(total);
    expect(seen.every(([d, t]) => d <= t)).toBe(true);
  });

  it('a batchSize that is not a positive integer (NaN, 1.5, 0, Infinity) cannot skip or misindex token checks', () => {
    const stuffed = negativeCases().find((c) => c.name === 'TOKEN_SIGNATURE')!.bundle;
    const expected = verifyBundle(stuffed).failures;
    expect(expected.map((x) => x.code)).toEqual(['TOKEN_SIGNATURE']);
    for (const batchSize of [NaN, 1.5, 0, -3, Infinity, 1, 2]) expect(verifyBundle(stuffed, { batchSize }).failures, `batchSize ${batchSize}`).toEqual(expected);
  });

  it('survives a JSON round trip (the verifier reads published JSON)', () => {
    expect(verifyBundle(JSON.parse(JSON.stringify(f.bundle))).ok).toBe(true);
  });

  it('CHECKS lists every failure code once, MALFORMED first', () => {
    expect(new Set(CHECKS).size).toBe(15);
    expect(CHECKS[0]).toBe('MALFORMED');
  });
});

describe('one negative test per failure code (negativeCases, also docs/vectors/bundles-invalid.json)', () => {
  const cases = negativeCases();

  it('has a case for every failure code in CHECKS', () => {
    expect(cases.map((c) => c.name).sort()).toEqual([...CHECKS].sort());
  });

  for (const c of cases)
    it(`${c.name}: ${c.description}`, () => {
      // Exactly the expected codes: in particular no BUNDLE_SIGNATURE for the re-signed lies.
      expectExactly(c.bundle, [...c.expected], c.options);
    });
});

describe('more tampering, check by check', () => {
  it('MALFORMED stops the verifier: no tally, no bundle', () => {
    const r = expectExactly({ ...f.bundle, version: 'piaojue/0' }, ['MALFORMED']);
    expect(r.tally).toBeNull();
    expect(r.bundle).toBeNull();
  });

  it('MALFORMED: an unknown field, a wrong version, upper-case hex, a bad enum, a float count', () => {
    const muts: ((b: ReturnType<typeof clone<Bundle>>) => void)[] = [
      (b) => Object.assign(b, { extra: 1 }),
      (b) => Object.assign(b, { version: 'piaojue/2' }),
      (b) => (b.merkleRoot = b.merkleRoot.toUpperCase()),
      (b) => (b.ballot.type = 'referendum' as 'decision'),
      (b) => (b.roster[0]!.issued = 1.5),
      (b) => (b.ballots[0]!.signature = b.ballots[0]!.signature.slice(2)),
      (b) => (b.ballot.recused = [b.roster[0]!.memberId]),
    ];
    for (const m of muts) {
      const b = clone(f.bundle);
      m(b);
      expectExactly(trySign(b), ['MALFORMED']);
    }
  });

  it('BUNDLE_SIGNATURE: a flipped signature byte', () => {
    const b = clone(f.bundle);
    b.serverSignature = (b.serverSignature[0] === '0' ? '1' : '0') + b.serverSignature.slice(1);
    expectExactly(b, ['BUNDLE_SIGNATURE']);
  });

  it('SERVER_KEY: a bundle re-signed by another server key, with the real key pinned', () => {
    const other = generateServerKey(new Uint8Array(32).fill(9));
    const b = clone(f.bundle);
    b.serverKey = toHex(other.publicKey);
    const forged = resign(b, other.secretKey);
    expect(verifyBundle(forged).ok).toBe(true); // self-consistent: only pinning the key catches it
    const r = expectExactly(forged, ['SERVER_KEY'], { serverKey: f.bundle.serverKey });
    expect(r.failures[0]!.detail).toContain(f.bundle.serverKey);
  });

  it('PUBLIC_KEY: the ballot key is a point outside G2', () => {
    const b = clone(f.bundle);
    b.publicKey = 'a0' + '00'.repeat(47) + '00'.repeat(47) + '02'; // x = 2 + 0·u, on E' but not in G2
    expect(codes(verifyBundle(recount(b)))).toEqual(['PUBLIC_KEY', 'TOKEN_SIGNATURE']);
  });

  it('TOKEN_SIGNATURE (not PUBLIC_KEY): a valid ballot key other than the one that signed', () => {
    const b = clone(f.bundle);
    b.publicKey = toHex(generateBallotKey(new Uint8Array(32).fill(5)).publicKey);
    expectExactly(recount(b), ['TOKEN_SIGNATURE']);
  });

  it('ROSTER_INCONSISTENT: a member issued a token but not marked present', () => {
    const r = expectExactly(reassemble((i) => (i.roster[0]!.present = false)), ['ROSTER_INCONSISTENT']);
    expect(r.failures[0]!.detail).toContain(f.bundle.roster[0]!.memberId);
  });

  it('QUORUM is met at exactly 2/3: 6 present of 9 entitled', () => {
    const b = reassemble((i) => {
      i.roster.push({ memberId: 'm6', name: '六', kind: 'full', present: true, issued: 0 });
      for (const n of [7, 8, 9]) i.roster.push({ memberId: `m${n}`, name: `缺席${n}`, kind: 'full', present: false, issued: 0 });
    });
    expect(verifyBundle(b).ok).toBe(true);
  });

  it('DUPLICATE_TOKEN: the same cast listed twice', () => {
    const r = expectExactly(reassemble((i) => i.ballots.push(i.ballots[0]!)), ['DUPLICATE_TOKEN']);
    expect(r.failures[0]!.ballot).toBeDefined();
  });

  it('DUPLICATE_TOKEN: a token reused with another commitment (a second vote on one token)', () => {
    const b = reassemble((i) => {
      const again = makeCast(ID, f.ballotKey, { ...f.inputs.casts[0]!, salt: 'ee'.repeat(32), choices: ['disagree', 'disagree'] });
      i.ballots.push(clone(again));
    });
    expectExactly(b, ['DUPLICATE_TOKEN']);
  });

  it('TOKEN_SIGNATURE: a cast carrying another cast’s signature', () => {
    const victim = f.bundleInputs.ballots[1]!;
    const b = reassemble((i) => (i.ballots[1]!.signature = i.ballots[2]!.signature));
    const r = expectExactly(b, ['TOKEN_SIGNATURE']);
    expect(r.failures.map((x) => x.ballot)).toEqual([indexOfToken(b, victim.token)]);
  });

  it('TOKEN_SIGNATURE: a stuffed cast whose token was signed by a second, secret key', () => {
    const rogue = generateBallotKey(new Uint8Array(32).fill(7));
    const cast = makeCast(ID, rogue, { token: '11'.repeat(32), r: '01'.repeat(32), salt: '22'.repeat(32), choices: ['agree', 'agree'] });
    const b = reassemble((i) => i.ballots.push(clone(cast)));
    const r = expectExactly(b, ['TOKEN_SIGNATURE']);
    expect(r.failures.map((x) => x.ballot)).toEqual([indexOfToken(b, cast.token)]);
  });

  it('TOKEN_SIGNATURE: a signature that is not a valid G1 point', () => {
    const b = reassemble((i) => (i.ballots[0]!.signature = '80' + '00'.repeat(46) + '04')); // x = 4: outside G1
    expectExactly(b, ['TOKEN_SIGNATURE']);
  });

  it('COMMITMENT_OPENING: a salt changed after the commitment', () => {
    const b = clone(f.bundle);
    const i = b.ballots.findIndex((x) => x.opening !== null);
    b.ballots[i]!.opening!.salt = 'ab'.repeat(32);
    const r = expectExactly(recount(b), ['COMMITMENT_OPENING']);
    expect(r.failures[0]!.ballot).toBe(i);
    expect(r.tally!.valid).toBe(2);
  });

  it('COMMITMENT_OPENING: an opening published for a cast that committed to something else', () => {
    const b = clone(f.bundle);
    const unopened = b.ballots.findIndex((x) => x.opening === null);
    b.ballots[unopened]!.opening = { choices: ['agree', 'agree'], salt: '00'.repeat(32) };
    expectExactly(recount(b), ['COMMITMENT_OPENING']);
  });

  it('INVALID_CHOICE: an honest commitment to an option that does not exist', () => {
    const cast = makeCast(ID, f.ballotKey, { token: '33'.repeat(32), r: '02'.repeat(32), salt: '44'.repeat(32), choices: ['agree', 'maybe'] });
    const r = expectExactly(withExtraCasts([cast]), ['INVALID_CHOICE']);
    expect(r.tally!.invalid).toBe(2);
  });

  it('INVALID_CHOICE: an honest commitment to one choice on a two-item ballot', () => {
    const cast = makeCast(ID, f.ballotKey, { token: '55'.repeat(32), r: '03'.repeat(32), salt: '66'.repeat(32), choices: ['agree'] });
    expectExactly(withExtraCasts([cast]), ['INVALID_CHOICE']);
  });

  it('the honest assembler publishes an invalid opening as unopened, so the bundle verifies', () => {
    const cast = makeCast(ID, f.ballotKey, { token: '77'.repeat(32), r: '04'.repeat(32), salt: '88'.repeat(32), choices: ['agree', 'maybe'] });
    const b = reassemble((i) => i.ballots.push(clone(cast)));
    expect(b.ballots.find((x) => x.token === cast.token)!.opening).toBeNull();
    const r = verifyBundle(b);
    expect(r.ok).toBe(true);
    expect(r.tally!.invalid).toBe(2);
  });

  it('MERKLE_ROOT: a root that does not commit to the listed casts', () => {
    const b = clone(f.bundle);
    b.merkleRoot = toHex(leafHash(new Uint8Array(0)));
    expectExactly(resign(b), ['MERKLE_ROOT']);
  });

  it('TALLY_MISMATCH: an item count inflated (outcome unchanged)', () => {
    const b = clone(f.bundle);
    b.tally.items[0]!.counts.agree += 1;
    const r = expectExactly(resign(b), ['TALLY_MISMATCH']);
    expect(r.failures[0]!.detail).toContain('item-1');
  });

  it('TALLY_MISMATCH: each turnout figure changed', () => {
    for (const k of ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid'] as const) {
      const b = clone(f.bundle);
      b.tally[k] += 1;
      const r = expectExactly(resign(b), ['TALLY_MISMATCH']);
      expect(r.failures[0]!.detail).toContain(k);
    }
  });

  it('reports every failed check, not only the first', () => {
    const b = clone(f.bundle);
    [b.ballots[0], b.ballots[1]] = [b.ballots[1]!, b.ballots[0]!];
    b.tally.items[1]!.outcome = 'passed';
    b.merkleRoot = '00'.repeat(32);
    expectExactly(b, ['BUNDLE_SIGNATURE', 'SERVER_KEY', 'BALLOT_ORDER', 'MERKLE_ROOT', 'OUTCOME_MISMATCH'], { serverKey: '11'.repeat(32) });
  });
});

describe('checkReceipt', () => {
  const receiptFor = (i: number, serverSecretKey = f.serverKey.secretKey, ballotId = ID): Receipt => {
    const x = f.bundle.ballots[i]!;
    return signReceipt(serverSecretKey, ballotId, tokenHash(ID, fromHex(x.token, 32, 'token')), fromHex(x.commitment, 32, 'commitment'));
  };

  it('finds every cast, with an inclusion proof that verifies against the root', () => {
    const leaves = f.bundle.ballots.map((x) => leafHash(castLeaf(ID, x)));
    f.bundle.ballots.forEach((x, i) => {
      const c = checkReceipt(f.bundle, receiptFor(i));
      expect(c.status).toBe('included');
      if (c.status !== 'included') return;
      expect(c.index).toBe(i);
      expect(c.opened).toBe(x.opening !== null);
      const proof = c.proof.map((h) => fromHex(h, 32, 'proof'));
      expect(verifyInclusion(leaves[i]!, i, leaves.length, proof, fromHex(f.bundle.merkleRoot, 32, 'root'))).toBe(true);
    });
  });

  it("is 'missing' when the server dropped the cast and re-signed a consistent bundle", () => {
    const receipt = receiptFor(2);
    const b = clone(f.bundle);
    b.ballots.splice(2, 1);
    const dropped = recount(b);
    expect(verifyBundle(dropped).ok).toBe(true); // the bundle alone cannot show it…
    expect(checkReceipt(dropped, receipt)).toEqual({ status: 'missing' }); // …the receipt does
  });

  it("is 'missing' when the server swapped the cast's commitment", () => {
    const receipt = receiptFor(0);
    const b = clone(f.bundle);
    b.ballots[0]!.commitment = 'cd'.repeat(32);
    b.ballots[0]!.opening = null;
    expect(checkReceipt(recount(b), receipt)).toEqual({ status: 'missing' });
  });

  it("is 'invalid-receipt' for a tampered receipt", () => {
    const r = receiptFor(0);
    expect(checkReceipt(f.bundle, { ...r, commitment: 'ef'.repeat(32) })).toEqual({ status: 'invalid-receipt' });
    expect(checkReceipt(f.bundle, { ...r, signature: r.signature.slice(0, -2) + (r.signature.endsWith('00') ? '01' : '00') })).toEqual({
      status: 'invalid-receipt',
    });
    expect(checkReceipt(f.bundle, { ...r, tokenHash: r.tokenHash.toUpperCase() })).toEqual({ status: 'invalid-receipt' });
  });

  it("is 'other-ballot' and 'other-server' for genuine receipts of another ballot or server", () => {
    expect(checkReceipt(f.bundle, receiptFor(0, f.serverKey.secretKey, 'another-ballot'))).toEqual({ status: 'other-ballot' });
    expect(checkReceipt(f.bundle, receiptFor(0, new Uint8Array(32).fill(3)))).toEqual({ status: 'other-server' });
  });

  it("never throws: arbitrary receipts are 'invalid-receipt' (property)", () => {
    fc.assert(
      fc.property(fc.anything(), (r) => {
        expect(checkReceipt(f.bundle, r as Receipt)).toEqual({ status: 'invalid-receipt' });
      }),
      { numRuns: 200 },
    );
  });
});

describe('verifyBundle never throws', () => {
  it('on arbitrary values: MALFORMED, ok false (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), (v) => {
        const r = verifyBundle(v);
        expect(r.ok).toBe(false);
        expect(codes(r)).toEqual(['MALFORMED']);
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary JSON: MALFORMED, ok false (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(verifyBundle(v).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('when any one value inside the bundle is replaced by arbitrary JSON (property)', () => {
    // Unsigned, every change is caught. Signed by the server, the only changes that can pass are
    // to what the verifier has no way to know: names, titles, the meeting id, recusals, the rule,
    // and how many tokens (≥ 1) an issued member received.
    const free = [/^ballot\.(title|meetingId|recused|rule)\b/, /^ballot\.items\.\d+\.(nominee|post)$/, /^roster\.\d+\.(name|kind|memberId|issued)$/];
    type Path = (string | number)[];
    const paths: Path[] = [];
    const walk = (v: unknown, p: Path) => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(f.bundle, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths.slice(1)), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (path, value, sign) => {
        const b = clone(f.bundle) as unknown as Record<string | number, unknown>;
        let parent = b;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        const last = path.at(-1)!;
        // Same JSON text (e.g. -0 for 0) is the same published bundle.
        fc.pre(JSON.stringify(parent[last]) !== JSON.stringify(value));
        fc.pre(!(sign && path[0] === 'serverSignature')); // re-signing would undo the change
        parent[last] = value;
        const r = verifyBundle(sign ? trySign(b) : b);
        if (!sign) expect(r.ok).toBe(false);
        else if (r.ok) expect(free.some((re) => re.test(path.join('.'))), `passed after changing ${path.join('.')}`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
