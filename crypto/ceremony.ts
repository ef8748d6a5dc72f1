/**
 * @module crypto/ceremony
 * The scrutineers' dealerless key ceremony (protocol §4.8): joint-Feldman distributed key
 * generation with commit-then-reveal, run by n devices (监票人) for a threshold t. It makes
 * the ballot token key (BLS12-381, pk in G2) and the election key (ristretto255) at once;
 * afterwards each key exists only as Shamir shares on the devices.
 *
 *   round 1  commit    dealer i draws f_i (over r) and g_i (over ℓ) of degree t−1, and signs
 *                      digest_i = H(F_i0…F_i(t−1), E_i0…E_i(t−1)) with F_ik = a_ik·g2, E_ik = b_ik·G
 *   round 2  reveal    after seeing all n commits: the commitments, and f_i(j) ‖ g_i(j)
 *                      encrypted to every other device j (static-key DHIES), signed
 *   round 3  ack       device j decrypts its shares, checks them against the commitments
 *                      (Feldman) and every reveal against its commit, then signs the
 *                      transcript hash — or publishes a complaint that anyone can judge
 *
 * Result: pk = Σ_i F_i0, electionKey = Σ_i E_i0, share s_j = Σ_i f_i(j), x_j = Σ_i g_i(j).
 * Because every dealer commits before anyone reveals, no dealer can choose its polynomial
 * after seeing the others' (the key-biasing attack on plain joint-Feldman). The public
 * record (params, commits, reveals, acks) goes into the audit bundle; `verifyCeremonyRecord`
 * checks it without any secret. Every message is JSON-friendly: integers and lowercase hex.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { abytes, equalBytes, fromHex, isWellFormed, joinBytes, toHex, utf8 } from './bytes.ts';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { DST_CEREMONY_COMMIT, DST_CEREMONY_SIGNATURE, DST_COMPLAINT_PROOF, DST_FINGERPRINT, DST_SHARE_KEY, DST_TEST_SEED, DST_TRANSCRIPT } from './dst.ts';
import { fields, message, u32be } from './encoding.ts';
import { CryptoInputError, refuse } from './errors.ts';
import {
  BASE, ELL, RP, decodeElement, decodeExponent, dleqFromHex, dleqToHex, elementFromHex, encodeExponent, proveDleq,
  randomExponent, verifyDleq, type Element,
} from './group.ts';
import { assertId } from './ids.ts';
import { Fr, G2, decodeG2, decodeScalar, encodeScalar, randomScalar, type G2Point } from './points.ts';
import { evalPolynomial } from './shamir.ts';
import { MAX_DEVICES, assertDeviceIndex, publicShareElement, publicShareG2 } from './threshold.ts';

/** Byte lengths: Ed25519 keys and signatures, digests, encrypted shares (scalar ‖ exponent ‖ MAC). */
export const DEVICE_KEY_BYTES = 32;
export const DEVICE_SIGNATURE_BYTES = 64;
export const CEREMONY_DIGEST_BYTES = 32;
export const SHARE_CIPHERTEXT_BYTES = 96;
/** Longest device name (UTF-16 code units), as for free text elsewhere (protocol §3.3). */
export const MAX_DEVICE_NAME = 200;

/** A scrutineer device's public keys: Ed25519 signing key and ristretto255 encryption key E = d·G (hex). */
export type DeviceKey = {
  readonly index: number;
  readonly name: string;
  readonly signingKey: string;
  readonly encryptionKey: string;
};

/** A device's secrets: the 32-byte Ed25519 secret seed and the encryption exponent d ∈ [1, ℓ). */
export type DeviceSecret = { readonly signingSecret: Uint8Array; readonly encryptionSecret: bigint };

/** What every device agrees on before round 1. */
export type CeremonyParams = {
  readonly ceremonyId: string;
  readonly n: number;
  readonly t: number;
  readonly devices: readonly DeviceKey[];
};

/** Round 1: a dealer's signed hash commitment to its polynomial commitments. */
export type CeremonyCommit = { readonly index: number; readonly digest: string; readonly signature: string };

/** One share f_i(j) ‖ g_i(j), encrypted by dealer i to device `to`. */
export type EncryptedShare = { readonly to: number; readonly ciphertext: string };

/** Round 2: a dealer's Feldman commitments (t each) and its encrypted shares to every other device, signed. */
export type CeremonyReveal = {
  readonly index: number;
  readonly tokenCommitments: readonly string[];
  readonly electionCommitments: readonly string[];
  readonly shares: readonly EncryptedShare[];
  readonly signature: string;
};

/** Round 3: device `index` vouches that its shares were good and signs the transcript hash. */
export type CeremonyAck = { readonly index: number; readonly transcript: string; readonly signature: string };

/**
 * Device `from` accuses dealer `against` of a bad share to it: it discloses the pairwise key
 * K = d_from·E_against with a DLEQ proof that K is right, so anyone can decrypt and judge.
 */
export type CeremonyComplaint = {
  readonly from: number;
  readonly against: number;
  readonly key: string;
  readonly proof: string;
  readonly signature: string;
};

/** A dealer's secret state between rounds: its polynomials, its commitments and its device secret. */
export type DealerState = {
  readonly ceremonyId: string;
  readonly index: number;
  readonly secret: DeviceSecret;
  /** a_i0…a_i(t−1) over r (the token key polynomial f_i). */
  readonly tokenCoefficients: readonly bigint[];
  /** b_i0…b_i(t−1) over ℓ (the election key polynomial g_i). */
  readonly electionCoefficients: readonly bigint[];
  readonly tokenCommitments: readonly string[];
  readonly electionCommitments: readonly string[];
  readonly commit: CeremonyCommit;
};

/** The public record of a finished ceremony, as it goes into the audit bundle. */
export type CeremonyRecord = {
  readonly params: CeremonyParams;
  readonly commits: readonly CeremonyCommit[];
  readonly reveals: readonly CeremonyReveal[];
  readonly acks: readonly CeremonyAck[];
};

/** The public outputs of a ceremony (compressed encodings). */
export type CeremonyOutputs = {
  readonly tokenPublicKey: Uint8Array;
  readonly electionKey: Uint8Array;
  /** pk_j = s_j·g2 for j = 1…n (index j−1). */
  readonly tokenPublicShares: Uint8Array[];
  /** X_j = x_j·G for j = 1…n (index j−1). */
  readonly electionPublicShares: Uint8Array[];
};

// ---- strict shapes ----------------------------------------------------------------------

