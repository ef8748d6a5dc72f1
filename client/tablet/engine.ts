/**
 * @module client/tablet/engine
 * The tablet's work behind the screens (protocol `piaojue/2`), driven by the live state of the
 * meeting: on every event it refetches GET /api/tablet and then, for each ballot, does what
 * that ballot's phase calls for, with the pure voter engine of crypto/voter.ts:
 *
 * 1. keys — `ballotKeys(ceremony, {publicKey, electionKey})` checks the key ceremony's public
 *    record and that the ballot's keys are the ceremony's, BEFORE anything is blinded; a key
 *    that is not the ceremony's (a tablet singled out with its own key) is refused and the
 *    member is told not to vote. The ceremony's fingerprint (系统校验码) is shown on the ballot
 *    so the member can compare it with the projector.
 * 2. issuance — blind a token (`startIssuance`), POST the blinded point to
 *    /api/ballots/:bid/issue, which long-polls for the scrutineers' partial signatures (asking
 *    again with the same point while `pending`), then combine and unblind (`finishIssuance`).
 *    Refused with ALREADY_ISSUED (a replacement tablet), the ballot is `lost` until GET
 *    /api/tablet says the secretary re-issued it (`reissue`); then the tablet asks again by itself.
 * 3. cast — the member's answer (in memory only: the selected entries of each group, as the
 *    ballot's kind draws it — client/kinds/) becomes the selection vector of the kind's shape
 *    (`answerSelections`, which checks every group's [min, max]), sealed by `prepareCast`; the
 *    cast goes to /api/anon/ballots/:bid/cast without credentials and with
 *    exactly the same headers from every tablet; 503 BUSY and network failures are retried
 *    with the identical body; the receipt must match the cast (`receiptMatches`).
 * 4. inclusion check — after publication the bundle is fetched anonymously and the receipt
 *    checked against it in the page (`checkReceipt`); the receipt never leaves the tablet.
 *
 * What is stored, and when it is erased, is documented in store.ts. Each step is idempotent
 * and resumes from localStorage after a reload.
 */
import { createSignal } from 'solid-js';
import {
  answerSelections, ballotKeys, ballotShape, bundleSignatureValid, checkReceipt, finishIssuance, fromHex, prepareCast, receiptMatches,
  startIssuance, toHex, tryParseBundle, CryptoInputError,
  type BallotKeys, type CeremonyRecord, type Receipt,
} from '../../crypto/index.ts';
import { ApiFailure, backoff, followMeeting, request, untilAcknowledged, wordsOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { Answer } from '../kinds/index.ts';
import { castRefusalWords } from '../words.ts';
import type { CheckinAnswer, ScreenView, TabletBallot, TabletState } from '../types.ts';
import {
  expired, loadAll, removeRecord, saveRecord,
  type BallotRecord, type CastRecord, type CastingRecord, type StoredKeys,
} from './store.ts';

/** A ballot as GET /api/tablet gives it (with its publicKey, electionKey and fingerprint once open). */
export type TabletBallot2 = TabletBallot;
/** GET /api/tablet in `piaojue/2`: with the finished key ceremony's public record. */
export type TabletState2 = Omit<TabletState, 'ballots'> & { readonly ceremony: CeremonyRecord | null; readonly ballots: readonly TabletBallot2[] };

/** Which screen the tablet shows when no ballot is being filled in. */
export type Phase = 'loading' | 'signin' | 'confirm' | 'main' | 'ended' | 'signedOut';

/** The key check of one ballot: the keys to use, or why the tablet refuses the ballot. */
export type KeyCheck =
  | { readonly ok: true; readonly keys: BallotKeys }
  | { readonly ok: false; readonly reason: 'no-ceremony' | 'invalid' | 'changed' };

/** Words to render: read at render time, so they follow a language switch. */
export type Words = () => string;

/** What is happening to a ballot right now (not persisted). */
export type Activity =
  | { readonly kind: 'issuing'; readonly waits: number }
  | { readonly kind: 'issue-error'; readonly message: Words }
  | { readonly kind: 'lost' }
  | { readonly kind: 'casting'; readonly attempt: number; readonly busy: boolean }
  | { readonly kind: 'cast-error'; readonly message: Words }
  | { readonly kind: 'late' }
  | { readonly kind: 'checking' }
  | { readonly kind: 'check-error'; readonly message: Words };

type IssueAnswer = { status: 'pending' } | { status: 'signed'; partials: { index: number; partial: string }[]; castKey: string };

const POLL_MS = 15_000;
/**
 * While a ballot is `lost` (ALREADY_ISSUED: another tablet holds this member's token) the tablet
 * looks this often whether the secretary re-issued it (`reissue` in GET /api/tablet): a re-issue
 * changes no ballot's status, so no event wakes the tablet for it.
 */
const LOST_POLL_MS = 3_000;
const PURGE_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wait `ms`, or less if the browser comes back online meanwhile. */
function pause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

function storedKeys(k: BallotKeys): StoredKeys {
  return { publicKey: k.publicKey, electionKey: k.electionKey, fingerprint: k.fingerprint };
}

/** GET a public JSON document without credentials or any custom header. */
async function anonymousJson(path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  } catch {
    throw new ApiFailure('NETWORK', 0, t('err.network'));
  }
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (!res.ok) throw new ApiFailure(typeof json?.error === 'string' ? json.error : `HTTP_${res.status}`, res.status, t('err.unexpected'));
  return json;
}

