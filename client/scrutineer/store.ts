/**
 * @module client/scrutineer/store
 * What a scrutineer's device keeps in localStorage. The device state of crypto/device.ts
 * (its secret keys, its dealer polynomials until round 3, its key shares and its issuance
 * bookkeeping) lives under `piaojue.scrutineer.<meetingId>.<index>` and never leaves the
 * device; `piaojue.scrutineer.current` names the meeting and index this browser signed in
 * for, so the page knows, even signed out, whose state to erase once the meeting ended.
 *
 * The engine writes the new state BEFORE it sends the message that state produced: a reload
 * or a lost answer then repeats the same message instead of dealing or signing afresh.
 *
 * One window at a time: two windows of the page on one device would each deal their own
 * polynomials and ruin the ceremony. A window holds `piaojue.scrutineer.window` (its id and a
 * heartbeat); another window waits for it to go stale before it takes over.
 */
import type { DeviceState } from '../../crypto/index.ts';

const PREFIX = 'piaojue.scrutineer.';
const CURRENT = 'piaojue.scrutineer.current';
const WINDOW = 'piaojue.scrutineer.window';
/** A window's claim counts as abandoned after this long without a heartbeat (ms). */
export const WINDOW_STALE_MS = 5000;

/** Thrown when the state cannot be written: the device must not send what it produced. */
export class StorageFailure extends Error {
  constructor() {
    super('storage unavailable');
    this.name = 'StorageFailure';
  }
}

const stateKey = (meetingId: string, index: number) => `${PREFIX}${meetingId}.${index}`;

/** The stored state of scrutineer `index` of a meeting, or null (absent, unreadable or not for them). */
export function loadState(meetingId: string, index: number): DeviceState | null {
  try {
    const s = JSON.parse(localStorage.getItem(stateKey(meetingId, index)) ?? 'null') as DeviceState | null;
    return s && s.v === 1 && s.meetingId === meetingId && s.key?.index === index ? s : null;
  } catch {
    return null;
  }
}

/** Write the state (and remember it as this browser's current one); throws StorageFailure. */
export function saveState(s: DeviceState): void {
  const text = JSON.stringify(s);
  try {
    localStorage.setItem(stateKey(s.meetingId, s.key.index), text);
    localStorage.setItem(CURRENT, JSON.stringify({ meetingId: s.meetingId, index: s.key.index }));
    if (localStorage.getItem(stateKey(s.meetingId, s.key.index)) !== text) throw new StorageFailure();
  } catch {
    throw new StorageFailure();
  }
}

/** Erase a scrutineer's state (the meeting ended: its key shares must not outlive it). */
export function eraseState(meetingId: string, index: number): void {
  try {
    localStorage.removeItem(stateKey(meetingId, index));
    const cur = current();
    if (cur && cur.meetingId === meetingId && cur.index === index) localStorage.removeItem(CURRENT);
  } catch {
    /* nothing more to do */
  }
}

/** The meeting and index this browser last signed in for, or null. */
export function current(): { meetingId: string; index: number } | null {
  try {
    const c = JSON.parse(localStorage.getItem(CURRENT) ?? 'null') as { meetingId?: unknown; index?: unknown } | null;
    return c && typeof c.meetingId === 'string' && typeof c.index === 'number' ? { meetingId: c.meetingId, index: c.index } : null;
  } catch {
    return null;
  }
}

/** Whether this storage can be written at all (private modes may refuse). */
export function storageWorks(): boolean {
  try {
    localStorage.setItem(`${PREFIX}probe`, '1');
    localStorage.removeItem(`${PREFIX}probe`);
    return true;
  } catch {
    return false;
  }
}

// ---- one window at a time ---------------------------------------------------------------------

type Claim = { id: string; at: number };

function readClaim(): Claim | null {
  try {
    const c = JSON.parse(localStorage.getItem(WINDOW) ?? 'null') as Claim | null;
    return c && typeof c.id === 'string' && typeof c.at === 'number' ? c : null;
  } catch {
    return null;
  }
}

/** This window's claim on the device state. */
export function windowClaim(id: string) {
  return {
    /** Whether no other live window holds the claim. */
    free(now = Date.now()): boolean {
      const c = readClaim();
      return !c || c.id === id || now - c.at > WINDOW_STALE_MS || c.at > now + WINDOW_STALE_MS;
    },
    /** Whether this window holds it. */
    mine(): boolean {
      return readClaim()?.id === id;
    },
    take(now = Date.now()): void {
      try {
        localStorage.setItem(WINDOW, JSON.stringify({ id, at: now }));
      } catch {
        /* storageWorks() reports this */
      }
    },
    release(): void {
      try {
        if (readClaim()?.id === id) localStorage.removeItem(WINDOW);
      } catch {
        /* nothing to do */
      }
    },
  };
}