type Obj = Record<string, unknown>;

function obj(v: unknown, keys: readonly string[], path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) refuse('BAD_TYPE', `${path} must be an object`);
  const want = [...keys].sort().join();
  if (Object.keys(v).sort().join() !== want) refuse('BAD_VALUE', `${path} must have exactly the fields ${want}`);
  return v as Obj;
}

function arr(v: unknown, max: number, path: string): readonly unknown[] {
  if (!Array.isArray(v)) refuse('BAD_TYPE', `${path} must be an array`);
  if (v.length > max) refuse('BAD_LENGTH', `${path} has more than ${max} entries`);
  return v;
}

function hex(v: unknown, len: number, path: string): string {
  fromHex(v, len, path);
  return v as string;
}

function name(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_DEVICE_NAME || !isWellFormed(v))
    refuse('BAD_VALUE', `${path} must be 1–${MAX_DEVICE_NAME} characters of text`);
  return v;
}

function smallInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_DEVICES) refuse('BAD_VALUE', `${path} must be an integer in 1…${MAX_DEVICES}`);
  return v;
}

/**
 * Strict decoding of an Ed25519 public key (RFC 8032 §5.1.3 without ZIP-215 leniency), then
 * refusal of the identity and of every point outside the prime-order subgroup (small-order
 * and mixed-order keys), so a device key cannot make signatures ambiguous.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH / POINT_NOT_CANONICAL / POINT_NOT_ON_CURVE / POINT_IDENTITY / POINT_NOT_IN_SUBGROUP.
 */
export function decodeSigningKey(bytes: Uint8Array, label = 'signing key'): Uint8Array {
  abytes(bytes, DEVICE_KEY_BYTES, label);
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i]! & 0x7f : bytes[i]!);
  if (y >= 2n ** 255n - 19n) refuse('POINT_NOT_CANONICAL', `${label} has y ≥ p`);
  let p: InstanceType<typeof ed25519.Point>;
  try {
    p = ed25519.Point.fromBytes(bytes, false);
  } catch {
    // y < p here, so the refusal is either "no x for this y" or the non-canonical x = 0 with the sign bit set.
    return refuse(y === 1n || y === 2n ** 255n - 20n ? 'POINT_NOT_CANONICAL' : 'POINT_NOT_ON_CURVE', `${label} is not an Ed25519 point`);
  }
  if (!equalBytes(p.toBytes(), bytes)) refuse('POINT_NOT_CANONICAL', `${label} is not canonically encoded`);
  if (p.is0()) refuse('POINT_IDENTITY', `${label} is the identity`);
  if (!p.isTorsionFree()) refuse('POINT_NOT_IN_SUBGROUP', `${label} is not in the prime-order subgroup`);
  return bytes;
}

const checkedParams = new WeakSet<object>();

/**
 * Validate ceremony parameters (protocol §4.8): exactly the members ceremonyId, n, t, devices;
 * an id; 1 ≤ t ≤ n ≤ 15; devices with indices exactly 1…n in order, names of 1–200
 * characters, every signing key a valid Ed25519 key (`decodeSigningKey`) and every encryption
 * key a valid ristretto255 element, and no key used twice.
 * @returns a frozen copy (validated copies are remembered, so checking it again is free).
 * @throws CryptoInputError BAD_TYPE / BAD_VALUE / BAD_LENGTH / BAD_HEX / POINT_*.
 */
export function checkCeremonyParams(p: unknown): CeremonyParams {
  if (typeof p === 'object' && p !== null && checkedParams.has(p)) return p as CeremonyParams;
  const o = obj(p, ['ceremonyId', 'n', 't', 'devices'], 'params');
  const ceremonyId = assertId(o.ceremonyId, 'params.ceremonyId');
  const n = smallInt(o.n, 'params.n');
  const t = smallInt(o.t, 'params.t');
  if (t > n) refuse('BAD_VALUE', 'params.t must not exceed params.n');
  const list = arr(o.devices, MAX_DEVICES, 'params.devices');
  if (list.length !== n) refuse('BAD_LENGTH', 'params.devices must list exactly n devices');
  const devices = list.map((d, k) => {
    const path = `params.devices[${k}]`;
    const x = obj(d, ['index', 'name', 'signingKey', 'encryptionKey'], path);
    if (x.index !== k + 1) refuse('BAD_VALUE', `${path}.index must be ${k + 1}`);
    decodeSigningKey(fromHex(x.signingKey, DEVICE_KEY_BYTES, `${path}.signingKey`), `${path}.signingKey`);
    elementFromHex(x.encryptionKey, `${path}.encryptionKey`);
    return Object.freeze({ index: k + 1, name: name(x.name, `${path}.name`), signingKey: x.signingKey as string, encryptionKey: x.encryptionKey as string });
  });
  if (new Set(devices.map((d) => d.signingKey)).size !== n) refuse('BAD_VALUE', 'two devices have the same signing key');
  if (new Set(devices.map((d) => d.encryptionKey)).size !== n) refuse('BAD_VALUE', 'two devices have the same encryption key');
  const out: CeremonyParams = Object.freeze({ ceremonyId, n, t, devices: Object.freeze(devices) });
  checkedParams.add(out);
  return out;
}

// ---- device keys --------------------------------------------------------------------------

function beToInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function leToInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function checkSeed(seed: Uint8Array): Uint8Array {
  abytes(seed, undefined, 'seed');
  if (seed.length < 32) refuse('BAD_LENGTH', 'seed must be at least 32 bytes');
  return seed;
}

/**
 * A fresh device key pair: an Ed25519 signing key and a ristretto255 encryption key (protocol §4.8).
 * With `seed` (≥ 32 bytes, **test vectors only**): okm = HKDF-SHA256(seed, no salt,
 * message(DST_TEST_SEED, utf8('device'), u32be(index)), 96); signingSecret = okm[0..32),
 * d = (LE(okm[32..96)) mod (ℓ−1)) + 1.
 * @throws CryptoInputError BAD_VALUE for the index or name, BAD_TYPE / BAD_LENGTH for the seed.
 */
