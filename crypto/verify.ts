/**
 * @module crypto/verify
 * The verifier of v2 bundles (protocol §10): a flat chain of named checks, each with a
 * stable failure code, that re-checks everything the server and the scrutineers claim
 * about one closed sealed ballot — the key ceremony, the issuance logs, every token and
 * every ballot proof, the homomorphic sums, every decryption share and the counts. It
 * returns every failed check in check order and never throws. crypto/ only, so it runs
 * unchanged in Node (the CLI) and in a browser Web Worker.
 */
import { compareBytes, fromHex, toHex } from './bytes.ts';
import { verifyCeremonyRecord } from './ceremony.ts';
import {
  combineDecryptionShares, decodeTotals, parseDecryptionShare, verifyDecryptionShare, type DecryptionShare,
} from './decryption.ts';
import { decodeElement, type Element } from './group.ts';
import { memberBounds, tokensBound, verifyIssuanceLog } from './issuance-log.ts';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from './merkle.ts';
import { decodeG2 } from './points.ts';
import { quorumMet } from './rule.ts';
import { kindOf } from './kinds/index.ts';
import {
  decodeSumCiphertext, encodeCiphertext, sumSealedBallots, verifySealedBallots,
  type BallotShape, type Ciphertext,
} from './sealed.ts';
import { tallyFromCounts, type Tally } from './tally.ts';
import { findInvalidTokens, tokenHash } from './token.ts';
import { ballotShape, bundleId, bundleSignatureValid, castLeaf, tryParseBundle, type Bundle } from './bundle.ts';
import { verifyReceipt, type Receipt } from './receipt.ts';
import { matchesServerKey } from './server-key.ts';
import { ballotHash } from './sealed.ts';

/** Stable codes of the v2 verifier's checks (protocol §10.1). */
export type FailureCode =
  | 'MALFORMED'
  | 'ROUND'
  | 'BUNDLE_SIGNATURE'
  | 'SERVER_KEY'
  | 'CEREMONY'
  | 'PUBLIC_KEY'
  | 'ELECTION_KEY'
  | 'ISSUANCE_LOG'
  | 'ROSTER_INCONSISTENT'
  | 'QUORUM_NOT_MET'
  | 'COUNT_EXCEEDS_ISSUED'
  | 'DUPLICATE_TOKEN'
  | 'BALLOT_ORDER'
  | 'TOKEN_SIGNATURE'
  | 'BALLOT_HASH'
  | 'BALLOT_PROOF'
  | 'MERKLE_ROOT'
  | 'ENCRYPTED_SUM'
  | 'DECRYPTION_SHARE'
  | 'TALLY_MISMATCH'
  | 'OUTCOME_MISMATCH';

/** Every check, in the order the verifier runs and reports them. */
export const CHECKS: readonly FailureCode[] = [
  'MALFORMED', 'ROUND', 'BUNDLE_SIGNATURE', 'SERVER_KEY', 'CEREMONY', 'PUBLIC_KEY', 'ELECTION_KEY', 'ISSUANCE_LOG',
  'ROSTER_INCONSISTENT', 'QUORUM_NOT_MET', 'COUNT_EXCEEDS_ISSUED', 'DUPLICATE_TOKEN', 'BALLOT_ORDER',
  'TOKEN_SIGNATURE', 'BALLOT_HASH', 'BALLOT_PROOF', 'MERKLE_ROOT', 'ENCRYPTED_SUM', 'DECRYPTION_SHARE',
  'TALLY_MISMATCH', 'OUTCOME_MISMATCH',
];

/** One failed check; `ballot` is the index in `bundle.ballots` when the failure is about one cast. */
export type Failure = { readonly code: FailureCode; readonly detail: string; readonly ballot?: number };

export type VerifyResult = {
  readonly ok: boolean;
  readonly failures: readonly Failure[];
  /** The tally recomputed from the decryption (null when it could not be computed). */
  readonly tally: Tally | null;
  readonly bundle: Bundle | null;
  /** The ceremony fingerprint's transcript, for display (null when the ceremony failed). */
  readonly transcript: string | null;
};

