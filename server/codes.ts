/**
 * @module server/codes
 * Member sign-in codes: 10 characters from a 32-letter alphabet without look-alikes
 * (50 bits from the CSPRNG), printed on the member's slip as XXXXX-XXXXX and as a QR
 * payload. Stored only as a salted scrypt hash (N = 2^11: ≈ 10 ms, so trying all 2^50
 * codes against a copied database is out of reach, while hashing runs on the worker pool);
 * single use; revoked on re-issue and at meeting end.
 *
 * The stored form is `tag.hash`: before the hash, a 20-bit tag (a keyed SHA-256 of the code)
 * says in microseconds whether a typed code can be a live one at all. A sign-in whose tag
 * matches no live code is certainly wrong and is refused without the slow hash, under the
 * per-address limits; one whose tag matches is hashed under per-tag limits, so a lock-out at an
 * address shared by the whole room (NAT) never stops a member's correct code (server/routes/
 * context.ts). The tag costs a database thief 20 of the 50 bits, on a cheap hash: a given code
 * still needs 2^30 scrypt hashes (a CPU-year), and codes die with the meeting.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { randomBytes, toHex, utf8 } from '../crypto/index.ts';

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'; // 32 symbols: no 0/O, 1/I

/** A fresh code, formatted XXXXX-XXXXX. */
export function newCode(): string {
  const bytes = randomBytes(10);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** Canonical form of a typed code: upper case, dashes and spaces removed. */
export function normalizeCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '');
  if (!/^[2-9A-Z]{10}$/.test(s)) return null;
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}


/** Cost of the code hash; part of the stored form only through the salt's setting name. */
const CODE_SCRYPT = { N: 2 ** 11, r: 8, p: 1, dkLen: 32 } as const;

/** The stored form of a code: scrypt(code, per-installation salt), hex. Deterministic, so it can be looked up. */
export function hashCode(code: string, salt: Uint8Array): string {
  return toHex(scrypt(utf8(code), salt, CODE_SCRYPT));
}

/** Hex digits of the tag (20 bits). */
export const TAG_HEX = 5;

/** The fast tag of a (normalized) code under the installation's salt: 5 hex digits. */
export function codeTag(code: string, salt: Uint8Array): string {
  return toHex(hmac(sha256, salt, utf8(`piaojue/code-tag:${code}`))).slice(0, TAG_HEX);
}

/** The stored form of a code: its tag, a dot, its scrypt hash. */
export function storedCode(tag: string, hash: string): string {
  return `${tag}.${hash}`;
}
