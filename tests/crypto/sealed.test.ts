// Sealed selection vectors (crypto/sealed.ts, protocol §5): shapes, sealing and verification
// round trips, an independent prover written from the spec (accepted by the verifier), a
// failing check for every way a ballot can be wrong (each challenge and response, swapped
// ciphertexts and entries, proofs moved to another position, token, ballot or key, entries
// encrypting 2 or −1, group sums outside [min, max]), the wire decoder's exact codes, and the
// verifier's own arithmetic against noble's.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../crypto/bytes.ts';
import { DST_BALLOT_HASH, DST_BALLOT_PROOF } from '../../crypto/dst.ts';
import { fields, message, u32be } from '../../crypto/encoding.ts';
import { BASE, ELL, RP, decodeElement, encodeExponent, hashToExponent, modL, randomExponent, type Element } from '../../crypto/group.ts';
import {
  _encodeDoubledForTest, _walkForTest, ballotHash, checkShape, ciphertextFromHex, ciphertextToHex, decodeCiphertext,
  decodeSumCiphertext, encodeCiphertext, encodeSealedBallot, parseSealedBallot, sealBallot, sealedBallotBytes,
  sumCiphertextFromHex, sumCiphertexts, verifySealedBallot,
  type BallotShape, type Ciphertext, type IntervalProof, type SealContext, type SealedBallot,
} from '../../crypto/sealed.ts';
import { expectCode } from '../helpers/expect-code.ts';

const BALLOT = 'ballot-s';
const SUM_INDEX = 0xffffffff;

const x = randomExponent();
const Y = BASE.multiply(x);
const KEY = Y.toBytes();
const OTHER_KEY = BASE.multiply(randomExponent()).toBytes();
const TOKEN = sha256(utf8('token-1'));
const TOKEN2 = sha256(utf8('token-2'));
const ctx: SealContext = { ballotId: BALLOT, electionKey: KEY, tokenHash: TOKEN };

const group = (size: number, min: number, max: number) => ({ size, min, max });
/** Decision ballot: three nominees, agree / disagree / abstain, exactly one each. */
const DECISION: BallotShape = checkShape({ groups: [group(3, 1, 1), group(3, 1, 1), group(3, 1, 1)] });
/** Recommendation: pick at most 2 of 4. */
const PICK: BallotShape = checkShape({ groups: [group(4, 0, 2)] });
const DECISION_VOTE = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

const mulG = (j: number): Element => (j === 0 ? RP.ZERO : j > 0 ? BASE.multiply(BigInt(j)) : BASE.multiply(BigInt(-j)).negate());

// ── An independent prover, written from protocol §5.3 (not from crypto/sealed.ts) ─────────

function contextOf(c: SealContext, g: number, e: number): Uint8Array {
  return fields(utf8(c.ballotId), c.electionKey, c.tokenHash, u32be(g), u32be(e));
}

/**
 * The spec's prover: simulated branches j ≠ m, the real branch m with A_m = w·G, B_m = w·Y.
 * For m outside [lo, hi] this is the best a cheater can do: it answers branch lo as if it were
 * real, which it cannot be.
 */
function specProve(context: Uint8Array, alpha: Element, beta: Element, lo: number, hi: number, m: number, r: bigint): IntervalProof {
  const real = m >= lo && m <= hi ? m : lo;
  const cs: bigint[] = [];
  const ss: bigint[] = [];
  const commits: Uint8Array[] = [];
  const w = randomExponent();
  for (let j = lo; j <= hi; j++) {
    if (j === real) {
      commits.push(BASE.multiply(w).toBytes(), Y.multiply(w).toBytes());
      cs.push(0n);
      ss.push(0n);
      continue;
    }
    const c = randomExponent();
    const s = randomExponent();
    commits.push(BASE.multiply(s).subtract(alpha.multiply(c)).toBytes(), Y.multiply(s).subtract(beta.subtract(mulG(j)).multiply(c)).toBytes());
    cs.push(c);
    ss.push(s);
  }
  const c = hashToExponent(DST_BALLOT_PROOF, context, u32be(lo), u32be(hi), alpha.toBytes(), beta.toBytes(), ...commits);
  const cm = modL(c - cs.reduce((a, b) => a + b, 0n));
  cs[real - lo] = cm;
  ss[real - lo] = modL(w + cm * r);
  return { lo, hi, challenges: cs, responses: ss };
}

