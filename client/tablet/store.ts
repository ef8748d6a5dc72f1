/**
 * @module client/tablet/store
 * What a tablet keeps of each ballot in localStorage, keyed by ballot id, so that a reload
 * or a crash loses nothing: the blinding state (kept before the issue request, so a retry
 * sends the same blinded point and gets the same answer), the unblinded signature, the
 * choices (the draft while voting, then the cast ones), salt and commitment (kept before
 * the cast request, so a retry sends the same cast), the receipt, and how the check ended.
 * Once the published bundle shows the ballot counted, token, salt and choices are erased.
 */
import type { Receipt } from '../../crypto/index.ts';

/** Outcome of the receipt check against the published bundle. */
export type CheckStatus = 'included' | 'unopened' | 'missing' | 'invalid';

/** One ballot's record on this tablet (byte fields are lowercase hex). */
export type BallotRecord = {
  readonly v: 1;
  readonly ballotId: string;
  readonly meetingId: string;
  readonly title: string;
  readonly token?: string;
  readonly r?: string;
  readonly blinded?: string;
  readonly signature?: string;
  /** One option id (or null while undecided) per item. */
  readonly choices?: readonly (string | null)[];
  /** Present once the member confirmed: from then on the choices are never shown again. */
  readonly salt?: string;
  readonly commitment?: string;
  readonly receipt?: Receipt;
  readonly opened?: boolean;
  readonly check?: CheckStatus;
  /** Token, salt and choices have been erased. */
  readonly erased?: boolean;
};

const PREFIX = 'piaojue.ballot.';

/** Every record on this tablet. */
export function loadAll(): Record<string, BallotRecord> {
  const out: Record<string, BallotRecord> = {};
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const rec = JSON.parse(localStorage.getItem(key) ?? 'null') as BallotRecord | null;
      if (rec && rec.v === 1 && rec.ballotId === key.slice(PREFIX.length)) out[rec.ballotId] = rec;
    }
  } catch {
    /* storage unavailable or corrupt: start empty */
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

/** The record without the secrets that link it to the published choices (kept: receipt and check). */
export function erased(rec: BallotRecord): BallotRecord {
  return { v: 1, ballotId: rec.ballotId, meetingId: rec.meetingId, title: rec.title, receipt: rec.receipt, opened: rec.opened, check: rec.check, erased: true };
}
