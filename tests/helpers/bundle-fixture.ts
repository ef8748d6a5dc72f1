/**
 * @module tests/helpers/bundle-fixture
 * A small, fully deterministic piaojue/1 audit bundle (commitments and openings) and the tools
 * to tamper with it, for the v1 verifier's tests (tests/crypto/verify.test.ts) while crypto/
 * still carries v1. Every secret (ballot key seed, server key seed, each token, blinding factor
 * and salt) is derived from a fixed label with SHA-256, and Ed25519 signing is deterministic, so
 * the same inputs always give the same bytes. `resign` and `recount` play a cheating server
 * that signs its own lie, and `negativeCases()` are tampered bundles that each trip one verifier
 * check. The piaojue/2 vectors (docs/vectors/) are built by tests/helpers/vectors.ts; the
 * server suite (tests/server) plays real v2 meetings instead of using a fixture.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  assembleBundle, blindToken, castLeaf, checkOpening, commit, computeTally, fromHex, generateBallotKey,
  generateServerKey, leafHash, merkleRoot, signBlinded, signBundle, sortByTokenHash, toHex, unblindSignature, utf8,
  validChoices,
  type BallotDefinition, type BallotKeyPair, type Bundle, type BundleBallot, type BundleInputs, type FailureCode,
  type RosterEntry, type VerifyOptions,
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

/** Add casts to a copy of the bundle, keep it sorted by token hash, and make it consistent (recount). */
export function withExtraCasts(casts: readonly BundleBallot[]): Bundle {
  const f = fixture();
  const b = clone(f.bundle);
  b.ballots = clone(sortByTokenHash(b.ballot.id, [...(b.ballots as BundleBallot[]), ...casts]));
  return recount(b);
}

/** A tampered bundle and the failure codes the verifier must report for it (in CHECKS order). */
export type NegativeCase = {
  readonly name: string;
  readonly description: string;
  readonly expected: readonly FailureCode[];
  readonly options: Pick<VerifyOptions, 'serverKey'>;
  readonly bundle: unknown;
};

/**
 * One tampered bundle per failure code, each built so that it trips exactly the named check
 * (PUBLIC_KEY also fails every token, as it must). Changes a dishonest server would make are
 * re-signed with the real server key, so they are not caught by BUNDLE_SIGNATURE. Deterministic.
 */
export function negativeCases(): NegativeCase[] {
  const f = fixture();
  const id = f.bundle.ballot.id;
  const cases: NegativeCase[] = [];
  const add = (name: FailureCode | string, description: string, expected: FailureCode[], bundle: unknown, options = {}) =>
    cases.push({ name, description, expected, options, bundle });
  const extraCast = (n: number, choices: readonly string[] | null, key = f.ballotKey) =>
    makeCast(id, key, { token: toHex(derive(`extra-${n}/token`)), r: toHex(deriveScalar(`extra-${n}/r`)), salt: toHex(derive(`extra-${n}/salt`)), choices });

  {
    const b = clone(f.bundle) as Partial<Mutable<Bundle>>;
    delete b.merkleRoot;
    add('MALFORMED', 'the merkleRoot member is missing', ['MALFORMED'], b);
  }
  {
    const b = clone(f.bundle);
    b.ballot.title = '改过的标题';
    add('BUNDLE_SIGNATURE', 'the title was changed after signing', ['BUNDLE_SIGNATURE'], b);
  }
  {
    const other = generateServerKey(derive('other-server-key-seed'));
    const b = clone(f.bundle);
    b.serverKey = toHex(other.publicKey);
    add('SERVER_KEY', 're-signed by another server key; verified with the real server key pinned', ['SERVER_KEY'], resign(b, other.secretKey), {
      serverKey: f.bundle.serverKey,
    });
  }
  {
    const b = clone(f.bundle);
    b.publicKey = 'c0' + '00'.repeat(95);
    add('PUBLIC_KEY', 'the ballot key is the G2 identity (so every token fails too); re-signed', ['PUBLIC_KEY', 'TOKEN_SIGNATURE'], recount(b));
  }
  add('ROSTER_INCONSISTENT', 'member m1 was issued a token but is marked absent; re-assembled', ['ROSTER_INCONSISTENT'],
    reassemble((i) => (i.roster[0]!.present = false)));
  add('QUORUM_NOT_MET', '3 absent members added: 5 present of 8 entitled, 5 × 3 < 8 × 2; re-assembled', ['QUORUM_NOT_MET'],
    reassemble((i) => {
      for (const n of [6, 7, 8]) i.roster.push({ memberId: `m${n}`, name: `缺席${n}`, kind: 'full', present: false, issued: 0 });
    }));
  add('COUNT_EXCEEDS_ISSUED', '4 casts but only 3 members issued a token; re-assembled', ['COUNT_EXCEEDS_ISSUED'],
    reassemble((i) => {
      i.roster[0]!.issued = 0;
      i.roster[1]!.issued = 0;
    }));
  add('DUPLICATE_TOKEN', 'the first cast is listed twice; re-assembled', ['DUPLICATE_TOKEN'], reassemble((i) => i.ballots.push(i.ballots[0]!)));
  {
    const b = clone(f.bundle);
    [b.ballots[0], b.ballots[1]] = [b.ballots[1]!, b.ballots[0]!];
    add('BALLOT_ORDER', 'the first two casts swapped, root recomputed; re-signed', ['BALLOT_ORDER'], recount(b));
  }
  add('TOKEN_SIGNATURE', 'a stuffed cast whose token was signed by a second, secret ballot key; re-signed', ['TOKEN_SIGNATURE'],
    withExtraCasts([extraCast(0, ['agree', 'agree'], generateBallotKey(derive('rogue-ballot-key-seed')))]));
  {
    const b = clone(f.bundle);
    const i = b.ballots.findIndex((x) => x.opening !== null && x.opening.choices[0] === 'agree');
    b.ballots[i]!.opening!.choices[0] = 'disagree';
    add('COMMITMENT_OPENING', 'an opened vote flipped from agree to disagree after the commitment; re-counted and re-signed', ['COMMITMENT_OPENING'], recount(b));
  }
  add('INVALID_CHOICE', 'a cast honestly committed to the non-option "maybe", published as opened; re-signed', ['INVALID_CHOICE'],
    withExtraCasts([extraCast(1, ['agree', 'maybe'])]));
  {
    const b = clone(f.bundle);
    b.ballots.splice(1, 1);
    const dropped = clone(recount(b));
    dropped.merkleRoot = f.bundle.merkleRoot;
    add('MERKLE_ROOT', 'a cast dropped and the tally recounted, under the old root; re-signed', ['MERKLE_ROOT'], resign(dropped));
  }
  {
    const b = clone(f.bundle);
    b.tally.items[0]!.counts.agree += 1;
    add('TALLY_MISMATCH', 'item-1 agree count inflated by one (outcome unchanged); re-signed', ['TALLY_MISMATCH'], resign(b));
  }
  {
    const b = clone(f.bundle);
    b.tally.items[1]!.outcome = 'passed';
    add('OUTCOME_MISMATCH', 'item-2 announced as passed with 1 agree of 5 entitled; re-signed', ['OUTCOME_MISMATCH'], resign(b));
  }
  return cases;
}