export function createTabletEngine() {
  const [phase, setPhase] = createSignal<Phase>('loading');
  const [state, setState] = createSignal<TabletState2 | null>(null);
  const [records, setRecords] = createSignal<Record<string, BallotRecord>>(loadAll());
  const [activity, setActivity] = createSignal<Record<string, Activity | undefined>>({});
  // The member's answers while voting: in memory only, never stored, dropped at the cast.
  const [drafts, setDrafts] = createSignal<Record<string, Answer>>({});
  const [pending, setPending] = createSignal<CheckinAnswer | null>(null);
  const [fatal, setFatal] = createSignal<Words | null>(null);
  const inflight = new Set<string>();
  const keyCache = new Map<string, KeyCheck>();
  let serverKey: string | null = null;
  let stopEvents: (() => void) | null = null;
  let followed: string | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  let refreshing: Promise<void> | null = null;
  let again = false;
  let lastRefresh = 0;

  const act = (bid: string, a: Activity | undefined): void => void setActivity((m) => ({ ...m, [bid]: a }));

  function put<R extends BallotRecord>(rec: R): R {
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

  function dropDraft(bid: string): void {
    setDrafts((m) => {
      const { [bid]: _gone, ...rest } = m;
      return rest;
    });
  }

  /** The retention timer: whatever was cast RETENTION_MS ago goes, online or not. */
  function purge(): void {
    const now = Date.now();
    for (const rec of Object.values(records())) if (expired(rec, now)) drop(rec.ballotId);
  }

  // ---- keys ---------------------------------------------------------------------------------

  /**
   * Check a ballot's keys against the ceremony record it came with (memoized: the check costs
   * ~0.1 s). A ballot whose keys are not the ceremony's, or differ from the keys this tablet
   * already used for it, is refused.
   */
  function keysFor(b: TabletBallot2): KeyCheck {
    const s = state();
    if (!s?.ceremony || !b.publicKey || !b.electionKey) return { ok: false, reason: 'no-ceremony' };
    const id = `${JSON.stringify(s.ceremony)}|${b.publicKey}|${b.electionKey}|${b.fingerprint ?? ''}`;
    let kc = keyCache.get(id);
    if (!kc) {
      try {
        const keys = ballotKeys(s.ceremony, { publicKey: b.publicKey, electionKey: b.electionKey });
        // The server's own claim of the fingerprint must be the one the tablet computed.
        kc = b.fingerprint !== null && b.fingerprint !== keys.fingerprint ? { ok: false, reason: 'invalid' } : { ok: true, keys };
      } catch {
        kc = { ok: false, reason: 'invalid' };
      }
      if (keyCache.size > 20) keyCache.clear();
      keyCache.set(id, kc);
    }
    const rec = records()[b.id];
    if (kc.ok && rec && 'keys' in rec) {
      const k = rec.keys;
      if (k.publicKey !== kc.keys.publicKey || k.electionKey !== kc.keys.electionKey || k.fingerprint !== kc.keys.fingerprint) return { ok: false, reason: 'changed' };
    }
    return kc;
  }

  // ---- sign-in ------------------------------------------------------------------------------

  async function signIn(code: string): Promise<void> {
    const answer = await request<CheckinAnswer>('tablet', 'POST', '/api/checkin', { code });
    // Records of another meeting are of no further use on this tablet.
    for (const rec of Object.values(records())) if (rec.meetingId !== answer.meeting.id) drop(rec.ballotId);
    setPending(answer);
    setPhase('confirm');
  }

  /** "不是我": the server undoes the check-in and ends this tablet's session (a reload cannot vote as the member). */
  async function notMe(): Promise<void> {
    await request<{ ok: true }>('tablet', 'POST', '/api/tablet/not-me');
    setPending(null);
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
    lastRefresh = Date.now();
    let s: TabletState2;
    try {
      s = await request<TabletState2>('tablet', 'GET', '/api/tablet');
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'NOT_CHECKED_IN') return signedOut();
      if (e instanceof ApiFailure && e.transient) {
        // Keep what we show; the next event or poll retries. Before anything is shown, retry here.
        if (phase() === 'loading') setTimeout(() => void refresh(), 3000);
        return;
      }
      setFatal(() => wordsOf(e));
      return;
    }
    setFatal(null);
    setState(s);
    if (s.meeting.status === 'ended') return meetingEnded(s.meeting.id);
    if (phase() !== 'confirm') setPhase('main');
    follow(s.meeting.id);
    if (serverKey === null)
      void request<{ serverKey: string }>('anonymous', 'GET', '/api/server-key').then((r) => (serverKey = r.serverKey), () => undefined);
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
    poll = setInterval(() => {
      const lost = Object.values(activity()).some((a) => a?.kind === 'lost');
      if (Date.now() - lastRefresh >= (lost ? LOST_POLL_MS : POLL_MS) - 100) void refresh();
    }, 1000);
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
    setDrafts({});
    setPhase('signedOut');
  }

  /** The meeting is over: erase everything this tablet kept of it, sign out. */
  function meetingEnded(meetingId: string): void {
    stopFollowing();
    for (const rec of Object.values(records())) if (rec.meetingId === meetingId) drop(rec.ballotId);
    setDrafts({});
    setState(null);
    setPhase('ended');
  }

  // ---- per-ballot work ---------------------------------------------------------------------

  function drive(s: TabletState2): void {
    for (const b of s.ballots) {
      const rec = records()[b.id];
      if (b.status === 'open') {
        if (!b.eligible) continue;
        const kc = keysFor(b);
        if (!kc.ok) continue; // refused: nothing is blinded, nothing is cast (the screen says why)
        if (activity()[b.id]?.kind === 'lost') {
          // Another tablet holds this member's token, until the secretary re-issues the ballot (补发).
          if (!b.reissue) continue;
          act(b.id, undefined);
        }
        if (!rec || rec.stage === 'blinding') once(`issue:${b.id}`, () => issue(b, kc.keys));
        else if (rec.stage === 'casting') once(`cast:${b.id}`, () => cast(b.id));
      } else if (b.status !== 'draft') {
        // The token of a ballot no longer open can never be used.
        if (rec?.stage === 'blinding' || rec?.stage === 'signed') drop(b.id);
        if (drafts()[b.id]) dropDraft(b.id);
        if ((b.status === 'published' || b.status === 'void') && rec && (rec.stage === 'casting' || (rec.stage === 'cast' && !rec.check)))
          once(`check:${b.id}`, () => check(b.id));
      }
    }
  }

  function once(key: string, job: () => Promise<void>): void {
    if (inflight.has(key)) return;
    inflight.add(key);
    void job().finally(() => inflight.delete(key));
  }

  const stillOpen = (bid: string) => state()?.ballots.find((b) => b.id === bid)?.status === 'open';

  /** Blind a fresh token (kept before sending), wait for t partial signatures, combine and unblind. */
  async function issue(b: TabletBallot2, keys: BallotKeys): Promise<void> {
    act(b.id, { kind: 'issuing', waits: 0 });
    try {
      let rec = records()[b.id];
      if (!rec) {
        const st = startIssuance(b.id);
        rec = put({
          v: 2, stage: 'blinding', ballotId: b.id, meetingId: b.meetingId, title: b.title,
          token: toHex(st.token), r: toHex(st.r), blinded: toHex(st.blinded), keys: storedKeys(keys),
        });
      }
      if (rec.stage !== 'blinding') return act(b.id, undefined);
      const { token, r, blinded } = rec;
      let answer: IssueAnswer;
      for (let waits = 0; ; waits++) {
        answer = await untilAcknowledged(() => request<IssueAnswer>('tablet', 'POST', `/api/ballots/${b.id}/issue`, { blinded }));
        if (answer.status === 'signed') break;
        // pending: the scrutineers' devices have not all answered yet; ask again with the same point.
        if (!stillOpen(b.id)) return act(b.id, undefined);
        act(b.id, { kind: 'issuing', waits: waits + 1 });
      }
      const st = { ballotId: b.id, token: fromHex(token, 32, 'token'), r: fromHex(r, 32, 'r'), blinded: fromHex(blinded, 48, 'blinded') };
      const sigma = finishIssuance(st, answer.partials, keys);
      fromHex(answer.castKey, 32, 'castKey');
      // From here on the blinding state is of no use: r and the blinded point are erased.
      put({ v: 2, stage: 'signed', ballotId: b.id, meetingId: b.meetingId, title: b.title, token, sigma: toHex(sigma), castKey: answer.castKey, keys: storedKeys(keys) });
      act(b.id, undefined);
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'ALREADY_ISSUED') {
        // The server holds another blinded point for this member: this token can never be signed.
        drop(b.id);
        return act(b.id, { kind: 'lost' });
      }
      if (e instanceof ApiFailure && e.code === 'BAD_STATE') {
        act(b.id, undefined);
        return void refresh();
      }
      act(b.id, { kind: 'issue-error', message: e instanceof CryptoInputError ? () => t('err.crypto') : wordsOf(e) });
    }
  }

  /** The item indices this member is recused from on a ballot (回避): shown, never selectable. */
  function recusedFor(b: TabletBallot2): ReadonlySet<number> {
    return new Set(b.myRecusedItems);
  }

  /** Record the answer while voting (in memory only). The kind's ballot never selects an item the member is recused from. */
  function setAnswer(bid: string, answer: Answer): void {
    const rec = records()[bid];
    if (rec?.stage !== 'signed' || !state()?.ballots.some((x) => x.id === bid)) return;
    setDrafts((m) => ({ ...m, [bid]: answer }));
  }

  /**
   * The member confirmed the answer on the review screen (an untouched blank recommendation has
   * no draft, hence the answer is passed): seal it (the randomness lives only inside
   * prepareCast), keep the cast, send it.
   */
  function confirmCast(bid: string, answer: Answer): void {
    const rec = records()[bid];
    const b = state()?.ballots.find((x) => x.id === bid);
    if (rec?.stage !== 'signed' || !b) return;
    const kc = keysFor(b);
    if (!kc.ok) return;
    try {
      // answerSelections checks the answer against the kind's shape: an incomplete or over-k answer is never sealed.
      const prepared = prepareCast(
        bid, kc.keys, ballotShape(b), answerSelections(b, answer),
        fromHex(rec.token, 32, 'token'), fromHex(rec.sigma, 48, 'sigma'), fromHex(rec.castKey, 32, 'castKey'),
      );
      put<CastingRecord>({ v: 2, stage: 'casting', ballotId: bid, meetingId: rec.meetingId, title: rec.title, cast: prepared.body, expect: prepared.expect, keys: rec.keys, castAt: Date.now() });
    } catch (e) {
      act(bid, { kind: 'cast-error', message: e instanceof CryptoInputError ? () => t('err.crypto') : wordsOf(e) });
      return;
    } finally {
      // No draft survives the cast, whatever happened.
      dropDraft(bid);
    }
    once(`cast:${bid}`, () => cast(bid));
  }

  /**
   * POST the cast exactly as every tablet does: no credentials, no cookie, no Accept-Language or
   * other custom header, a body whose size the ballot fixes. 503 BUSY: again after a short pause;
   * no answer or server trouble: again with backoff. Returns the parsed answer of a 2xx.
   */
  async function sendCast(bid: string, body: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      // Erased meanwhile (the meeting ended, the retention timer ran out): stop sending.
      if (records()[bid]?.stage !== 'casting') throw new ApiFailure('BAD_STATE', 0, t('tablet.lateCast'));
      let res: Response | null = null;
      try {
        res = await fetch(`/api/anon/ballots/${encodeURIComponent(bid)}/cast`, {
          method: 'POST',
          credentials: 'omit',
          cache: 'no-store',
          referrerPolicy: 'no-referrer',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
      } catch {
        res = null;
      }
      if (res === null) {
        act(bid, { kind: 'casting', attempt: attempt + 1, busy: false });
        await pause(backoff(attempt));
        continue;
      }
      const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (res.ok) return json;
      const code = typeof json?.error === 'string' ? json.error : `HTTP_${res.status}`;
      if (res.status === 503 || code === 'BUSY') {
        act(bid, { kind: 'casting', attempt: attempt + 1, busy: true });
        await sleep(300 + Math.random() * 700);
        continue;
      }
      if (res.status >= 500 || res.status === 429) {
        act(bid, { kind: 'casting', attempt: attempt + 1, busy: false });
        await pause(backoff(attempt));
        continue;
      }
      throw new ApiFailure(code, res.status, typeof json?.message === 'string' ? json.message : code);
    }
  }

  /** Send the kept cast until the server acknowledges it with a receipt for exactly this cast. */
  async function cast(bid: string): Promise<void> {
    const rec = records()[bid];
    if (rec?.stage !== 'casting') return;
    act(bid, { kind: 'casting', attempt: 0, busy: false });
    try {
      const answer = (await sendCast(bid, JSON.stringify(rec.cast))) as { receipt?: unknown } | null;
      if (serverKey === null) serverKey = (await untilAcknowledged(() => request<{ serverKey: string }>('anonymous', 'GET', '/api/server-key'))).serverKey;
      const receipt = answer?.receipt;
      if (!receiptMatches(receipt, rec.expect, serverKey)) return act(bid, { kind: 'cast-error', message: () => t('tablet.receipt.bad') });
      const r = receipt as Receipt;
      // Only what the inclusion check needs stays; token, cast key and the cast body are erased.
      put<CastRecord>({
        v: 2, stage: 'cast', ballotId: bid, meetingId: rec.meetingId, title: rec.title,
        tokenHash: rec.expect.tokenHash, sigma: rec.expect.sigma, commitment: rec.expect.commitment, keys: rec.keys,
        receipt: { ...r }, castAt: rec.castAt,
      });
      act(bid, undefined);
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'BAD_STATE') return act(bid, { kind: 'late' });
      act(bid, { kind: 'cast-error', message: castError(e) });
    }
  }

  /** Why a cast failed, in the member's words (the cast's answer came without Accept-Language). */
  function castError(e: unknown): Words {
    if (!(e instanceof ApiFailure) || e.transient) return wordsOf(e);
    const { code } = e;
    console.warn('piaojue: cast refused:', code);
    return () => castRefusalWords(code);
  }

  /**
   * After publication: is our cast in the signed bundle (checkReceipt, in this page)? The
   * receipt is never sent anywhere. Counted: everything of the cast is erased. A cast whose
   * answer never came (stage `casting`) is looked up by token hash, σ and commitment.
   */
  async function check(bid: string): Promise<void> {
    const rec = records()[bid];
    if (!rec || (rec.stage !== 'cast' && rec.stage !== 'casting')) return;
    act(bid, { kind: 'checking' });
    try {
      const json = await untilAcknowledged(() => anonymousJson(`/api/ballots/${encodeURIComponent(bid)}/bundle`));
      const parsed = tryParseBundle(json);
      const bundle = 'bundle' in parsed && bundleSignatureValid(parsed.bundle) ? parsed.bundle : null;
      if (rec.stage === 'casting') {
        const e = rec.expect;
        const found = bundle?.ballots.some((x) => x.signature === e.sigma && x.commitment === e.commitment && x.token === rec.cast.token);
        if (found) put({ v: 2, stage: 'done', ballotId: bid, meetingId: rec.meetingId, title: rec.title, check: 'included', castAt: rec.castAt });
        else {
          drop(bid);
          return act(bid, { kind: 'late' });
        }
        return act(bid, undefined);
      }
      const status = bundle ? checkReceipt(bundle, rec.receipt as Receipt).status : 'bad-bundle';
      if (status === 'included') put({ v: 2, stage: 'done', ballotId: bid, meetingId: rec.meetingId, title: rec.title, check: 'included', castAt: rec.castAt });
      else put<CastRecord>({ ...rec, check: status });
      act(bid, undefined);
    } catch (e) {
      act(bid, { kind: 'check-error', message: wordsOf(e) });
    }
  }

  // ---- start --------------------------------------------------------------------------------

  function start(): void {
    purge();
    setInterval(purge, PURGE_MS);
    window.addEventListener('online', () => void refresh());
    // A page restored from the back/forward cache must not show stale state.
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted) void refresh();
    });
    void refresh();
  }

  return { phase, setPhase, state, records, activity, drafts, pending, fatal, keysFor, recusedFor, signIn, notMe, confirmIdentity, setAnswer, confirmCast, refresh, start };
}

export type TabletEngine = ReturnType<typeof createTabletEngine>;
