/**
 * @module schema
 * The database tables (drizzle-orm, SQLite). Secrecy shapes this schema: nothing here may
 * link a member to a token, commitment, opening or choice. `issuances` records only that a
 * member was issued (with a hash of the blinded point, which is uniformly random and
 * unlinkable to the token); `casts` is keyed by the token hash, carries no member, time,
 * address or session, and is a WITHOUT ROWID table (see the migration) so no insertion
 * order can be recovered from it.
 */
import { blob, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Singleton settings: the server's Ed25519 key and the secretary's password hash. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Signed-in sessions (secretary consoles and member tablets); ids stored hashed. */
export const sessions = sqliteTable('sessions', {
  idHash: text('id_hash').primaryKey(),
  kind: text('kind', { enum: ['secretary', 'tablet'] }).notNull(),
  memberId: text('member_id').references(() => members.id, { onDelete: 'cascade' }),
  createdAt: integer('created_at').notNull(),
  lastSeenAt: integer('last_seen_at').notNull(),
});

/** A committee meeting (会议). */
export const meetings = sqliteTable('meetings', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  status: text('status', { enum: ['active', 'ended'] }).notNull(),
  createdAt: integer('created_at').notNull(),
});

/** A member on a meeting's roster; `seq` is the roster order. */
export const members = sqliteTable(
  'members',
  {
    id: text('id').primaryKey(),
    meetingId: text('meeting_id').notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['standing', 'full', 'alternate'] }).notNull(),
    title: text('title').notNull(),
    present: integer('present', { mode: 'boolean' }).notNull(),
    /** Salted scrypt hash of the sign-in code (10 random base-32 characters; see server/codes.ts). */
    codeHash: text('code_hash'),
    codeUsed: integer('code_used', { mode: 'boolean' }).notNull(),
  },
  (t) => [uniqueIndex('members_meeting_seq').on(t.meetingId, t.seq), uniqueIndex('members_code').on(t.codeHash)],
);

/** A ballot; `definition` is the canonical JSON of the ballot definition (protocol §7.1). */
export const ballots = sqliteTable('ballots', {
  id: text('id').primaryKey(),
  meetingId: text('meeting_id').notNull().references(() => meetings.id, { onDelete: 'cascade' }),
  seq: integer('seq').notNull(),
  status: text('status', { enum: ['draft', 'open', 'closed', 'published', 'void'] }).notNull(),
  definition: text('definition').notNull(),
  publicKey: text('public_key'),
  /** The ballot's BLS secret key; set to NULL (and overwritten, secure_delete) at close. */
  secretKey: blob('secret_key', { mode: 'buffer' }),
  bundle: text('bundle'),
});

/** That a member was issued a token on a ballot — never which token. */
export const issuances = sqliteTable(
  'issuances',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    memberId: text('member_id').notNull().references(() => members.id, { onDelete: 'cascade' }),
    /** SHA-256 of the blinded point B, to answer a retry with the same B idempotently. */
    blindedHash: text('blinded_hash').notNull(),
    /** Tokens issued (1; more after a re-issue). */
    issued: integer('issued').notNull(),
    /** Tokens the secretary has allowed (1 + re-issues). */
    allowed: integer('allowed').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.memberId] })],
);

/** An accepted cast, keyed by token hash; no member, time, address or order (WITHOUT ROWID). */
export const casts = sqliteTable(
  'casts',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    token: text('token').notNull(),
    signature: text('signature').notNull(),
    commitment: text('commitment').notNull(),
    /** Opened choices (JSON array) and salt, NULL until a valid opening arrives after close. */
    choices: text('choices'),
    salt: text('salt'),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.tokenHash] })],
);