export function generateDeviceKey(index: number, deviceName: string, seed?: Uint8Array): { key: DeviceKey; secret: DeviceSecret } {
  assertDeviceIndex(index);
  name(deviceName, 'name');
  let signingSecret: Uint8Array;
  let encryptionSecret: bigint;
  if (seed === undefined) {
    signingSecret = ed25519.utils.randomSecretKey();
    encryptionSecret = randomExponent();
  } else {
    const okm = hkdf(sha256, checkSeed(seed), undefined, message(DST_TEST_SEED, utf8('device'), u32be(index)), 96);
    signingSecret = okm.slice(0, 32);
    encryptionSecret = (leToInt(okm.subarray(32)) % (ELL - 1n)) + 1n;
  }
  const key: DeviceKey = Object.freeze({
    index,
    name: deviceName,
    signingKey: toHex(ed25519.getPublicKey(signingSecret)),
    encryptionKey: toHex(BASE.multiply(encryptionSecret).toBytes()),
  });
  return { key, secret: Object.freeze({ signingSecret, encryptionSecret }) };
}

/** Guard: `secret` belongs to device `index` of the ceremony. @throws CryptoInputError BAD_TYPE / BAD_LENGTH / SCALAR_RANGE / BAD_VALUE. */
function checkSecret(params: CeremonyParams, index: number, secret: DeviceSecret): DeviceKey {
  assertDeviceIndex(index, 'myIndex');
  if (index > params.n) refuse('BAD_VALUE', 'myIndex is not a device of this ceremony');
  const device = params.devices[index - 1]!;
  if (typeof secret !== 'object' || secret === null) refuse('BAD_TYPE', 'secret must be a DeviceSecret');
  abytes(secret.signingSecret, 32, 'signingSecret');
  const d = secret.encryptionSecret;
  if (typeof d !== 'bigint' || d <= 0n || d >= ELL) refuse('SCALAR_RANGE', 'encryptionSecret must be in [1, ℓ)');
  if (toHex(ed25519.getPublicKey(secret.signingSecret)) !== device.signingKey) refuse('BAD_VALUE', 'signingSecret does not match the device signing key');
  if (toHex(BASE.multiply(d).toBytes()) !== device.encryptionKey) refuse('BAD_VALUE', 'encryptionSecret does not match the device encryption key');
  return device;
}

function sign(secret: DeviceSecret, msg: Uint8Array): string {
  return toHex(ed25519Sign(secret.signingSecret, msg));
}

/** Strict Ed25519 verification under a device's hex key (as receipt.ts); never throws. */
function verifySig(device: DeviceKey, msg: Uint8Array, signature: string): boolean {
  try {
    return ed25519Verify(fromHex(device.signingKey, DEVICE_KEY_BYTES, 'signing key'), msg, fromHex(signature, DEVICE_SIGNATURE_BYTES, 'signature'));
  } catch {
    return false;
  }
}

// ---- messages -----------------------------------------------------------------------------

/** digest_i = SHA-256(message(DST_CEREMONY_COMMIT, utf8(ceremonyId), u32be(i), F_i0…F_i(t−1), E_i0…E_i(t−1))). */
export function commitDigest(ceremonyId: string, index: number, tokenCommitments: readonly string[], electionCommitments: readonly string[]): Uint8Array {
  return sha256(
    message(
      DST_CEREMONY_COMMIT,
      utf8(assertId(ceremonyId, 'ceremonyId')),
      u32be(index),
      ...tokenCommitments.map((c, k) => fromHex(c, 96, `tokenCommitments[${k}]`)),
      ...electionCommitments.map((c, k) => fromHex(c, 32, `electionCommitments[${k}]`)),
    ),
  );
}

function commitMessage(ceremonyId: string, i: number, digest: Uint8Array): Uint8Array {
  return message(DST_CEREMONY_SIGNATURE, utf8('commit'), utf8(ceremonyId), u32be(i), digest);
}

/** SHA-256 of the 96-byte ciphertexts of a reveal, concatenated in the order of the list. */
function sharesHash(shares: readonly EncryptedShare[]): Uint8Array {
  return sha256(joinBytes(shares.map((s, k) => fromHex(s.ciphertext, SHARE_CIPHERTEXT_BYTES, `shares[${k}].ciphertext`))));
}

function revealMessage(ceremonyId: string, i: number, digest: Uint8Array, shares: readonly EncryptedShare[]): Uint8Array {
  return message(DST_CEREMONY_SIGNATURE, utf8('reveal'), utf8(ceremonyId), u32be(i), digest, sharesHash(shares));
}

function ackMessage(ceremonyId: string, j: number, transcript: Uint8Array): Uint8Array {
  return message(DST_CEREMONY_SIGNATURE, utf8('ack'), utf8(ceremonyId), u32be(j), transcript);
}

function complaintMessage(ceremonyId: string, from: number, against: number, key: Uint8Array, proof: Uint8Array): Uint8Array {
  return message(DST_CEREMONY_SIGNATURE, utf8('complaint'), utf8(ceremonyId), u32be(from), u32be(against), key, proof);
}

function complaintContext(ceremonyId: string, against: number, from: number): Uint8Array {
  return fields(utf8(ceremonyId), u32be(against), u32be(from));
}

// ---- share encryption ---------------------------------------------------------------------

/** okm = HKDF-SHA256(ikm = enc(K), no salt, info = message(DST_SHARE_KEY, utf8(ceremonyId), u32be(i), u32be(j)), 96). */
function shareKeyStream(ceremonyId: string, i: number, j: number, K: Element): Uint8Array {
  return hkdf(sha256, K.toBytes(), undefined, message(DST_SHARE_KEY, utf8(ceremonyId), u32be(i), u32be(j)), 96);
}

function encryptShare(okm: Uint8Array, tokenShare: bigint, electionShare: bigint): string {
  const pt = joinBytes([encodeScalar(tokenShare), encodeExponent(electionShare)]);
  const body = pt.map((b, k) => b ^ okm[k]!);
  return toHex(joinBytes([body, hmac(sha256, okm.subarray(64, 96), body)]));
}

/** Decrypt and decode a share; a string is the reason it is bad. */
function decryptShare(okm: Uint8Array, ciphertext: string): { token: bigint; election: bigint } | string {
  const ct = fromHex(ciphertext, SHARE_CIPHERTEXT_BYTES, 'ciphertext');
  const body = ct.subarray(0, 64);
  if (!equalBytes(hmac(sha256, okm.subarray(64, 96), body), ct.subarray(64))) return 'share MAC does not verify';
  const pt = body.map((b, k) => b ^ okm[k]!);
  try {
    return { token: decodeScalar(pt.subarray(0, 32), 'token share'), election: decodeExponent(pt.subarray(32), 'election share') };
  } catch {
    return 'share is not a valid scalar pair';
  }
}

