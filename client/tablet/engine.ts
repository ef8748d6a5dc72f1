/**
 * @module client/tablet/engine
 * The tablet's work behind the screens, driven by the live state of the meeting: on every
 * event it refetches GET /api/tablet and then, for each ballot, does what that ballot's
 * phase calls for — fetch the blind token when it opens, cast (anonymously, retried until
 * acknowledged), send the opening after the close, check the receipt against the
 * published bundle, erase the secrets once counted. Each step is idempotent and resumes
 * from localStorage after a reload.
 */
import { createSignal } from 'solid-js';
import {
  blindToken, bundleSignatureValid, checkReceipt, commit, fromHex, newSalt, toHex, tokenHash, tryParseBundle,
  unblindSignature, verifyReceipt, CryptoInputError, type Receipt,
} from '../../crypto/index.ts';
import { ApiFailure, followMeeting, messageOf, request, untilAcknowledged } from '../api.ts';
import { t } from '../i18n.ts';
import type { CheckinAnswer, ScreenView, TabletBallot, TabletState } from '../types.ts';
import { erased, loadAll, removeRecord, saveRecord, type BallotRecord } from './store.ts';

/** Which screen the tablet shows when no ballot is being filled in. */
export type Phase = 'loading' | 'signin' | 'confirm' | 'main' | 'ended' | 'signedOut';

/** What is happening to a ballot right now (not persisted). */
export type Activity =
  | { readonly kind: 'issuing' }
  | { readonly kind: 'issue-error'; readonly message: string }
  | { readonly kind: 'casting'; readonly attempt: number }
  | { readonly kind: 'cast-error'; readonly message: string }
  | { readonly kind: 'opening'; readonly attempt: number }
  | { readonly kind: 'open-error'; readonly message: string }
  | { readonly kind: 'checking' }
  | { readonly kind: 'check-error'; readonly message: string };

const POLL_MS = 15_000;