export type VerifyOptions = {
  /**
   * Expected server key, e.g. read off the projector or the minutes; checked when given: the
   * whole key (64 hex digits) or its fingerprint (16), as typed (crypto/server-key.ts).
   */
  readonly serverKey?: string;
  /**
   * The bundle of the previous round (parsed JSON), when this ballot is a later round
   * (protocol §7.6): ROUND checks that this ballot names it and follows it.
   */
  readonly previous?: unknown;
  /** Called as work advances (done of total), so a page can show a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Token signatures checked per batch (default 256). */
  readonly batchSize?: number;
  /**
   * `verifyBundleAsync` only: recomputes the sums of ENCRYPTED_SUM elsewhere (e.g. on worker
   * threads) while this thread runs the other checks. Without it they are recomputed here.
   */
  readonly sums?: SumsComputer;
};

/**
 * Σα ‖ Σβ over sealed ballots (hex, in bundle order), as `sumSealedBallots` computes
 * them (protocol §9.1): one hex ciphertext per entry or packed group (`sumCount`); rejects with that function's error when a
 * sealed ballot does not decode. The verifier decodes and compares what it gets, hex for hex.
 */
export type SumsComputer = (shape: BallotShape, sealed: readonly string[]) => Promise<readonly string[]>;

/** What the per-cast checks need, so they can run elsewhere (worker threads). */
export type CastCheckInput = {
  readonly ballotId: string;
  readonly publicKey: Uint8Array;
  readonly electionKey: Uint8Array;
  readonly shape: BallotShape;
  readonly casts: readonly { token: Uint8Array; signature: Uint8Array; sealed: Uint8Array }[];
};
/** Result of the per-cast checks: indices (into `casts`) of bad token signatures and of bad ballot proofs. */
export type CastCheckResult = { readonly badTokens: readonly number[]; readonly badProofs: readonly number[] };
/** Runs the per-cast checks (TOKEN_SIGNATURE, BALLOT_PROOF), e.g. split across threads. */
export type CastChecker = (input: CastCheckInput) => Promise<CastCheckResult>;

/**
 * The per-cast checks on one slice: batched token signatures (protocol §4.5) and every
 * sealed ballot's proofs (protocol §5.3), batched too. Pure; a worker thread runs it on its slice.
 */
export function checkCasts(input: CastCheckInput, opts: { batchSize?: number; proofs?: boolean; onEach?: (done: number) => void } = {}): CastCheckResult {
  const batchSize = opts.batchSize ?? 256;
  const { ballotId, publicKey, electionKey, shape, casts } = input;
  const badTokens: number[] = [];
  for (let lo = 0; lo < casts.length; lo += batchSize) {
    const chunk = casts.slice(lo, lo + batchSize);
    for (const i of findInvalidTokens(publicKey, ballotId, chunk)) badTokens.push(lo + i);
  }
  if (opts.proofs === false) return { badTokens, badProofs: [] };
  // Every cast's proofs, whatever its token: one batched check for the slice (bisected on failure).
  const items = casts.map((c) => ({ ctx: { ballotId, electionKey, tokenHash: tokenHash(ballotId, c.token) }, bytes: c.sealed }));
  const badProofs = verifySealedBallots(shape, items, { onProgress: opts.onEach });
  return { badTokens, badProofs };
}

/** Verify a v2 audit bundle (parsed JSON) on this thread. Never throws. */
export function verifyBundle(json: unknown, opts: VerifyOptions = {}): VerifyResult {
  try {
    const parsed = tryParseBundle(json);
    if ('error' in parsed) return malformed(parsed.error.message);
    const b = parsed.bundle;
    const input = castInput(b);
    const total = b.ballots.length + 1;
    const casts = input
      ? checkCasts(input, {
          batchSize: Number.isSafeInteger(opts.batchSize) ? Math.max(1, opts.batchSize!) : 256,
          onEach: (d) => {
            if (d % 16 === 0) opts.onProgress?.(d, total);
          },
        })
      : null;
    const steps = checks(b, opts);
    let step = steps.next();
    while (!step.done) step = steps.next(step.value === 'casts' ? casts : null);
    opts.onProgress?.(total, total);
    return step.value;
  } catch (e) {
    return malformed(`verifier error: ${String((e as Error)?.message ?? e)}`);
  }
}

