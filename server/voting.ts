/**
 * @module server/voting
 * The ballot lifecycle in the database: create, open (quorum, fresh BLS key), issuance
 * (one blind signature per entitled, present member; idempotent on retry), anonymous cast
 * (verified token, stored by token hash, receipt only after commit), close (secret key
 * erased), openings, and finalisation (tally, self-verification, signed bundle).
 */
import { and, asc, count, eq, isNotNull } from 'drizzle-orm';
import {
  assembleBundle, checkOpening, generateBallotKey, quorumMet,
  toHex, tokenHash, validChoices, verifyBundleAsync, type TokenChecker,
  type BallotDefinition, type Bundle, type RosterEntry,
} from '../crypto/index.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { ballots, casts, issuances } from '../schema/schema.ts';
import { assertTransition, isEntitled, type BallotStatus } from './ballot.ts';
import { checkpoint, type Db, type Store } from './db.ts';
import { queries } from './queries.ts';
import { ApiError } from './errors.ts';
import { activeMeeting, rosterOf, turnout, type MemberRow } from './meetings.ts';

export type BallotRow = typeof ballots.$inferSelect;

// A definition never changes once stored; parse each text once (hot path: every cast and issuance).
const definitions = new Map<string, BallotDefinition>();
function parseDefinition(text: string): BallotDefinition {
  let def = definitions.get(text);
  if (!def) {
    if (definitions.size > 1000) definitions.clear();
    definitions.set(text, (def = JSON.parse(text) as BallotDefinition));
  }
  return def;
}

/** The ballot row and its parsed definition, or NOT_FOUND. */
export function getBallot(db: Db, ballotId: string): { row: BallotRow; def: BallotDefinition } {
  const row = queries(db).ballot.get({ id: ballotId });
  if (!row) throw new ApiError('NOT_FOUND', 'no such ballot');
  return { row, def: parseDefinition(row.definition) };
}

/** Store a new draft ballot. */
export function createBallot(db: Db, def: BallotDefinition): BallotRow {
  return db.transaction((tx) => {
    activeMeeting(tx as unknown as Db, def.meetingId);
    const [{ n }] = tx.select({ n: count() }).from(ballots).where(eq(ballots.meetingId, def.meetingId)).all() as [{ n: number }];
    const row = { id: def.id, meetingId: def.meetingId, seq: n, status: 'draft' as const, definition: JSON.stringify(def), publicKey: null, secretKey: null, bundle: null };
    tx.insert(ballots).values(row).run();
    return row;
  });
}

/** Ballots of a meeting in creation order. */
export function ballotsOf(db: Db, meetingId: string): BallotRow[] {
  return db.select().from(ballots).where(eq(ballots.meetingId, meetingId)).orderBy(asc(ballots.seq)).all();
}

/** Live figures of a ballot: never a count per item. */
export function progress(db: Db, row: BallotRow, def: BallotDefinition, roster: readonly MemberRow[]) {
  const t = turnout(def, roster);
  const issued = db.select({ n: count() }).from(issuances).where(eq(issuances.ballotId, row.id)).get()?.n ?? 0;
  const cast = db.select({ n: count() }).from(casts).where(eq(casts.ballotId, row.id)).get()?.n ?? 0;
  const openings = db.select({ n: count() }).from(casts).where(and(eq(casts.ballotId, row.id), isNotNull(casts.choices))).get()?.n ?? 0;
  return { ...t, issued, cast, openings, quorumMet: quorumMet(def.rule, t.present, t.entitled) };
}

/** The public view of a ballot (BallotView in docs/api.md). `result` only once published. */
export function ballotView(db: Db, row: BallotRow, roster: readonly MemberRow[]) {
  const def = JSON.parse(row.definition) as BallotDefinition;
  const bundle = row.bundle ? (JSON.parse(row.bundle) as Bundle) : null;
  return {
    id: row.id,
    meetingId: row.meetingId,
    title: def.title,
    type: def.type,
    status: row.status as BallotStatus,
    items: def.items,
    rule: def.rule,
    recused: def.recused,
    publicKey: row.publicKey,
    ...progress(db, row, def, roster),
    result: bundle && (row.status === 'published' || row.status === 'void') ? bundle.tally : null,
  };
}

