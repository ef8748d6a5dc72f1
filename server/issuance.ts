/**
 * @module server/issuance
 * Threshold token issuance through the server (protocol §4.7): a tablet's blinded point is
 * recorded for its member and relayed to the scrutineer devices; each device that confirmed
 * the attendance signs it with its key share and sends back the partial signature with its
 * newly signed issuance log; the tablet gets t partials and combines them itself. The server
 * holds no key that can sign, and stores only B (uniformly random, unlinkable to the token),
 * the partials on it, and each device's latest signed log.
 */
import { and, eq } from 'drizzle-orm';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, parseIssuanceLog, toHex, verifyIssuanceLog, type DeviceKey, type IssuanceLog } from '../crypto/index.ts';
import { ballots, issuanceLogs, issuances, members, partials } from '../schema/schema.ts';
import { isEntitled } from './ballot.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import { queries } from './queries.ts';
import { readyCeremony } from './scrutiny.ts';
import { getBallot } from './voting.ts';

/** What a tablet waits for: t partials on its current blinded point. */
export type IssuedPartials = { index: number; partial: string }[];

/**
 * Record a member's issuance request (idempotent for the same B): the ballot must be open and
 * the member entitled and present. Another B is refused with ALREADY_ISSUED unless the
 * secretary allowed a re-issue, which each scrutineer then approves on their device.
 */
export function requestIssuance(db: Db, ballotId: string, memberId: string, blinded: Uint8Array): { blindedHash: string } {
  const h = toHex(sha256(blinded));
  return db.transaction((tx) => {
    const t = tx as unknown as Db;
    const { row, def } = getBallot(t, ballotId);
    const member = queries(db).member.get({ id: memberId });
    if (!member || member.meetingId !== row.meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
    if (row.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is not open');
    if (!isEntitled(def, member) || !member.present) throw new ApiError('NOT_ELIGIBLE');
    const where = and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, memberId));
    const prev = tx.select().from(issuances).where(where).get();
    if (!prev) tx.insert(issuances).values({ ballotId, memberId, blindedHash: h, blinded: toHex(blinded), issued: 1, allowed: 1 }).run();
    else if (prev.blindedHash !== h) {
      if (prev.issued >= prev.allowed) throw new ApiError('ALREADY_ISSUED');
      tx.update(issuances).set({ blindedHash: h, blinded: toHex(blinded), issued: prev.issued + 1 }).where(where).run();
    }
    return { blindedHash: h };
  });
}

/** The partials on the member's current blinded point, once there are at least t; else null. */
export function partialsFor(db: Db, ballotId: string, memberId: string, t: number): IssuedPartials | null {
  const iss = db.select().from(issuances).where(and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, memberId))).get();
  if (!iss) return null;
  const got = db.select().from(partials).where(and(eq(partials.ballotId, ballotId), eq(partials.memberId, memberId))).all()
    .filter((p) => p.blindedHash === iss.blindedHash)
    .sort((a, b) => a.device - b.device);
  return got.length >= t ? got.map((p) => ({ index: p.device, partial: p.partial })) : null;
}

/** Open issuance requests of a meeting that device `index` has not answered (on ballots it confirmed). */
export function requestsFor(db: Db, meetingId: string, index: number): { ballotId: string; memberId: string; blinded: string; reissue: boolean }[] {
  const open = db.select({ id: ballots.id }).from(ballots).where(and(eq(ballots.meetingId, meetingId), eq(ballots.status, 'open'))).all();
  const out: { ballotId: string; memberId: string; blinded: string; reissue: boolean }[] = [];
  for (const { id } of open) {
    if (!db.select().from(issuanceLogs).where(and(eq(issuanceLogs.ballotId, id), eq(issuanceLogs.device, index))).get()) continue;
    const answered = new Map(
      db.select().from(partials).where(and(eq(partials.ballotId, id), eq(partials.device, index))).all().map((p) => [p.memberId, p.blindedHash]),
    );
    for (const iss of db.select().from(issuances).where(eq(issuances.ballotId, id)).all())
      if (answered.get(iss.memberId) !== iss.blindedHash) out.push({ ballotId: id, memberId: iss.memberId, blinded: iss.blinded, reissue: iss.issued > 1 });
  }
  return out;
}

/** The device key of scrutineer `index` from the finished ceremony. */
function deviceKey(db: Db, meetingId: string, index: number): DeviceKey {
  const dev = readyCeremony(db, meetingId).record.params.devices[index - 1];
  if (!dev) throw new ApiError('NOT_CHECKED_IN');
  return dev;
}

function checkLog(db: Db, meetingId: string, ballotId: string, index: number, json: unknown): IssuanceLog {
  let log: IssuanceLog;
  try {
    log = parseIssuanceLog(json);
  } catch {
    throw new ApiError('BAD_ISSUANCE_LOG', 'malformed issuance log');
  }
  if (log.device !== index || !verifyIssuanceLog(ballotId, deviceKey(db, meetingId, index), log)) throw new ApiError('BAD_ISSUANCE_LOG', 'the log is not signed by this device');
  return log;
}

