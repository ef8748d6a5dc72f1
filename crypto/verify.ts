/**
 * @module crypto/verify
 * The bundle verifier (protocol §10): a flat chain of named checks, each with a stable
 * failure code, that re-checks everything the server claims about one closed ballot. It
 * returns every failed check, not only the first, and never throws. It depends on
 * crypto/ alone, so it runs unchanged in Node (the CLI) and in a browser Web Worker.
 */
import { fromHex, toHex, compareBytes } from './bytes.ts';
import { checkOpening } from './commitment.ts';
import { castLeaf, bundleSignatureValid, tryParseBundle, type Bundle } from './bundle.ts';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from './merkle.ts';
import { decodeG2 } from './points.ts';
import { verifyReceipt, type Receipt } from './receipt.ts';
import { quorumMet } from './rule.ts';
import { computeTally, validChoices, type Tally } from './tally.ts';
import { findInvalidTokens, tokenHash } from './token.ts';

/** Stable codes of the verifier's checks (protocol §10). */
export type FailureCode =
  | 'MALFORMED'
  | 'BUNDLE_SIGNATURE'
  | 'SERVER_KEY'
  | 'PUBLIC_KEY'
  | 'ROSTER_INCONSISTENT'
  | 'QUORUM_NOT_MET'
  | 'COUNT_EXCEEDS_ISSUED'
  | 'DUPLICATE_TOKEN'
  | 'BALLOT_ORDER'
  | 'TOKEN_SIGNATURE'
  | 'COMMITMENT_OPENING'
  | 'INVALID_CHOICE'
  | 'MERKLE_ROOT'
  | 'TALLY_MISMATCH'
  | 'OUTCOME_MISMATCH';

/** Every check, in the order the verifier runs them. */
export const CHECKS: readonly FailureCode[] = [
  'MALFORMED', 'BUNDLE_SIGNATURE', 'SERVER_KEY', 'PUBLIC_KEY', 'ROSTER_INCONSISTENT', 'QUORUM_NOT_MET',
  'COUNT_EXCEEDS_ISSUED', 'DUPLICATE_TOKEN', 'BALLOT_ORDER', 'TOKEN_SIGNATURE', 'COMMITMENT_OPENING',
  'INVALID_CHOICE', 'MERKLE_ROOT', 'TALLY_MISMATCH', 'OUTCOME_MISMATCH',
];

/** One failed check; `ballot` is the index in `bundle.ballots` when the failure is about one cast. */
export type Failure = { readonly code: FailureCode; readonly detail: string; readonly ballot?: number };

/** Verifier result: `tally` is the recomputed tally (null when the bundle could not be parsed). */
export type VerifyResult = {
  readonly ok: boolean;
  readonly failures: readonly Failure[];
  readonly tally: Tally | null;
  readonly bundle: Bundle | null;
};

export type VerifyOptions = {
  /** Expected server key (hex), e.g. read off the projector or the minutes; checked when given. */
  readonly serverKey?: string;
  /** Called as work advances, so a page can show a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Token signatures checked per batch (default 256). */
  readonly batchSize?: number;
};

/** Checks many token signatures under one key; returns the indices of invalid ones. */
export type TokenChecker = (
  publicKey: Uint8Array,
  ballotId: string,
  items: readonly { token: Uint8Array; signature: Uint8Array }[],
) => Promise<number[]>;

/** Verify an audit bundle (parsed JSON). Never throws. */
export function verifyBundle(json: unknown, opts: VerifyOptions = {}): VerifyResult {
  try {
    return run(json, opts, undefined);
  } catch (e) {
    return crashed(e);
  }
}

/**
 * The same checks, with the token signatures checked by `checkTokens` — e.g. split across
 * worker threads so a large bundle uses every core. Never throws (a checker failure is
 * reported as MALFORMED).
 */
