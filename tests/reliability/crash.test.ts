// Crash safety (issue 6.1) on piaojue/2: the real server (`node --import tsx server/main.ts`, WAL +
// synchronous=FULL; every 5th life with its crypto worker pool, the others with
// PIAOJUE_WORKERS=0, which restarts faster) is driven by the secretary, three scrutineer devices
// per meeting (server/simulate.ts, t = 2) and a tablet per member, all at once — meetings
// created, rosters imported, codes issued, scrutineers named, devices signed in, the key
// ceremony, check-ins, ballots created, attendance confirmed, ballots opened, threshold issuance
// (tablets retry with the same blinded point, devices sign through the server), concurrent
// sealed casts (and identical re-sends), closes racing casts, decryption by the devices and
// publication, meetings ended — and killed with SIGKILL at a random moment of every cycle, then
// restarted on the same file (and port). After every restart the file is opened read-only and
// checked: integrity and foreign keys; every cast that got a receipt is stored (by token hash)
// with its σ, sealed ballot and commitment; every acknowledged issuance, check-in and state
// change is there; no ballot is half-written (its status, keys, cast key, sums, bundle, casts,
// partials and decryption shares agree); a finished ceremony's keys are its record's. The clients
// resume from whatever the server says, so every ballot is eventually published, every bundle
// verifies under the pinned server key, and every receipt is `included` in its bundle (checkReceipt).
// Default 50 kills; PIAOJUE_LONG=1 → 500 (PIAOJUE_KILLS=n overrides).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_OPTIONS, ballotKeys, ballotShape, checkReceipt, createDevice, decryptCasts, finishIssuance, fromHex, startIssuance, toHex, verifyBundle, verifyCeremonyRecord,
  type BallotKeys, type BlindingState, type Bundle, type CeremonyRecord, type PreparedCast, type Receipt,
} from '../../crypto/index.ts';
import { rmSync } from 'node:fs';
import { SimulatedScrutineer } from '../../server/simulate.ts';
import {
  Client, Device, PASSWORD, ROOT, Tablet, appWorld, castDef, checkInAll, confirmAndOpen, createBallot, integrity, issueAll, readOnly, roster, scaled,
  serveUntil, setupRoom, sha256Hex, sleep, spawnServer, startAppServer, tempDir, waitForSums,
  type AppServer, type CastDef, type ChildServer, type Room, type Tok,
} from '../helpers/reliability.ts';

const KILLS = scaled(50, 500, 'PIAOJUE_KILLS');
const MEMBERS = 6; // per meeting; consultation ballots, so all are entitled
const BALLOTS_PER_MEETING = 4;
const IN_FLIGHT = 3; // ballots under way at once
const N_DEVICES = 3;
const T = 2;

class Killed extends Error {}

type Status = 'draft' | 'open' | 'closed' | 'published' | 'void';
const RANK: Record<Status, number> = { draft: 0, open: 1, closed: 2, published: 3, void: 3 };

type Voter = {
  readonly name: string;
  readonly st: BlindingState; // kept across retries: the same blinded point every time
  readonly choices: string[] | null; // null: takes a token, never casts
  tok?: Tok;
  prepared?: PreparedCast;
  attempts: number;
  lostAttempt: boolean; // an attempt whose answer never came (it may be stored)
  receipt?: Receipt;
  refused: boolean; // BAD_STATE on an attempt with no lost attempt before: the close came first, nothing stored
};

type Ballot = {
  readonly title: string;
  readonly meeting: Mtg;
  id?: string;
  def?: CastDef;
  keys?: BallotKeys;
  acked: number; // highest acknowledged RANK
  race: boolean; // send the close while the casts are still arriving
  closeSent: boolean;
  voters: Map<string, Voter>;
  bundleHash?: string;
  done: boolean;
};

type Mtg = {
  readonly title: string;
  id?: string;
  phase: 'create' | 'roster' | 'codes' | 'scrutineers' | 'devices' | 'ceremony' | 'checkin' | 'ready' | 'ended';
  ids: Map<string, string>; // name → member id
  codes: Map<string, string>;
  tablets: Map<string, Client>;
  checkedIn: Set<string>;
  devices: Device[];
  registered: Set<number>;
  record?: CeremonyRecord;
  ballots: Ballot[];
};

