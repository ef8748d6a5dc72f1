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
import { DST_BUNDLE, DST_LEAF, PROTOCOL_VERSION } from './dst.ts';
import { canonical, message, type CanonicalValue } from './encoding.ts';
import { CryptoInputError, refuse } from './errors.ts';
import { ELEMENT_BYTES } from './group.ts';
import { assertId } from './ids.ts';
import { parseIssuanceLog, type IssuanceLog } from './issuance-log.ts';
import { LIMITS, arr, bool, count, hex, obj, oneOf, text, unique } from './parse.ts';
import { G1_BYTES, G2_BYTES } from './points.ts';
import { SERVER_KEY_BYTES, SERVER_SIGNATURE_BYTES, serverSign, serverVerify } from './receipt.ts';

export { LIMITS };
import { BALLOT_TYPES, OPTIONS, checkRule, type BallotType, type OptionId, type Outcome, type Rule } from './rule.ts';
import { checkShape, sealedBallotBytes, type BallotShape } from './sealed.ts';
import type { Item, Tally } from './tally.ts';
import { TOKEN_BYTES } from './token.ts';

/** Member kinds (常委 / 委员 / 候补委员). */
export type MemberKind = 'standing' | 'full' | 'alternate';
export const MEMBER_KINDS: readonly MemberKind[] = ['standing', 'full', 'alternate'];

/** The ballot definition, fixed when the ballot is created (protocol §7.1). */
export type BallotDefinition = {
  readonly id: string;
  readonly meetingId: string;
  readonly title: string;
  readonly type: BallotType;
  readonly items: readonly Item[];
  readonly options: readonly OptionId[];
  readonly rule: Rule;
  /** Member ids recused from this ballot (回避); they are not on the roster. */
  readonly recused: readonly string[];
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

/**
 * The selection-vector shape of a ballot (protocol §5.1): decision and consultation ballots
 * have one group per item with one entry per option (agree, disagree, abstain), exactly one
 * of which is selected.
 */
export function ballotShape(def: Pick<BallotDefinition, 'items' | 'options'>): BallotShape {
  return checkShape({ groups: def.items.map(() => ({ size: def.options.length, min: 1, max: 1 })) });
}

/** Flattened entry index of (item, option) in the selection vector. */
export function entryIndex(def: Pick<BallotDefinition, 'options'>, item: number, option: OptionId): number {
  return item * def.options.length + def.options.indexOf(option);
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

function parseDefinition(v: unknown): BallotDefinition {
  const o = obj(v, ['id', 'meetingId', 'title', 'type', 'items', 'options', 'rule', 'recused'], 'ballot');
  const items = arr(o.items, MAX_BALLOT_ITEMS, 'ballot.items').map((it, i) => {
    const x = obj(it, ['id', 'nominee', 'post'], `ballot.items[${i}]`);
    return { id: assertId(x.id, `ballot.items[${i}].id`), nominee: text(x.nominee, `ballot.items[${i}].nominee`), post: text(x.post, `ballot.items[${i}].post`) };
  });
  if (items.length === 0) refuse('BAD_LENGTH', 'ballot.items must not be empty');
  unique(items.map((i) => i.id), 'ballot.items ids');
  const options = arr(o.options, OPTIONS.length, 'ballot.options').map((x, i) => oneOf(x, OPTIONS, `ballot.options[${i}]`));
  if (options.join() !== OPTIONS.join()) refuse('BAD_VALUE', `ballot.options must be ${OPTIONS.join(', ')}`);
  const recused = arr(o.recused, LIMITS.roster, 'ballot.recused').map((x, i) => assertId(x, `ballot.recused[${i}]`));
  unique(recused, 'ballot.recused');
  return {
    id: assertId(o.id, 'ballot.id'),
    meetingId: assertId(o.meetingId, 'ballot.meetingId'),
    title: text(o.title, 'ballot.title'),
    type: oneOf(o.type, BALLOT_TYPES, 'ballot.type'),
    items,
    options,
    rule: checkRule(o.rule),
    recused,
  };
}

function parseTally(v: unknown, itemIds: readonly string[]): Tally {
  const o = obj(v, ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid', 'items'], 'tally');
  const items = arr(o.items, MAX_BALLOT_ITEMS, 'tally.items').map((it, i) => {
    const x = obj(it, ['itemId', 'counts', 'outcome'], `tally.items[${i}]`);
    const c = obj(x.counts, OPTIONS, `tally.items[${i}].counts`);
    return {
      itemId: assertId(x.itemId, `tally.items[${i}].itemId`),
      counts: { agree: count(c.agree, 'agree'), disagree: count(c.disagree, 'disagree'), abstain: count(c.abstain, 'abstain') },
      outcome: oneOf<Outcome>(x.outcome, ['passed', 'failed', 'kept', 'dropped'], `tally.items[${i}].outcome`),
    };
  });
  if (items.map((i) => i.itemId).join() !== itemIds.join()) refuse('BAD_VALUE', 'tally.items must list the ballot items in order');
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
  const entries = shape.groups.reduce((s, g) => s + g.size, 0);
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
  const sums = arr(o.sums, entries, 'sums').map((s, i) => hex(s, 2 * ELEMENT_BYTES, `sums[${i}]`));
  if (sums.length !== entries) refuse('BAD_LENGTH', `sums must have one ciphertext per entry (${entries})`);
  const decryption = arr(o.decryption, ceremony.params.n, 'decryption').map((d, i) => {
    const x = obj(d, ['index', 'factors', 'proofs'], `decryption[${i}]`);
    parseDecryptionShare(x, entries);
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
    tally: parseTally(o.tally, ballot.items.map((i) => i.id)),
    serverKey: hex(o.serverKey, SERVER_KEY_BYTES, 'serverKey'),
    serverSignature: hex(o.serverSignature, SERVER_SIGNATURE_BYTES, 'serverSignature'),
  };
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
