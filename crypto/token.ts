/**
 * @module crypto/token
 * Blind BLS tokens (protocol §4): the FOO92 blind-signature idea with a BLS12-381
 * "minimal-signature-size" signature (σ in G1, public key in G2), one fresh key per ballot.
 *
 *   device:  t ← 32 random bytes;  M = H(ballotId, t);  r ← random scalar;  B = r·M
 *   issuer:  S' = sk·B
 *   device:  σ = r⁻¹·S';  accept only if e(σ, g2) = e(M, pk)
 *
 * The issuer sees B, which is uniformly distributed whatever t is, so it learns nothing
 * that links σ or t to the member it signed for. Checks of many tokens under one key are
 * batched with random 128-bit coefficients (small-exponent batch verification).
 *
 * Verification runs on the crypto backend in use (crypto/backend.ts); blinding, signing and
 * unblinding multiply by secrets and use noble's constant-time multiplication.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { backend, referenceBackend, type G1Handle, type G2Handle, type PairingBackend } from './backend.ts';
import { abytes, randomBytes, utf8 } from './bytes.ts';
import { DST_KEYGEN, DST_TOKEN, DST_TOKEN_HASH } from './dst.ts';
import { fields, message } from './encoding.ts';
import { refuse } from './errors.ts';
import { assertId } from './ids.ts';
import { Fr, G2, decodeG1, decodeScalar, encodeScalar, randomScalar, type G1Point } from './points.ts';

/** Byte length of a token. */
export const TOKEN_BYTES = 32;

/** A ballot's BLS key pair: secret scalar (32 bytes) and compressed G2 public key (96 bytes). */
export type BallotKeyPair = { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array };

/**
 * A fresh ballot key (protocol §4.1). With `seed` (≥ 32 bytes) the key is derived by
 * HKDF-SHA256 — for test vectors only; production keys come from the CSPRNG.
 */
export function generateBallotKey(seed?: Uint8Array): BallotKeyPair {
  let sk: bigint;
  if (seed === undefined) sk = randomScalar();
  else {
    abytes(seed, undefined, 'seed');
    if (seed.length < 32) refuse('BAD_LENGTH', 'seed must be at least 32 bytes');
    const okm = hkdf(sha256, seed, undefined, utf8(DST_KEYGEN), 48);
    let n = 0n;
    for (const b of okm) n = (n << 8n) | BigInt(b);
    sk = (n % (Fr.ORDER - 1n)) + 1n;
  }
  return Object.freeze({ secretKey: encodeScalar(sk), publicKey: G2.BASE.multiply(sk).toBytes(true) });
}

/** Public key of a secret key. @throws CryptoInputError SCALAR_RANGE. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return G2.BASE.multiply(decodeScalar(secretKey, 'secret key')).toBytes(true);
}

/**
 * M = hash_to_curve_G1(DST_TOKEN, field(ballotId) ‖ field(t)) (protocol §4.3), as a noble point:
 * the tablet multiplies it by its secret blinding factor, so it is always the reference's.
 */
export function tokenPoint(ballotId: string, token: Uint8Array): G1Point {
  return referenceBackend.toReferenceG1(tokenPointOn(referenceBackend, ballotId, token));
}

/** SHA-256 of (DST_TOKEN_HASH, ballotId, t): the anonymous key of a cast (protocol §4.4). */
export function tokenHash(ballotId: string, token: Uint8Array): Uint8Array {
  assertId(ballotId, 'ballotId');
  abytes(token, TOKEN_BYTES, 'token');
  return sha256(message(DST_TOKEN_HASH, utf8(ballotId), token));
}

/** What a device keeps while it waits for the issuer: never sent except `blinded`. */
export type BlindingState = {
  readonly ballotId: string;
  readonly token: Uint8Array;
  readonly r: Uint8Array;
  readonly blinded: Uint8Array;
};

/**
 * Device side, step 1: choose a token and blind its point (protocol §4.3).
 * `token` and `r` may be given for test vectors; otherwise they are fresh random values.
 */
export function blindToken(ballotId: string, fixed?: { token?: Uint8Array; r?: Uint8Array }): BlindingState {
  const token = fixed?.token ? abytes(fixed.token, TOKEN_BYTES, 'token') : randomBytes(TOKEN_BYTES);
  const r = fixed?.r ? decodeScalar(fixed.r, 'blinding factor') : randomScalar();
  const blinded = tokenPoint(ballotId, token).multiply(r).toBytes(true);
  return Object.freeze({ ballotId, token, r: encodeScalar(r), blinded });
}

/**
 * Issuer side: S' = sk·B for a validated blinded point B (protocol §4.3).
 * @throws CryptoInputError with a POINT_* code for a bad B, SCALAR_RANGE for a bad key.
 */
export function signBlinded(secretKey: Uint8Array, blinded: Uint8Array): Uint8Array {
  const sk = decodeScalar(secretKey, 'secret key');
  return decodeG1(blinded, 'blinded point').multiply(sk).toBytes(true);
}

/**
 * Device side, step 2: σ = r⁻¹·S', then verify σ under the published key before trusting it
 * (this catches an issuer that signs with a key other than the published one).
 * @returns the 48-byte signature σ.
 * @throws CryptoInputError with a POINT_* code, or BAD_SIGNATURE if σ does not verify.
 */
export function unblindSignature(state: BlindingState, signedBlinded: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const S = decodeG1(signedBlinded, 'blind signature');
  const rInv = Fr.inv(decodeScalar(state.r, 'blinding factor'));
  const sigma = S.multiply(rInv).toBytes(true);
  if (!verifyToken(publicKey, state.ballotId, state.token, sigma))
    refuse('BAD_SIGNATURE', 'the blind signature does not verify under the ballot public key');
  return sigma;
}

