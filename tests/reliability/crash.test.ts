// Crash safety (issue 6.1): the real server (`node --import tsx server/main.ts`, WAL +
// synchronous=FULL; every 5th life with its crypto worker pool, the others with PIAOJUE_WORKERS=0,
// which restarts faster) is driven by many tablets and the secretary at once — meetings
// created, rosters imported, codes issued, check-ins, ballots created and opened, tokens issued,
// concurrent casts (and identical re-sends), closes racing casts, openings, finalisations,
// meetings ended — and killed with SIGKILL at a random moment of every cycle, then restarted
// on the same file. After every restart the file is opened read-only and checked: integrity
// and foreign keys; every cast that got a receipt is stored (looked up by token hash) with its
// commitment; every acknowledged opening, issuance, check-in and state change is there; no
// ballot is half-written (its status, keys, bundle, casts and openings agree). The clients then
// resume from whatever the server says, so every ballot is eventually closed, opened and
// published, every bundle verifies under the pinned server key, and every receipt is
// `included` in its bundle. Default 50 kills; PIAOJUE_LONG=1 → 500 (PIAOJUE_KILLS=n overrides).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blindToken, checkReceipt, commit, newSalt, randomBytes, toHex, tokenHash, verifyBundle, verifyReceipt,
  type BlindingState, type Bundle, type Receipt,
} from '../../crypto/index.ts';
import { Jar } from '../helpers/server.ts';
import {
  ROOT, integrity, randomG1, readOnly, scaled, sha256Hex, spawnServer, unblindFast, type ChildServer,
} from '../helpers/reliability.ts';

const KILLS = scaled(50, 500, 'PIAOJUE_KILLS');
const MEMBERS = 6; // per meeting; consultation ballots, so all are entitled
const BALLOTS_PER_MEETING = 4;
const IN_FLIGHT = 3; // ballots under way at once
const OPTIONS = ['agree', 'disagree', 'abstain'] as const;

class Killed extends Error {}

type Status = 'draft' | 'open' | 'closed' | 'published' | 'void';
const RANK: Record<Status, number> = { draft: 0, open: 1, closed: 2, published: 3, void: 3 };

type Tok = {
  readonly name: string;
  readonly st: BlindingState;
  readonly choices: string[] | null; // null: takes a token, never casts
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  signature?: Uint8Array;
  sent: boolean;
  receipt?: Receipt;
  refused: boolean; // BAD_STATE: the close came first
  opening: 'none' | 'ok' | 'absent';
};

type Ballot = {
  readonly title: string;
  readonly meeting: Mtg;
  id?: string;
  acked: number; // highest acknowledged RANK
  race: boolean; // send the close while the casts are still arriving
  closeSent: boolean;
  tokens: Map<string, Tok>;
  bundleHash?: string;
  done: boolean;
};

type Mtg = {
  readonly title: string;
  id?: string;
  phase: 'create' | 'roster' | 'codes' | 'checkin' | 'ready' | 'ended';
  ids: Map<string, string>; // name → member id
  codes: Map<string, string>;
  tablets: Map<string, Jar>;
  checkedIn: Set<string>;
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
  openings: 0,
  published: 0,
  meetings: 0,
  checkIns: 0,
  lostCheckInsRecovered: 0,
  dbChecks: 0,
};

let server: ChildServer;
let sec: Jar;
let anon: Jar;
let serverKey: string;
let warmBallot: string;
const meetings: Mtg[] = [];
let seq = 0;
let dead = false;
let draining = false;
const inflight = new Map<string, number>();

/** One request of the drill: the response counts as acknowledged once fully received; a failure after the kill is `Killed`. */
async function rq(label: string, jar: Jar, method: string, path: string, body?: unknown) {
  if (dead) throw new Killed();
  inflight.set(label, (inflight.get(label) ?? 0) + 1);
  try {
    return await jar.call(method, path, body);
  } catch (e) {
    if (dead) throw new Killed();
    throw e;
  } finally {
    inflight.set(label, inflight.get(label)! - 1);
  }
}