/** Encrypt any integer m (also 2 or −1): α = r·G, β = m·G + r·Y. */
function encrypt(m: number): { ct: Ciphertext; r: bigint } {
  const r = randomExponent();
  return { ct: { alpha: BASE.multiply(r), beta: mulG(m).add(Y.multiply(r)) }, r };
}

/** A ballot built by the spec prover from any integer values, with honest proof attempts throughout. */
function specBallot(c: SealContext, shape: BallotShape, values: readonly (readonly number[])[]): SealedBallot {
  return {
    groups: shape.groups.map((g, gi) => {
      let R = 0n;
      let M = 0;
      let A = RP.ZERO;
      let B = RP.ZERO;
      const entries = values[gi]!.map((m, ei) => {
        const { ct, r } = encrypt(m);
        R = modL(R + r);
        M += m;
        A = A.add(ct.alpha);
        B = B.add(ct.beta);
        return { ciphertext: ct, proof: specProve(contextOf(c, gi, ei), ct.alpha, ct.beta, 0, 1, m, r) };
      });
      return { entries, sumProof: specProve(contextOf(c, gi, SUM_INDEX), A, B, g.min, g.max, M, R) };
    }),
  };
}

/** Byte offsets of every exponent (challenge, response) in a sealed ballot of `shape`. */
function exponentOffsets(shape: BallotShape): number[] {
  const out: number[] = [];
  let off = 0;
  for (const g of shape.groups) {
    for (let e = 0; e < g.size; e++) {
      off += 64;
      for (let k = 0; k < 4; k++, off += 32) out.push(off);
    }
    for (let k = 0; k < 2 * (g.max - g.min + 1); k++, off += 32) out.push(off);
  }
  return out;
}

/** Byte offset of entry e of group g (its α). */
function entryOffset(shape: BallotShape, g: number, e: number): number {
  let off = 0;
  for (let i = 0; i < g; i++) off += shape.groups[i]!.size * 192 + 64 * (shape.groups[i]!.max - shape.groups[i]!.min + 1);
  return off + 192 * e;
}

function leInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

const sealed: Uint8Array = sealBallot(ctx, DECISION, DECISION_VOTE);

// ── Shapes ────────────────────────────────────────────────────────────────────────────────

describe('checkShape', () => {
  it('accepts the three ballot kinds and returns a normalised copy', () => {
    const s = { groups: [group(3, 1, 1)] };
    const c = checkShape(s);
    expect(c).toEqual(s);
    expect(c).not.toBe(s);
    expect(checkShape({ groups: [group(20, 0, 5)] }).groups[0]).toEqual(group(20, 0, 5));
    expect(checkShape({ groups: Array.from({ length: 200 }, () => group(4, 1, 1)) }).groups).toHaveLength(200);
    expect(checkShape({ groups: Array.from({ length: 5 }, () => group(200, 0, 200)) }).groups).toHaveLength(5);
  });

  it('refuses a malformed shape with BAD_VALUE', () => {
    for (const bad of [
      null, 3, 'x', [], {}, { groups: [] }, { groups: 'x' }, { groups: [group(3, 1, 1)], extra: 1 },
      { groups: [{ size: 3, min: 1 }] }, { groups: [{ ...group(3, 1, 1), other: 0 }] },
      { groups: [group(0, 0, 0)] }, { groups: [group(3, 2, 1)] }, { groups: [group(3, -1, 1)] }, { groups: [group(3, 1, 4)] },
      { groups: [group(3.5, 1, 1)] }, { groups: [group(3, 1, 1.5)] }, { groups: [{ size: '3', min: 1, max: 1 }] },
    ])
      expectCode(() => checkShape(bad), 'BAD_VALUE');
  });

  it('refuses too many groups or entries with BAD_LENGTH', () => {
    expectCode(() => checkShape({ groups: Array.from({ length: 201 }, () => group(1, 0, 1)) }), 'BAD_LENGTH');
    expectCode(() => checkShape({ groups: [group(201, 0, 1)] }), 'BAD_LENGTH');
    expectCode(() => checkShape({ groups: Array.from({ length: 6 }, () => group(167, 0, 1)) }), 'BAD_LENGTH');
  });

  it('sealedBallotBytes: 192 bytes per entry and 64 per sum-proof branch', () => {
    expect(sealedBallotBytes(DECISION)).toBe(9 * 192 + 3 * 64);
    expect(sealedBallotBytes(PICK)).toBe(4 * 192 + 3 * 64);
    expect(sealBallot(ctx, PICK, [[0, 1, 0, 1]])).toHaveLength(sealedBallotBytes(PICK));
  });
});