/** A token with its signature, as cast (hex-decoded). */
export type SignedToken = { readonly token: Uint8Array; readonly signature: Uint8Array };

/** e(σ, g2) = e(M, pk), as one pairing product e(σ, −g2)·e(M, pk) = 1, on the backend in use. */
function pairingCheck(b: PairingBackend, pk: G2Handle, sigma: G1Handle, M: G1Handle): boolean {
  return b.pairingIsOne([
    { g1: sigma, g2: b.g2Base(), negate: true },
    { g1: M, g2: pk },
  ]);
}

/** M of a token on backend `b` (for verification, the backend in use: the token is public once cast). */
function tokenPointOn(b: PairingBackend, ballotId: string, token: Uint8Array): G1Handle {
  assertId(ballotId, 'ballotId');
  abytes(token, TOKEN_BYTES, 'token');
  // The DST goes to hash_to_curve itself (RFC 9380 §3.1), so only the two fields form the message.
  return b.hashToG1(fields(utf8(ballotId), token), DST_TOKEN);
}

/**
 * Verify one token signature (protocol §4.5). Never throws on bad data: any malformed
 * key, token or signature gives `false`.
 */
export function verifyToken(publicKey: Uint8Array, ballotId: string, token: Uint8Array, signature: Uint8Array): boolean {
  const b = backend();
  try {
    return pairingCheck(b, b.decodeG2(publicKey, 'public key'), b.decodeG1(signature, 'signature'), tokenPointOn(b, ballotId, token));
  } catch {
    return false;
  }
}

/** Random nonzero 128-bit batch coefficient (protocol §4.5). */
function coefficient(): bigint {
  const b = randomBytes(16);
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n === 0n ? 1n : n;
}

/** Below this size a failing group is checked item by item instead of halved again. */
const BISECT_LEAF = 4;

/** Points prepared once per token, so bisection does not hash or decode twice. */
type Prepared = { sigma: G1Handle; M: G1Handle } | null;

function prepare(b: PairingBackend, ballotId: string, items: readonly SignedToken[]): Prepared[] {
  return items.map((it) => {
    try {
      return { sigma: b.decodeG1(it.signature, 'signature'), M: tokenPointOn(b, ballotId, it.token) };
    } catch {
      return null;
    }
  });
}

function batchHolds(b: PairingBackend, pk: G2Handle, ps: readonly { sigma: G1Handle; M: G1Handle }[]): boolean {
  if (ps.length === 0) return true;
  if (ps.length === 1) return pairingCheck(b, pk, ps[0]!.sigma, ps[0]!.M);
  // Σρᵢσᵢ and ΣρᵢMᵢ with independent random ρᵢ: a forged σ passes with probability ≤ 2⁻¹²⁸.
  const rho = ps.map(coefficient);
  const sigmaSum = b.msmG1(ps.map((p) => p.sigma), rho);
  const mSum = b.msmG1(ps.map((p) => p.M), rho);
  if (b.isZeroG1(sigmaSum) || b.isZeroG1(mSum)) return b.isZeroG1(sigmaSum) && b.isZeroG1(mSum);
  return pairingCheck(b, pk, sigmaSum, mSum);
}

/**
 * Batched verification of many token signatures under one ballot key (protocol §4.5):
 * two multi-scalar multiplications and one two-pairing product for the whole batch.
 * @returns true iff every signature is valid (with probability ≥ 1 − 2⁻¹²⁸). Never throws on bad data.
 */
export function verifyTokensBatch(publicKey: Uint8Array, ballotId: string, items: readonly SignedToken[]): boolean {
  return findInvalidTokens(publicKey, ballotId, items, { stopAtFirst: true }).length === 0;
}

/**
 * Indices of the invalid signatures among `items`, found by batch verification and
 * bisection of failing halves, so one bad signature costs O(log n) extra batches and
 * cannot make good ones be refused. A malformed key makes every index invalid.
 */
export function findInvalidTokens(
  publicKey: Uint8Array,
  ballotId: string,
  items: readonly SignedToken[],
  opts: { stopAtFirst?: boolean } = {},
): number[] {
  const b = backend();
  let pk: G2Handle;
  try {
    pk = b.decodeG2(publicKey, 'public key');
  } catch {
    return items.map((_, i) => i);
  }
  const prepared = prepare(b, ballotId, items);
  const bad: number[] = [];
  const good: number[] = [];
  prepared.forEach((p, i) => (p ? good.push(i) : bad.push(i)));
  if (opts.stopAtFirst && bad.length) return bad;
  // Bisection, bounded: a failing group of at most LEAF items is checked one by one, so a batch
  // costs at most log2(n / LEAF) levels of halving whatever the forgeries (protocol §4.5).
  const stack: number[][] = [good];
  while (stack.length) {
    const idx = stack.pop()!;
    if (batchHolds(b, pk, idx.map((i) => prepared[i]!))) continue;
    if (idx.length <= BISECT_LEAF) {
      for (const i of idx) {
        if (idx.length > 1 && batchHolds(b, pk, [prepared[i]!])) continue;
        bad.push(i);
        if (opts.stopAtFirst) return bad;
      }
      continue;
    }
    const mid = idx.length >> 1;
    stack.push(idx.slice(mid), idx.slice(0, mid));
  }
  return bad.sort((a, b) => a - b);
}