const stats = {
  kills: 0,
  killedDuring: {} as Record<string, number>,
  idleKills: 0,
  restartMs: [] as number[],
  receipts: 0,
  resentSameReceipt: 0,
  refusedByClose: 0,
  lostAnswers: 0,
  published: 0,
  meetings: 0,
  ceremonies: 0,
  scrutineersRenamed: 0,
  checkIns: 0,
  lostCheckInsRecovered: 0,
  issuances: 0,
  pendingIssuances: 0,
  stuckPublications: 0,
  dbChecks: 0,
};

let server: ChildServer;
let sec: Client;
let anon: Client;
let serverKey: string;
const meetings: Mtg[] = [];
let seq = 0;
let dead = false;
let draining = false;
const inflight = new Map<string, number>();

/** One step of the drill: counted as in flight under `label`; a failure after the kill is `Killed`. */
async function guard<T>(label: string, f: () => Promise<T>): Promise<T> {
  if (dead) throw new Killed();
  inflight.set(label, (inflight.get(label) ?? 0) + 1);
  try {
    return await f();
  } catch (e) {
    if (dead) throw new Killed();
    throw e;
  } finally {
    inflight.set(label, inflight.get(label)! - 1);
  }
}
const rq = (label: string, jar: Client, method: string, path: string, body?: unknown) => guard(label, () => jar.call(method, path, body));
const fail = (what: string, r: { status: number; json: unknown }) => new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);

function newMeeting(): Mtg {
  const m: Mtg = { title: `崩溃演练会议${++seq}`, phase: 'create', ids: new Map(), codes: new Map(), tablets: new Map(), checkedIn: new Set(), devices: [], registered: new Set(), ballots: [] };
  meetings.push(m);
  stats.meetings++;
  return m;
}
const activeBallots = () => meetings.flatMap((m) => m.ballots).filter((b) => !b.done);

/** Every device steps (ceremony rounds, decryption) until none sends; a share that arrives after publication (409) is fine. */
async function stepAll(label: string, devices: readonly Device[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const out = await Promise.allSettled(devices.map((d) => guard(label, () => d.step())));
    for (const o of out) if (o.status === 'rejected' && !(o.reason instanceof Killed) && !/→ 409 .*BAD_STATE/.test(String(o.reason))) throw o.reason;
    if (out.some((o) => o.status === 'rejected' && o.reason instanceof Killed)) throw new Killed();
    if (!out.some((o) => o.status === 'fulfilled' && o.value)) return;
  }
}