const fail = (what: string, r: { status: number; json: unknown }) => new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);

function newMeeting(): Mtg {
  const m: Mtg = { title: `崩溃演练会议${++seq}`, phase: 'create', ids: new Map(), codes: new Map(), tablets: new Map(), checkedIn: new Set(), ballots: [] };
  meetings.push(m);
  stats.meetings++;
  return m;
}

const activeBallots = () => meetings.flatMap((m) => m.ballots).filter((b) => !b.done);

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
    for (const n of names) m.tablets.set(n, new Jar(server));
    m.phase = 'codes';
  }
  if (m.phase === 'codes') {
    const r = await rq('codes', sec, 'POST', `/api/meetings/${m.id}/codes`);
    if (r.status !== 200) throw fail('codes', r);
    for (const c of r.json.codes as { name: string; code: string }[]) m.codes.set(c.name, c.code);
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
      m.ballots.push({ title: `${m.title}第${n}项`, meeting: m, acked: -1, race: Math.random() < 0.35, closeSent: false, tokens: new Map(), done: false });
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

function tokensOf(b: Ballot): Tok[] {
  if (b.tokens.size === 0)
    [...b.meeting.ids.keys()].forEach((name, i) => {
      const st = blindToken(b.id!);
      const choices = i === MEMBERS - 1 ? null : [OPTIONS[(i + seq) % 3]!, OPTIONS[(i * 2) % 3]!];
      const salt = newSalt();
      b.tokens.set(name, { name, st, choices, salt, commitment: commit(b.id!, st.token, choices ?? ['agree', 'agree'], salt), sent: false, refused: false, opening: 'none' });
    });
  return [...b.tokens.values()];
}

const castBody = (t: Tok) => ({ token: toHex(t.st.token), signature: toHex(t.signature!), commitment: toHex(t.commitment) });

async function cast(b: Ballot, t: Tok): Promise<void> {
  t.sent = true;
  const r = await rq('cast', anon, 'POST', `/api/ballots/${b.id}/cast`, castBody(t));
  if (r.status === 200) {
    const rc = r.json.receipt as Receipt;
    if (!verifyReceipt(rc) || rc.commitment !== toHex(t.commitment) || rc.serverKey !== serverKey || rc.tokenHash !== toHex(tokenHash(b.id!, t.st.token)))
      throw fail('bad receipt', r);
    if (t.receipt) {
      expect(rc).toEqual(t.receipt); // the identical cast again: the same receipt
      stats.resentSameReceipt++;
    } else {
      t.receipt = rc;
      stats.receipts++;
    }
  } else if (r.json.error === 'BAD_STATE' && b.closeSent) {
    if (!t.receipt) {
      t.refused = true;
      stats.refusedByClose++;
    }
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
  const v = await rq('view', anon, 'GET', `/api/ballots/${b.id}`);
  if (v.status !== 200) throw fail('ballot view', v);
  const status = v.json.status as Status;
  expect(RANK[status]).toBeGreaterThanOrEqual(b.acked);
  if (status === 'draft') {
    const r = await rq('open', sec, 'POST', `/api/ballots/${b.id}/open`);
    if (r.status === 200) b.acked = Math.max(b.acked, RANK.open);
    else if (r.json.error !== 'BAD_STATE') throw fail('open', r);
    return;
  }
  const toks = tokensOf(b);
  if (status === 'open') {
    // Issuance: every tablet, at once; a lost answer is retried with the same blinded point.
    await Promise.all(
      toks.filter((t) => !t.signature).map(async (t) => {
        const r = await rq('issue', b.meeting.tablets.get(t.name)!, 'POST', `/api/ballots/${b.id}/issue`, { blinded: toHex(t.st.blinded) });
        if (r.status !== 200) throw fail('issue', r);
        t.signature = unblindFast(t.st, r.json.signed);
      }),
    );
    const voters = toks.filter((t) => t.choices && !t.receipt && !t.refused);
    const again = toks.filter((t) => t.receipt).slice(0, 2);
    const work: Promise<void>[] = [...voters, ...again].map((t) => cast(b, t));
    if (voters.length === 0) work.push(close(b));
    else if (b.race) work.push(new Promise((r) => setTimeout(r, Math.random() * 30)).then(() => close(b)));
    await Promise.all(work);
    return;
  }
  if (status === 'closed') {
    await Promise.all(
      toks.filter((t) => t.sent && t.opening === 'none').map(async (t) => {
        const r = await rq('opening', anon, 'POST', `/api/ballots/${b.id}/openings`, { token: toHex(t.st.token), choices: t.choices, salt: toHex(t.salt) });
        if (r.status === 200) {
          if (t.opening === 'none') stats.openings++;
          t.opening = 'ok';
        } else if (r.json.error === 'UNKNOWN_TOKEN' && !t.receipt) t.opening = 'absent'; // refused or never stored
        else throw fail(`opening (receipt: ${!!t.receipt})`, r);
      }),
    );
    if (toks.every((t) => !t.sent || t.opening !== 'none')) {
      const r = await rq('finalize', sec, 'POST', `/api/ballots/${b.id}/finalize`);
      if (r.status === 200) b.acked = RANK.published;
      else if (r.json.error !== 'BAD_STATE') throw fail('finalize', r);
    }
    return;
  }
  // Published: the bundle verifies and holds every receipt.
  const r = await rq('bundle', anon, 'GET', `/api/ballots/${b.id}/bundle`);
  if (r.status !== 200) throw fail('bundle', r);
  checkPublished(b, r.json as Bundle);
  const sample = toks.find((t) => t.receipt);
  if (sample) {
    const api = await rq('receipt', anon, 'POST', `/api/ballots/${b.id}/receipt`, { receipt: sample.receipt });
    expect(api.json.status).toBe('included');
  }
  b.done = true;
  stats.published++;
}

/** A published bundle: verifies under the pinned key; holds exactly the stored casts, every receipt, every acknowledged opening. */
function checkPublished(b: Ballot, bundle: Bundle): void {
  const check = verifyBundle(bundle, { serverKey });
  expect(check.failures, b.title).toEqual([]);
  expect(bundle.tally.issued).toBe(MEMBERS);
  const listed = new Map(bundle.ballots.map((x) => [x.token, x]));
  for (const t of b.tokens.values()) {
    const entry = listed.get(toHex(t.st.token));
    if (t.receipt) {
      expect(checkReceipt(bundle, t.receipt).status, `${b.title} ${t.name}`).toBe('included');
      expect(entry!.commitment).toBe(toHex(t.commitment));
    }
    if (t.opening === 'ok') expect(entry?.opening).toEqual({ choices: t.choices, salt: toHex(t.salt) });
    if (t.opening === 'absent' || !t.sent) expect(entry).toBeUndefined();
  }
  expect(bundle.ballots.length).toBe([...b.tokens.values()].filter((t) => t.opening === 'ok' || t.receipt).length);
}

/** The file after a restart: nothing acknowledged is missing, nothing is half-written. */
function checkDb(): void {
  stats.dbChecks++;
  expect(integrity(server.dbPath)).toEqual({ integrity: 'ok', foreignKeys: [] });
  readOnly(server.dbPath, (db) => {
    const ballots = db.prepare('SELECT * FROM ballots').all() as {
      id: string; status: Status; definition: string; public_key: string | null; secret_key: Buffer | null; bundle: string | null; meeting_id: string;
    }[];
    const casts = db.prepare('SELECT * FROM casts').all() as { ballot_id: string; token_hash: string; token: string; signature: string; commitment: string; choices: string | null; salt: string | null }[];
    const issuances = db.prepare('SELECT * FROM issuances').all() as { ballot_id: string; member_id: string; blinded_hash: string; issued: number; allowed: number }[];
    const members = db.prepare('SELECT * FROM members').all() as { id: string; meeting_id: string; present: number; code_used: number; code_hash: string | null }[];
    const meetingRows = new Map((db.prepare('SELECT * FROM meetings').all() as { id: string; status: string }[]).map((r) => [r.id, r]));
    const castsOf = (bid: string) => casts.filter((c) => c.ballot_id === bid);
    const byId = new Map(ballots.map((b) => [b.id, b]));

    // No half-written ballot: the status and everything that goes with it agree.
    for (const b of ballots) {
      JSON.parse(b.definition);
      const cs = castsOf(b.id);
      const iss = issuances.filter((i) => i.ballot_id === b.id);
      for (const c of cs) expect(c.choices === null, `cast ${c.token_hash}: choices and salt together`).toBe(c.salt === null);
      for (const i of iss) expect(1 <= i.issued && i.issued <= i.allowed).toBe(true);
      if (b.status === 'draft') expect([b.public_key, b.secret_key, b.bundle, cs.length, iss.length]).toEqual([null, null, null, 0, 0]);
      else if (b.status === 'open') {
        expect(b.public_key).toMatch(/^[0-9a-f]{192}$/);
        expect(b.secret_key?.length).toBe(32);
        expect(b.bundle).toBeNull();
        expect(cs.filter((c) => c.choices !== null)).toEqual([]); // no opening before the close
      } else if (b.status === 'closed') {
        expect([b.secret_key, b.bundle]).toEqual([null, null]);
        expect(b.public_key).toMatch(/^[0-9a-f]{192}$/);
      } else {
        expect(b.secret_key).toBeNull();
        const bundle = JSON.parse(b.bundle!) as Bundle;
        expect(bundle.ballots.map((x) => [x.token, x.signature, x.commitment, x.opening ? JSON.stringify(x.opening.choices) : null, x.opening?.salt ?? null]).sort())
          .toEqual(cs.map((c) => [c.token, c.signature, c.commitment, c.choices, c.salt]).sort());
      }
    }
    for (const m of members) if (m.code_used) expect(m.present).toBe(1);

    // Nothing acknowledged is missing.
    for (const m of meetings) {
      if (!m.id) continue;
      const row = meetingRows.get(m.id);
      expect(row, m.title).toBeDefined();
      if (m.phase === 'ended') expect(row!.status).toBe('ended');
      for (const name of m.checkedIn) {
        const mem = members.find((x) => x.id === m.ids.get(name))!;
        expect([mem.present, mem.code_used]).toEqual([1, 1]);
      }
      for (const b of m.ballots) {
        if (!b.id) continue;
        const row = byId.get(b.id);
        expect(row, b.title).toBeDefined();
        expect(RANK[row!.status], `${b.title} acknowledged rank ${b.acked}`).toBeGreaterThanOrEqual(b.acked);
        for (const t of b.tokens.values()) {
          if (t.signature) {
            const i = issuances.find((x) => x.ballot_id === b.id && x.member_id === m.ids.get(t.name));
            expect(i?.blinded_hash, `issuance of ${t.name}`).toBe(sha256Hex(t.st.blinded));
          }
          const c = casts.find((x) => x.ballot_id === b.id && x.token_hash === toHex(tokenHash(b.id!, t.st.token)));
          if (t.receipt) {
            expect(c, `the cast of ${t.name} on ${b.title} got a receipt`).toBeDefined();
            expect([c!.token, c!.signature, c!.commitment]).toEqual([toHex(t.st.token), toHex(t.signature!), t.receipt.commitment]);
          }
          if (t.opening === 'ok') expect([c?.choices, c?.salt]).toEqual([JSON.stringify(t.choices), toHex(t.salt)]);
        }
        if (row!.bundle) {
          const h = sha256Hex(row!.bundle);
          if (b.bundleHash) expect(h, 'a published bundle never changes').toBe(b.bundleHash);
          else {
            expect(verifyBundle(JSON.parse(row!.bundle), { serverKey }).failures).toEqual([]);
            b.bundleHash = h;
          }
        }
      }
    }
  });
}

/** Make sure both crypto workers of the fresh process are up (a refused cast on a spare ballot), so kills land in real work. */
async function warmUp(): Promise<void> {
  const bogus = () => ({ token: toHex(randomBytes(32)), signature: toHex(randomG1()), commitment: toHex(randomBytes(32)) });
  const rs = await Promise.all([1, 2].map(() => anon.call('POST', `/api/ballots/${warmBallot}/cast`, bogus())));
  for (const r of rs) expect(r.json.error).toBe('BAD_TOKEN_SIGNATURE');
}

async function cycle(): Promise<void> {
  if (!draining && !meetings.some((m) => m.phase !== 'ended' && m.ballots.length < BALLOTS_PER_MEETING) && activeBallots().length < IN_FLIGHT) newMeeting();
  const tasks = [...meetings.filter((m) => m.phase !== 'ended').map(meetingStep), ...activeBallots().map(ballotStep)];
  const results = await Promise.allSettled(tasks);
  for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof Killed)) throw r.reason;
}

