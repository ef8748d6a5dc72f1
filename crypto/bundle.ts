/**
 * @module crypto/bundle
 * The audit bundle of one closed sealed ballot (protocol §7): its
 * types, a strict parser that refuses anything not exactly of the documented shape, the
 * Merkle leaf of each cast, and the bundle signature over the
 * canonical encoding of every member but the signature.
 *
 * A v2 bundle carries the scrutineers' key ceremony, their signed issuance logs, every
 * cast's sealed ballot, the homomorphic sums and the scrutineers' decryption shares, so the
 * verifier can recompute the counts without any secret and without opening any ballot.
 */
import { fromHex, toHex, utf8 } from './bytes.ts';
import { parseCeremonyRecord, type CeremonyRecord } from './ceremony.ts';
import { parseDecryptionShare } from './decryption.ts';
import { DST_BUNDLE, DST_BUNDLE_ID, DST_LEAF, PROTOCOL_VERSION } from './dst.ts';
import { canonical, message, type CanonicalValue } from './encoding.ts';
import { CryptoInputError, refuse } from './errors.ts';
import { ELEMENT_BYTES } from './group.ts';
import { assertId } from './ids.ts';
import { parseIssuanceLog, type IssuanceLog } from './issuance-log.ts';
import { LIMITS, arr, bool, count, hex, obj, oneOf, text, unique } from './parse.ts';
import { G1_BYTES, G2_BYTES } from './points.ts';
import { SERVER_KEY_BYTES, SERVER_SIGNATURE_BYTES, serverSign, serverVerify } from './receipt.ts';

export { LIMITS };
import { sha256 } from '@noble/hashes/sha2.js';
import { KIND_IDS, MEMBER_KINDS, OUTCOME_IDS, kindOf, type Item, type KindId, type KindParams, type MemberKind, type RecusedItems } from './kinds/index.ts';
import { checkRule, type Rule } from './rule.ts';
import { sealedBallotBytes, sumCount, type BallotShape } from './sealed.ts';
import type { Tally } from './tally.ts';
import { TOKEN_BYTES } from './token.ts';

export { MEMBER_KINDS, type MemberKind };

/** A round of a ballot (protocol §7.6): 1 for a first ballot; a later round names the bundle it follows. */
export type Round = { readonly number: number; readonly previous: { readonly ballotId: string; readonly bundleId: string } | null };

/** The ballot definition, fixed when the ballot is created (protocol §7.1). */
export type BallotDefinition = {
  readonly id: string;
  readonly meetingId: string;
  readonly title: string;
  readonly type: KindId;
  readonly items: readonly Item[];
  /** The kind's option ids, in selection-vector order (one of the kind's option sets). */
  readonly options: readonly string[];
  readonly rule: Rule;
  /** Kind-specific members: a recommendation's {post, seats}; {} otherwise. */
  readonly params: KindParams;
  /** Member ids recused from this whole ballot (回避); they are not on the roster. */
  readonly recused: readonly string[];
  /** Members recused from single items only; they are on the roster. */
  readonly recusedItems: readonly RecusedItems[];
  readonly round: Round;
};

/** A member entitled to vote on the ballot; `issued` counts tokens issued (>1 after a re-issue). */
export type RosterEntry = {
  readonly memberId: string;
  readonly name: string;
  readonly kind: MemberKind;
  readonly present: boolean;
  readonly issued: number;
};

/** Byte length of a commitment hash c (protocol §5.4). */
export const BALLOT_HASH_BYTES = 32;
/** Most items on one ballot (protocol §7.3). */
export const MAX_BALLOT_ITEMS = 200;

/** The selection-vector shape of a ballot (protocol §5.1), as its kind defines it. */
export function ballotShape(def: Pick<BallotDefinition, 'type' | 'items' | 'options' | 'rule' | 'params' | 'recusedItems'>): BallotShape {
  return kindOf(def.type).shape(def);
}

/** A cast as published: token, σ, the sealed ballot and its commitment hash c (hex). */
export type SealedCast = {
  readonly token: string;
  readonly signature: string;
  readonly sealed: string;
  readonly commitment: string;
};

/** A scrutineer's decryption share of the sums, as published (protocol §9.2). */
export type PublishedShare = { readonly index: number; readonly factors: readonly string[]; readonly proofs: readonly string[] };

