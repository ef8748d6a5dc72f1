/**
 * @module crypto/errors
 * One error type for every refusal at a crypto entry point, with a stable code from a
 * closed set, so callers (server, verifier, tablet) can map each refusal to a message
 * without parsing library error text. Library exceptions never escape a guard: they are
 * caught at the boundary and rethrown as a `CryptoInputError` with the matching code.
 */

/** Closed set of reasons a crypto input is refused (protocol §4.2). */
export type CryptoErrorCode =
  | 'BAD_TYPE' // not a Uint8Array / string / number where one is required
  | 'BAD_LENGTH' // wrong byte length
  | 'BAD_HEX' // not lowercase, even-length hex
  | 'POINT_NOT_COMPRESSED' // compression flag missing, or uncompressed encoding
  | 'POINT_NOT_CANONICAL' // flags or coordinates not in the one canonical form
  | 'POINT_NOT_ON_CURVE' // no curve point has this x
  | 'POINT_NOT_IN_SUBGROUP' // on the curve but outside the prime-order subgroup
  | 'POINT_IDENTITY' // the point at infinity
  | 'SCALAR_RANGE' // scalar is zero or not below the group order
  | 'BAD_SIGNATURE' // a signature that does not verify under the published key
  | 'BAD_VALUE'; // a value outside its allowed set (option, rule field, id)

/** A refused input: `code` is stable and part of the protocol; `message` is for humans. */
export class CryptoInputError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CryptoInputError';
    this.code = code;
  }
}

/** Throws a `CryptoInputError`; shorthand used by guards. */
export function refuse(code: CryptoErrorCode, message: string): never {
  throw new CryptoInputError(code, message);
}
