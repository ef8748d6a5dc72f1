/**
 * @module crypto/ids
 * Identifiers that enter hashes: ballot ids, meeting ids, option and item ids. They are
 * short ASCII strings so that their bytes are unambiguous on every platform (protocol §3.3).
 */
import { refuse } from './errors.ts';

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Guard: `id` is 1–64 characters of [A-Za-z0-9_-]. @returns the id. @throws CryptoInputError BAD_VALUE. */
export function assertId(id: unknown, name: string): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) refuse('BAD_VALUE', `${name} must be 1–64 characters of A–Z a–z 0–9 _ -`);
  return id;
}