export async function verifyBundleAsync(json: unknown, checkTokens: TokenChecker, opts: VerifyOptions = {}): Promise<VerifyResult> {
  try {
    const parsed = tryParseBundle(json);
    if ('error' in parsed) return run(json, opts, undefined);
    const b = parsed.bundle;
    try {
      decodeG2(fromHex(b.publicKey, 96, 'publicKey'), 'publicKey');
    } catch {
      return run(json, opts, undefined); // PUBLIC_KEY fails; every token check fails with it
    }
    const items = b.ballots.map((x) => ({ token: fromHex(x.token, 32, 'token'), signature: fromHex(x.signature, 48, 'signature') }));
    // Settled into a value at once, so a failing checker is never an unhandled rejection
    // while the other checks run.
    const pending = checkTokens(fromHex(b.publicKey, 96, 'publicKey'), b.ballot.id, items).then(
      (bad) => ({ bad }),
      (error: unknown) => ({ error }),
    );
    // Let the checker hand its work to its threads, then run every other check meanwhile.
    await new Promise((r) => setTimeout(r, 0));
    const rest = run(json, opts, 'deferred');
    const settled = await pending;
    if ('error' in settled) return crashed(settled.error);
    const bad = [...new Set(settled.bad)].sort((x, y) => x - y);
    const tokenFailures: Failure[] = bad.map((i) => ({ code: 'TOKEN_SIGNATURE', detail: tokenDetail(i), ballot: i }));
    // Keep the failures in check order: token failures go where the chain checks tokens.
    const at = CHECKS.indexOf('TOKEN_SIGNATURE');
    const failures = [...rest.failures.filter((f) => CHECKS.indexOf(f.code) < at), ...tokenFailures, ...rest.failures.filter((f) => CHECKS.indexOf(f.code) > at)];
    return { ...rest, ok: failures.length === 0, failures };
  } catch (e) {
    return crashed(e);
  }
}

const tokenDetail = (i: number) => `ballot ${i} has no valid blind signature under the ballot key`;

function crashed(e: unknown): VerifyResult {
  return { ok: false, failures: [{ code: 'MALFORMED', detail: `verifier error: ${String((e as Error)?.message ?? e)}` }], tally: null, bundle: null };
}

