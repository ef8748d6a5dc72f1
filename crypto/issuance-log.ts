/**
 * @module crypto/issuance-log
 * A scrutineer device's signed issuance log (protocol §4.10). A device makes a partial
 * signature on a blinded point only for a member its scrutineer confirmed present, once per
 * member per ballot (plus re-issues the scrutineers approved). Its log for a ballot is the
 * list of member ids it signed for, in order, kept as a hash chain:
 *
 *   h_0 = SHA-256(message(DST_ISSUANCE_LOG, utf8(ballotId), u32be(device), signingKey))
 *   h_k = SHA-256(message(DST_ISSUANCE_LOG, h_{k−1}, utf8(memberId_k)))
 *
 * and the device signs the head (count, h_count) after every issuance, and once with count 0
 * when its scrutineer confirms attendance. The logs are published in the bundle; with
 * `tokensBound` / `memberBounds` the verifier bounds how many tokens t-of-n issuance can have
 * produced, in all and per member, without trusting the server.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, fromHex, toHex, utf8 } from './bytes.ts';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import type { DeviceKey } from './ceremony.ts';
import { DST_ISSUANCE_LOG, DST_ISSUANCE_LOG_SIGNATURE } from './dst.ts';
import { message, u32be } from './encoding.ts';
import { refuse } from './errors.ts';
import { assertId } from './ids.ts';
import { MAX_DEVICES, assertDeviceIndex } from './threshold.ts';

/** Most entries in one device's log for one ballot (as many as a bundle has ballots). */
export const MAX_LOG_ENTRIES = 100_000;

/** A device's signed log for one ballot: the member ids it signed for, in order, and its signature on the head. */
export type IssuanceLog = {
  readonly device: number;
  readonly entries: readonly string[];
  readonly signature: string;
};

function checkEntries(entries: readonly string[]): readonly string[] {
  if (!Array.isArray(entries)) refuse('BAD_TYPE', 'entries must be an array');
  if (entries.length > MAX_LOG_ENTRIES) refuse('BAD_LENGTH', `a log has at most ${MAX_LOG_ENTRIES} entries`);
  entries.forEach((e, k) => assertId(e, `entries[${k}]`));
  return entries;
}

/**
 * The head h_count of the hash chain over `entries` (protocol §4.10), count = entries.length.
 * @throws CryptoInputError BAD_VALUE (ballot id, device index 1…15, a member id),
 *   BAD_TYPE / BAD_LENGTH (signing key not 32 bytes, too many entries).
 */
export function logHead(ballotId: string, device: number, signingKey: Uint8Array, entries: readonly string[]): Uint8Array {
  assertId(ballotId, 'ballotId');
  assertDeviceIndex(device, 'device');
  abytes(signingKey, 32, 'signing key');
  checkEntries(entries);
  let h = sha256(message(DST_ISSUANCE_LOG, utf8(ballotId), u32be(device), signingKey));
  for (const id of entries) h = sha256(message(DST_ISSUANCE_LOG, h, utf8(id)));
  return h;
}

/** message(DST_ISSUANCE_LOG_SIGNATURE, utf8(ballotId), u32be(device), u32be(count), h_count). */
function headMessage(ballotId: string, device: number, count: number, head: Uint8Array): Uint8Array {
  return message(DST_ISSUANCE_LOG_SIGNATURE, utf8(ballotId), u32be(device), u32be(count), head);
}

/**
 * Sign the log's head (protocol §4.10): Ed25519 over
 * message(DST_ISSUANCE_LOG_SIGNATURE, utf8(ballotId), u32be(device), u32be(count), h_count).
 * Called with no entries when the scrutineer confirms attendance, then after every issuance.
 * @throws CryptoInputError as `logHead`, and BAD_VALUE if `signingKey` is not the key of `signingSecret`.
 */
export function signIssuanceLog(ballotId: string, device: number, signingSecret: Uint8Array, signingKey: Uint8Array, entries: readonly string[]): IssuanceLog {
  abytes(signingSecret, 32, 'signing secret');
  const head = logHead(ballotId, device, signingKey, entries);
  if (toHex(ed25519.getPublicKey(signingSecret)) !== toHex(signingKey)) refuse('BAD_VALUE', 'signingKey is not the key of signingSecret');
  const signature = toHex(ed25519Sign(signingSecret, headMessage(ballotId, device, entries.length, head)));
  return Object.freeze({ device, entries: Object.freeze([...entries]), signature });
}

/**
 * True iff `log` is well formed (`parseIssuanceLog`), is the log of `deviceKey` (same index) and
 * carries a valid strict Ed25519 signature (no ZIP-215 leniency) of that device on its head for
 * `ballotId`. Never throws.
 */
export function verifyIssuanceLog(ballotId: string, deviceKey: DeviceKey, log: IssuanceLog): boolean {
  try {
    const l = parseIssuanceLog(log);
    if (l.device !== deviceKey.index) return false;
    const key = fromHex(deviceKey.signingKey, 32, 'signing key');
    const head = logHead(ballotId, l.device, key, l.entries);
    return ed25519Verify(key, headMessage(ballotId, l.device, l.entries.length, head), fromHex(l.signature, 64, 'signature'));
  } catch {
    return false;
  }
}

