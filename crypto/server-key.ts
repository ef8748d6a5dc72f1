/**
 * @module crypto/server-key
 * The server's Ed25519 public key as people handle it in the room (protocol §10.1, SERVER_KEY):
 * the projector shows the whole key as a QR code and a short fingerprint to write in the minutes;
 * a verifier accepts either, typed as read — upper or lower case, with or without spaces, dashes
 * or colons. The fingerprint is the key's first 16 hex digits (64 bits): a key with a given
 * fingerprint takes about 2^64 key generations to find.
 */

/** Hex digits of a server key fingerprint. */
export const SERVER_KEY_FINGERPRINT_HEX = 16;

/** The fingerprint of a server key (64 hex digits): its first 16 digits, upper case, in four groups of four. */
export function serverKeyFingerprint(serverKey: string): string {
  if (typeof serverKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(serverKey)) throw new TypeError('serverKey must be 64 hex digits');
  return serverKey.slice(0, SERVER_KEY_FINGERPRINT_HEX).toUpperCase().match(/.{4}/g)!.join(' ');
}

/**
 * A typed server key or fingerprint in canonical form (lower-case hex, separators removed): the
 * whole key (64 digits) or its fingerprint (16 digits); null for anything else.
 */
export function normalizeServerKey(input: string): string | null {
  if (typeof input !== 'string') return null;
  const s = input.trim().replace(/[\s\-:]/g, '').toLowerCase();
  return /^[0-9a-f]+$/.test(s) && (s.length === 64 || s.length === SERVER_KEY_FINGERPRINT_HEX) ? s : null;
}

/** Does a typed key or fingerprint name this server key (lower-case hex)? False for malformed input. */
export function matchesServerKey(input: string, serverKey: string): boolean {
  const n = normalizeServerKey(input);
  if (n === null || typeof serverKey !== 'string') return false;
  return n.length === 64 ? n === serverKey : serverKey.startsWith(n);
}
