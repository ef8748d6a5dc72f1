/**
 * @module crypto/assemble
 * Builds a signed audit bundle from what the server stored (protocol §7.4): sorts the
 * casts by token hash, computes the Merkle root and the tally with the same functions the
 * verifier uses, and signs. Pure: the server's database code only gathers the inputs.
 */
import { compareBytes, fromHex, toHex } from './bytes.ts';
import { castLeaf, signBundle, type BallotDefinition, type Bundle, type BundleBallot, type RosterEntry } from './bundle.ts';
import { PROTOCOL_VERSION } from './dst.ts';
import { leafHash, merkleRoot } from './merkle.ts';
import { computeTally, validChoices } from './tally.ts';
import { tokenHash } from './token.ts';
import { ed25519 } from '@noble/curves/ed25519.js';

/** Inputs of a bundle: definition, ballot key, roster and every accepted cast. */
export type BundleInputs = {
  readonly ballot: BallotDefinition;
  readonly publicKey: string;
  readonly roster: readonly RosterEntry[];
  readonly ballots: readonly BundleBallot[];
};

/** Sort casts by token hash, the only order a bundle lists them in (protocol §6.1). */
export function sortByTokenHash(ballotId: string, ballots: readonly BundleBallot[]): BundleBallot[] {
  return ballots
    .map((b) => ({ b, h: tokenHash(ballotId, fromHex(b.token, 32, 'token')) }))
    .sort((x, y) => compareBytes(x.h, y.h))
    .map((x) => x.b);
}

/** Assemble and sign the bundle (protocol §7.4). */
export function assembleBundle(inputs: BundleInputs, serverSecretKey: Uint8Array): Bundle {
  const { ballot } = inputs;
  // An opening with invalid choices is published as unopened (null): it is an invalid
  // ballot, and publishing it would make the verifier report INVALID_CHOICE.
  const ballots = sortByTokenHash(ballot.id, inputs.ballots).map((b) =>
    b.opening && !validChoices(b.opening.choices, ballot.items.length) ? { ...b, opening: null } : b,
  );
  const root = merkleRoot(ballots.map((b) => leafHash(castLeaf(ballot.id, b))));
  const openings = ballots.map((b) => b.opening?.choices ?? null);
  const tally = computeTally(ballot.type, ballot.rule, ballot.items, inputs.roster, openings);
  return signBundle(
    {
      version: PROTOCOL_VERSION,
      ballot,
      publicKey: inputs.publicKey,
      roster: inputs.roster,
      ballots,
      merkleRoot: toHex(root),
      tally,
      serverKey: toHex(ed25519.getPublicKey(serverSecretKey)),
    },
    serverSecretKey,
  );
}