/**
 * Parse a log of exactly {device, entries, signature}: device 1…15, at most 100 000 member ids
 * (repeats allowed: approved re-issues), a 64-byte signature in hex.
 * @throws CryptoInputError BAD_TYPE / BAD_VALUE / BAD_LENGTH / BAD_HEX.
 */
export function parseIssuanceLog(json: unknown): IssuanceLog {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) refuse('BAD_TYPE', 'issuance log must be an object');
  if (Object.keys(json).sort().join() !== 'device,entries,signature') refuse('BAD_VALUE', 'issuance log must have exactly the fields device, entries, signature');
  const o = json as Record<string, unknown>;
  const device = assertDeviceIndex(o.device, 'issuance log device');
  if (!Array.isArray(o.entries)) refuse('BAD_TYPE', 'issuance log entries must be an array');
  const entries = checkEntries(o.entries as string[]);
  fromHex(o.signature, 64, 'issuance log signature');
  return Object.freeze({ device, entries: Object.freeze([...entries]), signature: o.signature as string });
}

function checkThreshold(t: number, n: number): void {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1 || t > MAX_DEVICES) refuse('BAD_VALUE', `t must be an integer in 1…${MAX_DEVICES}`);
  if (n > MAX_DEVICES) refuse('BAD_LENGTH', `at most ${MAX_DEVICES} devices`);
}

/**
 * Upper bound on the number of tokens that t-of-n partial signatures can have produced when
 * device j signed at most counts[j] times (null = no signed log: unbounded): the largest k with
 * Σ_j min(c_j, k) ≥ t·k, or Infinity.
 *
 * Proof that it is an upper bound. Each token's signature needs partial signatures from t
 * distinct devices on its blinded point (one-more unforgeability of threshold blind BLS: fewer
 * than t shares give nothing, and one partial serves one blinded point, hence one token). Let k
 * tokens have been produced and let u_j be the number of them device j took part in. Device j
 * signed at most c_j times, so u_j ≤ c_j; it takes part in a token at most once, so u_j ≤ k.
 * Counting (token, device) pairs: t·k = Σ_j u_j ≤ Σ_j min(c_j, k). So every achievable k
 * satisfies the inequality, and the bound is the largest k that does.
 *
 * It is also attained (so it is the best bound from the counts alone): write the slots of device
 * 1 (min(c_1, K) of them), then device 2, … in one sequence and give slot number m to token m mod K;
 * since a device has at most K consecutive slots, no token gets one device twice, and each of the
 * K tokens gets ≥ t slots when Σ_j min(c_j, K) ≥ t·K.
 *
 * Computing it. With u devices unbounded (min(∞, k) = k): if u ≥ t the inequality holds for every
 * k (Infinity). Otherwise g(k) = Σ_j min(c_j, k) − t·k is concave with g(0) = 0, so {k ≥ 0 : g(k) ≥ 0}
 * is an interval [0, K]; since g(k) ≥ 0 needs (t − u)·k ≤ Σ_bounded c_j, K ≤ ⌊Σc / (t − u)⌋, and a
 * binary search finds it. With fewer than t devices the bound is 0.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH (counts not an array of at most 15), BAD_VALUE (a count
 *   not a non-negative safe integer or null, t not in 1…15).
 */
export function tokensBound(counts: readonly (number | null)[], t: number): number {
  if (!Array.isArray(counts)) refuse('BAD_TYPE', 'counts must be an array');
  checkThreshold(t, counts.length);
  let unbounded = 0;
  let sum = 0;
  const bounded: number[] = [];
  for (const c of counts) {
    if (c === null) unbounded++;
    else if (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0) {
      bounded.push(c);
      sum += c;
    } else refuse('BAD_VALUE', 'each count must be a non-negative integer or null');
  }
  if (unbounded >= t) return Infinity;
  const holds = (k: number) => unbounded * k + bounded.reduce((s, c) => s + Math.min(c, k), 0) >= t * k;
  let lo = 0;
  let hi = Math.floor(sum / (t - unbounded));
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (holds(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Per member id, the bound of `tokensBound` over that member's per-device counts (how many
 * times each device's log names the member). `logs` is by device (index j−1); a missing log
 * (null) counts as unbounded for every member. Only members named in some log appear; any other
 * member's bound is `tokensBound(logs.map((l) => (l ? 0 : null)), t)` (0 unless t logs are missing).
 * The logs should have been checked with `verifyIssuanceLog` first.
 * @throws CryptoInputError BAD_TYPE / BAD_LENGTH / BAD_VALUE (a log in the wrong place, or t out of range).
 */
export function memberBounds(logs: readonly (IssuanceLog | null)[], t: number): Map<string, number> {
  if (!Array.isArray(logs)) refuse('BAD_TYPE', 'logs must be an array');
  checkThreshold(t, logs.length);
  const perMember = new Map<string, (number | null)[]>();
  logs.forEach((log, j) => {
    if (log === null) return;
    if (typeof log !== 'object' || log.device !== j + 1) refuse('BAD_VALUE', `logs[${j}] must be device ${j + 1}'s log`);
    for (const id of log.entries) {
      let c = perMember.get(id);
      if (!c) perMember.set(id, (c = logs.map((l) => (l === null ? null : 0))));
      c[j] = (c[j] as number) + 1;
    }
  });
  const out = new Map<string, number>();
  for (const [id, c] of perMember) out.set(id, tokensBound(c, t));
  return out;
}
