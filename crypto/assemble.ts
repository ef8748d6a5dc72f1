/**
 * @module crypto/assemble
 * Builds a signed v2 audit bundle from what the server holds after the close (protocol
 * §7.4): sorts the casts by token hash, computes the Merkle root, the homomorphic sums (or
 * takes those already computed from the same casts) and, from t scrutineers' decryption
 * shares, the counts — with the same functions the verifier uses — and signs. Pure: the
 * server's database code only gathers the inputs.
 */
import { compareBytes, fromHex, toHex } from './bytes.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { CeremonyRecord } from './ceremony.ts';
import { combineDecryptionShares, decodeTotals, parseDecryptionShare } from './decryption.ts';
import { PROTOCOL_VERSION } from './dst.ts';
import { refuse } from './errors.ts';
import type { IssuanceLog } from './issuance-log.ts';
import { leafHash, merkleRoot } from './merkle.ts';
import { decodeSumCiphertext, encodeCiphertext, sumCount, sumSealedBallots, type Ciphertext } from './sealed.ts';
import { tallyFromCounts } from './tally.ts';
import { tokenHash } from './token.ts';
import type { BallotDefinition, RosterEntry } from './bundle.ts';
import { ballotShape, castLeaf, signBundle, type Bundle, type PublishedShare, type SealedCast } from './bundle.ts';

/** Sort casts by token hash, the only order a bundle lists them in (protocol §6.1). */
export function sortCasts(ballotId: string, casts: readonly SealedCast[]): SealedCast[] {
  return casts
    .map((c) => ({ c, h: tokenHash(ballotId, fromHex(c.token, 32, 'token')) }))
    .sort((x, y) => compareBytes(x.h, y.h))
    .map((x) => x.c);
}

/** The homomorphic sums over every cast (protocol §9.1). The casts were checked at cast time. */
export function sumCasts(def: BallotDefinition, casts: readonly SealedCast[]): Ciphertext[] {
  const shape = ballotShape(def);
  return sumSealedBallots(shape, casts.map((c) => fromHex(c.sealed, undefined, 'sealed')));
}

/** Everything a bundle is made of. `decryption` must be ≥ t shares already checked against the sums. */
export type BundleInputs = {
  readonly ballot: BallotDefinition;
  readonly ceremony: CeremonyRecord;
  readonly publicKey: string;
  readonly electionKey: string;
  readonly roster: readonly RosterEntry[];
  readonly issuanceLogs: readonly (IssuanceLog | null)[];
  readonly casts: readonly SealedCast[];
  readonly decryption: readonly PublishedShare[];
  /**
   * The sums already computed from exactly these casts (hex, `sumCount` of them, as the scrutineers
   * decrypted them), e.g. at the close; recomputed from the casts when absent. They are not
   * checked here: the verifier recomputes them (ENCRYPTED_SUM).
   */
  readonly sums?: readonly string[];
};

/**
 * Assemble and sign the bundle (protocol §7.4). The counts are decoded (`decodeTotals`) from
 * the sums decrypted with the first t shares.
 * @throws CryptoInputError BAD_VALUE when there are fewer than t shares, a count does not
 * decrypt, or given sums are not `sumCount` ciphertexts.
 */
export function assembleBundle(inputs: BundleInputs, serverSecretKey: Uint8Array): Bundle {
  const { ballot } = inputs;
  const t = inputs.ceremony.params.t;
  const casts = sortCasts(ballot.id, inputs.casts);
  const sums = inputs.sums ? givenSums(ballot, inputs.sums) : sumCasts(ballot, casts);
  if (inputs.decryption.length < t) refuse('BAD_VALUE', `${t} decryption shares are needed, ${inputs.decryption.length} given`);
  const shares = inputs.decryption.slice(0, t).map((d) => parseDecryptionShare(d, sums.length));
  const decoded = decodeTotals(ballotShape(ballot), combineDecryptionShares(sums, shares), casts.length);
  if ('bad' in decoded) refuse('BAD_VALUE', `sum ${decoded.bad} does not decrypt to a count`);
  const counts = decoded.totals;
  return signBundle(
    {
      version: PROTOCOL_VERSION,
      ballot,
      ceremony: inputs.ceremony,
      publicKey: inputs.publicKey,
      electionKey: inputs.electionKey,
      roster: inputs.roster,
      issuanceLogs: inputs.issuanceLogs,
      ballots: casts,
      merkleRoot: toHex(merkleRoot(casts.map((c) => leafHash(castLeaf(ballot.id, c))))),
      sums: sums.map((c) => toHex(encodeCiphertext(c))),
      decryption: inputs.decryption,
      tally: tallyFromCounts(ballot, inputs.roster, casts.length, counts),
      serverKey: toHex(ed25519.getPublicKey(serverSecretKey)),
    },
    serverSecretKey,
  );
}

/** Sums passed in (hex), decoded: `sumCount` of the ballot's shape. */
function givenSums(def: BallotDefinition, hex: readonly string[]): Ciphertext[] {
  const count = sumCount(ballotShape(def));
  if (!Array.isArray(hex) || hex.length !== count) refuse('BAD_VALUE', `${count} sums are needed, ${hex?.length} given`);
  return hex.map((h, k) => decodeSumCiphertext(fromHex(h, 64, `sums[${k}]`)));
}