/** Feldman: f·g2 = Σ_k j^k F_k and g·G = Σ_k j^k E_k. */
function feldmanHolds(F: readonly G2Point[], E: readonly Element[], j: number, share: { token: bigint; election: bigint }): boolean {
  const a = G2.BASE.multiply(share.token).equals(publicShareG2(F, j));
  const gG = share.election === 0n ? RP.ZERO : BASE.multiply(share.election);
  return gG.equals(publicShareElement(E, j)) && a;
}

// ---- round 1 --------------------------------------------------------------------------------

function drawCoefficients(t: number, ceremonyId: string, i: number, attempt: number, seed?: Uint8Array): { a: bigint[]; b: bigint[] } {
  if (seed === undefined) return { a: Array.from({ length: t }, randomScalar), b: Array.from({ length: t }, randomExponent) };
  const okm = hkdf(sha256, seed, undefined, message(DST_TEST_SEED, utf8('polynomial'), utf8(ceremonyId), u32be(i), u32be(attempt)), t * 112);
  const a = Array.from({ length: t }, (_, k) => (beToInt(okm.subarray(48 * k, 48 * k + 48)) % (Fr.ORDER - 1n)) + 1n);
  const off = 48 * t;
  const b = Array.from({ length: t }, (_, k) => (leToInt(okm.subarray(off + 64 * k, off + 64 * k + 64)) % (ELL - 1n)) + 1n);
  return { a, b };
}

/**
 * Round 1, dealer i (protocol §4.8): draw f_i over r (every coefficient in [1, r)) and g_i over ℓ
 * (every coefficient in [1, ℓ)) of degree t−1, redrawn if some f_i(j) = 0 for j in 1…n; commit
 * F_ik = a_ik·g2, E_ik = b_ik·G; publish digest_i and its signature. `opts.seed` (≥ 32 bytes) derives
 * the coefficients for **test vectors only**: HKDF-SHA256(seed, no salt, message(DST_TEST_SEED,
 * utf8('polynomial'), utf8(ceremonyId), u32be(i), u32be(attempt)), 112·t) → a_k from 48 bytes
 * big-endian mod (r−1) + 1, then b_k from 64 bytes little-endian mod (ℓ−1) + 1; attempt = 0, 1, ….
 * @returns the secret state to keep until round 3, and the public commit message.
 * @throws CryptoInputError for bad params, an index not in 1…n, or a secret that is not the device's.
 */
export function dealerCommit(params: CeremonyParams, myIndex: number, secret: DeviceSecret, opts: { seed?: Uint8Array } = {}): { state: DealerState; message: CeremonyCommit } {
  const p = checkCeremonyParams(params);
  checkSecret(p, myIndex, secret);
  if (opts.seed !== undefined) checkSeed(opts.seed);
  let a: bigint[];
  let b: bigint[];
  for (let attempt = 0; ; attempt++) {
    ({ a, b } = drawCoefficients(p.t, p.ceremonyId, myIndex, attempt, opts.seed));
    const coeffs = a;
    if (p.devices.every((d) => evalPolynomial(coeffs, BigInt(d.index), Fr.ORDER) !== 0n)) break;
  }
  const tokenCommitments = a.map((x) => toHex(G2.BASE.multiply(x).toBytes(true)));
  const electionCommitments = b.map((x) => toHex(BASE.multiply(x).toBytes()));
  const digest = commitDigest(p.ceremonyId, myIndex, tokenCommitments, electionCommitments);
  const commit: CeremonyCommit = Object.freeze({ index: myIndex, digest: toHex(digest), signature: sign(secret, commitMessage(p.ceremonyId, myIndex, digest)) });
  const state: DealerState = Object.freeze({
    ceremonyId: p.ceremonyId,
    index: myIndex,
    secret,
    tokenCoefficients: Object.freeze(a),
    electionCoefficients: Object.freeze(b),
    tokenCommitments: Object.freeze(tokenCommitments),
    electionCommitments: Object.freeze(electionCommitments),
    commit,
  });
  return { state, message: commit };
}

function checkState(p: CeremonyParams, state: DealerState): void {
  if (typeof state !== 'object' || state === null) refuse('BAD_TYPE', 'state must be a DealerState');
  if (state.ceremonyId !== p.ceremonyId) refuse('BAD_VALUE', 'state belongs to another ceremony');
  checkSecret(p, state.index, state.secret);
  if (state.tokenCoefficients.length !== p.t || state.electionCoefficients.length !== p.t) refuse('BAD_VALUE', 'state does not match t');
}

/** Index the list by device, refusing non-arrays, bad or repeated indices; missing ones are undefined. */
function byIndex<T extends { readonly index: number }>(list: readonly T[], n: number, path: string): (T | undefined)[] {
  arr(list, MAX_DEVICES, path);
  const out: (T | undefined)[] = new Array(n).fill(undefined);
  list.forEach((x, k) => {
    if (typeof x !== 'object' || x === null) refuse('BAD_TYPE', `${path}[${k}] must be an object`);
    const i = smallInt(x.index, `${path}[${k}].index`);
    if (i > n) refuse('BAD_VALUE', `${path}[${k}].index is not a device of this ceremony`);
    if (out[i - 1]) refuse('BAD_VALUE', `${path} has two entries for device ${i}`);
    out[i - 1] = x;
  });
  return out;
}

function commitValid(p: CeremonyParams, c: CeremonyCommit): boolean {
  try {
    return verifySig(p.devices[c.index - 1]!, commitMessage(p.ceremonyId, c.index, fromHex(c.digest, CEREMONY_DIGEST_BYTES, 'digest')), c.signature);
  } catch {
    return false;
  }
}

// ---- round 2 --------------------------------------------------------------------------------

/**
 * Round 2, dealer i (protocol §4.8): only once it holds a validly signed commit from every one of
 * the n devices (its own among them, unchanged), reveal the commitments and encrypt
 * encodeScalar(f_i(j)) ‖ encodeExponent(g_i(j)) to every j ≠ i, in increasing j. Deterministic:
 * revealing twice gives the same message.
 * @throws CryptoInputError BAD_VALUE (a commit missing, repeated, or not this dealer's own),
 *   BAD_SIGNATURE (a commit whose signature does not verify), or for bad params / state.
 */