// ── Round trips ───────────────────────────────────────────────────────────────────────────

describe('sealBallot → parseSealedBallot → verifySealedBallot', () => {
  it('a decision ballot seals to the fixed size, parses, re-encodes identically and verifies', () => {
    expect(sealed).toHaveLength(sealedBallotBytes(DECISION));
    const parsed = parseSealedBallot(DECISION, sealed);
    expect(encodeSealedBallot(DECISION, parsed)).toEqual(sealed);
    expect(verifySealedBallot(ctx, DECISION, sealed)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, parsed)).toBe(true);
  });

  it('random shapes with random valid selections seal and verify (property)', () => {
    const groupArb = fc
      .integer({ min: 1, max: 4 })
      .chain((size) => fc.integer({ min: 0, max: size }).chain((min) => fc.record({ size: fc.constant(size), min: fc.constant(min), max: fc.integer({ min, max: size }) })));
    const caseArb = fc.array(groupArb, { minLength: 1, maxLength: 3 }).chain((groups) =>
      fc.tuple(
        fc.constant(groups),
        fc.tuple(
          ...groups.map((g) =>
            fc.integer({ min: g.min, max: g.max }).chain((k) =>
              fc.shuffledSubarray([...Array(g.size).keys()], { minLength: k, maxLength: k }).map((on) => Array.from({ length: g.size }, (_, i) => (on.includes(i) ? 1 : 0))),
            ),
          ),
        ),
      ),
    );
    fc.assert(
      fc.property(caseArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), ([groups, selections], tokenHash) => {
        const shape = checkShape({ groups });
        const c = { ...ctx, tokenHash };
        const bytes = sealBallot(c, shape, selections);
        expect(bytes).toHaveLength(sealedBallotBytes(shape));
        expect(verifySealedBallot(c, shape, bytes)).toBe(true);
        expect(verifySealedBallot({ ...c, tokenHash: TOKEN2 }, shape, bytes)).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('ballots built by the independent spec prover verify (also with non-normalised points)', () => {
    const b = specBallot(ctx, DECISION, DECISION_VOTE);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, encodeSealedBallot(DECISION, b))).toBe(true);
    const p = specBallot(ctx, PICK, [[0, 0, 0, 0]]);
    expect(verifySealedBallot(ctx, PICK, encodeSealedBallot(PICK, p))).toBe(true);
  });

  it('two seals of the same selections differ (fresh randomness), with opts.random they are reproducible', () => {
    expect(sealBallot(ctx, DECISION, DECISION_VOTE)).not.toEqual(sealed);
    const counter = () => {
      let n = 0n;
      return () => modL(0x1234567890abcdefn * ++n + 7n) || 1n;
    };
    const a = sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: counter() });
    expect(sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: counter() })).toEqual(a);
    expect(verifySealedBallot(ctx, PICK, a)).toBe(true);
    expectCode(() => sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: () => 0n }), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, PICK, [[1, 0, 0, 1]], { random: () => ELL }), 'BAD_VALUE');
  });
});

