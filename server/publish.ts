/**
 * @module server/publish
 * After the close (protocol §9, §7.4): the scrutineer devices' decryption shares of the
 * sums, each checked against the device's public share on arrival; then, once t valid shares
 * are in, the bundle — assembled, verified with the public verifier on the bundle as it will
 * be served, and published (or void when more ballots were cast than tokens issued).
 */
import { and, eq } from 'drizzle-orm';
import {
  assembleBundle, decodeElement, decodeSumCiphertext, fromHex, parseDecryptionShare, tokensBound, verifyBundleAsync,
  verifyCeremonyRecord, verifyDecryptionShare,
  type BallotDefinition, type Bundle, type CastChecker, type IssuanceLog, type PublishedShare, type RosterEntry, type SumsComputer,
} from '../crypto/index.ts';
import { ballots, decryptions, issuances, partials } from '../schema/schema.ts';
import { assertTransition, isEntitled, type BallotStatus } from './ballot.ts';
import { checkpoint, type Db, type Store } from './db.ts';
import { ApiError } from './errors.ts';
import { logsOf } from './issuance.ts';
import { rosterOf, type MemberRow } from './meetings.ts';
import { readyCeremony } from './scrutiny.ts';
import { castsOf, getBallot, reorderCasts } from './voting.ts';

/** Public election shares per meeting, derived once from the (immutable) finished ceremony. */
const electionShares = new Map<string, Uint8Array[]>();
function publicShares(db: Db, meetingId: string): Uint8Array[] {
  let s = electionShares.get(meetingId);
  if (!s) {
    const v = verifyCeremonyRecord(readyCeremony(db, meetingId).record);
    if (!v.ok) throw new ApiError('KEYS_NOT_READY');
    if (electionShares.size > 100) electionShares.clear();
    electionShares.set(meetingId, (s = v.electionPublicShares));
  }
  return s;
}

/** A device's decryption share of a closed ballot's sums: stored only if every proof checks. */
export function storeDecryption(db: Db, meetingId: string, index: number, ballotId: string, json: unknown): void {
  const { row } = getBallot(db, ballotId);
  if (row.meetingId !== meetingId) throw new ApiError('NOT_FOUND', 'no such ballot in your meeting');
  if (row.status !== 'closed' || !row.sums) throw new ApiError('BAD_STATE', 'the ballot is not waiting for decryption');
  const sums = (JSON.parse(row.sums) as string[]).map((h, k) => decodeSumCiphertext(fromHex(h, 64, `sums[${k}]`)));
  let ok = false;
  try {
    const share = parseDecryptionShare(json, sums.length);
    const pub = publicShares(db, meetingId)[index - 1];
    ok = share.index === index && pub !== undefined &&
      verifyDecryptionShare({ ballotId, electionKey: fromHex(row.electionKey!, 32, 'electionKey') }, decodeElement(pub), sums, share).length === 0;
  } catch {
    ok = false;
  }
  if (!ok) throw new ApiError('BAD_DECRYPTION_SHARE');
  db.insert(decryptions).values({ ballotId, device: index, share: JSON.stringify(json) }).onConflictDoNothing().run();
}

/** Valid decryption shares of a ballot, by device index. */
export function decryptionsOf(db: Db, ballotId: string): PublishedShare[] {
  return db.select().from(decryptions).where(eq(decryptions.ballotId, ballotId)).all()
    .sort((a, b) => a.device - b.device)
    .map((d) => JSON.parse(d.share) as PublishedShare);
}

/**
 * The bundle roster: entitled members with attendance and the tokens the scrutineers' logs
 * allow them (protocol §4.10) — never more than the member asked for.
 */
function bundleRoster(db: Db, def: BallotDefinition, roster: readonly MemberRow[], logs: readonly (IssuanceLog | null)[], t: number): RosterEntry[] {
  const asked = new Map(db.select().from(issuances).where(eq(issuances.ballotId, def.id)).all().map((i) => [i.memberId, i.issued]));
  return roster.filter((m) => isEntitled(def, m)).map((m) => {
    const perDevice = logs.map((l) => (l ? l.entries.filter((e) => e === m.id).length : 0));
    const issued = Math.min(asked.get(m.id) ?? 0, tokensBound(perDevice, t));
    return { memberId: m.id, name: m.name, kind: m.kind, present: m.present, issued };
  });
}

/** Lets the event loop answer other requests between the steps of a publication. */
const pause = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Finalise a closed ballot once t valid decryption shares are in: assemble and sign the
 * bundle, verify it with the public verifier, and publish it. A bundle whose only failure is
 * more casts than tokens issued makes the ballot void, as the regulations require.
 * `checkCasts` runs the per-cast checks and `sums`, when given, the verifier's own recount of
 * the sums (both on the worker pool). The bundle reuses the sums stored at the close (those
 * the scrutineers decrypted); the verification recomputes them from the bundle's casts.
 */
export async function finalizeBallot(store: Store, serverKey: Uint8Array, ballotId: string, checkCasts: CastChecker, sums?: SumsComputer): Promise<Bundle> {
  const { db } = store;
  // Everything the bundle is made of, read in one go (nothing else runs in between).
  const { row, def } = getBallot(db, ballotId);
  assertTransition(row.status as BallotStatus, 'published');
  const keys = readyCeremony(db, row.meetingId);
  const shares = decryptionsOf(db, ballotId);
  if (shares.length < keys.t) throw new ApiError('BAD_STATE', `${shares.length} of ${keys.t} decryption shares are in`);
  const logs = logsOf(db, ballotId, keys.record.params.n);
  const inputs = {
    ballot: def,
    ceremony: keys.record,
    publicKey: row.publicKey!,
    electionKey: row.electionKey!,
    roster: bundleRoster(db, def, rosterOf(db, row.meetingId), logs, keys.t),
    issuanceLogs: logs,
    casts: castsOf(db, ballotId).map((c) => ({ token: c.token, signature: c.signature, sealed: c.sealed, commitment: c.commitment })),
    decryption: shares,
    ...(row.sums ? { sums: JSON.parse(row.sums) as string[] } : {}),
  };
  await pause();
  const bundle = assembleBundle(inputs, serverKey);
  await pause();
  // The verifier reads the very text that is stored and served (its own parsed copy, nothing shared).
  const text = JSON.stringify(bundle);
  await pause();
  const check = await verifyBundleAsync(JSON.parse(text), checkCasts, { serverKey: bundle.serverKey, ...(sums ? { sums } : {}) });
  const onlyVoid = !check.ok && check.failures.every((f) => f.code === 'COUNT_EXCEEDS_ISSUED');
  if (!check.ok && !onlyVoid) {
    console.error('[piaojue] self-verification failed:', check.failures.map((f) => `${f.code}: ${f.detail}`).join('; '));
    throw new ApiError('SELF_VERIFY_FAILED');
  }
  db.transaction((tx) => {
    const fresh = getBallot(tx as unknown as Db, ballotId).row;
    assertTransition(fresh.status as BallotStatus, 'published');
    tx.update(ballots).set({ status: onlyVoid ? 'void' : 'published', bundle: text })
      .where(and(eq(ballots.id, ballotId), eq(ballots.status, 'closed'))).run();
    tx.delete(partials).where(eq(partials.ballotId, ballotId)).run();
    reorderCasts(tx as unknown as Db, ballotId);
  });
  checkpoint(store);
  return bundle;
}
