/**
 * @module client/tablet/store
 * What a tablet keeps of each ballot in localStorage (`piaojue.ballot.<ballotId>`), and for
 * how long. Assume whoever takes the tablet after the meeting reads all of it: nothing here
 * may tell how the member voted, and what links the member to a cast is erased early.
 *
 * Never stored, anywhere (not in localStorage, sessionStorage, IndexedDB or the URL):
 * - the choices: the draft lives in the page's memory only and is dropped the moment the
 *   member confirms (a reload while voting starts the ballot afresh);
 * - the encryption randomness: it exists only inside `prepareCast` (crypto/voter.ts).
 *
 * A record goes through these stages (byte fields lowercase hex):
 * 1. `blinding` — {token, r, blinded}: kept before the issue request so a retry or a reload
 *    sends the same blinded point (another one is refused with ALREADY_ISSUED). Replaced by
 *    stage 2 as soon as σ is unblinded: r and the blinded point are then erased.
 * 2. `signed` — {token, sigma, castKey, keys}: exactly what the cast needs.
 * 3. `casting` — {cast (the body as sent: token, σ, sealed ballot, commitment, MAC), expect,
 *    keys}: written when the member confirms, before the first send, so a retry (offline,
 *    reload, BUSY) repeats the identical cast. The sealed ballot is encrypted; without the
 *    randomness it shows nothing more than the public audit bundle does.
 * 4. `cast` — {tokenHash, sigma, commitment, keys, receipt, castAt}: only what the inclusion
 *    check needs; token, castKey and the body are erased when the receipt arrives.
 * 5. `done` — {check}: the check passed; the receipt and everything of stage 4 are erased.
 *    Only the ballot's id, title and "counted" remain, so a reload does not raise an alarm.
 * A failed check keeps stage 4 (with `check` set) as evidence to show the scrutineers.
 *
 * Erasure: stage 4 becomes stage 5 once the check passes; every record of a meeting is
 * removed when the meeting ends; any cast record (stages 3–5, and failed checks) is removed
 * RETENTION_MS after the cast, checked at start-up and every minute, even offline; stages 1–2
 * are removed once their ballot is no longer open (the token can no longer be used).
 */

import type { PreparedCast, Receipt } from '../../crypto/index.ts';

/** Keys derived from the checked ceremony (crypto/voter.ts `ballotKeys`), as the tablet used them. */
export type StoredKeys = { readonly publicKey: string; readonly electionKey: string; readonly fingerprint: string };

/** Outcome of the inclusion check against the published bundle (crypto/verify.ts `checkReceipt`, plus a bad bundle). */
export type CheckStatus = 'included' | 'missing' | 'other-keys' | 'invalid-receipt' | 'other-ballot' | 'other-server' | 'bad-bundle';

/** The cast body as sent to POST /api/anon/ballots/:bid/cast (crypto/voter.ts `PreparedCast['body']`). */
export type CastBody = PreparedCast['body'];

/** What a receipt must say (crypto/voter.ts `PreparedCast['expect']`). */
export type Expect = PreparedCast['expect'];

/** A v2 receipt as the server signed it (crypto/receipt.ts `Receipt`). */
export type StoredReceipt = Receipt;

type Base = { readonly v: 2; readonly ballotId: string; readonly meetingId: string; readonly title: string };

export type BlindingRecord = Base & { readonly stage: 'blinding'; readonly token: string; readonly r: string; readonly blinded: string; readonly keys: StoredKeys };
export type SignedRecord = Base & { readonly stage: 'signed'; readonly token: string; readonly sigma: string; readonly castKey: string; readonly keys: StoredKeys };
export type CastingRecord = Base & { readonly stage: 'casting'; readonly cast: CastBody; readonly expect: Expect; readonly keys: StoredKeys; readonly castAt: number };
export type CastRecord = Base & {
  readonly stage: 'cast';
  readonly tokenHash: string;
  readonly sigma: string;
  readonly commitment: string;
  readonly keys: StoredKeys;
  readonly receipt: StoredReceipt;
  readonly castAt: number;
  /** Set when the check ran and did not pass (kept as evidence until the meeting ends or the timer). */
  readonly check?: Exclude<CheckStatus, 'included'>;
};
export type DoneRecord = Base & { readonly stage: 'done'; readonly check: 'included'; readonly castAt: number };

/** One ballot's record on this tablet. */
export type BallotRecord = BlindingRecord | SignedRecord | CastingRecord | CastRecord | DoneRecord;

/** How long after the cast anything of it stays on the tablet, whatever happens (2 hours). */
export const RETENTION_MS = 2 * 60 * 60 * 1000;

const PREFIX = 'piaojue.ballot.';
const STAGES = ['blinding', 'signed', 'casting', 'cast', 'done'] as const;

/** Every record on this tablet (records of another format are dropped). */
export function loadAll(): Record<string, BallotRecord> {
  const out: Record<string, BallotRecord> = {};
  try {
    const keys: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key);
    }
    for (const key of keys) {
      let rec: BallotRecord | null = null;
      try {
        rec = JSON.parse(localStorage.getItem(key) ?? 'null') as BallotRecord | null;
      } catch {
        rec = null;
      }
      if (rec && rec.v === 2 && STAGES.includes(rec.stage) && rec.ballotId === key.slice(PREFIX.length)) out[rec.ballotId] = rec;
      // An unreadable record or one of the old protocol (which held choices) is erased.
      else localStorage.removeItem(key);
    }
  } catch {
    /* storage unavailable: start empty */
  }
  return out;
}

/** Write a record; throws if storage is full or unavailable (the caller must not go on). */
export function saveRecord(rec: BallotRecord): void {
  localStorage.setItem(PREFIX + rec.ballotId, JSON.stringify(rec));
}

export function removeRecord(ballotId: string): void {
  try {
    localStorage.removeItem(PREFIX + ballotId);
  } catch {
    /* nothing to do */
  }
}

/** When a record was cast (stages 3–5), or null. */
export function castTime(rec: BallotRecord): number | null {
  return rec.stage === 'casting' || rec.stage === 'cast' || rec.stage === 'done' ? rec.castAt : null;
}

/** Whether the retention timer has run out for `rec` at `now`. */
export function expired(rec: BallotRecord, now: number): boolean {
  const at = castTime(rec);
  return at !== null && now - at >= RETENTION_MS;
}