describe('sealBallot refuses what a tablet must never send', () => {
  it('selections that do not fit the shape: BAD_VALUE', () => {
    for (const bad of [
      [[1, 0, 0], [0, 1, 0]], // a group missing
      [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], // a group too many
      [[1, 0], [0, 1, 0], [0, 0, 1]], // an entry missing
      [[1, 0, 0, 0], [0, 1, 0], [0, 0, 1]], // an entry too many
      [[2, 0, 0], [0, 1, 0], [0, 0, 1]], // entry 2
      [[-1, 1, 1], [0, 1, 0], [0, 0, 1]], // entry −1 (sum still 1)
      [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]],
      [[true, 0, 0], [0, 1, 0], [0, 0, 1]],
      [[1, 1, 0], [0, 1, 0], [0, 0, 1]], // two selections in a [1, 1] group
      [[0, 0, 0], [0, 1, 0], [0, 0, 1]], // none in a [1, 1] group
      'x', null,
    ])
      expectCode(() => sealBallot(ctx, DECISION, bad as number[][]), 'BAD_VALUE');
    expectCode(() => sealBallot(ctx, PICK, [[1, 1, 1, 0]]), 'BAD_VALUE');
  });

  it('a bad context or shape', () => {
    expectCode(() => sealBallot({ ...ctx, ballotId: 'a b' }, DECISION, DECISION_VOTE), 'BAD_VALUE');
    expectCode(() => sealBallot({ ...ctx, electionKey: new Uint8Array(32) }, DECISION, DECISION_VOTE), 'POINT_IDENTITY');
    expectCode(() => sealBallot({ ...ctx, electionKey: KEY.slice(1) }, DECISION, DECISION_VOTE), 'BAD_LENGTH');
    expectCode(() => sealBallot({ ...ctx, tokenHash: TOKEN.slice(1) }, DECISION, DECISION_VOTE), 'BAD_LENGTH');
    expectCode(() => sealBallot(ctx, { groups: [] }, []), 'BAD_VALUE');
  });
});

// ── A failing check for every way a ballot can be wrong ──────────────────────────────────

