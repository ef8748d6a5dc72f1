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

/** Signed-in sessions (secretary consoles, member tablets, scrutineer devices); ids stored hashed. */
export const sessions = sqliteTable('sessions', {
  idHash: text('id_hash').primaryKey(),
  kind: text('kind', { enum: ['secretary', 'tablet', 'scrutineer'] }).notNull(),
  memberId: text('member_id').references(() => members.id, { onDelete: 'cascade' }),
  /** A scrutineer device's session: its meeting and index (1…n). */
  scrutineerMeeting: text('scrutineer_meeting'),
  scrutineerIndex: integer('scrutineer_index'),
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
    kind: text('kind', { enum: ['standing', 'full', 'alternate', 'participant'] }).notNull(),
    title: text('title').notNull(),
    /** A participant's category (类别: 县级领导干部, 群众代表 …); null for committee members. */
    category: text('category'),
    present: integer('present', { mode: 'boolean' }).notNull(),
    /**
     * Why an absent member is absent, as the secretary recorded it: 请假 (leave, excused before
     * the meeting) or 离会 (left during it); null for a member present or simply not signed in.
     */
    absence: text('absence', { enum: ['leave', 'left'] }),
    /** Salted scrypt hash of the sign-in code (10 random base-32 characters; see server/codes.ts). */
    codeHash: text('code_hash'),
    codeUsed: integer('code_used', { mode: 'boolean' }).notNull(),
  },
  (t) => [uniqueIndex('members_meeting_seq').on(t.meetingId, t.seq), uniqueIndex('members_code').on(t.codeHash)],
);

/**
 * A meeting's scrutineers (监票人), numbered 1…n. A device registers its public keys
 * (Ed25519 signing key, ristretto255 share-encryption key) once it has signed in; its key
 * shares never reach the server.
 */
export const scrutineers = sqliteTable(
  'scrutineers',
  {
    meetingId: text('meeting_id').notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    idx: integer('idx').notNull(),
    name: text('name').notNull(),
    codeHash: text('code_hash'),
    codeUsed: integer('code_used', { mode: 'boolean' }).notNull(),
    signingKey: text('signing_key'),
    encryptionKey: text('encryption_key'),
    /** Last request from the device (ms), for the secretary's "online" light. */
    lastSeenAt: integer('last_seen_at'),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.idx] }), uniqueIndex('scrutineers_code').on(t.codeHash)],
);

/**
 * A meeting's key ceremony (protocol §4.8): the threshold, and its public record — device
 * keys, round-1 commitments, reveals (with the shares encrypted device to device), acks and
 * complaints — as JSON. `status`: waiting (devices registering), running, ready, failed.
 */
export const ceremonies = sqliteTable('ceremonies', {
  meetingId: text('meeting_id').primaryKey().references(() => meetings.id, { onDelete: 'cascade' }),
  ceremonyId: text('ceremony_id').notNull(),
  t: integer('t').notNull(),
  status: text('status', { enum: ['waiting', 'running', 'ready', 'failed'] }).notNull(),
  record: text('record').notNull(),
  failure: text('failure'),
  publicKey: text('public_key'),
  electionKey: text('election_key'),
  fingerprint: text('fingerprint'),
});

/**
 * A ballot; `definition` is the JSON of the ballot definition (protocol §7.1). The ballot
 * keys are the meeting ceremony's; the server holds no key that can mint a token or open a
 * ballot. `castKey` (HMAC key of casts, protocol §6.3) is erased at close; `sums` are the
 * homomorphic sums computed at close.
 */
export const ballots = sqliteTable('ballots', {
  id: text('id').primaryKey(),
  meetingId: text('meeting_id').notNull().references(() => meetings.id, { onDelete: 'cascade' }),
  seq: integer('seq').notNull(),
  status: text('status', { enum: ['draft', 'open', 'closed', 'published', 'void'] }).notNull(),
  definition: text('definition').notNull(),
  publicKey: text('public_key'),
  electionKey: text('election_key'),
  castKey: blob('cast_key', { mode: 'buffer' }),
  sums: text('sums'),
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
    /** B itself (uniformly random, unlinkable to the token), relayed to the scrutineer devices. */
    blinded: text('blinded').notNull(),
    /** Tokens issued (1; more after a re-issue). */
    issued: integer('issued').notNull(),
    /** Tokens the secretary has allowed (1 + re-issues). */
    allowed: integer('allowed').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.memberId] })],
);

/** A scrutineer device's partial signature S′ⱼ on a member's current blinded point, relayed to the tablet. */
export const partials = sqliteTable(
  'partials',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    memberId: text('member_id').notNull().references(() => members.id, { onDelete: 'cascade' }),
    device: integer('device').notNull(),
    blindedHash: text('blinded_hash').notNull(),
    partial: text('partial').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.memberId, t.device] })],
);

/** The latest signed issuance log of each device on each ballot (protocol §4.10); a count-0 log is the attendance confirmation. */
export const issuanceLogs = sqliteTable(
  'issuance_logs',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    device: integer('device').notNull(),
    entries: text('entries').notNull(),
    signature: text('signature').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.device] })],
);

/** A device's decryption share of a closed ballot's sums (protocol §9.2), checked on arrival. */
export const decryptions = sqliteTable(
  'decryptions',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    device: integer('device').notNull(),
    share: text('share').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.device] })],
);

/** An accepted cast, keyed by token hash; no member, time, address or order (WITHOUT ROWID). */
export const casts = sqliteTable(
  'casts',
  {
    ballotId: text('ballot_id').notNull().references(() => ballots.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    token: text('token').notNull(),
    signature: text('signature').notNull(),
    /** The sealed ballot (protocol §5), hex, and its commitment hash c. */
    sealed: text('sealed').notNull(),
    commitment: text('commitment').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ballotId, t.tokenHash] })],
);