/** The v2 audit bundle (protocol §7.1). */
export type Bundle = {
  readonly version: typeof PROTOCOL_VERSION;
  readonly ballot: BallotDefinition;
  readonly ceremony: CeremonyRecord;
  readonly publicKey: string;
  readonly electionKey: string;
  readonly roster: readonly RosterEntry[];
  /** Index d−1 holds device d's signed log, or null when the device never signed one. */
  readonly issuanceLogs: readonly (IssuanceLog | null)[];
  readonly ballots: readonly SealedCast[];
  readonly merkleRoot: string;
  /** Per entry of the selection vector, Σα ‖ Σβ over every cast (64 bytes, hex). */
  readonly sums: readonly string[];
  readonly decryption: readonly PublishedShare[];
  readonly tally: Tally;
  readonly serverKey: string;
  readonly serverSignature: string;
};

export type UnsignedBundle = Omit<Bundle, 'serverSignature'>;

const BUNDLE_MEMBERS = [
  'version', 'ballot', 'ceremony', 'publicKey', 'electionKey', 'roster', 'issuanceLogs', 'ballots', 'merkleRoot',
  'sums', 'decryption', 'tally', 'serverKey', 'serverSignature',
] as const;

const DEFINITION_MEMBERS = ['id', 'meetingId', 'title', 'type', 'items', 'options', 'rule', 'params', 'recused', 'recusedItems', 'round'];

/**
 * A ballot definition of exactly the documented shape (protocol §7.1), its kind-specific
 * members checked by its kind. Exported for the server, which builds definitions through it.
 */
export function parseDefinition(v: unknown): BallotDefinition {
  const o = obj(v, DEFINITION_MEMBERS, 'ballot');
  const type = oneOf(o.type, KIND_IDS, 'ballot.type');
  const kind = kindOf(type);
  const items = arr(o.items, MAX_BALLOT_ITEMS, 'ballot.items').map((it, i) => {
    const x = obj(it, ['id', 'nominee', 'post'], `ballot.items[${i}]`);
    return { id: assertId(x.id, `ballot.items[${i}].id`), nominee: text(x.nominee, `ballot.items[${i}].nominee`), post: text(x.post, `ballot.items[${i}].post`) };
  });
  if (items.length === 0) refuse('BAD_LENGTH', 'ballot.items must not be empty');
  unique(items.map((i) => i.id), 'ballot.items ids');
  const options = arr(o.options, 16, 'ballot.options').map((x, i) => text(x, `ballot.options[${i}]`));
  if (!kind.optionSets.some((set) => set.join() === options.join()))
    refuse('BAD_VALUE', `ballot.options must be one of ${kind.optionSets.map((set) => `[${set.join(', ')}]`).join(' or ')} for a ${type} ballot`);
  const recused = arr(o.recused, LIMITS.roster, 'ballot.recused').map((x, i) => assertId(x, `ballot.recused[${i}]`));
  unique(recused, 'ballot.recused');
  const recusedItems = arr(o.recusedItems, LIMITS.roster, 'ballot.recusedItems').map((r, i) => {
    const x = obj(r, ['memberId', 'items'], `ballot.recusedItems[${i}]`);
    const idx = arr(x.items, items.length, `ballot.recusedItems[${i}].items`).map((n, j) => {
      const k = count(n, `ballot.recusedItems[${i}].items[${j}]`);
      if (k >= items.length) refuse('BAD_VALUE', `ballot.recusedItems[${i}].items[${j}] is not an item index`);
      return k;
    });
    if (idx.length === 0) refuse('BAD_LENGTH', `ballot.recusedItems[${i}].items must not be empty`);
    for (let j = 1; j < idx.length; j++) if (idx[j - 1]! >= idx[j]!) refuse('BAD_VALUE', `ballot.recusedItems[${i}].items must be increasing`);
    return { memberId: assertId(x.memberId, `ballot.recusedItems[${i}].memberId`), items: idx };
  });
  unique(recusedItems.map((r) => r.memberId), 'ballot.recusedItems member ids');
  if (recusedItems.some((r) => recused.includes(r.memberId))) refuse('BAD_VALUE', 'a member recused from the whole ballot is also listed in ballot.recusedItems');
  const params = typeof o.params === 'object' && o.params !== null && !Array.isArray(o.params) ? ({ ...o.params } as KindParams) : refuse('BAD_TYPE', 'ballot.params must be an object');
  const def: BallotDefinition = {
    id: assertId(o.id, 'ballot.id'),
    meetingId: assertId(o.meetingId, 'ballot.meetingId'),
    title: text(o.title, 'ballot.title'),
    type,
    items,
    options,
    rule: checkRule(o.rule, options, !kind.decides),
    params,
    recused,
    recusedItems,
    round: parseRound(o.round),
  };
  kind.checkDefinition(def);
  return def;
}