function setStatus(db: Db, row: BallotRow, to: BallotStatus, extra: Partial<BallotRow> = {}): void {
  assertTransition(row.status as BallotStatus, to);
  const r = db.update(ballots).set({ status: to, ...extra }).where(and(eq(ballots.id, row.id), eq(ballots.status, row.status))).run();
  if (r.changes !== 1) throw new ApiError('BAD_STATE', 'the ballot changed meanwhile');
}

/** Open a draft ballot: quorum check, fresh per-ballot BLS key. */
export function openBallot(db: Db, ballotId: string): void {
  db.transaction((tx) => {
    const { row, def } = getBallot(tx as unknown as Db, ballotId);
    activeMeeting(tx as unknown as Db, row.meetingId);
    assertTransition(row.status as BallotStatus, 'open');
    const t = turnout(def, rosterOf(tx as unknown as Db, row.meetingId));
    if (t.entitled === 0) throw new ApiError('BALLOT_INVALID', 'nobody is entitled to vote on this ballot');
    if (!quorumMet(def.rule, t.present, t.entitled)) throw new ApiError('QUORUM_NOT_MET', `present ${t.present} of ${t.entitled}`);
    const key = generateBallotKey();
    setStatus(tx as unknown as Db, row, 'open', { publicKey: toHex(key.publicKey), secretKey: Buffer.from(key.secretKey) });
  });
}

/** Re-issue: allow one more token for a member who was already issued (lost tablet). Recorded in the bundle roster. */
export function allowReissue(db: Db, ballotId: string, memberId: string): void {
  db.transaction((tx) => {
    const { row } = getBallot(tx as unknown as Db, ballotId);
    if (row.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is not open');
    const iss = tx.select().from(issuances).where(and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, memberId))).get();
    if (!iss) throw new ApiError('BAD_STATE', 'this member has not been issued a ballot yet');
    tx.update(issuances).set({ allowed: iss.issued + 1 }).where(and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, memberId))).run();
  });
}

/** Who may be issued on a ballot: the ballot must be open and the member entitled and present. */
function issuanceGuard(db: Db, ballotId: string, memberId: string) {
  const { row, def } = getBallot(db, ballotId);
  const member = queries(db).member.get({ id: memberId });
  if (!member || member.meetingId !== row.meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
  if (row.status !== 'open' || !row.secretKey) throw new ApiError('BAD_STATE', 'the ballot is not open');
  if (!isEntitled(def, member) || !member.present) throw new ApiError('NOT_ELIGIBLE');
  return row.secretKey;
}

/** The ballot secret key to blind-sign with, after the same checks as `recordIssuance`. */
export function issuanceKey(db: Db, ballotId: string, memberId: string): Uint8Array {
  return new Uint8Array(issuanceGuard(db, ballotId, memberId));
}

/** One issuance to record: a member's blinded point, already validated and signed. */
export type IssuanceInput = { readonly ballotId: string; readonly memberId: string; readonly blinded: Uint8Array };

/**
 * Record, in one transaction, that members were issued blind signatures on their blinded
 * points (group commit). The same blinded point again is accepted again (sk·B is
 * deterministic, so nothing but a hash of B is stored); a different one is refused with
 * ALREADY_ISSUED unless the secretary allowed a re-issue. Returns, per entry, null when
 * recorded or the ApiError refusing it (a refused entry writes nothing).
 */
export function recordIssuances(db: Db, entries: readonly IssuanceInput[]): (ApiError | null)[] {
  return db.transaction((tx) =>
    entries.map(({ ballotId, memberId, blinded }) => {
      try {
        issuanceGuard(tx as unknown as Db, ballotId, memberId);
        const h = toHex(sha256(blinded));
        const where = and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, memberId));
        const prev = tx.select().from(issuances).where(where).get();
        if (!prev) tx.insert(issuances).values({ ballotId, memberId, blindedHash: h, issued: 1, allowed: 1 }).run();
        else if (prev.blindedHash !== h) {
          if (prev.issued >= prev.allowed) throw new ApiError('ALREADY_ISSUED');
          tx.update(issuances).set({ blindedHash: h, issued: prev.issued + 1 }).where(where).run();
        }
        return null;
      } catch (e) {
        if (e instanceof ApiError) return e;
        throw e;
      }
    }),
  );
}