/** Lets other work (other requests, worker messages) run between the main thread's checks. */
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * The same checks with the per-cast checks run by `checker` (e.g. on worker threads), and the
 * sums by `opts.sums` when given, while this thread runs the others meanwhile (pausing between
 * them). The result is identical to `verifyBundle`'s. Never throws; a failing checker is
 * reported as MALFORMED.
 */
export async function verifyBundleAsync(json: unknown, checker: CastChecker, opts: VerifyOptions = {}): Promise<VerifyResult> {
  try {
    const parsed = tryParseBundle(json);
    if ('error' in parsed) return malformed(parsed.error.message);
    const b = parsed.bundle;
    const input = castInput(b);
    // Started at once and settled into values: a failure is never an unhandled rejection.
    const sumsOn = opts.sums;
    const sums = sumsOn
      ? Promise.resolve()
          .then(() => sumsOn(ballotShape(b.ballot), b.ballots.map((x) => x.sealed)))
          .then((hex): SumsOutcome => ({ hex }), (error: unknown): SumsOutcome => ({ error }))
      : null;
    const casts = input ? checker(input).then((r) => ({ r }), (error: unknown) => ({ error })) : Promise.resolve({ r: null });
    await pause();
    const steps = checks(b, opts);
    let step = steps.next();
    while (!step.done) {
      let value: CastCheckResult | SumsOutcome | null = null;
      if (step.value === 'pause') await pause();
      else if (step.value === 'sums') value = sums ? await sums : null;
      else {
        const settled = await casts;
        if ('error' in settled) return malformed(`verifier error: ${String((settled.error as Error)?.message ?? settled.error)}`);
        value = settled.r;
      }
      step = steps.next(value);
    }
    return step.value;
  } catch (e) {
    return malformed(`verifier error: ${String((e as Error)?.message ?? e)}`);
  }
}

function malformed(detail: string): VerifyResult {
  return { ok: false, failures: [{ code: 'MALFORMED', detail }], tally: null, bundle: null, transcript: null };
}

/** The per-cast check input, or null when a ballot key does not decode (then every cast fails with it). */
function castInput(b: Bundle): CastCheckInput | null {
  try {
    decodeG2(fromHex(b.publicKey, 96, 'publicKey'));
    decodeElement(fromHex(b.electionKey, 32, 'electionKey'));
  } catch {
    return null;
  }
  return {
    ballotId: b.ballot.id,
    publicKey: fromHex(b.publicKey, 96, 'publicKey'),
    electionKey: fromHex(b.electionKey, 32, 'electionKey'),
    shape: ballotShape(b.ballot),
    casts: b.ballots.map((x) => ({ token: fromHex(x.token, 32, 'token'), signature: fromHex(x.signature, 48, 'signature'), sealed: fromHex(x.sealed, undefined, 'sealed') })),
  };
}

/**
 * What the checks ask their driver for: a moment for other work ('pause'), the per-cast results
 * ('casts': CastCheckResult, or null when a ballot key does not decode), or the sums computed
 * elsewhere ('sums': a SumsOutcome, or null to recompute them here).
 */
type Need = 'pause' | 'casts' | 'sums';
type SumsOutcome = { readonly hex: readonly string[] } | { readonly error: unknown };

/** Casts per step of the checks done one cast at a time, between pauses. */
const CHUNK = 200;

/**
 * The checks of §10.1, in a generator so that a driver can pause between steps and hand in the
 * per-cast results and the sums when they are ready. Failures are collected in the order of the
 * steps (the per-cast checks' last) and reported sorted by check (`CHECKS`), each check's own
 * failures in the order it found them — so where and when each step runs changes nothing in
 * the result.
 */
