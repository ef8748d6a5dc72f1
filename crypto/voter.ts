/**
 * @module crypto/voter
 * A voter's device (the tablet) from key check to cast, as pure functions (protocol §4.3,
 * §4.7, §5, §6): check the ceremony record and derive the ballot keys from it (a key that is
 * not the ceremony's is refused), blind a token, combine t partial signatures and unblind,
 * seal the answer, and build the cast with its MAC. The browser tablet (client/tablet) and
 * the Node drill (server/rehearse.ts) both use these, so they cannot drift apart.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex, utf8 } from './bytes.ts';
import { ceremonyFingerprint, verifyCeremonyRecord, type CeremonyRecord } from './ceremony.ts';
import { DST_CAST_MAC } from './dst.ts';
import { message } from './encoding.ts';
import { refuse } from './errors.ts';
import { assertId } from './ids.ts';
import { ballotHash, sealBallot, type BallotShape } from './sealed.ts';
import { combinePartials, verifyPartial } from './threshold.ts';
import { blindToken, tokenHash, unblindSignature, type BlindingState } from './token.ts';
import { kindOf, type KindDefinition } from './kinds/index.ts';
import { verifyReceipt, type Receipt } from './receipt.ts';

/** The ballot keys a device may use, all derived from a checked ceremony record. */
export type BallotKeys = {
  readonly publicKey: string;
  readonly electionKey: string;
  readonly t: number;
  /** pk_j per device j (index j−1), hex. */
  readonly tokenPublicShares: readonly string[];
  readonly fingerprint: string;
};

/**
 * Check a ceremony record (protocol §4.8) and derive the keys from it. When the server also
 * names keys (`claimed`), they must be the ceremony's: a tablet handed any other key (a
 * tagging attack) refuses it here, before it blinds anything.
 * @throws CryptoInputError BAD_VALUE when the record does not check or a claimed key differs.
 */
export function ballotKeys(record: CeremonyRecord, claimed?: { publicKey?: string | null; electionKey?: string | null }): BallotKeys {
  const v = verifyCeremonyRecord(record);
  if (!v.ok) refuse('BAD_VALUE', `the key ceremony does not check: ${v.detail}`);
  const keys: BallotKeys = {
    publicKey: toHex(v.tokenPublicKey),
    electionKey: toHex(v.electionKey),
    t: record.params.t,
    tokenPublicShares: v.tokenPublicShares.map(toHex),
    fingerprint: ceremonyFingerprint(v.transcript),
  };
  if (claimed?.publicKey != null && claimed.publicKey !== keys.publicKey) refuse('BAD_VALUE', 'the ballot key is not the key of the ceremony');
  if (claimed?.electionKey != null && claimed.electionKey !== keys.electionKey) refuse('BAD_VALUE', 'the election key is not the key of the ceremony');
  return keys;
}

/** Step 1: a fresh token and its blinded point (protocol §4.3). Only `blinded` is sent. */
export function startIssuance(ballotId: string): BlindingState {
  return blindToken(ballotId);
}

/**
 * Step 2: combine the scrutineers' partial signatures and unblind (protocol §4.7). Tries the
 * first t; if σ does not verify, checks every partial against its device's public share and
 * combines t good ones, so one bad device cannot stop issuance.
 * @returns σ (48 bytes). @throws CryptoInputError BAD_SIGNATURE with fewer than t good partials.
 */
export function finishIssuance(state: BlindingState, partials: readonly { index: number; partial: string }[], keys: BallotKeys): Uint8Array {
  const decoded = partials.map((p) => ({ index: p.index, partial: fromHex(p.partial, 48, 'partial') }));
  const pk = fromHex(keys.publicKey, 96, 'publicKey');
  if (decoded.length >= keys.t) {
    try {
      return unblindSignature(state, combinePartials(decoded.slice(0, keys.t)), pk);
    } catch {
      // fall through: find the good partials
    }
  }
  const good = decoded.filter((p) => {
    const share = keys.tokenPublicShares[p.index - 1];
    return share !== undefined && verifyPartial(fromHex(share, 96, 'public share'), state.blinded, p.partial);
  });
  if (good.length < keys.t) refuse('BAD_SIGNATURE', `${good.length} valid partial signatures, ${keys.t} needed`);
  return unblindSignature(state, combinePartials(good.slice(0, keys.t)), pk);
}