function parseRound(v: unknown): Round {
  const o = obj(v, ['number', 'previous'], 'ballot.round');
  const number = count(o.number, 'ballot.round.number');
  if (number < 1 || number > 100) refuse('BAD_VALUE', 'ballot.round.number must be from 1 to 100');
  if (o.previous === null) {
    if (number !== 1) refuse('BAD_VALUE', 'a round after the first must name the bundle it follows (ballot.round.previous)');
    return { number, previous: null };
  }
  if (number === 1) refuse('BAD_VALUE', 'round 1 follows no bundle: ballot.round.previous must be null');
  const p = obj(o.previous, ['ballotId', 'bundleId'], 'ballot.round.previous');
  return { number, previous: { ballotId: assertId(p.ballotId, 'ballot.round.previous.ballotId'), bundleId: hex(p.bundleId, 32, 'ballot.round.previous.bundleId') } };
}

function parseTally(v: unknown, def: BallotDefinition): Tally {
  const o = obj(v, ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid', 'items'], 'tally');
  const items = arr(o.items, MAX_BALLOT_ITEMS, 'tally.items').map((it, i) => {
    const x = obj(it, ['itemId', 'entitled', 'counts', 'outcome', 'rank', 'flagged'], `tally.items[${i}]`);
    const c = obj(x.counts, def.options, `tally.items[${i}].counts`);
    return {
      itemId: assertId(x.itemId, `tally.items[${i}].itemId`),
      entitled: count(x.entitled, `tally.items[${i}].entitled`),
      counts: Object.fromEntries(def.options.map((opt) => [opt, count(c[opt], `tally.items[${i}].counts.${opt}`)])),
      outcome: x.outcome === null ? null : oneOf(x.outcome, OUTCOME_IDS, `tally.items[${i}].outcome`),
      rank: x.rank === null ? null : count(x.rank, `tally.items[${i}].rank`),
      flagged: x.flagged === null ? null : bool(x.flagged, `tally.items[${i}].flagged`),
    };
  });
  if (items.map((i) => i.itemId).join() !== def.items.map((i) => i.id).join()) refuse('BAD_VALUE', 'tally.items must list the ballot items in order');
  return {
    entitled: count(o.entitled, 'tally.entitled'),
    present: count(o.present, 'tally.present'),
    issued: count(o.issued, 'tally.issued'),
    cast: count(o.cast, 'tally.cast'),
    valid: count(o.valid, 'tally.valid'),
    invalid: count(o.invalid, 'tally.invalid'),
    items,
  };
}

/**
 * Parse a v2 audit bundle of exactly the documented shape (protocol §7.1): every member
 * present, no unknown member, every hex field of its exact length (a sealed ballot of
 * exactly the size its shape gives), every id and enum valid. Points and proofs are only
 * length-checked here; the verifier validates them.
 * @throws CryptoInputError describing the first field that is wrong.
 */
export function parseBundle(json: unknown): Bundle {
  const o = obj(json, BUNDLE_MEMBERS, 'bundle');
  if (o.version !== PROTOCOL_VERSION) refuse('BAD_VALUE', `version must be ${PROTOCOL_VERSION}`);
  const ballot = parseDefinition(o.ballot);
  const shape = ballotShape(ballot);
  const sumsCount = sumCount(shape);
  const ceremony = parseCeremonyRecord(o.ceremony);
  const roster = arr(o.roster, LIMITS.roster, 'roster').map((m, i) => {
    const x = obj(m, ['memberId', 'name', 'kind', 'present', 'issued'], `roster[${i}]`);
    return {
      memberId: assertId(x.memberId, `roster[${i}].memberId`),
      name: text(x.name, `roster[${i}].name`),
      kind: oneOf(x.kind, MEMBER_KINDS, `roster[${i}].kind`),
      present: bool(x.present, `roster[${i}].present`),
      issued: count(x.issued, `roster[${i}].issued`),
    };
  });
  unique(roster.map((m) => m.memberId), 'roster member ids');
  unique(roster.map((m) => m.name), 'roster names');
  if (roster.some((m) => ballot.recused.includes(m.memberId))) refuse('BAD_VALUE', 'a recused member is on the roster');
  const onRoster = new Set(roster.map((m) => m.memberId));
  const stray = ballot.recusedItems.find((r) => !onRoster.has(r.memberId));
  if (stray) refuse('BAD_VALUE', `ballot.recusedItems names ${stray.memberId}, who is not on the roster`);
  const logs = arr(o.issuanceLogs, ceremony.params.n, 'issuanceLogs');
  if (logs.length !== ceremony.params.n) refuse('BAD_LENGTH', 'issuanceLogs must have one entry per scrutineer device');
  const issuanceLogs = logs.map((l, i) => {
    if (l === null) return null;
    const log = parseIssuanceLog(l);
    if (log.device !== i + 1) refuse('BAD_VALUE', `issuanceLogs[${i}] must be device ${i + 1}'s log`);
    return log;
  });
  const sealedHex = 2 * sealedBallotBytes(shape);
  const ballots = arr(o.ballots, LIMITS.ballots, 'ballots').map((b, i) => {
    const x = obj(b, ['token', 'signature', 'sealed', 'commitment'], `ballots[${i}]`);
    return {
      token: hex(x.token, TOKEN_BYTES, `ballots[${i}].token`),
      signature: hex(x.signature, G1_BYTES, `ballots[${i}].signature`),
      sealed: hex(x.sealed, sealedHex / 2, `ballots[${i}].sealed`),
      commitment: hex(x.commitment, BALLOT_HASH_BYTES, `ballots[${i}].commitment`),
    };
  });
  const sums = arr(o.sums, sumsCount, 'sums').map((s, i) => hex(s, 2 * ELEMENT_BYTES, `sums[${i}]`));
  if (sums.length !== sumsCount) refuse('BAD_LENGTH', `sums must have one ciphertext per entry or packed group (${sumsCount})`);
  const decryption = arr(o.decryption, ceremony.params.n, 'decryption').map((d, i) => {
    const x = obj(d, ['index', 'factors', 'proofs'], `decryption[${i}]`);
    parseDecryptionShare(x, sumsCount);
    return { index: x.index as number, factors: [...(x.factors as string[])], proofs: [...(x.proofs as string[])] };
  });
  unique(decryption.map((d) => d.index), 'decryption share indices');
  return {
    version: PROTOCOL_VERSION,
    ballot,
    ceremony,
    publicKey: hex(o.publicKey, G2_BYTES, 'publicKey'),
    electionKey: hex(o.electionKey, ELEMENT_BYTES, 'electionKey'),
    roster,
    issuanceLogs,
    ballots,
    merkleRoot: hex(o.merkleRoot, 32, 'merkleRoot'),
    sums,
    decryption,
    tally: parseTally(o.tally, ballot),
    serverKey: hex(o.serverKey, SERVER_KEY_BYTES, 'serverKey'),
    serverSignature: hex(o.serverSignature, SERVER_SIGNATURE_BYTES, 'serverSignature'),
  };
}

/**
 * The id of a published bundle (protocol §7.6): SHA-256 of message(DST_BUNDLE_ID,
 * canonical(bundle)), signature included. The next round's definition names it.
 */
export function bundleId(bundle: Bundle): string {
  return toHex(sha256(message(DST_BUNDLE_ID, canonical(bundle as unknown as CanonicalValue))));
}

/** Like `parseBundle` but returns the error instead of throwing. */
export function tryParseBundle(json: unknown): { bundle: Bundle } | { error: CryptoInputError } {
  try {
    return { bundle: parseBundle(json) };
  } catch (e) {
    if (e instanceof CryptoInputError) return { error: e };
    return { error: new CryptoInputError('BAD_VALUE', String((e as Error)?.message ?? e)) };
  }
}

// ---- leaves, receipts and the signature ------------------------------------------------

/** Merkle leaf of an accepted cast: message(DST_LEAF, ballotId, t, σ, c) (protocol §6.1). */
export function castLeaf(ballotId: string, cast: { token: string; signature: string; commitment: string }): Uint8Array {
  return message(
    DST_LEAF,
    utf8(assertId(ballotId, 'ballotId')),
    fromHex(cast.token, TOKEN_BYTES, 'token'),
    fromHex(cast.signature, G1_BYTES, 'signature'),
    fromHex(cast.commitment, BALLOT_HASH_BYTES, 'commitment'),
  );
}

/** The signed message of a bundle: message(DST_BUNDLE, canonical(bundle minus serverSignature)) (protocol §7.2). */
export function bundleMessage(bundle: UnsignedBundle): Uint8Array {
  const { serverSignature: _omit, ...rest } = bundle as Bundle;
  return message(DST_BUNDLE, canonical(rest as unknown as CanonicalValue));
}

export function signBundle(unsigned: UnsignedBundle, serverSecretKey: Uint8Array): Bundle {
  return { ...unsigned, serverSignature: toHex(serverSign(serverSecretKey, bundleMessage(unsigned))) };
}

/** True iff the bundle's signature verifies under its `serverKey`. Never throws. */
export function bundleSignatureValid(bundle: Bundle): boolean {
  try {
    return serverVerify(fromHex(bundle.serverKey, SERVER_KEY_BYTES, 'serverKey'), bundleMessage(bundle), fromHex(bundle.serverSignature, SERVER_SIGNATURE_BYTES, 'serverSignature'));
  } catch {
    return false;
  }
}
