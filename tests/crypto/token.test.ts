// Blind BLS tokens (crypto/token.ts, protocol §4): the blind → sign → unblind → verify round
// trip, domain separation by ballot, batch verification and bisection, and the exact
// CryptoInputError code of every bad input at every entry point.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  CryptoInputError, Fr, G1, blindToken, encodeScalar, findInvalidTokens, generateBallotKey, publicKeyOf,
  signBlinded, tokenHash, tokenPoint, unblindSignature, verifyToken, verifyTokensBatch,
  type BallotKeyPair, type SignedToken,
} from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';

const Fp = bls12_381.fields.Fp;
const BALLOT = 'ballot-a';

/** Expects `f` to throw a CryptoInputError with exactly `code` (and no other exception type). */
/** A 48-byte compressed G1 encoding of x with the given flag bits. */
function g1Bytes(x: bigint, flags = 0x80): Uint8Array {
  const b = Fp.toBytes(x);
  b[0]! |= flags;
  return b;
}

function seed(n: number, len = 32): Uint8Array {
  return new Uint8Array(len).fill(n);
}

/** Issue one valid signed token the way a device and the issuer do. */
function issue(key: BallotKeyPair, ballotId = BALLOT): SignedToken {
  const state = blindToken(ballotId);
  return { token: state.token, signature: unblindSignature(state, signBlinded(key.secretKey, state.blinded), key.publicKey) };
}

let key: BallotKeyPair;
let otherKey: BallotKeyPair;
let pool: SignedToken[];

beforeAll(() => {
  key = generateBallotKey(seed(1));
  otherKey = generateBallotKey(seed(2));
  pool = Array.from({ length: 6 }, () => issue(key));
});

describe('generateBallotKey', () => {
  it('derives the same key from the same seed and a different key from another seed', () => {
    const a = generateBallotKey(seed(7));
    expect(generateBallotKey(seed(7))).toEqual(a);
    expect(generateBallotKey(seed(8)).secretKey).not.toEqual(a.secretKey);
    expect(publicKeyOf(a.secretKey)).toEqual(a.publicKey);
  });

  it('gives fresh random keys without a seed', () => {
    expect(generateBallotKey().secretKey).not.toEqual(generateBallotKey().secretKey);
  });

  it('throws BAD_LENGTH for a seed shorter than 32 bytes', () => expectCode(() => generateBallotKey(seed(1, 31)), 'BAD_LENGTH'));
  it('throws BAD_TYPE for a seed that is not a Uint8Array', () =>
    expectCode(() => generateBallotKey([1, 2, 3] as unknown as Uint8Array), 'BAD_TYPE'));
});

describe('publicKeyOf', () => {
  it('throws SCALAR_RANGE for a zero secret key', () => expectCode(() => publicKeyOf(new Uint8Array(32)), 'SCALAR_RANGE'));
  it('throws SCALAR_RANGE for a secret key ≥ r', () => expectCode(() => publicKeyOf(new Uint8Array(32).fill(0xff)), 'SCALAR_RANGE'));
  it('throws BAD_LENGTH for a 31-byte secret key', () => expectCode(() => publicKeyOf(new Uint8Array(31).fill(1)), 'BAD_LENGTH'));
});