describe('verifySealedBallot refuses', () => {
  it('any challenge or response changed by one, anywhere in the ballot', () => {
    const offsets = exponentOffsets(DECISION);
    expect(offsets).toHaveLength(9 * 4 + 3 * 2);
    for (const off of offsets) {
      const b = sealed.slice();
      b.set(encodeExponent(modL(leInt(b.subarray(off, off + 32)) + 1n)), off);
      expect(verifySealedBallot(ctx, DECISION, b), `exponent at ${off}`).toBe(false);
    }
  });

  it('a challenge replaced by its non-reduced equivalent c + ℓ (SCALAR_RANGE, no malleability)', () => {
    const off = exponentOffsets(DECISION)[0]!;
    const b = sealed.slice();
    b.set(le32(leInt(b.subarray(off, off + 32)) + ELL), off);
    expectCode(() => parseSealedBallot(DECISION, b), 'SCALAR_RANGE');
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a ciphertext swapped between two entries (proofs left in place)', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 64), e0);
    b.set(sealed.subarray(e0, e0 + 64), e1);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('whole entries (ciphertext and proof) swapped within a group: the group sum is unchanged, the position binding fails', () => {
    const b = sealed.slice();
    const [e0, e1] = [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 0, 1)];
    b.set(sealed.subarray(e1, e1 + 192), e0);
    b.set(sealed.subarray(e0, e0 + 192), e1);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('whole groups swapped', () => {
    const g = sealedBallotBytes(DECISION) / 3;
    const b = sealed.slice();
    b.set(sealed.subarray(g, 2 * g), 0);
    b.set(sealed.subarray(0, g), g);
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('a ballot moved to another token, ballot or election key', () => {
    expect(verifySealedBallot({ ...ctx, tokenHash: TOKEN2 }, DECISION, sealed)).toBe(false);
    expect(verifySealedBallot({ ...ctx, ballotId: 'ballot-t' }, DECISION, sealed)).toBe(false);
    expect(verifySealedBallot({ ...ctx, electionKey: OTHER_KEY }, DECISION, sealed)).toBe(false);
  });

  it('an entry copied from another ballot under another token, at the same position', () => {
    const other = sealBallot({ ...ctx, tokenHash: TOKEN2 }, DECISION, DECISION_VOTE);
    const b = sealed.slice();
    const e = entryOffset(DECISION, 1, 1);
    b.set(other.subarray(e, e + 192), e); // same vote, so the group sum still encrypts 1
    expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
  });

  it('an entry encrypting 2 or −1 (group sum still in range)', () => {
    const control = specBallot(ctx, DECISION, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(verifySealedBallot(ctx, DECISION, control)).toBe(true);
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[2, -1, 0], [0, 1, 0], [0, 0, 1]]))).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 0], [-1, 1, 1], [0, 0, 1]]))).toBe(false);
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[2, 0, 0, 0]]))).toBe(false);
  });

  it('a group sum outside [min, max] with valid 0/1 proofs', () => {
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 1], [0, 1, 0], [0, 0, 1]]))).toBe(false); // 2 in [1, 1]
    expect(verifySealedBallot(ctx, DECISION, specBallot(ctx, DECISION, [[1, 0, 0], [0, 0, 0], [0, 0, 1]]))).toBe(false); // 0 in [1, 1]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 1, 0]]))).toBe(false); // 3 in [0, 2]
    expect(verifySealedBallot(ctx, PICK, specBallot(ctx, PICK, [[1, 1, 0, 0]]))).toBe(true); // control
  });

  it('a sum proof for another range or a structure that does not match the shape', () => {
    const p = parseSealedBallot(DECISION, sealed);
    const g0 = p.groups[0]!;
    const wide = { lo: 1, hi: 2, challenges: [...g0.sumProof.challenges, 0n], responses: [...g0.sumProof.responses, 0n] };
    expect(verifySealedBallot(ctx, DECISION, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] })).toBe(false);
    expectCode(() => encodeSealedBallot(DECISION, { groups: [{ ...g0, sumProof: wide }, ...p.groups.slice(1)] }), 'BAD_VALUE');
    expect(verifySealedBallot(ctx, DECISION, { groups: p.groups.slice(1) })).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, { groups: [{ ...g0, entries: g0.entries.slice(1) }, ...p.groups.slice(1)] })).toBe(false);
    expect(verifySealedBallot(ctx, PICK, sealed)).toBe(false);
  });

  it('a parsed ballot with an identity element or an exponent ≥ ℓ', () => {
    const p = parseSealedBallot(DECISION, sealed);
    const g0 = p.groups[0]!;
    const e0 = g0.entries[0]!;
    const withEntry = (entry: (typeof g0.entries)[number]): SealedBallot => ({ groups: [{ ...g0, entries: [entry, ...g0.entries.slice(1)] }, ...p.groups.slice(1)] });
    expect(verifySealedBallot(ctx, DECISION, withEntry({ ...e0, ciphertext: { alpha: RP.ZERO, beta: e0.ciphertext.beta } }))).toBe(false);
    expect(verifySealedBallot(ctx, DECISION, withEntry({ ...e0, proof: { ...e0.proof, challenges: [e0.proof.challenges[0]! + ELL, e0.proof.challenges[1]!] } }))).toBe(false);
    expectCode(() => encodeSealedBallot(DECISION, withEntry({ ...e0, ciphertext: { alpha: RP.ZERO, beta: e0.ciphertext.beta } })), 'POINT_IDENTITY');
    expectCode(() => encodeSealedBallot(DECISION, withEntry({ ...e0, proof: { ...e0.proof, responses: [ELL, 0n] } })), 'SCALAR_RANGE');
  });

  it('never throws, whatever the arguments (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (c, s, b) => {
        expect(verifySealedBallot(c as SealContext, s as BallotShape, b as Uint8Array)).toBe(false);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1920, maxLength: 1920 }), (b) => {
        expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});

// ── The wire decoder ──────────────────────────────────────────────────────────────────────