function* checks(b: Bundle, opts: VerifyOptions): Generator<Need, VerifyResult, CastCheckResult | SumsOutcome | null> {
  const failures: Failure[] = [];
  const fail = (code: FailureCode, detail: string, ballot?: number) =>
    failures.push(ballot === undefined ? { code, detail } : { code, detail, ballot });
  const def = b.ballot;
  const n = b.ballots.length;
  const shape = ballotShape(def);

  // ROUND: a later round names the bundle it follows; with that bundle at hand, it is that one.
  if (opts.previous !== undefined) {
    const prev = tryParseBundle(opts.previous);
    const link = def.round.previous;
    if ('error' in prev) fail('ROUND', `the previous round's bundle is malformed: ${prev.error.message}`);
    else if (!link) fail('ROUND', 'this ballot is a first round: it follows no bundle');
    else {
      const p = prev.bundle;
      if (link.bundleId !== bundleId(p) || link.ballotId !== p.ballot.id) fail('ROUND', `this round follows bundle ${link.bundleId} of ballot ${link.ballotId}, not the one given (${bundleId(p)})`);
      if (def.round.number !== p.ballot.round.number + 1) fail('ROUND', `round ${def.round.number} cannot follow round ${p.ballot.round.number}`);
      if (def.meetingId !== p.ballot.meetingId || def.type !== p.ballot.type) fail('ROUND', 'a round must be of the same meeting and kind as the one it follows');
      const before = new Set(p.ballot.items.map((i) => i.nominee));
      const added = def.items.find((i) => !before.has(i.nominee));
      if (added) fail('ROUND', `${added.nominee} was not an item of the previous round`);
    }
  }

  // BUNDLE_SIGNATURE / SERVER_KEY.
  if (!bundleSignatureValid(b)) fail('BUNDLE_SIGNATURE', 'the server signature over the bundle does not verify');
  if (opts.serverKey !== undefined && !matchesServerKey(opts.serverKey, b.serverKey))
    fail('SERVER_KEY', `bundle is signed by ${b.serverKey}, expected ${opts.serverKey}`);
  yield 'pause';

  // CEREMONY: every device signed, every reveal matches its commitment, every device acknowledged.
  const ceremony = verifyCeremonyRecord(b.ceremony);
  if (!ceremony.ok) fail('CEREMONY', ceremony.detail);
  const t = b.ceremony.params.t;

  // PUBLIC_KEY / ELECTION_KEY: the ballot keys are the ceremony's joint keys.
  if (ceremony.ok && toHex(ceremony.tokenPublicKey) !== b.publicKey) fail('PUBLIC_KEY', 'the token key is not the one the ceremony produced');
  else if (!ceremony.ok) {
    try {
      decodeG2(fromHex(b.publicKey, 96, 'publicKey'), 'publicKey');
    } catch (e) {
      fail('PUBLIC_KEY', `token public key is invalid: ${(e as Error).message}`);
    }
  }
  let electionKey: Element | null = null;
  try {
    electionKey = decodeElement(fromHex(b.electionKey, 32, 'electionKey'), 'electionKey');
    if (ceremony.ok && toHex(ceremony.electionKey) !== b.electionKey) fail('ELECTION_KEY', 'the election key is not the one the ceremony produced');
  } catch (e) {
    fail('ELECTION_KEY', `election key is invalid: ${(e as Error).message}`);
  }
  yield 'pause';

  // ISSUANCE_LOG: each log is signed by its device; it names present members only; the roster's
  // `issued` is backed by the logs (a token needs t devices' partial signatures).
  const byId = new Map(b.roster.map((m) => [m.memberId, m]));
  const logs: (typeof b.issuanceLogs)[number][] = [];
  for (const [i, log] of b.issuanceLogs.entries()) {
    if (log === null) {
      logs.push(null);
      continue;
    }
    const device = b.ceremony.params.devices[i];
    if (!device || !verifyIssuanceLog(def.id, device, log)) {
      fail('ISSUANCE_LOG', `device ${i + 1}'s issuance log is not signed by that device`);
      logs.push(null);
    } else {
      const stray = log.entries.find((id) => !byId.get(id)?.present);
      if (stray !== undefined) fail('ISSUANCE_LOG', `device ${i + 1} signed for ${stray}, who is not a present member on the roster`);
      logs.push(log);
    }
    yield 'pause';
  }
  const bounds = memberBounds(logs, t);
  for (const m of b.roster) {
    // A member no log names could have been served only by devices without a log.
    const bound = bounds.get(m.memberId) ?? tokensBound(logs.map((l) => (l ? 0 : null)), t);
    if (m.issued > bound) fail('ISSUANCE_LOG', `${m.name} (${m.memberId}) is listed as issued ${m.issued} but the logs allow ${bound}`);
  }

  // ROSTER_INCONSISTENT (every member of a kind the ballot type entitles; tokens only to present
  // members) / QUORUM_NOT_MET.
  const kind = kindOf(def.type);
  b.roster.forEach((m) => {
    if (!kind.entitled.includes(m.kind)) fail('ROSTER_INCONSISTENT', `${m.name} (${m.memberId}) is a ${m.kind} member, not entitled to a ${def.type} ballot`);
    if (m.issued > 0 && !m.present) fail('ROSTER_INCONSISTENT', `${m.name} (${m.memberId}) was issued a token but is not marked present`);
  });
  const entitled = b.roster.length;
  const present = b.roster.filter((m) => m.present).length;
  const issued = b.roster.filter((m) => m.issued > 0).length;
  if (!quorumMet(def.rule, present, entitled))
    fail('QUORUM_NOT_MET', `present ${present} of entitled ${entitled} is below the quorum ${def.rule.quorum?.num}/${def.rule.quorum?.den}`);

  // COUNT_EXCEEDS_ISSUED: 收回票 ≤ 发出票, and no more casts than the logs allow tokens.
  if (n > issued) fail('COUNT_EXCEEDS_ISSUED', `${n} ballots cast but only ${issued} members were issued a token`);
  const logBound = tokensBound(logs.map((l) => (l === null ? null : l.entries.length)), t);
  if (n > logBound) fail('COUNT_EXCEEDS_ISSUED', `${n} ballots cast but the scrutineers' issuance logs allow at most ${logBound} tokens`);
  yield 'pause';

  // DUPLICATE_TOKEN / BALLOT_ORDER.
  const hashes = b.ballots.map((x) => tokenHash(def.id, fromHex(x.token, 32, 'token')));
  const seen = new Map<string, number>();
  b.ballots.forEach((x, i) => {
    const first = seen.get(x.token);
    if (first !== undefined) fail('DUPLICATE_TOKEN', `ballot ${i} repeats the token of ballot ${first}`, i);
    else seen.set(x.token, i);
  });
  for (let i = 1; i < n; i++)
    if (compareBytes(hashes[i - 1]!, hashes[i]!) > 0) {
      fail('BALLOT_ORDER', `ballots ${i - 1} and ${i} are not sorted by token hash`, i);
      break;
    }
  yield 'pause';

  // BALLOT_HASH: c is the hash of the sealed ballot.
  for (let lo = 0; lo < n; lo += CHUNK) {
    for (let i = lo; i < Math.min(n, lo + CHUNK); i++) {
      const x = b.ballots[i]!;
      if (toHex(ballotHash(def.id, fromHex(x.sealed, undefined, 'sealed'))) !== x.commitment)
        fail('BALLOT_HASH', `ballot ${i}: the commitment hash is not the hash of its sealed ballot`, i);
    }
    yield 'pause';
  }

  // MERKLE_ROOT.
  const root = merkleRoot(b.ballots.map((x) => leafHash(castLeaf(def.id, x))));
  if (toHex(root) !== b.merkleRoot) fail('MERKLE_ROOT', `merkle root is ${toHex(root)}, bundle says ${b.merkleRoot}`);
  yield 'pause';

  // ENCRYPTED_SUM: the published sums are the sums of every published sealed ballot.
  let sums: Ciphertext[] | null = null;
  const given = (yield 'sums') as SumsOutcome | null;
  try {
    let recomputed: Ciphertext[];
    if (given === null) {
      // Only the ciphertexts are needed here (each α, β fully validated); the proofs are BALLOT_PROOF's.
      recomputed = yield* sumInChunks(shape, b.ballots);
    } else if ('error' in given) throw given.error;
    else {
      if (!Array.isArray(given.hex) || given.hex.length !== b.sums.length) throw new Error(`${given.hex?.length} sums for ${b.sums.length} entries`);
      recomputed = given.hex.map((h, k) => decodeSumCiphertext(fromHex(h, 64, `sums[${k}]`)));
    }
    recomputed.forEach((c, k) => {
      if (toHex(encodeCiphertext(c)) !== b.sums[k]) fail('ENCRYPTED_SUM', `sum ${k} is not the sum of the published ballots`);
    });
    sums = recomputed;
  } catch (e) {
    fail('ENCRYPTED_SUM', `the sums cannot be recomputed: ${(e as Error)?.message ?? String(e)}`);
  }

  // DECRYPTION_SHARE: at least t shares from distinct devices, each proven against its public share.
  const good: DecryptionShare[] = [];
  if (sums && electionKey && ceremony.ok) {
    for (const d of b.decryption) {
      const pub = ceremony.electionPublicShares[d.index - 1];
      let share: DecryptionShare | null = null;
      try {
        share = parseDecryptionShare(d, sums.length);
      } catch {
        share = null;
      }
      if (!pub || !share) {
        fail('DECRYPTION_SHARE', `decryption share of device ${d.index} is not from a ceremony device`);
        continue;
      }
      const bad = verifyDecryptionShare({ ballotId: def.id, electionKey: fromHex(b.electionKey, 32, 'electionKey') }, decodeElement(pub), sums, share);
      if (bad.length) fail('DECRYPTION_SHARE', `decryption share of device ${d.index} fails its proof for entr${bad.length > 1 ? 'ies' : 'y'} ${bad.join(', ')}`);
      else good.push(share);
    }
    if (good.length < t) fail('DECRYPTION_SHARE', `${good.length} valid decryption shares, ${t} needed`);
  } else if (b.decryption.length < t) fail('DECRYPTION_SHARE', `${b.decryption.length} decryption shares, ${t} needed`);

  // TALLY_MISMATCH / OUTCOME_MISMATCH: counts from the decryption; outcomes by the published rule.
  let tally: Tally | null = null;
  if (sums && good.length >= t) {
    const combined = combineDecryptionShares(sums, good.slice(0, t));
    const decoded = decodeTotals(shape, combined, n);
    if ('bad' in decoded) fail('TALLY_MISMATCH', `sum ${decoded.bad} does not decrypt to counts of ${n} ballots`);
    else tally = tallyFromCounts(def, b.roster, n, decoded.totals);
  }
  if (tally) {
    for (const k of ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid'] as const)
      if (tally[k] !== b.tally[k]) fail('TALLY_MISMATCH', `${k} is ${tally[k]}, bundle says ${b.tally[k]}`);
    tally.items.forEach((it, i) => {
      const claimed = b.tally.items[i]!;
      if (it.entitled !== claimed.entitled) fail('TALLY_MISMATCH', `item ${it.itemId}: entitled is ${it.entitled}, bundle says ${claimed.entitled}`);
      for (const o of def.options)
        if (it.counts[o] !== claimed.counts[o]) fail('TALLY_MISMATCH', `item ${it.itemId}: ${o} is ${it.counts[o]}, bundle says ${claimed.counts[o]}`);
      for (const k of ['outcome', 'rank', 'flagged'] as const)
        if (it[k] !== claimed[k]) fail('OUTCOME_MISMATCH', `item ${it.itemId}: ${k} is ${it[k]}, bundle says ${claimed[k]}`);
    });
  } else fail('TALLY_MISMATCH', 'the counts cannot be recomputed from the decryption');

  // TOKEN_SIGNATURE / BALLOT_PROOF (run by checkCasts, here or on other threads): last, as they
  // take longest when they run elsewhere.
  const casts = (yield 'casts') as CastCheckResult | null;
  const badTokens = casts ? casts.badTokens : b.ballots.map((_, i) => i);
  for (const i of [...new Set(badTokens)].sort((x, y) => x - y))
    fail('TOKEN_SIGNATURE', `ballot ${i} has no valid blind signature under the token key`, i);
  // BALLOT_PROOF: every entry is 0 or 1 and every group's sum is within its bounds.
  const badProofs = new Set(casts ? casts.badProofs : b.ballots.map((_, i) => i));
  for (const i of [...badProofs].sort((x, y) => x - y))
    fail('BALLOT_PROOF', `ballot ${i}: the proofs of its sealed ballot do not verify`, i);

  const order = (c: FailureCode) => CHECKS.indexOf(c);
  const sorted = failures.map((f, i) => ({ f, i })).sort((x, y) => order(x.f.code) - order(y.f.code) || x.i - y.i).map((x) => x.f);
  return { ok: sorted.length === 0, failures: sorted, tally, bundle: b, transcript: ceremony.ok ? toHex(ceremony.transcript) : null };
}

/** The sums of ENCRYPTED_SUM, `sumSealedBallots` over CHUNK casts at a time (the same sums: the group is commutative). */
function* sumInChunks(shape: BallotShape, ballots: readonly { sealed: string }[]): Generator<Need, Ciphertext[], unknown> {
  let acc: Ciphertext[] | null = null;
  for (let lo = 0; lo < ballots.length || acc === null; lo += CHUNK) {
    const part = sumSealedBallots(shape, ballots.slice(lo, lo + CHUNK).map((x) => fromHex(x.sealed, undefined, 'sealed')));
    acc = acc ? acc.map((c, k) => ({ alpha: c.alpha.add(part[k]!.alpha), beta: c.beta.add(part[k]!.beta) })) : part;
    if (lo + CHUNK < ballots.length) yield 'pause';
  }
  return acc;
}

/** Where a receipt stands against a verified v2 bundle (protocol §10.2). */
export type ReceiptCheck =
  | { readonly status: 'included'; readonly index: number; readonly proof: readonly string[] }
  | { readonly status: 'missing' } // signed by this bundle's server, for its keys, yet absent: proof of misbehaviour
  | { readonly status: 'other-keys' } // signed by this server for other ballot keys: proof of a tagged tablet
  | { readonly status: 'invalid-receipt' }
  | { readonly status: 'other-ballot' }
  | { readonly status: 'other-server' };

/** Is the cast behind `receipt` in the bundle, with the same σ and commitment? Never throws. */
export function checkReceipt(bundle: Bundle, receipt: Receipt): ReceiptCheck {
  try {
    if (!verifyReceipt(receipt)) return { status: 'invalid-receipt' };
    if (receipt.ballotId !== bundle.ballot.id) return { status: 'other-ballot' };
    if (receipt.serverKey !== bundle.serverKey) return { status: 'other-server' };
    if (receipt.publicKey !== bundle.publicKey || receipt.electionKey !== bundle.electionKey) return { status: 'other-keys' };
    const id = bundle.ballot.id;
    const index = bundle.ballots.findIndex(
      (x) => toHex(tokenHash(id, fromHex(x.token, 32, 'token'))) === receipt.tokenHash && x.commitment === receipt.commitment && x.signature === receipt.sigma,
    );
    if (index < 0) return { status: 'missing' };
    const leaves = bundle.ballots.map((x) => leafHash(castLeaf(id, x)));
    const proof = inclusionProof(leaves, index);
    if (!verifyInclusion(leaves[index]!, index, leaves.length, proof, fromHex(bundle.merkleRoot, 32, 'merkleRoot'))) return { status: 'missing' };
    return { status: 'included', index, proof: proof.map(toHex) };
  } catch {
    return { status: 'invalid-receipt' };
  }
}

/** Decode the published sums (the identity is allowed: a ballot with no casts). */
export function publishedSums(b: Bundle): Ciphertext[] {
  return b.sums.map((s, k) => decodeSumCiphertext(fromHex(s, 64, `sums[${k}]`)));
}