beforeAll(async () => {
  server = await spawnServer({ env: { PIAOJUE_LOG: 'debug', PIAOJUE_WORKERS: '0' } });
  sec = new Jar(server);
  anon = new Jar(server, false);
  await sec.ok('POST', '/api/secretary/login', { password: server.password });
  serverKey = (await anon.ok('GET', '/api/server-key')).serverKey;
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: '预热' });
  await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members: [{ name: '预热委员', kind: 'full' }] });
  const { ballot } = await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, { type: 'consultation', title: '预热', items: [{ nominee: '甲', post: '乙' }] });
  await sec.ok('POST', `/api/ballots/${ballot.id}/open`);
  warmBallot = ballot.id;
}, 60_000);
afterAll(async () => server?.dispose());

describe(`kill -9 at random moments (${KILLS} kills)`, () => {
  it('after every restart nothing acknowledged is lost and nothing is half-written; every ballot still closes, opens and publishes, and every receipt is in its verified bundle', async () => {
    let window = 300; // ms: running estimate of one whole cycle's work, so most kills land inside it
    for (let k = 0; k < KILLS; k++) {
      await warmUp();
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
      const r0 = performance.now();
      // Every 5th life runs the production worker pool; the others do their crypto inline (PIAOJUE_WORKERS=0), which starts faster.
      await server.start({ PIAOJUE_WORKERS: k % 5 === 4 ? '' : '0' });
      stats.restartMs.push(performance.now() - r0);
      checkDb();
    }
    // No more kills: everything still under way runs to the end.
    dead = false;
    draining = true;
    for (let i = 0; i < 80 && !(activeBallots().length === 0 && meetings.every((m) => m.phase === 'ended')); i++) await cycle();
    await server.restart(); // a clean stop and start too
    checkDb();
    expect(activeBallots()).toEqual([]);
    expect(meetings.every((m) => m.phase === 'ended')).toBe(true);
    expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
    expect(stats.published).toBeGreaterThanOrEqual(Math.floor(KILLS / 10));

    // The request log (PIAOJUE_LOG=debug) never carried a token, commitment, salt or signature, and no internal error happened.
    const log = server.output.join('');
    const secrets = meetings.flatMap((m) => m.ballots.flatMap((b) => [...b.tokens.values()].flatMap((t) => [toHex(t.st.token), toHex(t.commitment), toHex(t.salt), ...(t.signature ? [toHex(t.signature)] : [])])));
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