describe('parseSealedBallot codes', () => {
  const withBytes = (off: number, bytes: Uint8Array) => {
    const b = sealed.slice();
    b.set(bytes, off);
    return b;
  };
  const P = 2n ** 255n - 19n;

  it('truncated or extended bytes: BAD_LENGTH (and verify is false)', () => {
    for (const b of [sealed.slice(0, -1), sealed.slice(0, -64), new Uint8Array([...sealed, 0]), new Uint8Array(0)]) {
      expectCode(() => parseSealedBallot(DECISION, b), 'BAD_LENGTH');
      expect(verifySealedBallot(ctx, DECISION, b)).toBe(false);
    }
    expectCode(() => parseSealedBallot(DECISION, 'ab' as unknown as Uint8Array), 'BAD_TYPE');
  });

  it('a non-canonical element (s ≥ p, or s negative): POINT_NOT_CANONICAL', () => {
    for (const off of [entryOffset(DECISION, 0, 0), entryOffset(DECISION, 2, 2) + 32]) {
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(P))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(P + 2n))), 'POINT_NOT_CANONICAL');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(1n))), 'POINT_NOT_CANONICAL');
      expect(verifySealedBallot(ctx, DECISION, withBytes(off, le32(P)))).toBe(false);
    }
  });

  it('the identity element: POINT_IDENTITY', () => {
    expectCode(() => parseSealedBallot(DECISION, withBytes(entryOffset(DECISION, 1, 0), new Uint8Array(32))), 'POINT_IDENTITY');
    expectCode(() => parseSealedBallot(DECISION, withBytes(entryOffset(DECISION, 1, 0) + 32, new Uint8Array(32))), 'POINT_IDENTITY');
  });

  it('a canonical string that is no element: POINT_NOT_ON_CURVE', () => {
    let s = 2n;
    for (;; s += 2n) {
      try {
        decodeElement(le32(s));
      } catch {
        break;
      }
    }
    expectCode(() => parseSealedBallot(DECISION, withBytes(entryOffset(DECISION, 0, 1), le32(s))), 'POINT_NOT_ON_CURVE');
  });

  it('an exponent ≥ ℓ: SCALAR_RANGE, for a challenge, a response and a sum-proof exponent', () => {
    const offs = exponentOffsets(DECISION);
    for (const off of [offs[0]!, offs[1]!, offs[offs.length - 1]!]) {
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, le32(ELL))), 'SCALAR_RANGE');
      expectCode(() => parseSealedBallot(DECISION, withBytes(off, new Uint8Array(32).fill(0xff))), 'SCALAR_RANGE');
    }
    expect(parseSealedBallot(DECISION, withBytes(offs[0]!, le32(ELL - 1n)))).toBeDefined();
  });
});

// ── Hash, sums and ciphertext encodings ───────────────────────────────────────────────────

describe('ballotHash', () => {
  it('is SHA-256(message(DST_BALLOT_HASH, utf8(ballotId), bytes)) and depends on both', () => {
    const h = ballotHash(BALLOT, sealed);
    expect(h).toEqual(sha256(message(DST_BALLOT_HASH, utf8(BALLOT), sealed)));
    expect(h).toHaveLength(32);
    expect(ballotHash('ballot-t', sealed)).not.toEqual(h);
    const b = sealed.slice();
    b[5]! ^= 1;
    expect(ballotHash(BALLOT, b)).not.toEqual(h);
  });
  it('refuses a bad id (BAD_VALUE) and non-bytes (BAD_TYPE)', () => {
    expectCode(() => ballotHash('a/b', sealed), 'BAD_VALUE');
    expectCode(() => ballotHash(BALLOT, [1, 2] as unknown as Uint8Array), 'BAD_TYPE');
  });
});

describe('sumCiphertexts', () => {
  it('is (identity, identity) per entry for no ballots', () => {
    const sums = sumCiphertexts(DECISION, []);
    expect(sums).toHaveLength(9);
    for (const c of sums) {
      expect(c.alpha.equals(RP.ZERO)).toBe(true);
      expect(c.beta.equals(RP.ZERO)).toBe(true);
      expect(encodeCiphertext(c)).toEqual(new Uint8Array(64));
    }
  });

  it('is the entry-wise sum, flattened group by group, and decrypts to the counts with x', () => {
    const votes = [DECISION_VOTE, [[0, 1, 0], [0, 1, 0], [1, 0, 0]], [[1, 0, 0], [0, 0, 1], [0, 0, 1]]];
    const ballots = votes.map((v) => parseSealedBallot(DECISION, sealBallot(ctx, DECISION, v)));
    const sums = sumCiphertexts(DECISION, ballots);
    const flat = ballots.map((b) => b.groups.flatMap((g) => g.entries.map((e) => e.ciphertext)));
    sums.forEach((c, k) => {
      expect(c.alpha.equals(flat.reduce((a, f) => a.add(f[k]!.alpha), RP.ZERO))).toBe(true);
      const m = votes.reduce((a, v) => a + v[Math.floor(k / 3)]![k % 3]!, 0);
      expect(c.beta.subtract(c.alpha.multiply(x)).equals(mulG(m))).toBe(true);
    });
  });

  it('refuses a ballot of another structure (BAD_VALUE)', () => {
    const p = parseSealedBallot(DECISION, sealed);
    expectCode(() => sumCiphertexts(DECISION, [{ groups: p.groups.slice(1) }]), 'BAD_VALUE');
    expectCode(() => sumCiphertexts(PICK, [p]), 'BAD_VALUE');
  });
});