async function meetingStep(m: Mtg): Promise<void> {
  if (m.phase === 'create') {
    // A create whose answer was lost may have happened: look for the title first.
    const list = await rq('meeting', sec, 'GET', '/api/meetings');
    const found = (list.json.meetings as { id: string; title: string }[]).find((x) => x.title === m.title);
    if (found) m.id = found.id;
    else {
      const r = await rq('meeting', sec, 'POST', '/api/meetings', { title: m.title });
      if (r.status !== 201) throw fail('create meeting', r);
      m.id = r.json.meeting.id;
    }
    m.phase = 'roster';
  }
  if (m.phase === 'roster') {
    const names = Array.from({ length: MEMBERS }, (_, i) => `${m.title}委员${i + 1}`);
    let r = await rq('roster', sec, 'GET', `/api/meetings/${m.id}`);
    if (r.json.members?.length !== MEMBERS) {
      r = await rq('roster', sec, 'POST', `/api/meetings/${m.id}/roster`, { members: names.map((name) => ({ name, kind: 'full' })) });
      if (r.status !== 200) throw fail('roster', r);
    }
    m.ids = new Map((r.json.members as { id: string; name: string }[]).map((x) => [x.name, x.id]));
    for (const n of names) m.tablets.set(n, new Client(server));
    m.phase = 'codes';
  }
  if (m.phase === 'codes') {
    const r = await rq('codes', sec, 'POST', `/api/meetings/${m.id}/codes`);
    if (r.status !== 200) throw fail('codes', r);
    for (const c of r.json.codes as { name: string; code: string }[]) m.codes.set(c.name, c.code);
    m.phase = 'scrutineers';
  }
  if (m.phase === 'scrutineers') {
    // Naming again (a lost answer, or a device whose sign-in answer was lost) replaces every device: allowed until the ceremony finished.
    const r = await rq('scrutineers', sec, 'POST', `/api/meetings/${m.id}/scrutineers`, { t: T, scrutineers: Array.from({ length: N_DEVICES }, (_, i) => ({ name: `监票人${i + 1}` })) });
    if (r.status !== 200) throw fail('name scrutineers', r);
    m.devices = (r.json.codes as { code: string }[]).map((c) => new Device(server.url, c.code));
    m.registered = new Set();
    m.phase = 'devices';
  }
  if (m.phase === 'devices') {
    let renamed = false;
    await Promise.all(m.devices.map(async (d, i) => {
      if (!d.state) {
        const r = await rq('device sign-in', d.jar as unknown as Client, 'POST', '/api/scrutineer/checkin', { code: d.code });
        if (r.status === 401 && r.json.error === 'BAD_CODE') {
          renamed = true; // its code was used by a sign-in whose answer was lost
          return;
        }
        if (r.status !== 200) throw fail('device sign-in', r);
        d.state = createDevice(r.json.meeting.id, r.json.scrutineer.index, r.json.scrutineer.name);
      }
      if (!m.registered.has(i)) {
        const r = await rq('device keys', d.jar as unknown as Client, 'POST', '/api/scrutineer/keys', { signingKey: d.state.key.signingKey, encryptionKey: d.state.key.encryptionKey });
        if (r.status !== 200) throw fail('device keys', r);
        m.registered.add(i);
      }
    }));
    if (renamed) {
      stats.scrutineersRenamed++;
      m.phase = 'scrutineers';
      return;
    }
    m.phase = 'ceremony';
  }
  if (m.phase === 'ceremony') {
    await stepAll('ceremony', m.devices);
    const view = (await guard('ceremony', () => m.devices[0]!.jar.call('GET', '/api/scrutineer'))).json;
    if (view.ceremony?.status === 'failed') throw new Error(`ceremony failed: ${view.ceremony.failure}`);
    if (view.ceremony?.status !== 'ready') return; // more rounds next cycle
    m.record = { params: view.ceremony.params, commits: view.ceremony.commits, reveals: view.ceremony.reveals, acks: view.ceremony.acks };
    ballotKeys(m.record); // the record checks
    stats.ceremonies++;
    m.phase = 'checkin';
  }
  if (m.phase === 'checkin') {
    await Promise.all(
      [...m.ids].filter(([n]) => !m.checkedIn.has(n)).map(async ([name, memberId]) => {
        if (!m.codes.has(name)) {
          // Its code went out in an answer that was lost, or was used by a check-in whose answer was lost: re-issue (lost-tablet flow).
          const r = await rq('reissue-code', sec, 'POST', `/api/meetings/${m.id}/members/${memberId}/code`);
          if (r.status !== 200) throw fail('reissue code', r);
          m.codes.set(name, r.json.code);
        }
        const r = await rq('checkin', m.tablets.get(name)!, 'POST', '/api/checkin', { code: m.codes.get(name) });
        if (r.status === 200) {
          m.checkedIn.add(name);
          stats.checkIns++;
        } else if (r.json.error === 'BAD_CODE') {
          m.codes.delete(name);
          stats.lostCheckInsRecovered++;
        } else if (r.json.error !== 'RATE_LIMITED') throw fail('check-in', r);
      }),
    );
    if (m.checkedIn.size === MEMBERS) m.phase = 'ready';
  }
  if (m.phase === 'ready') {
    if (!draining && m.ballots.length < BALLOTS_PER_MEETING && activeBallots().length < IN_FLIGHT) {
      const n = m.ballots.length + 1;
      m.ballots.push({ title: `${m.title}第${n}项`, meeting: m, acked: -1, race: Math.random() < 0.35, closeSent: false, voters: new Map(), done: false });
    }
    // Ballots whose create answer was lost: adopt them by title.
    const pending = m.ballots.filter((b) => !b.id);
    if (pending.length) {
      const r = await rq('create-ballot', sec, 'GET', `/api/meetings/${m.id}`);
      for (const b of pending) b.id = (r.json.ballots as { id: string; title: string }[]).find((x) => x.title === b.title)?.id;
    }
    for (const b of m.ballots.filter((x) => !x.id)) {
      const r = await rq('create-ballot', sec, 'POST', `/api/meetings/${m.id}/ballots`, {
        type: 'consultation', title: b.title, items: [{ nominee: '甲', post: '县财政局局长' }, { nominee: '乙', post: '县教育局局长' }],
      });
      if (r.status !== 201) throw fail('create ballot', r);
      b.id = r.json.ballot.id;
    }
    if ((draining || m.ballots.length === BALLOTS_PER_MEETING) && m.ballots.every((b) => b.done)) {
      const r = await rq('end', sec, 'POST', `/api/meetings/${m.id}/end`);
      const v = r.status === 200 ? r : await rq('end', sec, 'GET', `/api/meetings/${m.id}`);
      if (r.status === 200 || v.json.meeting?.status === 'ended') m.phase = 'ended';
      else throw fail('end meeting', r);
    }
  }
}

