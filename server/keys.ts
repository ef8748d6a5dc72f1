/**
 * @module server/keys
 * The server's long-lived Ed25519 key (receipts and bundle signatures), created on first
 * start and kept in the settings table, and the secretary's first password.
 */
import { eq } from 'drizzle-orm';
import { fromHex, generateServerKey, randomBytes, toHex } from '../crypto/index.ts';
import { settings } from '../schema/schema.ts';
import { secretaryPasswordHash, setSecretaryPassword } from './auth.ts';
import type { Db } from './db.ts';

/** Load the server's Ed25519 secret key, creating it on first start. */
export function loadServerKey(db: Db): Uint8Array {
  const row = db.select().from(settings).where(eq(settings.key, 'server_key')).get();
  if (row) return fromHex(row.value, 32, 'server key');
  const { secretKey } = generateServerKey();
  db.insert(settings).values({ key: 'server_key', value: toHex(secretKey) }).run();
  return secretKey;
}

/**
 * Make sure the secretary can sign in: on a new database, use `preset` (from
 * PIAOJUE_SECRETARY_PASSWORD) or generate a password. Returns the password only when one
 * was generated, so it is printed exactly once.
 */
export function ensureSecretaryPassword(db: Db, preset: string | undefined): string | undefined {
  if (secretaryPasswordHash(db)) return undefined;
  const generated = preset ? undefined : toHex(randomBytes(6)).replace(/(.{4})(?=.)/g, '$1-');
  setSecretaryPassword(db, preset ?? generated!);
  return generated;
}

/** The per-installation salt of sign-in code hashes, created on first use. */
export function loadCodeSalt(db: Db): Uint8Array {
  const row = db.select().from(settings).where(eq(settings.key, 'code_salt')).get();
  if (row) return fromHex(row.value, 16, 'code salt');
  const salt = randomBytes(16);
  db.insert(settings).values({ key: 'code_salt', value: toHex(salt) }).run();
  return salt;
}
