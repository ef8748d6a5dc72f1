/**
 * @module crypto/commitment
 * Hash commitments to a ballot's choices (protocol §5). A device casts
 *   c = SHA-256(message(DST_COMMIT, ballotId, t, encodeChoices(choices), salt))
 * and after the close reveals the opening (choices, salt). SHA-256 with a 32-byte random
 * salt hides the choices until the opening and binds the device to them.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, concatBytes, equalBytes, randomBytes, utf8 } from './bytes.ts';
import { DST_COMMIT } from './dst.ts';
import { field, message, u32be } from './encoding.ts';
import { refuse } from './errors.ts';
import { assertId } from './ids.ts';
import { TOKEN_BYTES } from './token.ts';

/** Byte length of a commitment salt and of a commitment. */
export const SALT_BYTES = 32;
export const COMMITMENT_BYTES = 32;
/** Most items one ballot may hold; bounds every encoding and loop. */
export const MAX_ITEMS = 200;

/** An opening: one option id per item, in item order, and the salt. */
export type Opening = { readonly choices: readonly string[]; readonly salt: Uint8Array };

/**
 * encodeChoices = u32be(n) ‖ field(utf8(c₁)) ‖ … ‖ field(utf8(cₙ)) (protocol §5.1).
 * @throws CryptoInputError for a non-array, more than MAX_ITEMS entries, or a non-id entry.
 */
export function encodeChoices(choices: readonly string[]): Uint8Array {
  if (!Array.isArray(choices)) refuse('BAD_TYPE', 'choices must be an array');
  if (choices.length > MAX_ITEMS) refuse('BAD_LENGTH', `at most ${MAX_ITEMS} choices`);
  return concatBytes(u32be(choices.length), ...choices.map((c, i) => field(utf8(assertId(c, `choice ${i}`)))));
}

/** The commitment c to `choices` with `salt` for token t on a ballot (protocol §5.1). */
export function commit(ballotId: string, token: Uint8Array, choices: readonly string[], salt: Uint8Array): Uint8Array {
  assertId(ballotId, 'ballotId');
  abytes(token, TOKEN_BYTES, 'token');
  abytes(salt, SALT_BYTES, 'salt');
  return sha256(message(DST_COMMIT, utf8(ballotId), token, encodeChoices(choices), salt));
}

/** A fresh random salt. */
export function newSalt(): Uint8Array {
  return randomBytes(SALT_BYTES);
}

/** True iff (choices, salt) opens `commitment` for this token and ballot. Never throws on bad data. */
export function checkOpening(
  ballotId: string,
  token: Uint8Array,
  commitment: Uint8Array,
  opening: Opening,
): boolean {
  try {
    abytes(commitment, COMMITMENT_BYTES, 'commitment');
    return equalBytes(commit(ballotId, token, opening.choices, opening.salt), commitment);
  } catch {
    return false;
  }
}