function votersOf(b: Ballot): Voter[] {
  if (b.voters.size === 0)
    [...b.meeting.ids.keys()].forEach((name, i) => {
      const choices = i === MEMBERS - 1 ? null : [APPROVAL_OPTIONS[(i + seq) % 3]!, APPROVAL_OPTIONS[(i * 2) % 3]!];
      b.voters.set(name, { name, st: startIssuance(b.id!), choices, attempts: 0, lostAttempt: false, refused: false });
    });
  return [...b.voters.values()];
}

async function cast(b: Ballot, v: Voter): Promise<void> {
  v.attempts++;
  let r;
  try {
    r = await rq('cast', anon, 'POST', `/api/anon/ballots/${b.id}/cast`, v.prepared!.body);
  } catch (e) {
    if (e instanceof Killed) v.lostAttempt = true;
    throw e;
  }
  if (r.status === 200) {
    const rc = r.json.receipt as Receipt;
    if (rc.serverKey !== serverKey || rc.tokenHash !== v.prepared!.expect.tokenHash || rc.commitment !== v.prepared!.body.commitment || rc.sigma !== v.prepared!.expect.sigma)
      throw fail('bad receipt', r);
    if (v.receipt) {
      expect(rc).toEqual(v.receipt); // the identical cast again: the same receipt
      stats.resentSameReceipt++;
    } else {
      v.receipt = rc;
      stats.receipts++;
    }
  } else if (r.json.error === 'BAD_STATE' && b.closeSent) {
    if (!v.receipt && !v.lostAttempt && !v.refused) {
      v.refused = true;
      stats.refusedByClose++;
    }
  } else if (r.status === 503 && r.json.error === 'BUSY') {
    // retried at the next hop
  } else throw fail('cast', r);
}

async function close(b: Ballot): Promise<void> {
  b.closeSent = true;
  const r = await rq('close', sec, 'POST', `/api/ballots/${b.id}/close`);
  if (r.status === 200) b.acked = Math.max(b.acked, RANK.closed);
  else if (r.json.error !== 'BAD_STATE') throw fail('close', r);
}

/** A ballot goes as far as it can within one cycle: the kill lands in whichever phase it has reached. */
async function ballotStep(b: Ballot): Promise<void> {
  for (let hop = 0; hop < 8 && b.id && !b.done; hop++) await ballotHop(b);
}

async function ballotHop(b: Ballot): Promise<void> {
  const m = b.meeting;
  const v = await rq('view', anon, 'GET', `/api/ballots/${b.id}`);
  if (v.status !== 200) throw fail('ballot view', v);
  const status = v.json.status as Status;
  expect(RANK[status]).toBeGreaterThanOrEqual(b.acked);
  if (status === 'void') throw new Error(`${b.title} is void`);
  b.def ??= castDef(v.json);
  if (status === 'draft') {
    // The scrutineers confirm the attendance on their devices; then the secretary opens.
    await Promise.all(m.devices.map((d) => guard('confirm', () => d.confirm(b.id!))));
    const r = await rq('open', sec, 'POST', `/api/ballots/${b.id}/open`);
    if (r.status === 200) b.acked = Math.max(b.acked, RANK.open);
    else if (r.json.error !== 'BAD_STATE') throw fail('open', r);
    return;
  }
  const voters = votersOf(b);
  if (status === 'open') {
    b.keys ??= ballotKeys(m.record!, { publicKey: v.json.publicKey, electionKey: v.json.electionKey });
    // Issuance: every tablet at once, each with its one blinded point; the devices serve meanwhile.
    await Promise.all(
      voters.filter((x) => !x.tok).map(async (x) => {
        const r = await rq('issue', m.tablets.get(x.name)!, 'POST', `/api/ballots/${b.id}/issue`, { blinded: toHex(x.st.blinded) });
        if (r.status !== 200) throw fail('issue', r);
        if (r.json.status === 'pending') {
          stats.pendingIssuances++;
          return;
        }
        x.tok = { ballotId: b.id!, st: x.st, token: x.st.token, sigma: finishIssuance(x.st, r.json.partials, b.keys!), castKey: fromHex(r.json.castKey, 32, 'castKey') };
        stats.issuances++;
      }),
    );
    if (voters.some((x) => !x.tok)) return;
    const tablet = new Tablet(server, 'seal');
    for (const x of voters) if (x.choices && !x.prepared) x.prepared = tablet.prepare(b.def, b.keys, x.tok!, x.choices);
    const todo = voters.filter((x) => x.choices && !x.receipt && !x.refused);
    const again = voters.filter((x) => x.receipt).slice(0, 2);
    const work: Promise<void>[] = [...todo, ...again].map((x) => cast(b, x));
    if (todo.length === 0) work.push(close(b));
    else if (b.race) work.push(sleep(Math.random() * 30).then(() => close(b)));
    await Promise.all(work);
    return;
  }
  if (status === 'closed') {
    // The devices decrypt the sums once they are computed; the server publishes on the t-th valid share.
    await stepAll('decrypt', m.devices);
    const after = await rq('view', anon, 'GET', `/api/ballots/${b.id}`);
    if (after.json.status === 'closed' && after.json.decryptions === N_DEVICES) {
      // Every device has decrypted: the publication is running, or a kill cut it short — which
      // nothing resumes at start (see the deterministic test below). Give it 3 s, then the
      // secretary's finalize publishes it.
      for (let i = 0; i < 60; i++) {
        if ((await rq('view', anon, 'GET', `/api/ballots/${b.id}`)).json.status !== 'closed') return;
        await sleep(50);
      }
      const r = await rq('finalize', sec, 'POST', `/api/ballots/${b.id}/finalize`);
      if (r.status === 200) stats.stuckPublications++;
      else if (r.json.error !== 'BAD_STATE') throw fail('finalize', r);
    } else await sleep(30);
    return;
  }
  // Published: the bundle verifies and holds every receipt.
  const r = await rq('bundle', anon, 'GET', `/api/ballots/${b.id}/bundle`);
  if (r.status !== 200) throw fail('bundle', r);
  checkPublished(b, r.json as Bundle);
  b.acked = RANK.published;
  b.done = true;
  stats.published++;
}