export function dealerReveal(params: CeremonyParams, state: DealerState, commits: readonly CeremonyCommit[]): CeremonyReveal {
  const p = checkCeremonyParams(params);
  checkState(p, state);
  const by = byIndex(arr(commits, MAX_DEVICES, 'commits').map((c, k) => parseCeremonyCommit(c, `commits[${k}]`)), p.n, 'commits');
  by.forEach((c, k) => {
    if (!c) refuse('BAD_VALUE', `no commit from device ${k + 1} yet: reveal only after all n commits`);
    if (!commitValid(p, c)) refuse('BAD_SIGNATURE', `the commit of device ${k + 1} is not validly signed`);
  });
  if (by[state.index - 1]!.digest !== state.commit.digest) refuse('BAD_VALUE', 'the commits list another commit for this dealer');
  const i = state.index;
  const shares: EncryptedShare[] = p.devices
    .filter((d) => d.index !== i)
    .map((d) => {
      const j = BigInt(d.index);
      const K = elementFromHex(d.encryptionKey).multiply(state.secret.encryptionSecret);
      const okm = shareKeyStream(p.ceremonyId, i, d.index, K);
      return Object.freeze({
        to: d.index,
        ciphertext: encryptShare(okm, evalPolynomial(state.tokenCoefficients, j, Fr.ORDER), evalPolynomial(state.electionCoefficients, j, ELL)),
      });
    });
  const digest = fromHex(state.commit.digest, CEREMONY_DIGEST_BYTES, 'digest');
  return Object.freeze({
    index: i,
    tokenCommitments: state.tokenCommitments,
    electionCommitments: state.electionCommitments,
    shares: Object.freeze(shares),
    signature: sign(state.secret, revealMessage(p.ceremonyId, i, digest, shares)),
  });
}

type DecodedReveal = { F: G2Point[]; E: Element[] };

/**
 * Every public check of one reveal against its (validly signed) commit: t commitments of each
 * kind that decode (decodeG2 / decodeElement), the digest, the share list (to = every j ≠ i in
 * order) and the signature. A string is the reason it fails.
 */
function checkReveal(p: CeremonyParams, commit: CeremonyCommit, r: CeremonyReveal): DecodedReveal | string {
  const i = r.index;
  if (r.tokenCommitments.length !== p.t || r.electionCommitments.length !== p.t) return `reveal of device ${i} does not have t = ${p.t} commitments of each kind`;
  let F: G2Point[];
  let E: Element[];
  try {
    F = r.tokenCommitments.map((c, k) => decodeG2(fromHex(c, 96, 'commitment'), `token commitment ${k}`));
    E = r.electionCommitments.map((c, k) => elementFromHex(c, `election commitment ${k}`));
  } catch (e) {
    return `reveal of device ${i} has a bad commitment point (${e instanceof CryptoInputError ? e.code : 'invalid'})`;
  }
  const digest = commitDigest(p.ceremonyId, i, r.tokenCommitments, r.electionCommitments);
  if (toHex(digest) !== commit.digest) return `reveal of device ${i} does not match its round-1 digest`;
  const want = p.devices.filter((d) => d.index !== i).map((d) => d.index);
  if (r.shares.length !== want.length || r.shares.some((s, k) => s.to !== want[k])) return `reveal of device ${i} does not have one share for every other device in order`;
  if (!verifySig(p.devices[i - 1]!, revealMessage(p.ceremonyId, i, digest, r.shares), r.signature)) return `reveal of device ${i} is not validly signed`;
  return { F, E };
}

/** Σ over dealers of each commitment column, then the keys and the public shares; a string if degenerate. */
function outputsOf(p: CeremonyParams, decoded: readonly DecodedReveal[]): CeremonyOutputs | string {
  const F = Array.from({ length: p.t }, (_, k) => decoded.reduce((acc, d) => acc.add(d.F[k]!), G2.ZERO));
  const E = Array.from({ length: p.t }, (_, k) => decoded.reduce((acc, d) => acc.add(d.E[k]!), RP.ZERO));
  if (F[0]!.is0()) return 'the joint token public key is the identity';
  if (E[0]!.is0()) return 'the joint election key is the identity';
  const tokenPublicShares: Uint8Array[] = [];
  const electionPublicShares: Uint8Array[] = [];
  for (const d of p.devices) {
    const pk = publicShareG2(F, d.index);
    const X = publicShareElement(E, d.index);
    if (pk.is0() || X.is0()) return `the public share of device ${d.index} is the identity`;
    tokenPublicShares.push(pk.toBytes(true));
    electionPublicShares.push(X.toBytes());
  }
  return { tokenPublicKey: F[0]!.toBytes(true), electionKey: E[0]!.toBytes(), tokenPublicShares, electionPublicShares };
}

/**
 * The transcript hash every device acknowledges (protocol §4.8):
 * SHA-256(message(DST_TRANSCRIPT, utf8(ceremonyId), u32be(n), u32be(t),
 *   then for each device in index order: u32be(index), utf8(name), signingKey (32), encryptionKey (32),
 *   then each dealer's round-1 digest (32) in index order,
 *   then for each dealer in index order: F_i0…F_i(t−1) (96 each), E_i0…E_i(t−1) (32 each))),
 * every item its own field. `commits` and `reveals` must list devices 1…n in order.
 * @throws CryptoInputError BAD_VALUE / BAD_LENGTH / BAD_HEX for lists out of order or of the wrong shape.
 */
export function ceremonyTranscript(params: CeremonyParams, commits: readonly CeremonyCommit[], reveals: readonly CeremonyReveal[]): Uint8Array {
  const p = checkCeremonyParams(params);
  if (commits.length !== p.n || commits.some((c, k) => c.index !== k + 1)) refuse('BAD_VALUE', 'commits must list devices 1…n in order');
  if (reveals.length !== p.n || reveals.some((r, k) => r.index !== k + 1)) refuse('BAD_VALUE', 'reveals must list devices 1…n in order');
  const parts: Uint8Array[] = [utf8(p.ceremonyId), u32be(p.n), u32be(p.t)];
  for (const d of p.devices) parts.push(u32be(d.index), utf8(d.name), fromHex(d.signingKey, 32, 'signingKey'), fromHex(d.encryptionKey, 32, 'encryptionKey'));
  for (const c of commits) parts.push(fromHex(c.digest, CEREMONY_DIGEST_BYTES, 'digest'));
  for (const r of reveals) {
    if (r.tokenCommitments.length !== p.t || r.electionCommitments.length !== p.t) refuse('BAD_LENGTH', 'each reveal must have t commitments of each kind');
    for (const c of r.tokenCommitments) parts.push(fromHex(c, 96, 'token commitment'));
    for (const c of r.electionCommitments) parts.push(fromHex(c, 32, 'election commitment'));
  }
  return sha256(message(DST_TRANSCRIPT, ...parts));
}