function run(json: unknown, opts: VerifyOptions, badTokens: ReadonlySet<number> | 'deferred' | undefined): VerifyResult {
  const failures: Failure[] = [];
  const fail = (code: FailureCode, detail: string, ballot?: number) =>
    failures.push(ballot === undefined ? { code, detail } : { code, detail, ballot });

  // MALFORMED: the bundle has exactly the documented shape.
  const parsed = tryParseBundle(json);
  if ('error' in parsed) return { ok: false, failures: [{ code: 'MALFORMED', detail: parsed.error.message }], tally: null, bundle: null };
  const b = parsed.bundle;
  const def = b.ballot;
  const n = b.ballots.length;
  const total = n * 2 + 1;
  const progress = (done: number) => opts.onProgress?.(Math.min(done, total), total);

  // BUNDLE_SIGNATURE / SERVER_KEY: signed by the server key, and that key is the expected one.
  if (!bundleSignatureValid(b)) fail('BUNDLE_SIGNATURE', 'the server signature over the bundle does not verify');
  if (opts.serverKey !== undefined && opts.serverKey !== b.serverKey)
    fail('SERVER_KEY', `bundle is signed by ${b.serverKey}, expected ${opts.serverKey}`);

  // PUBLIC_KEY: the ballot key is a valid G2 point.
  let keyOk = true;
  try {
    decodeG2(fromHex(b.publicKey, 96, 'publicKey'), 'publicKey');
  } catch (e) {
    keyOk = false;
    fail('PUBLIC_KEY', `ballot public key is invalid: ${(e as Error).message}`);
  }

  // ROSTER_INCONSISTENT: tokens go only to members who are present.
  b.roster.forEach((m) => {
    if (m.issued > 0 && !m.present) fail('ROSTER_INCONSISTENT', `${m.name} (${m.memberId}) was issued a token but is not marked present`);
  });
  const entitled = b.roster.length;
  const present = b.roster.filter((m) => m.present).length;
  const issued = b.roster.filter((m) => m.issued > 0).length;

  // QUORUM_NOT_MET: the ballot could lawfully open.
  if (!quorumMet(def.rule, present, entitled))
    fail('QUORUM_NOT_MET', `present ${present} of entitled ${entitled} is below the quorum ${def.rule.quorum?.num}/${def.rule.quorum?.den}`);

  // COUNT_EXCEEDS_ISSUED: 收回票 ≤ 发出票, else the ballot is void.
  if (n > issued) fail('COUNT_EXCEEDS_ISSUED', `${n} ballots cast but only ${issued} members were issued a token`);

  // DUPLICATE_TOKEN and BALLOT_ORDER: each token once, ballots sorted by token hash.
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

  // TOKEN_SIGNATURE: batched check per chunk; bisection names the bad ones.
  // Not Math.max(1, batchSize) alone: NaN would skip every token check and 1.5 would misindex ballots.
  const batch = Number.isSafeInteger(opts.batchSize) ? Math.max(1, opts.batchSize!) : 256;
  const items = b.ballots.map((x) => ({ token: fromHex(x.token, 32, 'token'), signature: fromHex(x.signature, 48, 'signature') }));
  // 'deferred': verifyBundleAsync checks them on other threads and adds the failures itself.
  for (let lo = 0; lo < n && badTokens !== 'deferred'; lo += batch) {
    const chunk = items.slice(lo, lo + batch);
    const bad = !keyOk
      ? chunk.map((_, i) => i)
      : badTokens
        ? chunk.map((_, i) => i).filter((i) => badTokens.has(lo + i))
        : findInvalidTokens(fromHex(b.publicKey, 96, 'publicKey'), def.id, chunk);
    for (const i of bad) fail('TOKEN_SIGNATURE', tokenDetail(lo + i), lo + i);
    progress(lo + chunk.length);
  }

  // COMMITMENT_OPENING and INVALID_CHOICE: each opening opens its commitment with valid choices.
  const openings = b.ballots.map((x, i) => {
    if (i % 64 === 0) progress(n + i);
    if (x.opening === null) return null;
    const opening = { choices: x.opening.choices, salt: fromHex(x.opening.salt, 32, 'salt') };
    let ok = true;
    if (!checkOpening(def.id, items[i]!.token, fromHex(x.commitment, 32, 'commitment'), opening)) {
      fail('COMMITMENT_OPENING', `ballot ${i}: the opening does not match the commitment`, i);
      ok = false;
    }
    if (!validChoices(x.opening.choices, def.items.length)) {
      fail('INVALID_CHOICE', `ballot ${i}: choices must be one of ${def.options.join('/')} for each of ${def.items.length} items`, i);
      ok = false;
    }
    return ok ? x.opening.choices : null;
  });

  // MERKLE_ROOT: the root commits to exactly these casts in this order.
  const root = merkleRoot(b.ballots.map((x) => leafHash(castLeaf(def.id, x))));
  if (toHex(root) !== b.merkleRoot) fail('MERKLE_ROOT', `merkle root is ${toHex(root)}, bundle says ${b.merkleRoot}`);

  // TALLY_MISMATCH and OUTCOME_MISMATCH: recount with the shared tally function.
  const tally = computeTally(def.type, def.rule, def.items, b.roster, openings);
  for (const k of ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid'] as const)
    if (tally[k] !== b.tally[k]) fail('TALLY_MISMATCH', `${k} is ${tally[k]}, bundle says ${b.tally[k]}`);
  tally.items.forEach((t, i) => {
    const claimed = b.tally.items[i]!;
    for (const o of def.options)
      if (t.counts[o] !== claimed.counts[o]) fail('TALLY_MISMATCH', `item ${t.itemId}: ${o} is ${t.counts[o]}, bundle says ${claimed.counts[o]}`);
    if (t.outcome !== claimed.outcome) fail('OUTCOME_MISMATCH', `item ${t.itemId}: outcome is ${t.outcome}, bundle says ${claimed.outcome}`);
  });
  progress(total);
  return { ok: failures.length === 0, failures, tally, bundle: b };
}

/** Where a receipt stands against a bundle (protocol §10.2). */
export type ReceiptCheck =
  | { readonly status: 'included'; readonly index: number; readonly proof: readonly string[]; readonly opened: boolean }
  | { readonly status: 'missing' } // signed by this bundle's server yet absent: proof of misbehaviour
  | { readonly status: 'invalid-receipt' } // receipt signature does not verify
  | { readonly status: 'other-ballot' }
  | { readonly status: 'other-server' };

/**
 * Is the cast behind `receipt` in the (already verified) bundle? Recomputes the leaf's
 * inclusion proof and checks it against the bundle's Merkle root. Never throws.
 */
export function checkReceipt(bundle: Bundle, receipt: Receipt): ReceiptCheck {
  try {
    if (!verifyReceipt(receipt)) return { status: 'invalid-receipt' };
    if (receipt.ballotId !== bundle.ballot.id) return { status: 'other-ballot' };
    if (receipt.serverKey !== bundle.serverKey) return { status: 'other-server' };
    const id = bundle.ballot.id;
    const index = bundle.ballots.findIndex(
      (x) => toHex(tokenHash(id, fromHex(x.token, 32, 'token'))) === receipt.tokenHash && x.commitment === receipt.commitment,
    );
    if (index < 0) return { status: 'missing' };
    const leaves = bundle.ballots.map((x) => leafHash(castLeaf(id, x)));
    const proof = inclusionProof(leaves, index);
    if (!verifyInclusion(leaves[index]!, index, leaves.length, proof, fromHex(bundle.merkleRoot, 32, 'merkleRoot')))
      return { status: 'missing' };
    return { status: 'included', index, proof: proof.map(toHex), opened: bundle.ballots[index]!.opening !== null };
  } catch {
    return { status: 'invalid-receipt' };
  }
}