export function createTabletEngine() {
  const [phase, setPhase] = createSignal<Phase>('loading');
  const [state, setState] = createSignal<TabletState | null>(null);
  const [records, setRecords] = createSignal<Record<string, BallotRecord>>(loadAll());
  const [activity, setActivity] = createSignal<Record<string, Activity | undefined>>({});
  const [pending, setPending] = createSignal<CheckinAnswer | null>(null);
  const [fatal, setFatal] = createSignal<string | null>(null);
  const inflight = new Set<string>();
  let stopEvents: (() => void) | null = null;
  let followed: string | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  let refreshing: Promise<void> | null = null;
  let again = false;

  const act = (bid: string, a: Activity | undefined) => setActivity((m) => ({ ...m, [bid]: a }));

  function put(rec: BallotRecord): BallotRecord {
    saveRecord(rec);
    setRecords((m) => ({ ...m, [rec.ballotId]: rec }));
    return rec;
  }

  function drop(bid: string): void {
    removeRecord(bid);
    setRecords((m) => {
      const { [bid]: _gone, ...rest } = m;
      return rest;
    });
  }

  // ---- sign-in ------------------------------------------------------------------------------

  async function signIn(code: string): Promise<void> {
    const answer = await request<CheckinAnswer>('tablet', 'POST', '/api/checkin', { code });
    // Records of ballots from an earlier meeting that were counted are of no further use.
    for (const rec of Object.values(records())) if (rec.meetingId !== answer.meeting.id && rec.check === 'included') drop(rec.ballotId);
    setPending(answer);
    setPhase('confirm');
  }

  function confirmIdentity(): void {
    setPending(null);
    setPhase('loading');
    void refresh();
  }

  // ---- live state ---------------------------------------------------------------------------

  /** Refetch the tablet state, then drive every ballot; coalesces calls made meanwhile. */
  function refresh(): Promise<void> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        await refreshOnce();
      } while (again);
    })().finally(() => (refreshing = null));
    return refreshing;
  }

  async function refreshOnce(): Promise<void> {
    let s: TabletState;
    try {
      s = await request<TabletState>('tablet', 'GET', '/api/tablet');
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'NOT_CHECKED_IN') return signedOut();
      if (e instanceof ApiFailure && e.transient) {
        // Keep what we show; the next event or poll retries. Before anything is shown, retry here.
        if (phase() === 'loading') setTimeout(() => void refresh(), 3000);
        return;
      }
      setFatal(messageOf(e));
      return;
    }
    setFatal(null);
    setState(s);
    if (s.meeting.status === 'ended') return meetingEnded(s.meeting.id);
    if (phase() !== 'confirm') setPhase('main');
    follow(s.meeting.id);
    drive(s);
  }

  function follow(meetingId: string): void {
    if (followed === meetingId) return;
    stopEvents?.();
    followed = meetingId;
    // A tablet acts only on ballot status changes; cast counts and attendance (most events,
    // hundreds a second in a large meeting) must not make every tablet refetch its state.
    let seen = '';
    stopEvents = followMeeting<ScreenView>(meetingId, (view) => {
      if (view?.meeting.status === 'ended') return void meetingEnded(meetingId);
      const statuses = view ? view.ballots.map((b) => `${b.id}:${b.status}`).join() : '';
      if (view && statuses === seen) return;
      seen = statuses;
      void refresh();
    });
    clearInterval(poll);
    poll = setInterval(() => void refresh(), POLL_MS);
  }

  function stopFollowing(): void {
    stopEvents?.();
    stopEvents = null;
    followed = null;
    clearInterval(poll);
  }

  /** The tablet session is gone: the meeting ended, or the secretary re-issued this member's code. */
  async function signedOut(): Promise<void> {
    const mid = state()?.meeting.id ?? followed;
    if (!mid) {
      if (phase() !== 'confirm') setPhase('signin');
      return;
    }
    let ended = false;
    try {
      ended = (await request<ScreenView>('anonymous', 'GET', `/api/meetings/${mid}/screen`)).meeting.status === 'ended';
    } catch {
      ended = false;
    }
    if (ended) return meetingEnded(mid);
    stopFollowing();
    setState(null);
    setPhase('signedOut');
  }

  /**
   * The meeting is over: erase what was counted and tokens never cast, sign out. Records
   * whose check did not pass stay as evidence.
   */
  function meetingEnded(meetingId: string): void {
    stopFollowing();
    for (const rec of Object.values(records()))
      if (rec.meetingId === meetingId && (rec.check === 'included' || !rec.receipt)) drop(rec.ballotId);
    setState(null);
    setPhase('ended');
  }

  // ---- per-ballot work ---------------------------------------------------------------------

  function drive(s: TabletState): void {
    for (const b of s.ballots) {
      const rec = records()[b.id];
      if (b.status === 'open' && b.eligible && !rec?.signature) once(`issue:${b.id}`, () => issue(b));
      else if (b.status === 'open' && rec?.salt && !rec.receipt) once(`cast:${b.id}`, () => cast(b.id));
      else if (b.status === 'closed' && rec?.receipt && !rec.opened) once(`open:${b.id}`, () => open(b.id));
      else if ((b.status === 'published' || b.status === 'void') && rec?.receipt && !rec.check) once(`check:${b.id}`, () => check(b.id));
    }
  }

  function once(key: string, job: () => Promise<void>): void {
    if (inflight.has(key)) return;
    inflight.add(key);
    void job().finally(() => inflight.delete(key));
  }

  /** Blind a fresh token (kept before sending), get it signed, unblind and check it. */
  async function issue(b: TabletBallot): Promise<void> {
    act(b.id, { kind: 'issuing' });
    try {
      let rec = records()[b.id];
      if (!rec?.token || !rec.r || !rec.blinded) {
        const st = blindToken(b.id);
        rec = put({
          v: 1, ballotId: b.id, meetingId: b.meetingId, title: b.title,
          token: toHex(st.token), r: toHex(st.r), blinded: toHex(st.blinded),
          choices: rec?.choices ?? b.items.map(() => null),
        });
      }
      const blinded = rec.blinded!;
      const { signed } = await untilAcknowledged(() => request<{ signed: string }>('tablet', 'POST', `/api/ballots/${b.id}/issue`, { blinded }));
      const st = { ballotId: b.id, token: fromHex(rec.token, 32, 'token'), r: fromHex(rec.r, 32, 'r'), blinded: fromHex(blinded, 48, 'blinded') };
      const signature = unblindSignature(st, fromHex(signed, 48, 'signed'), fromHex(b.publicKey, 96, 'publicKey'));
      put({ ...records()[b.id]!, signature: toHex(signature) });
      act(b.id, undefined);
    } catch (e) {
      act(b.id, { kind: 'issue-error', message: e instanceof CryptoInputError ? t('err.crypto') : messageOf(e) });
    }
  }

  /** Record a choice while voting (never after the member confirmed). */
  function choose(bid: string, index: number, option: string): void {
    const rec = records()[bid];
    if (!rec || rec.salt) return;
    const choices = [...(rec.choices ?? [])];
    choices[index] = option;
    put({ ...rec, choices });
  }

  /** The member confirmed: fix salt and commitment (kept before sending), then cast. */
  function confirmCast(bid: string): void {
    const rec = records()[bid];
    if (!rec?.signature || !rec.token || rec.salt) return;
    const choices = rec.choices ?? [];
    if (choices.some((c) => c === null)) return;
    const salt = newSalt();
    const commitment = commit(bid, fromHex(rec.token, 32, 'token'), choices as string[], salt);
    put({ ...rec, salt: toHex(salt), commitment: toHex(commitment) });
    once(`cast:${bid}`, () => cast(bid));
  }

  /** Send the cast without credentials until the server acknowledges it with a receipt. */
  async function cast(bid: string): Promise<void> {
    const rec = records()[bid]!;
    act(bid, { kind: 'casting', attempt: 0 });
    try {
      const body = { token: rec.token!, signature: rec.signature!, commitment: rec.commitment! };
      const { receipt } = await untilAcknowledged(
        () => request<{ receipt: Receipt }>('anonymous', 'POST', `/api/ballots/${bid}/cast`, body),
        (attempt) => act(bid, { kind: 'casting', attempt }),
      );
      const expected = toHex(tokenHash(bid, fromHex(rec.token!, 32, 'token')));
      if (!verifyReceipt(receipt) || receipt.ballotId !== bid || receipt.commitment !== rec.commitment || receipt.tokenHash !== expected)
        throw new Error('receipt does not verify');
      put({ ...records()[bid]!, receipt });
      act(bid, undefined);
    } catch (e) {
      const late = e instanceof ApiFailure && e.code === 'BAD_STATE';
      act(bid, { kind: 'cast-error', message: late ? t('tablet.lateCast') : messageOf(e) });
    }
  }

  /** After the close: reveal choices and salt, anonymously, until accepted. */
  async function open(bid: string): Promise<void> {
    const rec = records()[bid]!;
    act(bid, { kind: 'opening', attempt: 0 });
    try {
      await untilAcknowledged(
        () => request('anonymous', 'POST', `/api/ballots/${bid}/openings`, { token: rec.token, choices: rec.choices, salt: rec.salt }),
        (attempt) => act(bid, { kind: 'opening', attempt }),
      );
      put({ ...records()[bid]!, opened: true });
      act(bid, undefined);
    } catch (e) {
      act(bid, { kind: 'open-error', message: messageOf(e) });
    }
  }

  /** After publication: is our cast in the signed bundle? Erase the secrets once it is. */
  async function check(bid: string): Promise<void> {
    const rec = records()[bid]!;
    act(bid, { kind: 'checking' });
    try {
      const json = await untilAcknowledged(() => request<unknown>('anonymous', 'GET', `/api/ballots/${bid}/bundle`));
      const parsed = tryParseBundle(json);
      let status: BallotRecord['check'] = 'invalid';
      if ('bundle' in parsed && bundleSignatureValid(parsed.bundle)) {
        const r = checkReceipt(parsed.bundle, rec.receipt!);
        status = r.status === 'included' ? (r.opened ? 'included' : 'unopened') : r.status === 'missing' ? 'missing' : 'invalid';
      }
      const next = { ...records()[bid]!, check: status };
      put(status === 'included' ? erased(next) : next);
      act(bid, undefined);
    } catch (e) {
      act(bid, { kind: 'check-error', message: messageOf(e) });
    }
  }

  // ---- start --------------------------------------------------------------------------------

  function start(): void {
    window.addEventListener('online', () => void refresh());
    // A page restored from the back/forward cache must not show stale state.
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted) void refresh();
    });
    void refresh();
  }

  return { phase, setPhase, state, records, activity, pending, fatal, signIn, confirmIdentity, choose, confirmCast, refresh, start };
}

export type TabletEngine = ReturnType<typeof createTabletEngine>;