describe('ciphertext encodings', () => {
  const c = parseSealedBallot(DECISION, sealed).groups[0]!.entries[0]!.ciphertext;

  it('round-trip as 64 bytes and 128 hex digits', () => {
    const b = encodeCiphertext(c);
    expect(b).toEqual(sealed.subarray(0, 64));
    const d = decodeCiphertext(b);
    expect(d.alpha.equals(c.alpha) && d.beta.equals(c.beta)).toBe(true);
    const h = ciphertextToHex(c);
    expect(h).toMatch(/^[0-9a-f]{128}$/);
    expect(ciphertextFromHex(h).beta.equals(c.beta)).toBe(true);
    expect(sumCiphertextFromHex(h).alpha.equals(c.alpha)).toBe(true);
  });

  it('only the sum decoder accepts the identity', () => {
    expectCode(() => decodeCiphertext(new Uint8Array(64)), 'POINT_IDENTITY');
    expectCode(() => ciphertextFromHex('00'.repeat(64)), 'POINT_IDENTITY');
    const z = decodeSumCiphertext(new Uint8Array(64));
    expect(z.alpha.equals(RP.ZERO) && z.beta.equals(RP.ZERO)).toBe(true);
    const half = new Uint8Array([...new Uint8Array(32), ...c.beta.toBytes()]);
    expect(sumCiphertextFromHex(Buffer.from(half).toString('hex')).beta.equals(c.beta)).toBe(true);
  });

  it('refuse bad lengths, hex and encodings with their codes', () => {
    expectCode(() => decodeCiphertext(new Uint8Array(63)), 'BAD_LENGTH');
    expectCode(() => decodeSumCiphertext(new Uint8Array(65)), 'BAD_LENGTH');
    expectCode(() => ciphertextFromHex('AB'.repeat(64)), 'BAD_HEX');
    expectCode(() => sumCiphertextFromHex('00'.repeat(63)), 'BAD_LENGTH');
    expectCode(() => decodeSumCiphertext(new Uint8Array(64).fill(0xff)), 'POINT_NOT_CANONICAL');
    expectCode(() => encodeCiphertext({ alpha: c.alpha } as Ciphertext), 'BAD_TYPE');
  });
});

// ── The verifier's own arithmetic, against noble ──────────────────────────────────────────

describe('verification arithmetic', () => {
  const scalar = fc.oneof(fc.bigInt(0n, ELL - 1n), fc.constantFrom(0n, 1n, 2n, ELL - 1n, ELL - 2n, (ELL - 1n) / 2n));
  const point = fc.oneof(
    fc.bigInt(1n, ELL - 1n).map((k) => BASE.multiply(k)),
    fc.constantFrom(RP.ZERO, BASE, BASE.negate(), Y),
  );

  it('multi-scalar walks equal noble’s Σ ±n·P (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(point, scalar, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 4 }), (terms) => {
        const got = _walkForTest(terms.map(([p, n, negate, fixed]) => ({ point: p, scalar: n, negate, fixed })));
        const want = terms.reduce((acc, [p, n, negate]) => (negate ? acc.subtract(p.multiplyUnsafe(n)) : acc.add(p.multiplyUnsafe(n))), RP.ZERO);
        expect(got.equals(want)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the batched double-and-encode equals noble’s encoding of 2·P (property, with the identity)', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 8 }), (points) => {
        const got = _encodeDoubledForTest(points);
        points.forEach((p, i) => expect(got[i]).toEqual(p.double().toBytes()));
      }),
      { numRuns: 60 },
    );
    expect(_encodeDoubledForTest([RP.ZERO])[0]).toEqual(new Uint8Array(32));
  });
});
