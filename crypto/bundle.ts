/**
 * @module crypto/bundle
 * The audit bundle of one closed ballot (protocol §7): its types, a strict parser that
 * refuses anything not exactly of the documented shape, the Merkle leaf of each cast, and
 * the bundle signature over the canonical encoding of every field but the signature.
 */
import { fromHex, toHex, utf8 } from './bytes.ts';
import { LIMITS, arr, bool, count, hex, obj, oneOf, text, unique } from './parse.ts';
import { COMMITMENT_BYTES, MAX_ITEMS, SALT_BYTES } from './commitment.ts';
import { DST_BUNDLE, DST_LEAF, PROTOCOL_VERSION } from './dst.ts';
import { canonical, message, type CanonicalValue } from './encoding.ts';
import { CryptoInputError, refuse } from './errors.ts';
import { assertId } from './ids.ts';
import { G1_BYTES, G2_BYTES } from './points.ts';
import { SERVER_KEY_BYTES, SERVER_SIGNATURE_BYTES, serverSign, serverVerify } from './receipt.ts';
import { BALLOT_TYPES, OPTIONS, checkRule, type BallotType, type OptionId, type Outcome, type Rule } from './rule.ts';
import type { Item, Tally } from './tally.ts';
import { TOKEN_BYTES } from './token.ts';

export { LIMITS };

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

/** An opening as published: option ids and hex salt. */
export type BundleOpening = { readonly choices: readonly string[]; readonly salt: string };

/** An accepted cast (hex fields), with its opening or null if never opened. */
export type BundleBallot = {
  readonly token: string;
  readonly signature: string;
  readonly commitment: string;
  readonly opening: BundleOpening | null;
};

/** Tally as published in a bundle; same shape as `Tally`. */
export type BundleTally = Tally;

/** The audit bundle (protocol §7.1). */
export type Bundle = {
  readonly version: typeof PROTOCOL_VERSION;
  readonly ballot: BallotDefinition;
  readonly publicKey: string;
  readonly roster: readonly RosterEntry[];
  readonly ballots: readonly BundleBallot[];
  readonly merkleRoot: string;
  readonly tally: BundleTally;
  readonly serverKey: string;
  readonly serverSignature: string;
};

/** A bundle before it is signed. */
export type UnsignedBundle = Omit<Bundle, 'serverSignature'>;

// ---- strict parsing ---------------------------------------------------------------------

function parseDefinition(v: unknown): BallotDefinition {
  const o = obj(v, ['id', 'meetingId', 'title', 'type', 'items', 'options', 'rule', 'recused'], 'ballot');
  const items = arr(o.items, MAX_ITEMS, 'ballot.items').map((it, i) => {
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

function parseTally(v: unknown, itemIds: readonly string[]): BundleTally {
  const o = obj(v, ['entitled', 'present', 'issued', 'cast', 'valid', 'invalid', 'items'], 'tally');
  const items = arr(o.items, MAX_ITEMS, 'tally.items').map((it, i) => {
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
 * Parse an audit bundle of exactly the documented shape (protocol §7.1): every field
 * present, no unknown field, every hex field of its exact length, every id and enum valid.
 * Curve points are only length-checked here; the verifier validates them.
 * @throws CryptoInputError describing the first field that is wrong.
 */
export function parseBundle(json: unknown): Bundle {
  const o = obj(json, ['version', 'ballot', 'publicKey', 'roster', 'ballots', 'merkleRoot', 'tally', 'serverKey', 'serverSignature'], 'bundle');
  if (o.version !== PROTOCOL_VERSION) refuse('BAD_VALUE', `version must be ${PROTOCOL_VERSION}`);
  const ballot = parseDefinition(o.ballot);
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
  if (roster.some((m) => ballot.recused.includes(m.memberId))) refuse('BAD_VALUE', 'a recused member is on the roster');
  const ballots = arr(o.ballots, LIMITS.ballots, 'ballots').map((b, i) => {
    const x = obj(b, ['token', 'signature', 'commitment', 'opening'], `ballots[${i}]`);
    let opening: BundleOpening | null = null;
    if (x.opening !== null) {
      const op = obj(x.opening, ['choices', 'salt'], `ballots[${i}].opening`);
      const choices = arr(op.choices, MAX_ITEMS, `ballots[${i}].opening.choices`).map((c, j) => {
        if (typeof c !== 'string' || c.length > 64) refuse('BAD_TYPE', `ballots[${i}].opening.choices[${j}] must be a short string`);
        return c;
      });
      opening = { choices, salt: hex(op.salt, SALT_BYTES, `ballots[${i}].opening.salt`) };
    }
    return {
      token: hex(x.token, TOKEN_BYTES, `ballots[${i}].token`),
      signature: hex(x.signature, G1_BYTES, `ballots[${i}].signature`),
      commitment: hex(x.commitment, COMMITMENT_BYTES, `ballots[${i}].commitment`),
      opening,
    };
  });
  return {
    version: PROTOCOL_VERSION,
    ballot,
    publicKey: hex(o.publicKey, G2_BYTES, 'publicKey'),
    roster,
    ballots,
    merkleRoot: hex(o.merkleRoot, 32, 'merkleRoot'),
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

// ---- leaves and signature ---------------------------------------------------------------

/** Merkle leaf of an accepted cast: message(DST_LEAF, ballotId, token, signature, commitment) (protocol §6.1). */
export function castLeaf(ballotId: string, ballot: { token: string; signature: string; commitment: string }): Uint8Array {
  return message(
    DST_LEAF,
    utf8(assertId(ballotId, 'ballotId')),
    fromHex(ballot.token, TOKEN_BYTES, 'token'),
    fromHex(ballot.signature, G1_BYTES, 'signature'),
    fromHex(ballot.commitment, COMMITMENT_BYTES, 'commitment'),
  );
}

/** The signed message of a bundle: message(DST_BUNDLE, canonical(bundle minus serverSignature)) (protocol §7.2). */
export function bundleMessage(bundle: UnsignedBundle): Uint8Array {
  const { serverSignature: _omit, ...rest } = bundle as Bundle;
  return message(DST_BUNDLE, canonical(rest as unknown as CanonicalValue));
}

/** Sign an unsigned bundle with the server's Ed25519 key. */
export function signBundle(unsigned: UnsignedBundle, serverSecretKey: Uint8Array): Bundle {
  return { ...unsigned, serverSignature: toHex(serverSign(serverSecretKey, bundleMessage(unsigned))) };
}

/** True iff the bundle's signature verifies under its `serverKey`. Never throws on bad data. */
export function bundleSignatureValid(bundle: Bundle): boolean {
  try {
    return serverVerify(fromHex(bundle.serverKey, SERVER_KEY_BYTES, 'serverKey'), bundleMessage(bundle), fromHex(bundle.serverSignature, SERVER_SIGNATURE_BYTES, 'serverSignature'));
  } catch {
    return false;
  }
}