// ---- round 3 --------------------------------------------------------------------------------

/** Outcome of round 3 at one device. */
export type ReceiveResult =
  | {
      readonly ok: true;
      readonly shares: { readonly tokenShare: bigint; readonly electionShare: bigint };
      readonly ack: CeremonyAck;
      readonly transcript: Uint8Array;
    }
  | {
      readonly ok: false;
      /** `against` names the dealer at fault (0 when no single dealer is: a degenerate joint key). */
      readonly failure: { readonly against: number; readonly reason: string };
      readonly complaint?: CeremonyComplaint;
    };

/**
 * Round 3 at device j (protocol §4.8). `state` is this device's own dealer state from round 1
 * (it holds j, the device secret and f_j, g_j, whose values at j are part of j's share). First
 * every public check, for dealers 1…n in order: a validly signed commit; a reveal whose
 * commitments decode, match the digest, with one share for each other device in order, validly
 * signed; this device's own commit and reveal unchanged; a joint key and public shares that are
 * not the identity. The first failure names its dealer, with no complaint (anyone can see it
 * in the messages). Then each share to j is decrypted and checked (MAC, scalar ranges, Feldman);
 * the first bad one gives a failure with a signed complaint against its dealer. Otherwise the
 * result holds s_j = Σ_i f_i(j) mod r, x_j = Σ_i g_i(j) mod ℓ and a signed ack of the transcript.
 * @throws CryptoInputError for bad params or state, or lists that are not arrays of well-formed
 *   messages with distinct indices in 1…n.
 */
export function receiveShares(params: CeremonyParams, state: DealerState, commits: readonly CeremonyCommit[], reveals: readonly CeremonyReveal[]): ReceiveResult {
  const p = checkCeremonyParams(params);
  checkState(p, state);
  const j = state.index;
  const cs = byIndex(arr(commits, MAX_DEVICES, 'commits').map((c, k) => parseCeremonyCommit(c, `commits[${k}]`)), p.n, 'commits');
  const rs = byIndex(arr(reveals, MAX_DEVICES, 'reveals').map((r, k) => parseCeremonyReveal(r, `reveals[${k}]`)), p.n, 'reveals');
  const fail = (against: number, reason: string): ReceiveResult => ({ ok: false, failure: Object.freeze({ against, reason }) });
  const decoded: DecodedReveal[] = [];
  for (let i = 1; i <= p.n; i++) {
    const c = cs[i - 1];
    const r = rs[i - 1];
    if (!c) return fail(i, `no commit from device ${i}`);
    if (!commitValid(p, c)) return fail(i, `the commit of device ${i} is not validly signed`);
    if (!r) return fail(i, `no reveal from device ${i}`);
    const d = checkReveal(p, c, r);
    if (typeof d === 'string') return fail(i, d);
    if (i === j && (c.digest !== state.commit.digest || r.tokenCommitments.join() !== state.tokenCommitments.join() || r.electionCommitments.join() !== state.electionCommitments.join()))
      return fail(i, 'this device’s own commit or reveal was replaced');
    decoded.push(d);
  }
  const outputs = outputsOf(p, decoded);
  if (typeof outputs === 'string') return fail(0, outputs);
  const d_j = state.secret.encryptionSecret;
  let tokenShare = evalPolynomial(state.tokenCoefficients, BigInt(j), Fr.ORDER);
  let electionShare = evalPolynomial(state.electionCoefficients, BigInt(j), ELL);
  for (let i = 1; i <= p.n; i++) {
    if (i === j) continue;
    const r = rs[i - 1]!;
    const E_i = elementFromHex(p.devices[i - 1]!.encryptionKey);
    const K = E_i.multiply(d_j);
    const share = decryptShare(shareKeyStream(p.ceremonyId, i, j, K), r.shares.find((s) => s.to === j)!.ciphertext);
    const reason =
      typeof share === 'string' ? share : feldmanHolds(decoded[i - 1]!.F, decoded[i - 1]!.E, j, share) ? null : 'share does not match the dealer’s commitments';
    if (typeof share === 'string' || reason !== null)
      return { ok: false, failure: Object.freeze({ against: i, reason: `share from device ${i}: ${reason}` }), complaint: makeComplaint(p, state.secret, j, i, K) };
    tokenShare = Fr.add(tokenShare, share.token);
    electionShare = (electionShare + share.election) % ELL;
  }
  const transcript = ceremonyTranscript(p, cs as CeremonyCommit[], rs as CeremonyReveal[]);
  const ack: CeremonyAck = Object.freeze({ index: j, transcript: toHex(transcript), signature: sign(state.secret, ackMessage(p.ceremonyId, j, transcript)) });
  return { ok: true, shares: Object.freeze({ tokenShare, electionShare }), ack, transcript };
}

function makeComplaint(p: CeremonyParams, secret: DeviceSecret, from: number, against: number, K: Element): CeremonyComplaint {
  const E_from = elementFromHex(p.devices[from - 1]!.encryptionKey);
  const E_against = elementFromHex(p.devices[against - 1]!.encryptionKey);
  const proof = proveDleq(DST_COMPLAINT_PROOF, complaintContext(p.ceremonyId, against, from), { g1: BASE, h1: E_from, g2: E_against, h2: K }, secret.encryptionSecret);
  const key = K.toBytes();
  const proofHex = dleqToHex(proof);
  return Object.freeze({
    from,
    against,
    key: toHex(key),
    proof: proofHex,
    signature: sign(secret, complaintMessage(p.ceremonyId, from, against, key, fromHex(proofHex, 64, 'proof'))),
  });
}

/**
 * Judge a complaint from the public messages alone (protocol §4.8). The complaint must be signed
 * by its `from` device and its DLEQ proof must show log_G(E_from) = log_{E_against}(K), so K is
 * the true pairwise key; the accused's reveal must be present and pass every public check except
 * the digest comparison (the judge needs no commit: the reveal's signature binds the accused to
 * its commitments and ciphertexts). Then the share to `from` is decrypted with K:
 * a MAC failure, a scalar out of range or a Feldman mismatch → 'accused-cheated'; a good share →
 * 'accuser-lied'. A reveal signed by the accused whose commitments do not decode, or without a share
 * for the accuser, is also 'accused-cheated'. Anything else (bad signature or proof, unknown devices,
 * missing or unsigned reveal, malformed data) → 'invalid'. Never throws.
 */