/** A published bundle: verifies under the pinned key; holds every receipt; nothing refused; nothing never sent. */
function checkPublished(b: Ballot, bundle: Bundle): void {
  const check = verifyBundle(bundle, { serverKey });
  expect(check.failures, b.title).toEqual([]);
  expect(bundle.tally.issued).toBe(MEMBERS);
  const listed = new Set(bundle.ballots.map((x) => x.token));
  for (const x of b.voters.values()) {
    const token = toHex(x.st.token);
    if (x.receipt) expect(checkReceipt(bundle, x.receipt).status, `${b.title} ${x.name}`).toBe('included');
    if (x.refused || x.attempts === 0) expect(listed.has(token), `${b.title} ${x.name}: refused or never sent`).toBe(false);
    if (!x.receipt && x.lostAttempt && listed.has(token)) stats.lostAnswers++;
  }
}

const verified = new Set<string>(); // bundle hashes already verified
const checkedRecords = new Map<string, { publicKey: string; electionKey: string }>();

/** The file after a restart: nothing acknowledged is missing, nothing is half-written. */
function checkDb(): void {
  stats.dbChecks++;
  expect(integrity(server.dbPath)).toEqual({ integrity: 'ok', foreignKeys: [] });
  readOnly(server.dbPath, (db) => {
    const all = (sql: string) => db.prepare(sql).all() as any[];
    const ballots = all('SELECT * FROM ballots');
    const casts = all('SELECT * FROM casts');
    const issuances = all('SELECT * FROM issuances');
    const partials = all('SELECT ballot_id, member_id, blinded_hash FROM partials');
    const decryptions = all('SELECT ballot_id, device FROM decryptions');
    const logs = all('SELECT ballot_id, device FROM issuance_logs');
    const members = all('SELECT * FROM members');
    const ceremonies = new Map(all('SELECT * FROM ceremonies').map((c) => [c.meeting_id, c]));
    const meetingRows = new Map(all('SELECT * FROM meetings').map((r) => [r.id, r]));
    const of = <R extends { ballot_id: string }>(rows: R[], bid: string) => rows.filter((r) => r.ballot_id === bid);

    // A finished ceremony's keys are its record's.
    for (const c of ceremonies.values()) {
      if (c.status !== 'ready') continue;
      const h = sha256Hex(c.record);
      let keys = checkedRecords.get(h);
      if (!keys) {
        const rec = JSON.parse(c.record);
        const v = verifyCeremonyRecord({ params: rec.params, commits: rec.commits, reveals: rec.reveals, acks: rec.acks });
        expect(v.ok, 'a ready ceremony checks').toBe(true);
        if (!v.ok) return;
        checkedRecords.set(h, (keys = { publicKey: toHex(v.tokenPublicKey), electionKey: toHex(v.electionKey) }));
      }
      expect([c.public_key, c.election_key]).toEqual([keys.publicKey, keys.electionKey]);
    }

    // No half-written ballot: the status and everything that goes with it agree.
    for (const b of ballots) {
      JSON.parse(b.definition);
      const cs = of(casts, b.id);
      const iss = of(issuances, b.id);
      const cer = ceremonies.get(b.meeting_id);
      for (const i of iss) expect(1 <= i.issued && i.issued <= i.allowed).toBe(true);
      for (const p of of(partials, b.id)) expect(iss.some((i) => i.member_id === p.member_id), 'a partial answers an issuance').toBe(true);
      if (b.status === 'draft') expect([b.public_key, b.election_key, b.cast_key, b.sums, b.bundle, cs.length, iss.length, of(decryptions, b.id).length]).toEqual([null, null, null, null, null, 0, 0, 0]);
      else {
        expect(cer?.status, 'a ballot past draft has a finished ceremony').toBe('ready');
        expect([b.public_key, b.election_key]).toEqual([cer.public_key, cer.election_key]);
        expect(of(logs, b.id).length, 'opened with t confirmations').toBeGreaterThanOrEqual(T);
      }
      if (b.status === 'open') {
        expect(b.cast_key?.length).toBe(32);
        expect([b.sums, b.bundle, of(decryptions, b.id).length]).toEqual([null, null, 0]);
      } else if (b.status === 'closed') {
        expect([b.cast_key, b.bundle]).toEqual([null, null]);
        if (b.sums !== null) expect(JSON.parse(b.sums)).toHaveLength(2); // 2 approval items, one packed sum each (protocol §5.1)
        else expect(of(decryptions, b.id).length).toBe(0);
      } else if (b.status === 'published' || b.status === 'void') {
        expect(b.status, 'no ballot is void').toBe('published');
        expect(b.cast_key).toBeNull();
        expect(of(partials, b.id)).toEqual([]);
        const bundle = JSON.parse(b.bundle) as Bundle;
        const h = sha256Hex(b.bundle);
        if (!verified.has(h)) {
          expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
          verified.add(h);
        }
        expect(bundle.ballots.map((x) => [x.token, x.signature, x.sealed, x.commitment]).sort())
          .toEqual(cs.map((c) => [c.token, c.signature, c.sealed, c.commitment]).sort());
      }
    }
    for (const m of members) if (m.code_used) expect(m.present).toBe(1);

    // Nothing acknowledged is missing.
    for (const m of meetings) {
      if (!m.id) continue;
      const row = meetingRows.get(m.id);
      expect(row, m.title).toBeDefined();
      if (m.phase === 'ended') expect(row.status).toBe('ended');
      if (m.record) expect(ceremonies.get(m.id)?.status).toBe('ready');
      for (const name of m.checkedIn) {
        const mem = members.find((x) => x.id === m.ids.get(name))!;
        expect([mem.present, mem.code_used]).toEqual([1, 1]);
      }
      for (const b of m.ballots) {
        if (!b.id) continue;
        const row = ballots.find((x) => x.id === b.id);
        expect(row, b.title).toBeDefined();
        expect(RANK[row.status as Status], `${b.title} acknowledged rank ${b.acked}`).toBeGreaterThanOrEqual(b.acked);
        for (const x of b.voters.values()) {
          if (x.tok) {
            const i = issuances.find((r) => r.ballot_id === b.id && r.member_id === m.ids.get(x.name));
            expect(i?.blinded_hash, `issuance of ${x.name}`).toBe(sha256Hex(x.st.blinded));
          }
          if (x.receipt) {
            const c = casts.find((r) => r.ballot_id === b.id && r.token_hash === x.prepared!.expect.tokenHash);
            expect(c, `the cast of ${x.name} on ${b.title} got a receipt`).toBeDefined();
            expect([c.token, c.signature, c.sealed, c.commitment]).toEqual([x.prepared!.body.token, x.prepared!.body.signature, x.prepared!.body.sealed, x.prepared!.body.commitment]);
          }
          if (x.refused) expect(casts.some((r) => r.ballot_id === b.id && r.token_hash === x.prepared!.expect.tokenHash), `${x.name}: refused, not stored`).toBe(false);
        }
        if (row.bundle) {
          const h = sha256Hex(row.bundle);
          if (b.bundleHash) expect(h, 'a published bundle never changes').toBe(b.bundleHash);
          else b.bundleHash = h;
        }
      }
    }
  });
}