/**
 * The selection vector of an answer (protocol §5.1): `answer[g]` lists the selected entries of
 * group g (for a per-item kind, the option index chosen for item g, or none where the voter is
 * recused; for a recommendation, group 0, the candidates marked). Checked against the kind's
 * shape: every index in range, no repeat, each group's count within [min, max].
 * @throws CryptoInputError BAD_VALUE.
 */
export function answerSelections(def: KindDefinition, answer: readonly (readonly number[])[]): number[][] {
  const shape = kindOf(def.type).shape(def);
  if (!Array.isArray(answer) || answer.length !== shape.groups.length) refuse('BAD_VALUE', `the answer must have ${shape.groups.length} groups`);
  return shape.groups.map((g, gi) => {
    const picked = answer[gi]!;
    if (!Array.isArray(picked) || new Set(picked).size !== picked.length || picked.some((k) => !Number.isInteger(k) || k < 0 || k >= g.size))
      refuse('BAD_VALUE', `group ${gi}: selections must be distinct entries of 0…${g.size - 1}`);
    if (picked.length < g.min || picked.length > g.max) refuse('BAD_VALUE', `group ${gi}: between ${g.min} and ${g.max} selections are allowed`);
    return Array.from({ length: g.size }, (_, k) => (picked.includes(k) ? 1 : 0));
  });
}

/** The selection vector of one option id per item (null: the item left blank), one-hot over `options`. */
export function selectionsOf(options: readonly string[], choices: readonly (string | null)[]): number[][] {
  return choices.map((c) => {
    if (c !== null && !options.includes(c)) refuse('BAD_VALUE', `choice ${c} is not an option`);
    return options.map((o) => (o === c ? 1 : 0));
  });
}

/**
 * The answer of a per-item kind (approval, evaluation) from one option id per item, or null for
 * an item the voter is recused from.
 */
export function choicesAnswer(def: Pick<KindDefinition, 'options'>, choices: readonly (string | null)[]): number[][] {
  return choices.map((c) => {
    if (c === null) return [];
    const k = def.options.indexOf(c);
    if (k < 0) refuse('BAD_VALUE', `choice ${c} is not an option`);
    return [k];
  });
}

/** HMAC-SHA256(castKey, message(DST_CAST_MAC, ballotId, token, σ, c)) (protocol §6.3), hex. */
export function castMac(castKey: Uint8Array, ballotId: string, token: Uint8Array, sigma: Uint8Array, commitment: Uint8Array): string {
  return toHex(hmac(sha256, castKey, message(DST_CAST_MAC, utf8(assertId(ballotId, 'ballotId')), token, sigma, commitment)));
}

/** A cast as sent, and what the device keeps to check its receipt. */
export type PreparedCast = {
  readonly body: { token: string; signature: string; sealed: string; commitment: string; mac: string };
  readonly expect: Omit<Receipt, 'serverKey' | 'signature'>;
};

/**
 * Step 3: seal the answer (protocol §5) — the encryption randomness exists only inside this
 * call — and build the cast with its MAC (protocol §6.3).
 */
export function prepareCast(
  ballotId: string,
  keys: BallotKeys,
  shape: BallotShape,
  selections: readonly (readonly number[])[],
  token: Uint8Array,
  sigma: Uint8Array,
  castKey: Uint8Array,
): PreparedCast {
  const th = tokenHash(ballotId, token);
  const sealed = sealBallot({ ballotId, electionKey: fromHex(keys.electionKey, 32, 'electionKey'), tokenHash: th }, shape, selections);
  const c = ballotHash(ballotId, sealed);
  return {
    body: { token: toHex(token), signature: toHex(sigma), sealed: toHex(sealed), commitment: toHex(c), mac: castMac(castKey, ballotId, token, sigma, c) },
    expect: { ballotId, tokenHash: toHex(th), sigma: toHex(sigma), commitment: toHex(c), publicKey: keys.publicKey, electionKey: keys.electionKey },
  };
}

/**
 * Step 4: the receipt is the server's signed promise for exactly this cast under exactly these
 * keys (and, when given, from the server key shown in the room). Never throws.
 */
export function receiptMatches(receipt: unknown, expect: PreparedCast['expect'], serverKey?: string): receipt is Receipt {
  if (!verifyReceipt(receipt)) return false;
  const r = receipt as Receipt;
  return (
    r.ballotId === expect.ballotId && r.tokenHash === expect.tokenHash && r.sigma === expect.sigma && r.commitment === expect.commitment &&
    r.publicKey === expect.publicKey && r.electionKey === expect.electionKey && (serverKey === undefined || r.serverKey === serverKey)
  );
}
