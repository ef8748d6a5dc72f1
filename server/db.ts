/**
 * @module server/db
 * Opens the embedded SQLite file with the durability and secrecy settings the protocol
 * relies on — WAL with synchronous=FULL (a receipt is sent only after the cast is on disk),
 * foreign keys, secure_delete (erased keys and sessions are overwritten, not just unlinked)
 * — and applies the committed drizzle migrations.
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from '../schema/schema.ts';

export type Db = BetterSQLite3Database<typeof schema>;
export type Store = { readonly db: Db; readonly sqlite: Database.Database };

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../schema/migrations');

/** Open (creating if needed) the database at `path` and migrate it. */
export function openStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  return { db, sqlite };
}

/**
 * Fold the WAL into the database file and truncate it, so pages that held erased data
 * (a ballot key, the casts' arrival order) do not linger in the WAL. Returns false when a
 * reader kept the checkpoint from completing (it is then retried at the next call).
 */
export function checkpoint(store: Store): boolean {
  const [r] = store.sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  if (r?.busy) console.error('[piaojue] WAL checkpoint incomplete: a reader is busy; it will be retried');
  return !r?.busy;
}