describe('blind → sign → unblind → verify', () => {
  it('round-trips for random tokens and blinding factors (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt(1n, Fr.ORDER - 1n), (token, r) => {
        const state = blindToken(BALLOT, { token, r: encodeScalar(r) });
        const sigma = unblindSignature(state, signBlinded(key.secretKey, state.blinded), key.publicKey);
        expect(verifyToken(key.publicKey, BALLOT, token, sigma)).toBe(true);
        // σ is the plain BLS signature sk·M, whatever r was.
        const sk = BigInt('0x' + Buffer.from(key.secretKey).toString('hex'));
        expect(sigma).toEqual(tokenPoint(BALLOT, token).multiply(sk).toBytes(true));
      }),
      { numRuns: 10 },
    );
  });

  it('blinds the same token differently with different r', () => {
    const token = seed(9);
    const a = blindToken(BALLOT, { token, r: encodeScalar(5n) });
    const b = blindToken(BALLOT, { token, r: encodeScalar(6n) });
    expect(a.blinded).not.toEqual(b.blinded);
  });

  it('unblind refuses a blind signature made with another key (BAD_SIGNATURE)', () => {
    const state = blindToken(BALLOT);
    expectCode(() => unblindSignature(state, signBlinded(otherKey.secretKey, state.blinded), key.publicKey), 'BAD_SIGNATURE');
  });

  it('unblind refuses a malformed public key as BAD_SIGNATURE', () => {
    const state = blindToken(BALLOT);
    expectCode(() => unblindSignature(state, signBlinded(key.secretKey, state.blinded), new Uint8Array(96)), 'BAD_SIGNATURE');
  });

  it('a token signed for ballot A does not verify on ballot B, even under the same key', () => {
    const t = issue(key, 'ballot-A');
    expect(verifyToken(key.publicKey, 'ballot-A', t.token, t.signature)).toBe(true);
    expect(verifyToken(key.publicKey, 'ballot-B', t.token, t.signature)).toBe(false);
  });

  it('verifyToken is false under another key, for another token, and for any garbage', () => {
    const t = pool[0]!;
    expect(verifyToken(otherKey.publicKey, BALLOT, t.token, t.signature)).toBe(false);
    expect(verifyToken(key.publicKey, BALLOT, pool[1]!.token, t.signature)).toBe(false);
    expect(verifyToken(key.publicKey, BALLOT, t.token, G1.BASE.toBytes(true))).toBe(false);
    expect(verifyToken(new Uint8Array(96), BALLOT, t.token, t.signature)).toBe(false);
    expect(verifyToken(key.publicKey, 'not an id', t.token, t.signature)).toBe(false);
    expect(verifyToken(key.publicKey, BALLOT, t.token.slice(1), t.signature)).toBe(false);
    expect(verifyToken(null as unknown as Uint8Array, BALLOT, t.token, t.signature)).toBe(false);
  });

  it('verifyToken never throws on arbitrary arguments (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (pk, id, tok, sig) => {
        expect(verifyToken(pk as Uint8Array, id as string, tok as Uint8Array, sig as Uint8Array)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('tokenHash and tokenPoint', () => {
  it('depend on both the ballot id and the token', () => {
    const t = seed(3);
    expect(tokenHash('a', t)).not.toEqual(tokenHash('b', t));
    expect(tokenHash('a', t)).not.toEqual(tokenHash('a', seed(4)));
    expect(tokenPoint('a', t).equals(tokenPoint('b', t))).toBe(false);
  });

  it('throw BAD_VALUE for a ballot id that is not an id', () => {
    expectCode(() => tokenHash('a b', seed(3)), 'BAD_VALUE');
    expectCode(() => tokenPoint('', seed(3)), 'BAD_VALUE');
  });

  it('throw BAD_LENGTH for a 31-byte token and BAD_TYPE for a string token', () => {
    expectCode(() => tokenHash('a', seed(3, 31)), 'BAD_LENGTH');
    expectCode(() => tokenPoint('a', 'ab' as unknown as Uint8Array), 'BAD_TYPE');
  });
});

describe('blindToken bad input', () => {
  it('throws BAD_LENGTH for a fixed token of 33 bytes', () => expectCode(() => blindToken(BALLOT, { token: seed(1, 33) }), 'BAD_LENGTH'));
  it('throws SCALAR_RANGE for r = 0', () => expectCode(() => blindToken(BALLOT, { r: new Uint8Array(32) }), 'SCALAR_RANGE'));
  it('throws SCALAR_RANGE for r = r_order', () => {
    const order = Fr.ORDER.toString(16).padStart(64, '0');
    expectCode(() => blindToken(BALLOT, { r: Uint8Array.from(Buffer.from(order, 'hex')) }), 'SCALAR_RANGE');
  });
  it('throws BAD_VALUE for a bad ballot id', () => expectCode(() => blindToken('bad/id'), 'BAD_VALUE'));
});

describe('signBlinded bad input', () => {
  const blinded = () => blindToken(BALLOT, { token: seed(5), r: encodeScalar(3n) }).blinded;

  it('throws BAD_LENGTH for a 47-byte blinded point', () => expectCode(() => signBlinded(key.secretKey, blinded().slice(1)), 'BAD_LENGTH'));
  it('throws BAD_LENGTH for the 96-byte uncompressed encoding', () =>
    expectCode(() => signBlinded(key.secretKey, G1.BASE.toBytes(false)), 'BAD_LENGTH'));
  it('throws POINT_NOT_COMPRESSED when the compression flag is clear', () => {
    const b = blinded();
    b[0]! &= 0x7f;
    expectCode(() => signBlinded(key.secretKey, b), 'POINT_NOT_COMPRESSED');
  });
  it('throws POINT_NOT_ON_CURVE for an x with no curve point (x = 1)', () =>
    expectCode(() => signBlinded(key.secretKey, g1Bytes(1n)), 'POINT_NOT_ON_CURVE'));
  it('throws POINT_NOT_IN_SUBGROUP for a curve point outside G1 (x = 4)', () =>
    expectCode(() => signBlinded(key.secretKey, g1Bytes(4n)), 'POINT_NOT_IN_SUBGROUP'));
  it('throws POINT_IDENTITY for the point at infinity', () => expectCode(() => signBlinded(key.secretKey, g1Bytes(0n, 0xc0)), 'POINT_IDENTITY'));
  it('throws POINT_NOT_CANONICAL for x ≥ p', () => expectCode(() => signBlinded(key.secretKey, g1Bytes(Fp.ORDER + 1n)), 'POINT_NOT_CANONICAL'));
  it('throws POINT_NOT_CANONICAL for infinity with the sort flag set', () =>
    expectCode(() => signBlinded(key.secretKey, g1Bytes(0n, 0xe0)), 'POINT_NOT_CANONICAL'));
  it('throws BAD_TYPE for a blinded point given as hex', () =>
    expectCode(() => signBlinded(key.secretKey, 'ab'.repeat(48) as unknown as Uint8Array), 'BAD_TYPE'));
  it('throws SCALAR_RANGE for a zero secret key', () => expectCode(() => signBlinded(new Uint8Array(32), blinded()), 'SCALAR_RANGE'));
  it('throws BAD_LENGTH for a 31-byte secret key', () => expectCode(() => signBlinded(key.secretKey.slice(1), blinded()), 'BAD_LENGTH'));

  it('throws only CryptoInputError for random 48-byte inputs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (b) => {
        try {
          signBlinded(key.secretKey, b);
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoInputError);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('unblindSignature bad input', () => {
  it('throws a POINT_* code for a bad blind signature, never another type', () => {
    const state = blindToken(BALLOT);
    expectCode(() => unblindSignature(state, g1Bytes(4n), key.publicKey), 'POINT_NOT_IN_SUBGROUP');
    expectCode(() => unblindSignature(state, g1Bytes(0n, 0xc0), key.publicKey), 'POINT_IDENTITY');
    expectCode(() => unblindSignature(state, new Uint8Array(48), key.publicKey), 'POINT_NOT_COMPRESSED');
  });
  it('throws SCALAR_RANGE for a state whose r was zeroed', () => {
    const state = { ...blindToken(BALLOT), r: new Uint8Array(32) };
    expectCode(() => unblindSignature(state, signBlinded(key.secretKey, blindToken(BALLOT).blinded), key.publicKey), 'SCALAR_RANGE');
  });
});

describe('verifyTokensBatch and findInvalidTokens', () => {
  /** A forgery: a valid signature of another token, so the point itself decodes fine. */
  const forge = (i: number): SignedToken => ({ token: pool[i]!.token, signature: pool[(i + 1) % pool.length]!.signature });

  it('verifyTokensBatch is true for all-valid tokens and for an empty batch', () => {
    expect(verifyTokensBatch(key.publicKey, BALLOT, pool)).toBe(true);
    expect(verifyTokensBatch(key.publicKey, BALLOT, [])).toBe(true);
  });

  it('verifyTokensBatch is false with one forged signature', () => {
    const items = [...pool];
    items[2] = forge(2);
    expect(verifyTokensBatch(key.publicKey, BALLOT, items)).toBe(false);
  });

  it('verifyTokensBatch is false under another key or on another ballot', () => {
    expect(verifyTokensBatch(otherKey.publicKey, BALLOT, pool)).toBe(false);
    expect(verifyTokensBatch(key.publicKey, 'ballot-other', pool)).toBe(false);
  });

  it('findInvalidTokens returns exactly the forged indices and agrees with verifyToken one by one (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: pool.length }).chain((n) =>
          fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat(n - 1), { maxLength: n })),
        ),
        ([n, forged]) => {
          const items = pool.slice(0, n).map((t, i) => (forged.includes(i) ? forge(i) : t));
          const bad = findInvalidTokens(key.publicKey, BALLOT, items);
          expect(bad).toEqual([...forged].sort((a, b) => a - b));
          const oneByOne = items.flatMap((t, i) => (verifyToken(key.publicKey, BALLOT, t.token, t.signature) ? [] : [i]));
          expect(bad).toEqual(oneByOne);
          expect(verifyTokensBatch(key.publicKey, BALLOT, items)).toBe(forged.length === 0);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('findInvalidTokens names malformed entries without throwing', () => {
    const items: SignedToken[] = [
      pool[0]!,
      { token: pool[1]!.token, signature: g1Bytes(4n) },
      { token: pool[2]!.token.slice(1), signature: pool[2]!.signature },
      null as unknown as SignedToken,
      pool[3]!,
    ];
    expect(findInvalidTokens(key.publicKey, BALLOT, items)).toEqual([1, 2, 3]);
    expect(verifyTokensBatch(key.publicKey, BALLOT, items)).toBe(false);
  });

  it('findInvalidTokens marks every index invalid under a malformed key', () => {
    expect(findInvalidTokens(new Uint8Array(96), BALLOT, pool.slice(0, 3))).toEqual([0, 1, 2]);
  });

  it('two forgeries that cancel in an unweighted sum are both caught', () => {
    // σ₀' = σ₀ + D and σ₁' = σ₁ − D: Σσ' = Σσ, so only the random coefficients catch them.
    const D = G1.BASE.multiply(12345n);
    const [a, b] = [pool[0]!, pool[1]!];
    const items = [
      { token: a.token, signature: G1.fromBytes(a.signature).add(D).toBytes(true) },
      { token: b.token, signature: G1.fromBytes(b.signature).subtract(D).toBytes(true) },
    ];
    expect(findInvalidTokens(key.publicKey, BALLOT, items)).toEqual([0, 1]);
  });
});