export function judgeComplaint(params: CeremonyParams, reveals: readonly CeremonyReveal[], complaint: CeremonyComplaint): 'accused-cheated' | 'accuser-lied' | 'invalid' {
  try {
    const p = checkCeremonyParams(params);
    const c = parseCeremonyComplaint(complaint);
    if (c.from > p.n || c.against > p.n || c.from === c.against) return 'invalid';
    const keyBytes = fromHex(c.key, 32, 'key');
    const proofBytes = fromHex(c.proof, 64, 'proof');
    if (!verifySig(p.devices[c.from - 1]!, complaintMessage(p.ceremonyId, c.from, c.against, keyBytes, proofBytes), c.signature)) return 'invalid';
    const K = decodeElement(keyBytes, 'key');
    const E_from = elementFromHex(p.devices[c.from - 1]!.encryptionKey);
    const E_against = elementFromHex(p.devices[c.against - 1]!.encryptionKey);
    if (!verifyDleq(DST_COMPLAINT_PROOF, complaintContext(p.ceremonyId, c.against, c.from), { g1: BASE, h1: E_from, g2: E_against, h2: K }, dleqFromHex(c.proof))) return 'invalid';
    const r = arr(reveals, MAX_DEVICES, 'reveals').map((x, k) => parseCeremonyReveal(x, `reveals[${k}]`)).find((x) => x.index === c.against);
    if (!r) return 'invalid';
    const digest = commitDigest(p.ceremonyId, r.index, r.tokenCommitments, r.electionCommitments);
    if (!verifySig(p.devices[r.index - 1]!, revealMessage(p.ceremonyId, r.index, digest, r.shares), r.signature)) return 'invalid';
    // From here on the accused signed exactly these commitments and ciphertexts.
    let F: G2Point[];
    let E: Element[];
    try {
      if (r.tokenCommitments.length !== p.t || r.electionCommitments.length !== p.t) return 'accused-cheated';
      F = r.tokenCommitments.map((x) => decodeG2(fromHex(x, 96, 'commitment')));
      E = r.electionCommitments.map((x) => elementFromHex(x));
    } catch {
      return 'accused-cheated';
    }
    const s = r.shares.find((x) => x.to === c.from);
    if (!s) return 'accused-cheated';
    const share = decryptShare(shareKeyStream(p.ceremonyId, c.against, c.from, K), s.ciphertext);
    if (typeof share === 'string') return 'accused-cheated';
    return feldmanHolds(F, E, c.from, share) ? 'accuser-lied' : 'accused-cheated';
  } catch {
    return 'invalid';
  }
}

// ---- the public record ----------------------------------------------------------------------

/** Result of checking a ceremony record. */
export type CeremonyVerdict =
  | ({ readonly ok: true; readonly transcript: Uint8Array } & CeremonyOutputs)
  | { readonly ok: false; readonly code: 'CEREMONY'; readonly detail: string; readonly device?: number };

/**
 * Check the public record of a ceremony (protocol §4.8), with no secret: the strict shape
 * (`parseCeremonyRecord`, including every device key); n commits, n reveals and n acks, each list
 * in device order 1…n; every commit signature; every reveal (t commitments of each kind that
 * decode as G2 points / ristretto255 elements, the round-1 digest, one share for every other
 * device in order, the signature); a joint token key, election key and public shares that are not
 * the identity; and every ack naming the transcript computed here, validly signed. It cannot
 * check the shares (they are secret): the n acks vouch for them.
 * @returns the public keys, the public shares (device j at j−1) and the transcript hash; or the first
 *   failure (`device` names the device whose message failed). Never throws.
 */