/** A cast as received (decoded). */
export type CastInput = { token: Uint8Array; signature: Uint8Array; commitment: Uint8Array };

/**
 * Store a batch of casts whose token signatures were verified, in one transaction.
 * Uniqueness is the database's primary key (ballot, token hash): the identical cast again
 * is accepted again (same receipt); another commitment under a used token gives
 * DUPLICATE_TOKEN. Returns, per cast, null when stored (or already stored identically)
 * or the ApiError refusing it. The commit (WAL + synchronous=FULL) is durable on return.
 */
export function storeCastBatch(db: Db, ballotId: string, batch: readonly CastInput[]): (ApiError | null)[] {
  const rows = batch.map((c) => ({
    ballotId, tokenHash: toHex(tokenHash(ballotId, c.token)), token: toHex(c.token), signature: toHex(c.signature),
    commitment: toHex(c.commitment), choices: null, salt: null,
  }));
  return db.transaction((tx) => {
    const b = tx.select({ status: ballots.status }).from(ballots).where(eq(ballots.id, ballotId)).get();
    if (!b) throw new ApiError('NOT_FOUND', 'no such ballot');
    if (b.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is not open for casting');
    return rows.map((row) => {
      tx.insert(casts).values(row).onConflictDoNothing().run();
      const stored = tx.select().from(casts).where(and(eq(casts.ballotId, ballotId), eq(casts.tokenHash, row.tokenHash))).get()!;
      const same = stored.commitment === row.commitment && stored.signature === row.signature && stored.token === row.token;
      return same ? null : new ApiError('DUPLICATE_TOKEN');
    });
  });
}

/**
 * Rewrite a ballot's casts in token-hash order. SQLite lays a page's cells out in the order
 * they were written, so without this the file itself would keep the arrival (and opening)
 * order of the casts, rowid or not. The old cells are zeroed (secure_delete).
 */
function reorderCasts(tx: Db, ballotId: string): void {
  const rows = tx.select().from(casts).where(eq(casts.ballotId, ballotId)).orderBy(asc(casts.tokenHash)).all();
  tx.delete(casts).where(eq(casts.ballotId, ballotId)).run();
  for (const r of rows) tx.insert(casts).values(r).run();
}

/** Close a ballot: no more casts; the BLS secret key is erased (overwritten: secure_delete + checkpoint). */
export function closeBallot(store: Store, ballotId: string): void {
  store.db.transaction((tx) => {
    const { row } = getBallot(tx as unknown as Db, ballotId);
    setStatus(tx as unknown as Db, row, 'closed', { secretKey: null });
    reorderCasts(tx as unknown as Db, ballotId);
  });
  checkpoint(store);
}

/** Accept an opening after close if it matches the commitment and has valid choices; idempotent. */
export function storeOpening(db: Db, ballotId: string, token: Uint8Array, choices: unknown, salt: Uint8Array): void {
  db.transaction((tx) => {
    const { row, def } = getBallot(tx as unknown as Db, ballotId);
    if (row.status !== 'closed') throw new ApiError('BAD_STATE', row.status === 'open' ? 'openings are accepted after the close' : 'the ballot is finalised');
    const th = toHex(tokenHash(ballotId, token));
    const c = tx.select().from(casts).where(and(eq(casts.ballotId, ballotId), eq(casts.tokenHash, th))).get();
    if (!c) throw new ApiError('UNKNOWN_TOKEN');
    const list = Array.isArray(choices) ? (choices as unknown[]) : [];
    if (!Array.isArray(choices) || list.some((x) => typeof x !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(x))) throw new ApiError('INVALID_CHOICE');
    if (!checkOpening(ballotId, token, Buffer.from(c.commitment, 'hex'), { choices: list as string[], salt })) throw new ApiError('OPENING_MISMATCH');
    if (!validChoices(list, def.items.length)) throw new ApiError('INVALID_CHOICE');
    if (c.choices !== null) return; // already opened: the commitment binds it to the same choices
    tx.update(casts).set({ choices: JSON.stringify(list), salt: toHex(salt) }).where(and(eq(casts.ballotId, ballotId), eq(casts.tokenHash, th))).run();
  });
}

/** The bundle roster: entitled members with attendance and issuance counts (never tokens). */
function bundleRoster(db: Db, def: BallotDefinition, roster: readonly MemberRow[]): RosterEntry[] {
  const issued = new Map(db.select().from(issuances).where(eq(issuances.ballotId, def.id)).all().map((i) => [i.memberId, i.issued]));
  return roster.filter((m) => isEntitled(def, m)).map((m) => ({ memberId: m.id, name: m.name, kind: m.kind, present: m.present, issued: issued.get(m.id) ?? 0 }));
}

/**
 * Finalise a closed ballot: assemble and sign the bundle, verify it with the public
 * verifier, and publish it. A bundle whose only failure is more casts than members issued
 * (possible only after a re-issue) makes the ballot void, as the regulations require.
 */
export async function finalizeBallot(store: Store, serverKey: Uint8Array, ballotId: string, checkTokens: TokenChecker): Promise<Bundle> {
  const { db } = store;
  const { row, def } = getBallot(db, ballotId);
  assertTransition(row.status as BallotStatus, 'published');
  const roster = rosterOf(db, row.meetingId);
  const stored = db.select().from(casts).where(eq(casts.ballotId, ballotId)).all();
  const bundle = assembleBundle(
    {
      ballot: def,
      publicKey: row.publicKey!,
      roster: bundleRoster(db, def, roster),
      ballots: stored.map((c) => ({
        token: c.token, signature: c.signature, commitment: c.commitment,
        opening: c.choices === null ? null : { choices: JSON.parse(c.choices) as string[], salt: c.salt! },
      })),
    },
    serverKey,
  );
  // The public verifier, run on the bundle as it will be served (JSON), token checks on the worker pool.
  const check = await verifyBundleAsync(JSON.parse(JSON.stringify(bundle)), checkTokens, { serverKey: bundle.serverKey });
  const onlyVoid = !check.ok && check.failures.every((f) => f.code === 'COUNT_EXCEEDS_ISSUED');
  if (!check.ok && !onlyVoid) {
    console.error('[piaojue] self-verification failed:', check.failures.map((f) => f.code).join(','));
    throw new ApiError('SELF_VERIFY_FAILED');
  }
  const opened = stored.filter((c) => c.choices !== null).length;
  db.transaction((tx) => {
    const fresh = getBallot(tx as unknown as Db, ballotId).row;
    // An opening accepted while the bundle was being verified would be missing from it.
    const now = tx.select({ n: count() }).from(casts).where(and(eq(casts.ballotId, ballotId), isNotNull(casts.choices))).get()?.n ?? 0;
    if (now !== opened) throw new ApiError('BAD_STATE', 'openings arrived during finalisation; finalise again');
    setStatus(tx as unknown as Db, fresh, onlyVoid ? 'void' : 'published', { bundle: JSON.stringify(bundle) });
    reorderCasts(tx as unknown as Db, ballotId);
  });
  checkpoint(store);
  return bundle;
}

