/**
 * @module tests/helpers/bundle-fixture
 * A small, fully deterministic audit bundle and the tools to tamper with it. Every secret
 * (ballot key seed, server key seed, each token, blinding factor and salt) is derived from a
 * fixed label with SHA-256, and Ed25519 signing is deterministic, so the same inputs always
 * give the same bytes. `scripts/make-vectors.ts` writes `docs/vectors/bundle.json` from
 * `bundleFromInputs(defaultInputs())`, and `tests/crypto/vectors.test.ts` rebuilds it from the
 * inputs file. `resign` and `recount` play a cheating server that signs its own lie.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  assembleBundle, blindToken, castLeaf, checkOpening, commit, computeTally, fromHex, generateBallotKey,
  generateServerKey, leafHash, merkleRoot, signBlinded, signBundle, toHex, unblindSignature, utf8, validChoices,
  type BallotDefinition, type BallotKeyPair, type Bundle, type BundleBallot, type BundleInputs, type RosterEntry,
} from '../../crypto/index.ts';

/** One cast as a device would make it: token, blinding factor and salt fixed; `choices` null = never opened. */
export type CastInput = {
  readonly token: string;
  readonly r: string;
  readonly salt: string;
  readonly choices: readonly string[] | null;
};

/** Everything a bundle is built from (hex strings for bytes), as stored in docs/vectors/bundle-inputs.json. */
export type BundleVectorInputs = {
  readonly ballotKeySeed: string;
  readonly serverKeySeed: string;
  readonly ballot: BallotDefinition;
  readonly roster: readonly RosterEntry[];
  readonly casts: readonly CastInput[];
};

/** The label every default secret is derived from. */
export const FIXTURE_LABEL = 'piaojue test vector v1';

/** 32 deterministic bytes for `purpose`: SHA-256(utf8(label + "/" + purpose)). */
export function derive(purpose: string, label = FIXTURE_LABEL): Uint8Array {
  return sha256(utf8(`${label}/${purpose}`));
}

/**
 * A deterministic scalar in [1, r) as 32 bytes: a SHA-256 output with its top two bits cleared
 * (so it is below r ≈ 0x73ed…·2²⁴⁸); zero is rejected by the caller's decodeScalar if it ever occurs.
 */
export function deriveScalar(purpose: string, label = FIXTURE_LABEL): Uint8Array {
  const b = derive(purpose, label);
  b[0]! &= 0x3f;
  return b;
}

/** Choices of the four default casts on the two items; the fourth cast is never opened. */
const DEFAULT_CHOICES: readonly (readonly string[] | null)[] = [
  ['agree', 'agree'],
  ['agree', 'disagree'],
  ['agree', 'abstain'],
  null,
];

/** The default inputs: decision ballot, 2 items, 5 members all present and issued, 4 casts, 1 unopened. */
export function defaultInputs(): BundleVectorInputs {
  const names = ['赵一', '钱二', '孙三', '李四', '周五'];
  return {
    ballotKeySeed: toHex(derive('ballot-key-seed')),
    serverKeySeed: toHex(derive('server-key-seed')),
    ballot: {
      id: 'ballot-2024-07-a',
      meetingId: 'meeting-2024-07',
      title: '县委常委会票决：拟任人选（测试向量）',
      type: 'decision',
      items: [
        { id: 'item-1', nominee: '王明', post: '县财政局局长' },
        { id: 'item-2', nominee: '陈静', post: '县教育局局长' },
      ],
      options: ['agree', 'disagree', 'abstain'],
      rule: { option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } },
      recused: [],
    },
    roster: names.map((name, i) => ({ memberId: `m${i + 1}`, name, kind: 'standing' as const, present: true, issued: 1 })),
    casts: DEFAULT_CHOICES.map((choices, i) => ({
      token: toHex(derive(`cast-${i}/token`)),
      r: toHex(deriveScalar(`cast-${i}/r`)),
      salt: toHex(derive(`cast-${i}/salt`)),
      choices,
    })),
  };
}

/**
 * One accepted cast, made the way a device and the issuer make it: blind the token with the
 * fixed r, sign the blinded point with the ballot key, unblind (which verifies), commit.
 * A cast that is never opened still commits to its choices (or to none).
 */
