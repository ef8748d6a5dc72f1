/**
 * @module server/voting
 * The ballot lifecycle in the database: create, open (quorum, the ceremony's keys, at least
 * t scrutineers' attendance confirmations, a fresh cast key), anonymous cast (sealed ballot
 * verified, stored by token hash, receipt only after commit), and close (cast key erased,
 * casts rewritten in token-hash order, homomorphic sums computed). Issuance is in
 * server/issuance.ts, decryption and publication in server/publish.ts.
 */
import { and, asc, count, eq } from 'drizzle-orm';
import { quorumMet, randomBytes, toHex, tokenHash, type BallotDefinition, type Bundle } from '../crypto/index.ts';
import { ballots, casts, decryptions, issuanceLogs, issuances } from '../schema/schema.ts';
import { assertTransition, type BallotStatus } from './ballot.ts';
import { checkpoint, type Db, type Store } from './db.ts';
import { queries } from './queries.ts';
import { ApiError } from './errors.ts';
import { isEntitled } from './ballot.ts';
import { activeMeeting, rosterOf, turnout, type MemberRow } from './meetings.ts';
import { readyCeremony } from './scrutiny.ts';

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
    const row = { id: def.id, meetingId: def.meetingId, seq: n, status: 'draft' as const, definition: JSON.stringify(def), publicKey: null, electionKey: null, castKey: null, sums: null, bundle: null };
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
  const cast = castCount(db, row.id);
  const confirmations = db.select({ n: count() }).from(issuanceLogs).where(eq(issuanceLogs.ballotId, row.id)).get()?.n ?? 0;
  const decrypted = db.select({ n: count() }).from(decryptions).where(eq(decryptions.ballotId, row.id)).get()?.n ?? 0;
  return { ...t, issued, cast, confirmations, decryptions: decrypted, quorumMet: quorumMet(def.rule, t.present, t.entitled) };
}

/**
 * Present members entitled to a ballot who have not asked for a ballot of it yet (a tablet
 * closed or never opened): names for the secretary's console only. Who has cast is not known
 * to anyone — casts carry no member — so this is the only list there can be.
 */
export function withoutBallot(db: Db, row: BallotRow, roster: readonly MemberRow[]): { memberId: string; name: string }[] {
  const def = parseDefinition(row.definition);
  const asked = new Set(db.select({ m: issuances.memberId }).from(issuances).where(eq(issuances.ballotId, row.id)).all().map((r) => r.m));
  return roster.filter((m) => m.present && isEntitled(def, m) && !asked.has(m.id)).map((m) => ({ memberId: m.id, name: m.name }));
}

/**
 * A void ballot's tally without its outcomes, ranks or flags: protocol §9.4 — a UI MUST NOT
 * show the outcomes of a void ballot (the bundle keeps them, for the verifier).
 */
function withoutOutcomes(tally: Bundle['tally']): Bundle['tally'] {
  return { ...tally, items: tally.items.map((it) => ({ ...it, outcome: null, rank: null, flagged: null })) };
}

// A published bundle never changes: its tally is read out of the bundle's text once, not on
// every view (hundreds of tablets and phones fetch the views of every ballot of the meeting).
const tallies = new Map<string, Bundle['tally']>();
function publishedTally(row: BallotRow): Bundle['tally'] | null {
  if (!row.bundle) return null;
  // Keyed by the text's end (the server signature, unique to the bundle), not the id alone: ids
  // are chosen by whoever fills the database (tests use fixed ones across databases).
  const key = `${row.id}:${row.bundle.length}:${row.bundle.slice(-160)}`;
  let t = tallies.get(key);
  if (!t) {
    if (tallies.size > 1000) tallies.clear();
    tallies.set(key, (t = (JSON.parse(row.bundle) as Bundle).tally));
  }
  return t;
}

/** The public view of a ballot (BallotView in docs/api.md). `result` only once published. */
export function ballotView(db: Db, row: BallotRow, roster: readonly MemberRow[], fingerprint: string | null = null) {
  const def = parseDefinition(row.definition);
  return {
    id: row.id,
    meetingId: row.meetingId,
    title: def.title,
    type: def.type,
    status: row.status as BallotStatus,
    items: def.items,
    options: def.options,
    rule: def.rule,
    params: def.params,
    recused: def.recused,
    recusedItems: def.recusedItems,
    round: def.round,
    publicKey: row.publicKey,
    electionKey: row.electionKey,
    fingerprint: row.publicKey ? fingerprint : null,
    ...progress(db, row, def, roster),
    result: row.status === 'published' ? publishedTally(row) : row.status === 'void' ? withoutOutcomes(publishedTally(row)!) : null,
  };
}

function setStatus(db: Db, row: BallotRow, to: BallotStatus, extra: Partial<BallotRow> = {}): void {
  assertTransition(row.status as BallotStatus, to);
  const r = db.update(ballots).set({ status: to, ...extra }).where(and(eq(ballots.id, row.id), eq(ballots.status, row.status))).run();
  if (r.changes !== 1) throw new ApiError('BAD_STATE', 'the ballot changed meanwhile');
}

