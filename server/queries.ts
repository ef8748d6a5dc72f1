/**
 * @module server/queries
 * Prepared statements for the queries on the hot paths (every cast, issuance and tablet
 * request), built once per database connection instead of once per call.
 */
import { and, eq, sql } from 'drizzle-orm';
import { ballots, members, sessions } from '../schema/schema.ts';
import type { Db } from './db.ts';

function build(db: Db) {
  return {
    ballot: db.select().from(ballots).where(eq(ballots.id, sql.placeholder('id'))).prepare(),
    member: db.select().from(members).where(eq(members.id, sql.placeholder('id'))).prepare(),
    session: db.select().from(sessions).where(and(eq(sessions.idHash, sql.placeholder('idHash')), eq(sessions.kind, sql.placeholder('kind')))).prepare(),
  };
}

const cache = new WeakMap<object, ReturnType<typeof build>>();

/**
 * The prepared statements of `db`'s connection. Inside a transaction, pass the outer `db`:
 * a statement prepared on the connection runs in whatever transaction is open on it.
 */
export function queries(db: Db): ReturnType<typeof build> {
  const key = (db as unknown as { session?: { client?: object } }).session?.client ?? db;
  let q = cache.get(key);
  if (!q) cache.set(key, (q = build(db)));
  return q;
}