/**
 * A scrutineer confirms a ballot's attendance: the device's count-0 (or current) signed log.
 * Confirmations are what let the ballot open (at least t) and what make a device serve it.
 */
export function confirmBallot(db: Db, ballotId: string, meetingId: string, index: number, json: unknown): void {
  db.transaction((tx) => {
    const t = tx as unknown as Db;
    const { row } = getBallot(t, ballotId);
    if (row.meetingId !== meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
    if (row.status !== 'draft' && row.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is closed');
    const log = checkLog(t, meetingId, ballotId, index, json);
    const prev = tx.select().from(issuanceLogs).where(and(eq(issuanceLogs.ballotId, ballotId), eq(issuanceLogs.device, index))).get();
    if (prev && (JSON.parse(prev.entries) as string[]).length > log.entries.length) throw new ApiError('BAD_ISSUANCE_LOG', 'a log never shrinks');
    storeLog(t, ballotId, log);
  });
}

function storeLog(db: Db, ballotId: string, log: IssuanceLog): void {
  const values = { ballotId, device: log.device, entries: JSON.stringify(log.entries), signature: log.signature };
  db.insert(issuanceLogs).values(values).onConflictDoUpdate({ target: [issuanceLogs.ballotId, issuanceLogs.device], set: values }).run();
}

/**
 * A device's answers to issuance requests: its partial signatures and its newly signed log,
 * which must extend the previous one exactly by the members it signed for afresh. Partials are
 * not checked here (that would cost a pairing each): the tablet checks them and uses t good ones.
 */
export function storePartials(
  db: Db, meetingId: string, index: number, ballotId: string,
  list: readonly { memberId: string; blinded: string; partial: string }[], logJson: unknown,
): void {
  db.transaction((tx) => {
    const t = tx as unknown as Db;
    const { row } = getBallot(t, ballotId);
    if (row.meetingId !== meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
    if (row.status !== 'open') throw new ApiError('BAD_STATE', 'the ballot is not open');
    const log = checkLog(t, meetingId, ballotId, index, logJson);
    const prev = tx.select().from(issuanceLogs).where(and(eq(issuanceLogs.ballotId, ballotId), eq(issuanceLogs.device, index))).get();
    if (!prev) throw new ApiError('BAD_STATE', 'confirm the attendance first');
    const before = JSON.parse(prev.entries) as string[];
    if (log.entries.length < before.length || before.some((m, i) => log.entries[i] !== m)) throw new ApiError('BAD_ISSUANCE_LOG', 'the log must extend the previous one');
    for (const p of list) {
      if (!/^[0-9a-f]{96}$/.test(p.partial)) throw new ApiError('BAD_REQUEST', 'partial must be 48 bytes of hex');
      const iss = tx.select().from(issuances).where(and(eq(issuances.ballotId, ballotId), eq(issuances.memberId, p.memberId))).get();
      const m = tx.select({ id: members.id }).from(members).where(and(eq(members.id, p.memberId), eq(members.meetingId, meetingId))).get();
      if (!iss || !m) throw new ApiError('BAD_REQUEST', 'a partial for a member who asked for nothing');
      const h = toHex(sha256(fromHex(p.blinded, 48, 'blinded')));
      if (h !== iss.blindedHash) continue; // the member moved on to a re-issued point meanwhile
      const values = { ballotId, memberId: p.memberId, device: index, blindedHash: h, partial: p.partial };
      tx.insert(partials).values(values).onConflictDoUpdate({ target: [partials.ballotId, partials.memberId, partials.device], set: values }).run();
    }
    storeLog(t, ballotId, log);
  });
}

/** The signed logs of a ballot by device index (null where a device never confirmed). */
export function logsOf(db: Db, ballotId: string, n: number): (IssuanceLog | null)[] {
  const rows = db.select().from(issuanceLogs).where(eq(issuanceLogs.ballotId, ballotId)).all();
  return Array.from({ length: n }, (_, i) => {
    const r = rows.find((x) => x.device === i + 1);
    return r ? { device: r.device, entries: JSON.parse(r.entries) as string[], signature: r.signature } : null;
  });
}

/** Devices that confirmed a ballot's attendance. */
export function confirmationsOf(db: Db, ballotId: string): number {
  return db.select().from(issuanceLogs).where(eq(issuanceLogs.ballotId, ballotId)).all().length;
}

/**
 * Long-poll waiters: a tablet's issue request waits until t partials are in (or a timeout).
 * `wake` is called whenever a device stored partials for a ballot.
 */
export function createIssuanceWaiters() {
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait(ballotId: string, ms: number): Promise<void> {
      return new Promise((resolve) => {
        let set = waiting.get(ballotId);
        if (!set) waiting.set(ballotId, (set = new Set()));
        const done = () => {
          clearTimeout(timer);
          set!.delete(done);
          if (set!.size === 0) waiting.delete(ballotId);
          resolve();
        };
        const timer = setTimeout(done, ms);
        set.add(done);
      });
    },
    wake(ballotId: string): void {
      for (const f of [...(waiting.get(ballotId) ?? [])]) f();
    },
  };
}