/**
 * Open a draft ballot: the quorum holds, the meeting's key ceremony is finished, and at least
 * t scrutineers confirmed the attendance (each device signs only for members it confirmed).
 * The ballot takes the ceremony's keys and a fresh cast key (protocol §6.3).
 */
export function openBallot(db: Db, ballotId: string): void {
  db.transaction((tx) => {
    const { row, def } = getBallot(tx as unknown as Db, ballotId);
    activeMeeting(tx as unknown as Db, row.meetingId);
    assertTransition(row.status as BallotStatus, 'open');
    const t = turnout(def, rosterOf(tx as unknown as Db, row.meetingId));
    if (t.entitled === 0) throw new ApiError('BALLOT_INVALID', 'nobody is entitled to vote on this ballot');
    if (!quorumMet(def.rule, t.present, t.entitled)) throw new ApiError('QUORUM_NOT_MET', `present ${t.present} of ${t.entitled}`);
    // Two open ballots of one title could be told apart by nobody in the room, on a tablet or the projector.
    const same = tx.select({ definition: ballots.definition }).from(ballots)
      .where(and(eq(ballots.meetingId, row.meetingId), eq(ballots.status, 'open'))).all()
      .some((o) => parseDefinition(o.definition).title === def.title);
    if (same) throw new ApiError('TITLE_IN_USE', `another open ballot is titled ${def.title}`, { ballot: def.title });
    const keys = readyCeremony(tx as unknown as Db, row.meetingId);
    const confirmed = tx.select({ n: count() }).from(issuanceLogs).where(eq(issuanceLogs.ballotId, ballotId)).get()?.n ?? 0;
    if (confirmed < keys.t) throw new ApiError('NOT_CONFIRMED', `${confirmed} of ${keys.t} scrutineers confirmed the attendance`);
    setStatus(tx as unknown as Db, row, 'open', { publicKey: keys.publicKey, electionKey: keys.electionKey, castKey: Buffer.from(randomBytes(32)) });
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

/** A cast as received (decoded; the MAC already checked). */
export type CastInput = { token: Uint8Array; signature: Uint8Array; sealed: Uint8Array; commitment: Uint8Array };

/**
 * Store a batch of casts whose token signatures were verified, in one transaction.
 * Uniqueness is the database's primary key (ballot, token hash): the identical cast again
 * is accepted again (same receipt); another sealed ballot under a used token gives
 * DUPLICATE_TOKEN. Returns, per cast, null when stored (or already stored identically)
 * or the ApiError refusing it. The commit (WAL + synchronous=FULL) is durable on return.
 */
export function storeCastBatch(db: Db, ballotId: string, batch: readonly CastInput[]): (ApiError | null)[] {
  const rows = batch.map((c) => ({
    ballotId, tokenHash: toHex(tokenHash(ballotId, c.token)), token: toHex(c.token), signature: toHex(c.signature),
    sealed: toHex(c.sealed), commitment: toHex(c.commitment),
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
 * they were written, so without this the file itself would keep the arrival
 * order of the casts, rowid or not. The old cells are zeroed (secure_delete).
 */
export function reorderCasts(tx: Db, ballotId: string): void {
  const rows = tx.select().from(casts).where(eq(casts.ballotId, ballotId)).orderBy(asc(casts.tokenHash)).all();
  tx.delete(casts).where(eq(casts.ballotId, ballotId)).run();
  for (const r of rows) tx.insert(casts).values(r).run();
}

/** How many casts a ballot has (without reading them). */
export function castCount(db: Db, ballotId: string): number {
  return db.select({ n: count() }).from(casts).where(eq(casts.ballotId, ballotId)).get()?.n ?? 0;
}

/** The casts of a ballot as stored. */
export function castsOf(db: Db, ballotId: string) {
  return db.select().from(casts).where(eq(casts.ballotId, ballotId)).all();
}

/**
 * Close a ballot: no more casts; the cast key is erased (overwritten: secure_delete +
 * checkpoint); the casts are rewritten in token-hash order. The sums are computed next, from
 * exactly the casts stored (`storeSums`); a ballot closed without sums (a crash in between)
 * gets them at the next start.
 */
export function closeBallot(store: Store, ballotId: string): void {
  store.db.transaction((tx) => {
    const { row } = getBallot(tx as unknown as Db, ballotId);
    setStatus(tx as unknown as Db, row, 'closed', { castKey: null });
    reorderCasts(tx as unknown as Db, ballotId);
  });
  checkpoint(store);
}

/** Store the homomorphic sums of a closed ballot (protocol §9.1), for the scrutineers to decrypt. */
export function storeSums(db: Db, ballotId: string, sums: readonly string[]): void {
  db.update(ballots).set({ sums: JSON.stringify(sums) }).where(and(eq(ballots.id, ballotId), eq(ballots.status, 'closed'))).run();
}

/** Ballots closed and not yet published. */
export function closedBallots(db: Db): string[] {
  return db.select({ id: ballots.id }).from(ballots).where(eq(ballots.status, 'closed')).all().map((b) => b.id);
}

/** Closed ballots still waiting for their sums. */
export function ballotsWithoutSums(db: Db): string[] {
  return db.select({ id: ballots.id, sums: ballots.sums }).from(ballots).where(eq(ballots.status, 'closed')).all().filter((b) => b.sums === null).map((b) => b.id);
}

