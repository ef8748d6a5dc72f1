/**
 * @module client/scrutineer/engine
 * The scrutineer device's work behind the page: a thin shell around crypto/device.ts doing in
 * the browser exactly what server/simulate.ts `SimulatedScrutineer` does in Node. On every
 * event of the meeting (and a poll: every second while a ballot is open, otherwise every few
 * seconds, which also keeps the device's "online" lamp lit on the secretary's console) it
 * refetches GET /api/scrutineer and then
 *  - runs `ceremonyStep` while the key ceremony is running and posts what it returns;
 *  - for a closed ballot whose sums are in and that this device has not decrypted, fetches the
 *    sealed ballots and shows their number; once the scrutineer checked it against the room, adds
 *    them up itself and posts its decryption share of that sum (`decryptCasts`);
 *  - while a ballot is open, fetches the issuance requests, signs them (`signRequests`) and
 *    posts the partial signatures with the newly signed log; re-issue requests it refuses for
 *    want of approval are listed for the scrutineer to approve (`approveReissue`).
 * Attendance confirmation (`confirmAttendance`) is the scrutineer's own act, from the page.
 *
 * Every step reads the state from storage, computes, writes the new state, and only then
 * sends (store.ts). Steps run one at a time (a promise chain), so a confirmation never races
 * a signing round over the same state.
 */
import { createSignal } from 'solid-js';
import {
  approveReissue, ballotShape, ceremonyStep, confirmAttendance, createDevice, decryptCasts, forgetBallot, signRequests, useBackend,
  type BallotDefinition, type CeremonyView, type KindId, type DeviceState, type IssuanceRequest, type MemberKind,
} from '../../crypto/index.ts';
import { ApiFailure, backoff, followMeeting, messageOf, request } from '../api.ts';
import type { BallotStatus, CeremonyStatus, MeetingStatus } from '../types.ts';
import { current, eraseState, loadState, saveState, StorageFailure, storageWorks, windowClaim, WINDOW_STALE_MS } from './store.ts';

/** A ballot as GET /api/scrutineer shows it to a device. */
export type DeviceBallotView = {
  readonly id: string;
  readonly title: string;
  readonly type: KindId;
  readonly status: BallotStatus;
  readonly electionKey: string | null;
  readonly entitled: readonly { readonly memberId: string; readonly name: string; readonly kind: MemberKind; readonly present: boolean }[];
  readonly confirmed: boolean;
  readonly issuedByMe: number;
  readonly sums: readonly string[] | null;
  readonly decrypted: boolean;
  readonly items: BallotDefinition['items'];
  readonly options: BallotDefinition['options'];
  /** What the selection-vector shape needs besides items and options (ballotShape). */
  readonly rule: BallotDefinition['rule'];
  readonly params: BallotDefinition['params'];
  readonly recusedItems: BallotDefinition['recusedItems'];
  /** Casts the server holds (the live 收回 figure). */
  readonly cast: number;
};

/** GET /api/scrutineer (`ScrutineerState` of docs/api.md). */
export type ScrutineerView = {
  readonly scrutineer: { readonly index: number; readonly name: string; readonly registered?: boolean };
  readonly meeting: { readonly id: string; readonly title: string; readonly status: MeetingStatus };
  readonly ceremony:
    | (CeremonyView & { readonly status: CeremonyStatus; readonly failure: string | null; readonly fingerprint: string | null; readonly t?: number })
    | null;
  readonly ballots: readonly DeviceBallotView[];
};

/** POST /api/scrutineer/checkin. */
export type ScrutineerCheckin = { readonly scrutineer: { readonly index: number; readonly name: string }; readonly meeting: { readonly id: string; readonly title: string } };

export type Phase = 'loading' | 'signin' | 'signedOut' | 'confirm' | 'main' | 'ended' | 'otherWindow' | 'storageFailed';

/** Requests this device did not sign, per ballot, by reason (member ids). */
export type Refused = { readonly needsApproval: readonly string[]; readonly notConfirmed: readonly string[] };

const POLL_OPEN_MS = 1000;
const POLL_IDLE_MS = 5000;
const HEARTBEAT_MS = 1500;