async function cycle(): Promise<void> {
  if (!draining && !meetings.some((m) => m.phase !== 'ended' && m.ballots.length < BALLOTS_PER_MEETING) && activeBallots().length < IN_FLIGHT) newMeeting();
  const tasks = Promise.allSettled([...meetings.filter((m) => m.phase !== 'ended').map(meetingStep), ...activeBallots().map(ballotStep)]);
  // Every meeting's devices serve issuance requests while the cycle runs.
  const serving = meetings.filter((m) => m.record && m.phase !== 'ended').map((m) => serveUntil(m.devices, tasks));
  const results = await tasks;
  await Promise.all(serving);
  for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof Killed)) throw r.reason;
}

beforeAll(async () => {
  server = await spawnServer({ env: { PIAOJUE_LOG: 'debug', PIAOJUE_WORKERS: '0' } });
  sec = new Client(server);
  anon = new Client(server, false);
  await sec.ok('POST', '/api/secretary/login', { password: server.password });
  serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
}, 60_000);
afterAll(async () => server?.dispose());

describe(`kill -9 at random moments (${KILLS} kills)`, () => {
  it('after every restart nothing acknowledged is lost and nothing is half-written; every ballot is still published, and every receipt is in its verified bundle', async () => {
    let window = 1500; // ms: running estimate of one whole cycle's work, so most kills land inside it
    for (let k = 0; k < KILLS; k++) {
      dead = false;
      const t0 = performance.now();
      const work = cycle().then(() => performance.now() - t0);
      // Mostly a random moment inside the cycle's work; sometimes right after it (so every phase also completes now and then).
      const delay = Math.random() < 0.2 ? Infinity : Math.random() * window;
      const finished = await Promise.race([work, new Promise<null>((r) => delay < Infinity && setTimeout(() => r(null), delay))]);
      const during = [...inflight].filter(([, n]) => n > 0).map(([l]) => l);
      dead = true;
      await server.kill();
      stats.kills++;
      if (during.length === 0) stats.idleKills++;
      for (const l of during) stats.killedDuring[l] = (stats.killedDuring[l] ?? 0) + 1;
      await work; // every request in flight has failed by now
      if (finished !== null) window = 0.7 * window + 0.3 * finished;
      expect(server.crashes, 'the server never died by itself').toEqual([]);
      const r0 = performance.now();
      // Every 5th life runs the production worker pool; the others do their crypto inline (PIAOJUE_WORKERS=0), which starts faster.
      await server.start({ PIAOJUE_WORKERS: k % 5 === 4 ? '' : '0' });
      stats.restartMs.push(performance.now() - r0);
      checkDb();
    }
    // No more kills: everything still under way runs to the end.
    dead = false;
    draining = true;
    for (let i = 0; i < 120 && !(activeBallots().length === 0 && meetings.every((m) => m.phase === 'ended')); i++) await cycle();
    await server.restart(); // a clean stop and start too
    checkDb();
    expect(server.crashes).toEqual([]);
    expect(activeBallots()).toEqual([]);
    expect(meetings.every((m) => m.phase === 'ended')).toBe(true);
    expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
    expect(stats.published).toBeGreaterThanOrEqual(Math.floor(KILLS / 10));

    // The request log (PIAOJUE_LOG=debug) never carried a token, σ, sealed ballot, commitment, MAC or blinded point, and no internal error happened.
    const log = server.output.join('');
    const secrets = meetings.flatMap((m) => m.ballots.flatMap((b) => [...b.voters.values()].flatMap((x) => [
      toHex(x.st.token), toHex(x.st.blinded), ...(x.prepared ? [x.prepared.body.signature, x.prepared.body.sealed.slice(0, 64), x.prepared.body.commitment, x.prepared.body.mac] : []),
    ])));
    expect(secrets.filter((s) => log.includes(s))).toEqual([]);
    expect(log).not.toMatch(/internal error|self-verification failed/);

    const restart = [...stats.restartMs].sort((a, b) => a - b);
    const summary = {
      ...stats,
      restartMs: { median: Math.round(restart[Math.floor(restart.length / 2)]!), max: Math.round(restart[restart.length - 1]!) },
      ballots: meetings.reduce((n, m) => n + m.ballots.length, 0),
      lost: 0,
    };
    mkdirSync(join(ROOT, 'test-artifacts/reliability'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts/reliability/crash.json'), JSON.stringify(summary, null, 2));
    console.log('[reliability] crash:', JSON.stringify(summary));
  }, 30 * 60_000);
});

describe('a restart resumes what a kill cut short', () => {
  /** A 3-member room on `s` with a decision ballot that every member cast 同意 on, then closed. */
  async function closedDecision(s: AppServer, title: string): Promise<{ sec2: Client; room: Room; b: any }> {
    const sec2 = new Client(s);
    await sec2.ok('POST', '/api/secretary/login', { password: PASSWORD });
    const room = await setupRoom(sec2, s.url, roster({ standing: 3 }), { title });
    const tabs = await checkInAll(s, room, room.names());
    const b = await confirmAndOpen(sec2, room, (await createBallot(sec2, room.id, { type: 'decision' })).id);
    for (const x of await issueAll(room, [...tabs.values()], b.id)) await x.tablet.cast(x.tablet.prepare(castDef(b), x.keys, x.tok, ['agree']));
    await sec2.ok('POST', `/api/ballots/${b.id}/close`);
    return { sec2, room, b };
  }

  it('closed, then killed before the sums were stored: the restarted server computes them and the devices decrypt', async () => {
    const dir = tempDir();
    const s = await startAppServer({ dir });
    try {
      const { b } = await closedDecision(s, '恢复');
      // As if the process died between the close and the sums.
      s.store.sqlite.prepare('UPDATE ballots SET sums = NULL WHERE id = ?').run(b.id);
      await s.dispose();
      const w = appWorld({ dir });
      try {
        for (let i = 0; i < 100 && !(w.store.sqlite.prepare('SELECT sums FROM ballots WHERE id = ?').get(b.id) as { sums: string | null }).sums; i++) await sleep(20);
        expect((w.store.sqlite.prepare('SELECT sums FROM ballots WHERE id = ?').get(b.id) as { sums: string | null }).sums).not.toBeNull();
      } finally {
        await w.dispose();
      }
    } finally {
      await s.dispose().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A device marks a ballot decrypted only with its share kept, and sends that share again.
  it('a scrutineer device whose decryption share was lost in a crash sends it again', async () => {
    const s = await startAppServer();
    try {
      const { sec2, room, b } = await closedDecision(s, '丢失的解密份额');
      await waitForSums(room, b.id);
      // Device 1 as server/simulate.ts runs it, whose first decryption post is lost on the way.
      const d = new SimulatedScrutineer(s.url, room.devices[0]!.code);
      d.state = room.devices[0]!.state;
      for (const [k, v] of room.devices[0]!.jar.cookies) d.jar.cookies.set(k, v);
      const call = d.jar.call.bind(d.jar);
      let lost = false;
      (d.jar as { call: typeof call }).call = async (method, path, body, opts) => {
        if (!lost && method === 'POST' && /\/decryption$/.test(path)) {
          lost = true;
          throw new TypeError('fetch failed (the server died)');
        }
        return call(method, path, body, opts);
      };
      await d.step().catch(() => undefined);
      expect(lost).toBe(true);
      for (let i = 0; i < 3; i++) await d.step().catch(() => undefined);
      expect((await sec2.ok('GET', `/api/ballots/${b.id}`)).decryptions, 'the share arrived').toBe(1);
    } finally {
      await s.dispose();
    }
  });

  // server/routes/context.ts resume() publishes, at start, the closed ballots that have their t shares.
  it('killed after t decryption shares were stored but before the bundle: the restarted server publishes it by itself', async () => {
    const dir = tempDir();
    const s = await startAppServer({ dir });
    let w: ReturnType<typeof appWorld> | null = null;
    try {
      const { room, b } = await closedDecision(s, '恢复公布');
      await waitForSums(room, b.id);
      const { casts } = await room.devices[0]!.jar.ok('GET', `/api/scrutineer/ballots/${b.id}/casts`);
      // The shares as the server stored them (each checked on arrival) — then the process died.
      for (const d of room.devices.slice(0, 2)) {
        const { share } = decryptCasts(d.state!, b.id, b.electionKey, ballotShape(castDef(b)), casts);
        s.store.sqlite.prepare('INSERT INTO decryptions (ballot_id, device, share) VALUES (?, ?, ?)').run(b.id, share.index, JSON.stringify(share));
      }
      await s.dispose();
      w = appWorld({ dir });
      let status = '';
      for (let i = 0; i < 150 && status !== 'published'; i++) {
        status = (w.store.sqlite.prepare('SELECT status FROM ballots WHERE id = ?').get(b.id) as { status: string }).status;
        await sleep(20);
      }
      expect(status).toBe('published');
    } finally {
      await w?.dispose();
      await s.dispose().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