export function makeCast(ballotId: string, key: BallotKeyPair, cast: CastInput): BundleBallot {
  const state = blindToken(ballotId, { token: fromHex(cast.token, 32, 'token'), r: fromHex(cast.r, 32, 'r') });
  const signature = unblindSignature(state, signBlinded(key.secretKey, state.blinded), key.publicKey);
  const salt = fromHex(cast.salt, 32, 'salt');
  const committed = cast.choices ?? ['agree', 'agree'];
  return {
    token: cast.token,
    signature: toHex(signature),
    commitment: toHex(commit(ballotId, state.token, committed, salt)),
    opening: cast.choices === null ? null : { choices: [...cast.choices], salt: cast.salt },
  };
}

/** A built fixture: the signed bundle plus the secrets and inputs that made it. */
export type Fixture = {
  readonly inputs: BundleVectorInputs;
  readonly bundleInputs: BundleInputs;
  readonly ballotKey: BallotKeyPair;
  readonly serverKey: { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array };
  readonly bundle: Bundle;
};

/** Build the signed bundle from explicit inputs (deterministic). */
export function bundleFromInputs(inputs: BundleVectorInputs): Fixture {
  const ballotKey = generateBallotKey(fromHex(inputs.ballotKeySeed, 32, 'ballotKeySeed'));
  const serverKey = generateServerKey(fromHex(inputs.serverKeySeed, 32, 'serverKeySeed'));
  const bundleInputs: BundleInputs = {
    ballot: inputs.ballot,
    publicKey: toHex(ballotKey.publicKey),
    roster: inputs.roster,
    ballots: inputs.casts.map((c) => makeCast(inputs.ballot.id, ballotKey, c)),
  };
  return { inputs, bundleInputs, ballotKey, serverKey, bundle: assembleBundle(bundleInputs, serverKey.secretKey) };
}

let cached: Fixture | undefined;

/** The default fixture, built once per process. Treat it as read-only: mutate `clone(bundle)`. */
export function fixture(): Fixture {
  cached ??= bundleFromInputs(defaultInputs());
  return cached;
}

/** A deep, mutable copy of a bundle (or any JSON value). */
export function clone<T>(value: T): Mutable<T> {
  return JSON.parse(JSON.stringify(value)) as Mutable<T>;
}

/** Deeply strips `readonly`, so tests can tamper with a cloned bundle. */
export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends Uint8Array
    ? T
    : T extends object
      ? { -readonly [K in keyof T]: Mutable<T[K]> }
      : T;

/** Re-sign a (tampered) bundle with the fixture's server key, as a cheating server would. */
export function resign(bundle: Mutable<Bundle> | Bundle, serverSecretKey = fixture().serverKey.secretKey): Bundle {
  return signBundle(bundle as Bundle, serverSecretKey);
}

/**
 * Make a tampered bundle internally consistent, then re-sign it: recompute the Merkle root over
 * the listed casts (in their listed order) and the tally with only the openings that really
 * open their commitment with valid choices. What remains wrong is only what was tampered with.
 */
export function recount(bundle: Mutable<Bundle> | Bundle, serverSecretKey = fixture().serverKey.secretKey): Bundle {
  const b = clone(bundle as Bundle);
  const id = b.ballot.id;
  b.merkleRoot = toHex(merkleRoot(b.ballots.map((x) => leafHash(castLeaf(id, x)))));
  const openings = b.ballots.map((x) => {
    if (x.opening === null) return null;
    const ok =
      checkOpening(id, fromHex(x.token, 32, 'token'), fromHex(x.commitment, 32, 'commitment'), {
        choices: x.opening.choices,
        salt: fromHex(x.opening.salt, 32, 'salt'),
      }) && validChoices(x.opening.choices, b.ballot.items.length);
    return ok ? x.opening.choices : null;
  });
  b.tally = clone(computeTally(b.ballot.type, b.ballot.rule, b.ballot.items, b.roster, openings));
  return resign(b, serverSecretKey);
}

/** Assemble a bundle from modified inputs (the honest pipeline on dishonest data). */
export function reassemble(edit: (inputs: Mutable<BundleInputs>) => void): Bundle {
  const f = fixture();
  const inputs = clone(f.bundleInputs);
  edit(inputs);
  return assembleBundle(inputs as BundleInputs, f.serverKey.secretKey);
}