export function verifyCeremonyRecord(record: CeremonyRecord): CeremonyVerdict {
  const bad = (detail: string, device?: number): CeremonyVerdict => (device === undefined ? { ok: false, code: 'CEREMONY', detail } : { ok: false, code: 'CEREMONY', detail, device });
  let rec: CeremonyRecord;
  try {
    rec = parseCeremonyRecord(record);
  } catch (e) {
    return bad(`malformed ceremony record: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const p = rec.params;
    if (rec.commits.length !== p.n) return bad(`expected ${p.n} commits, got ${rec.commits.length}`);
    if (rec.reveals.length !== p.n) return bad(`expected ${p.n} reveals, got ${rec.reveals.length}`);
    if (rec.acks.length !== p.n) return bad(`expected ${p.n} acks, got ${rec.acks.length}`);
    for (let k = 0; k < p.n; k++) {
      if (rec.commits[k]!.index !== k + 1) return bad(`commits[${k}] must be device ${k + 1}'s`, k + 1);
      if (rec.reveals[k]!.index !== k + 1) return bad(`reveals[${k}] must be device ${k + 1}'s`, k + 1);
      if (rec.acks[k]!.index !== k + 1) return bad(`acks[${k}] must be device ${k + 1}'s`, k + 1);
    }
    for (const c of rec.commits) if (!commitValid(p, c)) return bad(`the commit of device ${c.index} is not validly signed`, c.index);
    const decoded: DecodedReveal[] = [];
    for (const r of rec.reveals) {
      const d = checkReveal(p, rec.commits[r.index - 1]!, r);
      if (typeof d === 'string') return bad(d, r.index);
      decoded.push(d);
    }
    const outputs = outputsOf(p, decoded);
    if (typeof outputs === 'string') return bad(outputs);
    const transcript = ceremonyTranscript(p, rec.commits, rec.reveals);
    const th = toHex(transcript);
    for (const a of rec.acks) {
      if (a.transcript !== th) return bad(`the ack of device ${a.index} names another transcript`, a.index);
      if (!verifySig(p.devices[a.index - 1]!, ackMessage(p.ceremonyId, a.index, transcript), a.signature)) return bad(`the ack of device ${a.index} is not validly signed`, a.index);
    }
    return { ok: true, transcript, ...outputs };
  } catch (e) {
    return bad(`ceremony record check failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The short fingerprint read aloud and compared on every device (protocol §4.9): the first 8
 * bytes of SHA-256(message(DST_FINGERPRINT, transcript)) as a big-endian integer mod 10^16,
 * zero-padded to 16 decimal digits, in four groups of four separated by single spaces.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH unless the transcript is 32 bytes.
 */
export function ceremonyFingerprint(transcript: Uint8Array): string {
  const h = sha256(message(DST_FINGERPRINT, abytes(transcript, CEREMONY_DIGEST_BYTES, 'transcript')));
  const digits = (beToInt(h.subarray(0, 8)) % 10n ** 16n).toString().padStart(16, '0');
  return digits.match(/.{4}/g)!.join(' ');
}

// ---- strict parsing of messages -----------------------------------------------------------

/** Parse a round-1 message of exactly {index, digest, signature}. @throws CryptoInputError. */
export function parseCeremonyCommit(json: unknown, path = 'commit'): CeremonyCommit {
  const o = obj(json, ['index', 'digest', 'signature'], path);
  return Object.freeze({ index: smallInt(o.index, `${path}.index`), digest: hex(o.digest, CEREMONY_DIGEST_BYTES, `${path}.digest`), signature: hex(o.signature, DEVICE_SIGNATURE_BYTES, `${path}.signature`) });
}

/**
 * Parse a round-2 message of exactly {index, tokenCommitments, electionCommitments, shares, signature}:
 * at most 15 commitments of 96 / 32 bytes, at most 14 shares {to, ciphertext} of 96 bytes.
 * Points are only length-checked; `verifyCeremonyRecord` and `receiveShares` decode them.
 * @throws CryptoInputError.
 */
export function parseCeremonyReveal(json: unknown, path = 'reveal'): CeremonyReveal {
  const o = obj(json, ['index', 'tokenCommitments', 'electionCommitments', 'shares', 'signature'], path);
  return Object.freeze({
    index: smallInt(o.index, `${path}.index`),
    tokenCommitments: Object.freeze(arr(o.tokenCommitments, MAX_DEVICES, `${path}.tokenCommitments`).map((c, k) => hex(c, 96, `${path}.tokenCommitments[${k}]`))),
    electionCommitments: Object.freeze(arr(o.electionCommitments, MAX_DEVICES, `${path}.electionCommitments`).map((c, k) => hex(c, 32, `${path}.electionCommitments[${k}]`))),
    shares: Object.freeze(
      arr(o.shares, MAX_DEVICES - 1, `${path}.shares`).map((s, k) => {
        const x = obj(s, ['to', 'ciphertext'], `${path}.shares[${k}]`);
        return Object.freeze({ to: smallInt(x.to, `${path}.shares[${k}].to`), ciphertext: hex(x.ciphertext, SHARE_CIPHERTEXT_BYTES, `${path}.shares[${k}].ciphertext`) });
      }),
    ),
    signature: hex(o.signature, DEVICE_SIGNATURE_BYTES, `${path}.signature`),
  });
}

/** Parse a round-3 message of exactly {index, transcript, signature}. @throws CryptoInputError. */
export function parseCeremonyAck(json: unknown, path = 'ack'): CeremonyAck {
  const o = obj(json, ['index', 'transcript', 'signature'], path);
  return Object.freeze({ index: smallInt(o.index, `${path}.index`), transcript: hex(o.transcript, CEREMONY_DIGEST_BYTES, `${path}.transcript`), signature: hex(o.signature, DEVICE_SIGNATURE_BYTES, `${path}.signature`) });
}

/** Parse a complaint of exactly {from, against, key, proof, signature}. @throws CryptoInputError. */
export function parseCeremonyComplaint(json: unknown, path = 'complaint'): CeremonyComplaint {
  const o = obj(json, ['from', 'against', 'key', 'proof', 'signature'], path);
  return Object.freeze({
    from: smallInt(o.from, `${path}.from`),
    against: smallInt(o.against, `${path}.against`),
    key: hex(o.key, 32, `${path}.key`),
    proof: hex(o.proof, 64, `${path}.proof`),
    signature: hex(o.signature, DEVICE_SIGNATURE_BYTES, `${path}.signature`),
  });
}

/**
 * Parse a ceremony record of exactly {params, commits, reveals, acks} (protocol §4.8, §7.1):
 * params as `checkCeremonyParams`, each list at most 15 messages of the exact shapes above.
 * Counts, order, points and signatures are checked by `verifyCeremonyRecord`.
 * @throws CryptoInputError naming the first field that is wrong.
 */
export function parseCeremonyRecord(json: unknown): CeremonyRecord {
  const o = obj(json, ['params', 'commits', 'reveals', 'acks'], 'ceremony');
  return Object.freeze({
    params: checkCeremonyParams(o.params),
    commits: Object.freeze(arr(o.commits, MAX_DEVICES, 'ceremony.commits').map((c, k) => parseCeremonyCommit(c, `ceremony.commits[${k}]`))),
    reveals: Object.freeze(arr(o.reveals, MAX_DEVICES, 'ceremony.reveals').map((r, k) => parseCeremonyReveal(r, `ceremony.reveals[${k}]`))),
    acks: Object.freeze(arr(o.acks, MAX_DEVICES, 'ceremony.acks').map((a, k) => parseCeremonyAck(a, `ceremony.acks[${k}]`))),
  });
}

// ---- one message at a time (the relaying server) --------------------------------------------

/**
 * Check one ceremony message as it arrives, before the relay stores it (protocol §4.8): a commit's
 * signature; a reveal against its sender's stored commit (points, digest, shares list, signature);
 * an ack's signature over the transcript of the stored commits and reveals. The receiving devices
 * and the verifier check everything again; this only lets the server refuse, with its sender named,
 * a message that would stall the ceremony. Never throws.
 */
export function checkCeremonyMessage(
  params: CeremonyParams,
  stored: { readonly commits: readonly CeremonyCommit[]; readonly reveals: readonly CeremonyReveal[] },
  msg: { readonly commit: CeremonyCommit } | { readonly reveal: CeremonyReveal } | { readonly ack: CeremonyAck },
): string | null {
  try {
    if ('commit' in msg) return commitValid(params, msg.commit) ? null : `the commit of device ${msg.commit.index} is not validly signed`;
    if ('reveal' in msg) {
      const c = stored.commits.find((x) => x.index === msg.reveal.index);
      if (!c) return `device ${msg.reveal.index} has no commit`;
      const d = checkReveal(params, c, msg.reveal);
      return typeof d === 'string' ? d : null;
    }
    const transcript = ceremonyTranscript(params, stored.commits, stored.reveals);
    if (msg.ack.transcript !== toHex(transcript)) return `the ack of device ${msg.ack.index} names another transcript`;
    return verifySig(params.devices[msg.ack.index - 1]!, ackMessage(params.ceremonyId, msg.ack.index, transcript), msg.ack.signature)
      ? null
      : `the ack of device ${msg.ack.index} is not validly signed`;
  } catch (e) {
    return `malformed ceremony message: ${e instanceof Error ? e.message : String(e)}`;
  }
}