export function createScrutineerEngine() {
  const [phase, setPhase] = createSignal<Phase>('loading');
  const [view, setView] = createSignal<ScrutineerView | null>(null);
  const [device, setDevice] = createSignal<DeviceState | null>(null);
  const [pending, setPending] = createSignal<ScrutineerCheckin | null>(null);
  const [refused, setRefused] = createSignal<Readonly<Record<string, Refused>>>({});
  /** The device has a session but not the state its keys were registered with. */
  const [keysLost, setKeysLost] = createSignal(false);
  /** The network is down (retrying by itself). */
  const [offline, setOffline] = createSignal(false);
  /** The last refusal by the server of something the device sent. */
  const [problem, setProblem] = createSignal<string | null>(null);
  /** The sealed ballots of each closed ballot, waiting for the scrutineer to check their number. */
  const [counted, setCounted] = createSignal<Readonly<Record<string, readonly string[]>>>({});

  const claim = windowClaim(Math.random().toString(36).slice(2) + Date.now().toString(36));
  let who: { meetingId: string; index: number } | null = null;
  // The first step waits for the fast backend (crypto/backend.ts): mcl-wasm decodes each
  // blinded point several times faster; noble keeps the ristretto255 sums, faster in this V8.
  let chain: Promise<unknown> = useBackend('fast', { ristretto: 'reference' }).catch(() => undefined);
  let queued = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let stopEvents: (() => void) | null = null;
  let failures = 0;
  let running = false;
  window.addEventListener('pagehide', () => claim.release());

  /** Run `f` after every earlier step; the chain survives a failure. */
  function exclusive<T>(f: () => Promise<T>): Promise<T> {
    const p = chain.then(f);
    chain = p.catch(() => undefined);
    return p;
  }

  const call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => request<T>('scrutineer', method, path, body);
  /**
   * Send a message the state may have overtaken (the ballot closed, the ceremony finished
   * meanwhile): BAD_STATE then means "nothing to do", and the next round sees why.
   */
  async function relay(path: string, body: unknown): Promise<boolean> {
    try {
      await call('POST', path, body);
      return true;
    } catch (e) {
      if (e instanceof ApiFailure && e.code === 'BAD_STATE') return false;
      throw e;
    }
  }

  /** The stored state (the truth; the signal only mirrors it for the page). */
  function load(): DeviceState | null {
    return who ? loadState(who.meetingId, who.index) : null;
  }
  function store(s: DeviceState): void {
    saveState(s);
    setDevice(s);
  }

  // ---- sign-in ------------------------------------------------------------------------------

  async function start(): Promise<void> {
    if (!storageWorks()) return void setPhase('storageFailed');
    // Wait for another window's claim to go stale (a reload releases it at once).
    const until = Date.now() + WINDOW_STALE_MS + 500;
    while (!claim.free()) {
      if (Date.now() > until) return void setPhase('otherWindow');
      await new Promise((r) => setTimeout(r, 500));
    }
    claim.take();
    clearInterval(heartbeat);
    heartbeat = setInterval(() => {
      if (claim.free()) claim.take();
      else if (phase() !== 'otherWindow') stop('otherWindow');
    }, HEARTBEAT_MS);
    await connect();
  }

  /** Find out who this device is signed in as, and go on from its stored state. */
  async function connect(): Promise<void> {
    let v: ScrutineerView;
    try {
      v = await call<ScrutineerView>('GET', '/api/scrutineer');
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 401) return signedOut();
      if (e instanceof ApiFailure && e.transient) setOffline(true);
      else setProblem(messageOf(e));
      return void setTimeout(() => void connect(), backoff(failures++));
    }
    setOffline(false);
    who = { meetingId: v.meeting.id, index: v.scrutineer.index };
    setView(v);
    if (v.meeting.status === 'ended') return signedOut();
    const s = load();
    // A state that failed its ceremony is replaced only once the scrutineers were named anew.
    if (s && (!s.failure || v.ceremony?.status !== 'waiting')) {
      setDevice(s);
      await resume(v, s);
    } else {
      // Signed in, but this browser holds no usable state: confirm the person, then make one.
      setPending({ scrutineer: { index: v.scrutineer.index, name: v.scrutineer.name }, meeting: { id: v.meeting.id, title: v.meeting.title } });
      setPhase('confirm');
    }
  }

  /**
   * The session is gone: the meeting ended (erase the keys) or the device was signed out. A page
   * that just opened on the state of an earlier, ended meeting erases it and offers the sign-in.
   */
  async function signedOut(): Promise<void> {
    const wasRunning = who !== null;
    const cur = who ?? current();
    stop(null);
    if (cur) {
      try {
        const screen = await request<{ meeting: { status: MeetingStatus } }>('anonymous', 'GET', `/api/meetings/${encodeURIComponent(cur.meetingId)}/screen`);
        if (screen.meeting.status === 'ended') {
          eraseState(cur.meetingId, cur.index);
          setDevice(null);
          return void setPhase(wasRunning ? 'ended' : 'signin');
        }
      } catch {
        /* unknown: keep the state */
      }
      return void setPhase(wasRunning ? 'signedOut' : 'signin');
    }
    setPhase('signin');
  }

  async function signIn(code: string): Promise<void> {
    const answer = await call<ScrutineerCheckin>('POST', '/api/scrutineer/checkin', { code });
    setPending(answer);
    setPhase('confirm');
  }

  /** The person confirmed who they are: make (or reuse) the device state, store it, register its keys. */
  function confirmIdentity(): void {
    const p = pending();
    if (!p) return;
    who = { meetingId: p.meeting.id, index: p.scrutineer.index };
    const s = load();
    if (!s || s.failure) {
      try {
        store(createDevice(p.meeting.id, p.scrutineer.index, p.scrutineer.name));
      } catch {
        return void setPhase('storageFailed');
      }
    }
    setPending(null);
    setPhase('loading');
    void connect();
  }

  /** Register the keys (again: the same keys are accepted) and start following the meeting. */
  async function resume(v: ScrutineerView, s: DeviceState): Promise<void> {
    if (!v.scrutineer.registered || v.ceremony?.status === 'waiting') {
      try {
        await call('POST', '/api/scrutineer/keys', { signingKey: s.key.signingKey, encryptionKey: s.key.encryptionKey });
      } catch (e) {
        // The ceremony started with other keys for this device: its state is gone.
        if (e instanceof ApiFailure && e.code === 'BAD_STATE') setKeysLost(true);
        else if (e instanceof ApiFailure && e.status === 401) return signedOut();
        else setProblem(messageOf(e));
      }
    }
    setPhase('main');
    running = true;
    if (!stopEvents) stopEvents = followMeeting(v.meeting.id, () => kick());
    void keepAwake();
    kick();
  }

  /**
   * A sleeping phone serves nobody: keep the screen on where the browser allows it (Screen Wake
   * Lock needs a secure context; on plain http the page asks the scrutineer to keep it open).
   */
  async function keepAwake(): Promise<void> {
    const wl = (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<unknown> } }).wakeLock;
    if (!wl || document.visibilityState !== 'visible') return;
    try {
      await wl.request('screen');
    } catch {
      /* refused (battery saver, no secure context): nothing more to do */
    }
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !running) return;
    void keepAwake();
    kick();
  });

  function stop(next: Phase | null): void {
    running = false;
    clearTimeout(timer);
    stopEvents?.();
    stopEvents = null;
    if (next === 'otherWindow') {
      clearInterval(heartbeat);
      setPhase('otherWindow');
    }
  }

  /** Take the device state over from another window of this page. */
  function takeOver(): void {
    claim.take();
    setPhase('loading');
    void start();
  }

  // ---- the loop -----------------------------------------------------------------------------

  /** Ask for a round soon; rounds never overlap and at most one waits. */
  function kick(): void {
    if (!running || queued) return;
    queued = true;
    void exclusive(async () => {
      queued = false;
      if (!running) return;
      if (!claim.mine() && !claim.free()) return stop('otherWindow');
      clearTimeout(timer);
      let again = false;
      try {
        again = await round();
        failures = 0;
        setOffline(false);
        setProblem(null);
      } catch (e) {
        if (e instanceof StorageFailure) {
          stop(null);
          return void setPhase('storageFailed');
        }
        if (e instanceof ApiFailure && e.status === 401) return void (await signedOut());
        if (e instanceof ApiFailure && e.transient) setOffline(true);
        else setProblem(messageOf(e));
        if (running) timer = setTimeout(kick, backoff(failures++));
        return;
      }
      if (!running) return;
      if (again) return kick();
      const open = view()?.ballots.some((b) => b.status === 'open');
      timer = setTimeout(kick, open ? POLL_OPEN_MS : POLL_IDLE_MS);
    });
  }

  /** One look at the server and everything it calls for. Returns whether the device sent anything. */
  async function round(): Promise<boolean> {
    const v = await call<ScrutineerView>('GET', '/api/scrutineer');
    setView(v);
    if (v.meeting.status === 'ended') {
      eraseState(v.meeting.id, v.scrutineer.index);
      stop(null);
      setDevice(null);
      setPhase('ended');
      return false;
    }
    let s = load();
    if (!s) {
      setKeysLost(true);
      return false;
    }
    // The ceremony names this device with other keys: the state they belong to is gone.
    const listed = v.ceremony?.params?.devices[s.key.index - 1];
    setKeysLost(!!listed && (listed.signingKey !== s.key.signingKey || listed.encryptionKey !== s.key.encryptionKey));
    if (keysLost()) return false;
    let sent = false;

    // Key ceremony.
    if (v.ceremony?.status === 'running') {
      const r = ceremonyStep(s, v.ceremony);
      if (r.state !== s) store((s = r.state));
      if (r.send) sent = (await relay('/api/scrutineer/ceremony', r.send)) || sent;
    }

    // Closed ballots: fetch the sealed ballots, so the scrutineer can compare their number with
    // the room (清点收回票数) before the device decrypts the sum it adds up itself.
    for (const b of v.ballots) {
      if (b.status === 'closed' && b.sums && !b.decrypted && b.electionKey && s.shares && !(b.id in counted())) {
        const { casts } = await call<{ casts: string[] }>('GET', `/api/scrutineer/ballots/${b.id}/casts`);
        setCounted((m) => ({ ...m, [b.id]: casts }));
      }
    }

    // Issuance while a ballot is open.
    if (s.shares && v.ballots.some((b) => b.status === 'open' && b.confirmed)) {
      const { requests } = await call<{ requests: IssuanceRequest[] }>('GET', '/api/scrutineer/requests');
      const next: Record<string, Refused> = {};
      for (const ballotId of new Set(requests.map((r) => r.ballotId))) {
        const r = signRequests(s, ballotId, requests.filter((q) => q.ballotId === ballotId));
        if (r.state !== s) store((s = r.state));
        if (r.log) sent = (await relay('/api/scrutineer/partials', { ballotId, partials: r.partials, log: r.log })) || sent;
        const needsApproval = r.refused.filter((x) => x.reason === 'needs-approval').map((x) => x.memberId);
        const notConfirmed = r.refused.filter((x) => x.reason === 'not-confirmed').map((x) => x.memberId);
        if (needsApproval.length || notConfirmed.length) next[ballotId] = { needsApproval, notConfirmed };
      }
      setRefused(next);
    } else if (Object.keys(refused()).length) setRefused({});

    // Bookkeeping of published ballots is of no further use (their logs are in the bundles).
    for (const b of v.ballots) if ((b.status === 'published' || b.status === 'void') && s.ballots[b.id]) store((s = forgetBallot(s, b.id)));
    setDevice(s);
    return sent;
  }

  // ---- the scrutineer's acts ----------------------------------------------------------------

  /** 确认到会名单: the present entitled members of a ballot, as the page showed them. */
  function confirm(ballotId: string): Promise<void> {
    return exclusive(async () => {
      const b = view()?.ballots.find((x) => x.id === ballotId);
      const s = load();
      if (!b || !s) return;
      const r = confirmAttendance(s, ballotId, b.entitled.filter((m) => m.present).map((m) => m.memberId));
      store(r.state);
      await call('POST', `/api/scrutineer/ballots/${ballotId}/confirm`, { log: r.log });
    }).finally(kick);
  }

  /**
   * 核对收回票数后解密: the scrutineer saw the number of sealed ballots match the room; the device
   * adds them up itself and sends its decryption share of that sum, once.
   */
  function decrypt(ballotId: string): Promise<void> {
    return exclusive(async () => {
      const b = view()?.ballots.find((x) => x.id === ballotId);
      const casts = counted()[ballotId];
      const s = load();
      if (!b || !s || !casts || !b.electionKey || b.decrypted) return;
      const r = decryptCasts(s, ballotId, b.electionKey, ballotShape(b), casts);
      store(r.state);
      await relay(`/api/scrutineer/ballots/${ballotId}/decryption`, { share: r.share });
    }).finally(kick);
  }

  /** 同意补发: one more signature for a member on this ballot. */
  function approve(ballotId: string, memberId: string): Promise<void> {
    return exclusive(async () => {
      const s = load();
      if (!s) return;
      store(approveReissue(s, ballotId, memberId));
      setRefused((m) => {
        const r = m[ballotId];
        return r ? { ...m, [ballotId]: { ...r, needsApproval: r.needsApproval.filter((x) => x !== memberId) } } : m;
      });
    }).finally(kick);
  }

  return { phase, view, device, pending, refused, keysLost, offline, problem, setProblem, start, signIn, confirmIdentity, takeOver, confirm, approve, counted, decrypt };
}

export type ScrutineerEngine = ReturnType<typeof createScrutineerEngine>;
