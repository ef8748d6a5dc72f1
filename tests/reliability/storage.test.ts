// Storage faults (issue 6.1) on piaojue/2: createApp on a store opened here (served over HTTP
// too, so the scrutineer devices of server/simulate.ts reach it), whose SQLite connection is made
// (a) read-only with PRAGMA query_only (every write fails with SQLITE_READONLY) or (b) full with
// PRAGMA max_page_count = page_count (the next write that needs a new page fails with
// SQLITE_FULL, as on a full disk). Every write of a meeting — the secretary's, a tablet's and a
// scrutineer device's (sign-in, keys, each ceremony round, attendance, partial signatures,
// decryption share) — is tried under the fault: the API answers 503 STORAGE_UNAVAILABLE
// {error, message}, hands out no receipt, partials, code or cookie, and the database is exactly as
// before (a dump of every table). Once the fault is gone the very same request succeeds — a
// refused check-in code still works, a refused cast gets its receipt, a device sends its message
// again — and the bundle verifies with every receipt in it. The publication itself on a full disk
// runs in a child process (an unhandled rejection there ends the process, as in production).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ballotShape, ceremonyStep, checkReceipt, confirmAttendance, createDevice, decryptCasts, finishIssuance, fromHex, signRequests, startIssuance, verifyBundle,
  type IssuanceRequest, type Receipt,
} from '../../crypto/index.ts';
import { SimulatedScrutineer, settle } from '../../server/simulate.ts';
import {
  AppClient, Client, Device, PASSWORD, ROOT, Tablet, castDef, checkInAll, confirmAndOpen, createBallot, expectError, issueAll,
  openNewBallot, readOnly, roster, setupRoom, sleep, startAppServer, stateOf, tempDir, waitForBundle, waitForSums,
  type AppServer, type Res, type Room,
} from '../helpers/reliability.ts';

const ROOMY = 1_073_741_823;

let w: AppServer;
let sec: AppClient;

beforeAll(async () => {
  w = await startAppServer();
  sec = new AppClient(w);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
});
afterAll(async () => w?.dispose());

const pragma = (p: string) => w.store.sqlite.pragma(p, { simple: true }) as number;

type Fault = 'read-only' | 'disk full';
function inject(fault: Fault): void {
  if (fault === 'read-only') w.store.sqlite.pragma('query_only = ON');
  else {
    if (pragma('freelist_count') > 0) w.store.sqlite.exec('VACUUM'); // no free pages to fall back on
    w.store.sqlite.pragma(`max_page_count = ${pragma('page_count')}`);
  }
}
function heal(): void {
  w.store.sqlite.pragma('query_only = OFF');
  w.store.sqlite.pragma(`max_page_count = ${ROOMY}`);
}

type Answer = { status: number; json: any; setCookies?: string[]; headers?: Headers };
/** A device's call (server/simulate.ts Jar) as an Answer with its Set-Cookie lines. */
async function dev(d: SimulatedScrutineer, method: string, path: string, body?: unknown): Promise<Answer> {
  const r = await d.jar.call(method, path, body);
  return { ...r, setCookies: r.headers.getSetCookie() };
}

/** A clean refusal: 503 STORAGE_UNAVAILABLE, nothing handed out, nothing changed. */
function expectClean503(res: Answer, before: ReturnType<typeof stateOf>, label: string): void {
  expect(res.status, `${label}: ${JSON.stringify(res.json)}`).toBe(503);
  expectError(res as Res, 'STORAGE_UNAVAILABLE');
  for (const k of ['receipt', 'partials', 'castKey', 'codes', 'code', 'ballot', 'meeting', 'members', 'scrutineer', 'ok', 'status']) expect(res.json, label).not.toHaveProperty(k);
  expect((res.setCookies ?? []).filter((c) => !/max-age=0/i.test(c)), `${label}: no new cookie`).toEqual([]);
  expect(stateOf(w.dbPath), `${label}: the database is as before`).toEqual(before);
}

/** Under `fault` the request is refused cleanly; healed, the same request succeeds. */
async function faultThenRetry(fault: Fault, label: string, send: () => Promise<Answer>): Promise<Answer> {
  const before = stateOf(w.dbPath);
  inject(fault);
  let res;
  try {
    res = await send();
  } finally {
    heal();
  }
  expectClean503(res, before, `${fault}: ${label}`);
  const again = await send();
  expect(again.status, `${label} after healing: ${JSON.stringify(again.json)}`).toBeLessThan(300);
  return again;
}

/**
 * The disk fills up while `send(i)` keeps succeeding; the first refusal must be a clean 503,
 * and once space is freed the refused request, sent again as it was, succeeds.
 */
async function untilFull(label: string, send: (i: number) => Promise<Answer>, max: number): Promise<{ i: number; retried: Answer }> {
  inject('disk full');
  try {
    for (let i = 0; i < max; i++) {
      const before = stateOf(w.dbPath);
      const res = await send(i);
      if (res.status === 503) {
        heal();
        expectClean503(res, before, `disk full: ${label} #${i}`);
        const retried = await send(i);
        expect(retried.status, `${label} #${i} after space was freed: ${JSON.stringify(retried.json)}`).toBeLessThan(300);
        return { i, retried };
      }
      expect(res.status, `${label} #${i} before the disk was full: ${JSON.stringify(res.json)}`).toBeLessThan(300);
    }
  } finally {
    heal();
  }
  throw new Error(`${label}: ${max} requests and the disk never filled`);
}

/** One ceremony round for every device; device `faulty`'s message is first tried under the fault. */
async function ceremonyRound(fault: Fault | null, devices: SimulatedScrutineer[], faulty: number, tried: string[]): Promise<boolean> {
  let sent = false;
  for (const [i, d] of devices.entries()) {
    const view = await d.jar.ok('GET', '/api/scrutineer');
    if (view.ceremony?.status !== 'running') continue;
    const r = ceremonyStep(d.state!, view.ceremony);
    d.state = r.state; // the device stores its state before it sends (crypto/device.ts)
    if (!r.send) continue;
    const kind = Object.keys(r.send)[0]!;
    const send = () => dev(d, 'POST', '/api/scrutineer/ceremony', r.send);
    if (fault && i === faulty) {
      await faultThenRetry(fault, `ceremony ${kind}`, send);
      tried.push(kind);
    } else expect((await send()).status).toBe(200);
    sent = true;
  }
  return sent;
}

describe('read-only storage (PRAGMA query_only = ON → SQLITE_READONLY)', () => {
  it('every write of a whole meeting — secretary, tablet and scrutineer device — tried first on the read-only store, is a clean 503 and succeeds unchanged afterwards; reads keep working', async () => {
    const f: Fault = 'read-only';
    const sec2 = new AppClient(w);
    await faultThenRetry(f, 'secretary login', () => sec2.post('/api/secretary/login', { password: PASSWORD }));
    const mid = (await faultThenRetry(f, 'create meeting', () => sec2.post('/api/meetings', { title: '只读演练' }))).json.meeting.id;
    const members = roster({ standing: 5, full: 1 }, 'R');
    const views = (await faultThenRetry(f, 'roster import', () => sec2.post(`/api/meetings/${mid}/roster`, { members }))).json.members;
    const codes = new Map<string, string>((await faultThenRetry(f, 'issue codes', () => sec2.post(`/api/meetings/${mid}/codes`))).json.codes.map((c: any) => [c.name, c.code]));
    const idOf = (n: string) => views.find((v: any) => v.name === n).id as string;
    codes.set('R常委05', (await faultThenRetry(f, 're-issue a code', () => sec2.post(`/api/meetings/${mid}/members/${idOf('R常委05')}/code`))).json.code);
    const named = await faultThenRetry(f, 'name the scrutineers', () => sec2.post(`/api/meetings/${mid}/scrutineers`, { t: 2, scrutineers: [{ name: '甲' }, { name: '乙' }, { name: '丙' }] }));
    const devices = (named.json.codes as { code: string }[]).map((c) => new Device(w.url, c.code));
    // Device 1: sign-in and keys under the fault; the others normally.
    for (const [i, d] of devices.entries()) {
      const checkin = () => dev(d, 'POST', '/api/scrutineer/checkin', { code: d.code });
      const r = i === 0 ? await faultThenRetry(f, 'scrutineer sign-in', checkin) : await checkin();
      d.state = createDevice(r.json.meeting.id, r.json.scrutineer.index, r.json.scrutineer.name);
      const keys = () => dev(d, 'POST', '/api/scrutineer/keys', { signingKey: d.state!.key.signingKey, encryptionKey: d.state!.key.encryptionKey });
      expect((i === 0 ? await faultThenRetry(f, 'scrutineer keys', keys) : await keys()).status).toBe(200);
    }
    // The ceremony: device 1's commit, reveal and ack each tried on the read-only store first.
    const tried: string[] = [];
    for (let round = 0; round < 6 && (await ceremonyRound(f, devices, 0, tried)); round++);
    expect(tried).toEqual(['commit', 'reveal', 'ack']);
    const cer = await devices[0]!.jar.ok('GET', '/api/scrutineer');
    expect(cer.ceremony.status).toBe('ready');
    const room: Room = {
      id: mid, title: '只读演练', members: views, codes, devices, t: 2, record: cer.ceremony, keys: null as never,
      idOf, names: () => views.map((v: any) => v.name),
    };
    const first = new Tablet(w, 'R常委01', (s) => new AppClient(w, 'http://localhost', '127.0.0.1', s));
    await faultThenRetry(f, 'check-in', () => first.jar.post('/api/checkin', { code: codes.get('R常委01') })); // the refused code still works
    first.memberId = idOf('R常委01');
    const tablets = new Map([['R常委01', first], ...(await checkInAll(w, room, ['R常委02', 'R常委03', 'R常委04', 'R常委05'], (s) => new AppClient(w, 'http://localhost', '127.0.0.1', s)))]);
    const draft = (await faultThenRetry(f, 'create ballot', () => sec2.post(`/api/meetings/${mid}/ballots`, { type: 'decision', title: '只读', items: [{ nominee: '甲', post: '乙' }] }))).json.ballot;
    // Attendance: device 1's confirmation under the fault.
    const d1 = devices[0]!;
    const present = (await d1.jar.ok('GET', '/api/scrutineer')).ballots.find((b: any) => b.id === draft.id).entitled.filter((m: any) => m.present).map((m: any) => m.memberId);
    const conf = confirmAttendance(d1.state!, draft.id, present);
    d1.state = conf.state;
    await faultThenRetry(f, 'confirm attendance', () => dev(d1, 'POST', `/api/scrutineer/ballots/${draft.id}/confirm`, { log: conf.log }));
    for (const d of devices.slice(1)) await d.confirm(draft.id);
    const ballot = (await faultThenRetry(f, 'open ballot', () => sec2.post(`/api/ballots/${draft.id}/open`))).json.ballot;
    // Issuance: the tablet's request, then device 1's partial signatures, each under the fault.
    const t1 = tablets.get('R常委01')!;
    const st = startIssuance(ballot.id);
    const keys1 = await t1.keys(ballot.id);
    const before = stateOf(w.dbPath);
    inject(f);
    let refused;
    try {
      refused = await t1.issueOnce(ballot.id, st);
    } finally {
      heal();
    }
    expectClean503(refused, before, 'read-only: issue request');
    const waiting = t1.issueOnce(ballot.id, st); // healed: recorded, waits for the devices
    let reqs: IssuanceRequest[] = [];
    for (let i = 0; i < 100 && reqs.length === 0; i++) {
      reqs = (await d1.jar.ok('GET', '/api/scrutineer/requests')).requests;
      if (!reqs.length) await sleep(10);
    }
    const signed = signRequests(d1.state!, ballot.id, reqs);
    d1.state = signed.state;
    await faultThenRetry(f, 'partial signatures', () => dev(d1, 'POST', '/api/scrutineer/partials', { ballotId: ballot.id, partials: signed.partials, log: signed.log }));
    await devices[1]!.serve();
    const issued = (await waiting).json;
    expect(issued.status).toBe('signed');
    const tok1 = { ballotId: ballot.id, st, token: st.token, sigma: finishIssuance(st, issued.partials, keys1), castKey: fromHex(issued.castKey, 32, 'castKey') };
    const others = await issueAll(room, ['R常委02', 'R常委03', 'R常委04'].map((n) => tablets.get(n)!), ballot.id);
    const receipts: Receipt[] = [];
    const c1 = t1.prepare(castDef(ballot), keys1, tok1, ['agree']);
    receipts.push((await faultThenRetry(f, 'cast', () => t1.anon.post(`/api/anon/ballots/${ballot.id}/cast`, c1.body))).json.receipt);
    for (const [i, x] of others.entries()) receipts.push(await x.tablet.cast(x.tablet.prepare(castDef(ballot), x.keys, x.tok, [['agree', 'disagree', 'agree'][i]!])));
    await faultThenRetry(f, 'allow a re-issue', () => sec2.post(`/api/ballots/${ballot.id}/reissue`, { memberId: idOf('R常委02') }));
    // Reads that write nothing still answer on a read-only store, for everyone.
    inject(f);
    try {
      const anon = new AppClient(w, 'http://localhost', '127.0.0.1', false);
      for (const p of [`/api/ballots/${ballot.id}`, `/api/meetings/${mid}/screen`, '/api/server-key']) expect((await anon.get(p)).status, p).toBe(200);
      expect((await t1.jar.get('/api/tablet')).status).toBe(200);
      expect((await sec2.get(`/api/meetings/${mid}`)).status).toBe(200); // the idle-timer refresh is best effort
      expect((await d1.jar.call('GET', '/api/scrutineer')).status).toBe(200); // so is the device's "online" lamp
      expect((await d1.jar.call('GET', '/api/scrutineer/requests')).status).toBe(200);
    } finally {
      heal();
    }
    await faultThenRetry(f, 'close', () => sec2.post(`/api/ballots/${ballot.id}/close`));
    await waitForSums(room, ballot.id);
    // Device 1's decryption share under the fault (the device sends the same share again); then device 2 completes it.
    const { casts } = await d1.jar.ok('GET', `/api/scrutineer/ballots/${ballot.id}/casts`);
    const dec = decryptCasts(d1.state!, ballot.id, ballot.electionKey, ballotShape(castDef(ballot)), casts);
    d1.state = dec.state;
    await faultThenRetry(f, 'decryption share', () => dev(d1, 'POST', `/api/scrutineer/ballots/${ballot.id}/decryption`, { share: dec.share }));
    await devices[1]!.step();
    const bundle = await waitForBundle(sec2, ballot.id);
    expect(verifyBundle(bundle, { serverKey: receipts[0]!.serverKey }).failures).toEqual([]);
    for (const r of receipts) expect(checkReceipt(bundle, r).status).toBe('included');
    await faultThenRetry(f, 'end meeting', () => sec2.post(`/api/meetings/${mid}/end`));
    await faultThenRetry(f, 'logout', () => sec2.post('/api/secretary/logout'));
    expect((await sec2.get('/api/secretary/me')).status).toBe(401);
  }, 120_000);
});

describe('disk full (PRAGMA max_page_count = page_count → SQLITE_FULL)', () => {
  let big: Room;
  let tablets: Map<string, Tablet>;
  const N = 40;

  it('creating meetings until the disk is full: a clean 503, then the same request succeeds', async () => {
    const r = await untilFull('create meeting', (i) => sec.post('/api/meetings', { title: `会议${i}`.padEnd(150, '议') }), 400);
    expect(r.retried.json.meeting.title).toMatch(/^会议/);
  });

  it('a key ceremony on a full disk: each device\'s first refused message is clean, it sends it again once there is room, and the ceremony finishes', async () => {
    const { meeting } = await sec.ok('POST', '/api/meetings', { title: '满盘密钥' });
    const named = await sec.ok('POST', `/api/meetings/${meeting.id}/scrutineers`, { t: 2, scrutineers: [{ name: '甲' }, { name: '乙' }, { name: '丙' }] });
    const devices = (named.codes as { code: string }[]).map((c) => new Device(w.url, c.code));
    for (const d of devices) await d.signIn();
    let refusals = 0;
    inject('disk full');
    try {
      for (let round = 0; round < 30; round++) {
        let sent = false;
        for (const d of devices) {
          const view = await d.jar.ok('GET', '/api/scrutineer');
          if (view.ceremony?.status !== 'running') continue;
          const r = ceremonyStep(d.state!, view.ceremony);
          d.state = r.state;
          if (!r.send) continue;
          const before = stateOf(w.dbPath);
          const res = await dev(d, 'POST', '/api/scrutineer/ceremony', r.send);
          if (res.status === 503) {
            expectClean503(res, before, `disk full: ceremony ${Object.keys(r.send)[0]}`);
            refusals++;
            heal(); // space freed; the device sends again at its next step
          } else expect(res.status, JSON.stringify(res.json)).toBe(200);
          sent = true;
        }
        if (!sent) break;
        if (refusals && round % 2 === 1) inject('disk full');
      }
    } finally {
      heal();
    }
    await settle(devices);
    expect(refusals).toBeGreaterThan(0);
    expect((await devices[0]!.jar.ok('GET', '/api/scrutineer')).ceremony.status).toBe('ready');
  });

  it('check-ins until the disk is full: the refused check-in used up nothing, its code still checks in', async () => {
    big = await setupRoom(sec, w.url, roster({ full: N }, 'F'), { title: '满盘演练' });
    const names = big.names();
    tablets = new Map(names.map((n) => [n, new Tablet(w, n, (s) => new AppClient(w, 'http://localhost', '127.0.0.1', s))]));
    const done = await untilFull('check-in', (i) => tablets.get(names[i]!)!.jar.post('/api/checkin', { code: big.codes.get(names[i]!) }), N);
    for (const n of names.slice(done.i + 1)) await tablets.get(n)!.checkIn(big.codes.get(n)!);
    for (const n of names) expect((await tablets.get(n)!.jar.get('/api/tablet')).status, n).toBe(200);
  });

  it('confirmations, opening ballots, issuance (requests and partial signatures) and casts (one by one and in concurrent batches) on a full disk: every refusal clean, every receipt stored and in the bundle', async () => {
    const names = big.names();
    const drafts: string[] = [];
    for (let i = 0; i < 30; i++) drafts.push((await createBallot(sec, big.id, { type: 'consultation', title: `草稿${i}` })).id);
    const d1 = big.devices[0]!;
    await untilFull('confirm attendance', async (i) => {
      const present = (await d1.jar.ok('GET', '/api/scrutineer')).ballots.find((b: any) => b.id === drafts[i]).entitled.map((m: any) => m.memberId);
      const conf = confirmAttendance(d1.state!, drafts[i]!, present);
      d1.state = conf.state;
      return dev(d1, 'POST', `/api/scrutineer/ballots/${drafts[i]}/confirm`, { log: conf.log });
    }, drafts.length);
    for (const id of drafts) for (const d of big.devices) await d.confirm(id);
    await untilFull('open ballot', (i) => sec.post(`/api/ballots/${drafts[i]}/open`), drafts.length);

    // Issuance on a full disk: each tablet's request, then t devices' partials; the first refused write is clean and goes through once healed.
    const b2 = await openNewBallot(sec, big, { type: 'consultation', items: 1, title: '满盘领票' });
    let firstRefusal = '';
    inject('disk full');
    try {
      for (const n of names) {
        const t = tablets.get(n)!;
        const st = startIssuance(b2.id);
        const before = stateOf(w.dbPath);
        const pending = t.issueOnce(b2.id, st);
        // Wait until the request is recorded (or refused).
        const box: { answered: Answer | null } = { answered: null };
        void pending.then((r) => (box.answered = r));
        for (let i = 0; i < 200 && !box.answered && !(w.store.sqlite.prepare('SELECT 1 FROM issuances WHERE ballot_id = ? AND member_id = ?').get(b2.id, t.memberId)); i++) await sleep(5);
        if (box.answered && box.answered.status === 503) {
          heal();
          expectClean503(box.answered, before, `disk full: issue request of ${n}`);
          firstRefusal = `issue request #${names.indexOf(n)}`;
          const again = t.issueOnce(b2.id, st);
          for (const d of big.devices.slice(0, 2)) await d.serve();
          expect((await again).json.status).toBe('signed');
          break;
        }
        let refused = false;
        for (const d of big.devices.slice(0, 2)) {
          const reqs: IssuanceRequest[] = (await d.jar.ok('GET', '/api/scrutineer/requests')).requests;
          const s = signRequests(d.state!, b2.id, reqs);
          d.state = s.state;
          const before2 = stateOf(w.dbPath);
          const body = { ballotId: b2.id, partials: s.partials, log: s.log };
          const res = await dev(d, 'POST', '/api/scrutineer/partials', body);
          if (res.status === 503) {
            heal();
            expectClean503(res, before2, `disk full: partials of device ${d.index} for ${n}`);
            firstRefusal = `partials #${names.indexOf(n)}`;
            expect((await dev(d, 'POST', '/api/scrutineer/partials', body)).status).toBe(200);
            refused = true;
          } else expect(res.status, JSON.stringify(res.json)).toBe(200);
        }
        const r = await pending;
        expect(r.json.status, n).toBe('signed');
        if (refused) break;
      }
    } finally {
      heal();
    }
    expect(firstRefusal).not.toBe('');

    const b1 = await openNewBallot(sec, big, { type: 'consultation', items: 2, title: '满盘表决' });
    const issued = await issueAll(big, names.map((n) => tablets.get(n)!), b1.id);
    const casts = issued.map((x, i) => ({ tablet: x.tablet, c: x.tablet.prepare(castDef(b1), x.keys, x.tok, [['agree', 'disagree', 'abstain'][i % 3]!, 'agree']) }));
    const castIn = (i: number) => readOnly(w.dbPath, (db) => db.prepare('SELECT commitment FROM casts WHERE ballot_id = ? AND token_hash = ?').get(b1.id, casts[i]!.c.expect.tokenHash) as { commitment: string } | undefined);
    const receipts = new Map<number, Receipt>();
    const one = await untilFull('cast', (i) => casts[i]!.tablet.anon.post(`/api/anon/ballots/${b1.id}/cast`, casts[i]!.c.body), casts.length);
    for (let i = 0; i <= one.i; i++) receipts.set(i, i === one.i ? one.retried.json.receipt : await casts[i]!.tablet.cast(casts[i]!.c));
    // Concurrent casts (grouped into one transaction per batch) until a batch does not fit.
    let next = one.i + 1;
    let refusedInBatch = 0;
    inject('disk full');
    try {
      while (refusedInBatch === 0 && next < casts.length) {
        const group = casts.slice(next, next + 8).map((x, k) => [next + k, x] as const);
        next += group.length;
        const res = await Promise.all(group.map(([, x]) => x.tablet.anon.post(`/api/anon/ballots/${b1.id}/cast`, x.c.body)));
        res.forEach((r, k) => {
          const [i, x] = group[k]!;
          if (r.status === 200) {
            expect(castIn(i)?.commitment).toBe(x.c.body.commitment); // acknowledged ⇒ stored
            receipts.set(i, r.json.receipt);
          } else {
            expectError(r, 'STORAGE_UNAVAILABLE');
            expect(r.json.receipt).toBeUndefined();
            expect(castIn(i), 'refused ⇒ not stored').toBeUndefined();
            refusedInBatch++;
          }
        });
      }
    } finally {
      heal();
    }
    expect(refusedInBatch).toBeGreaterThan(0);
    for (let i = 0; i < casts.length; i++) if (!receipts.has(i)) receipts.set(i, await casts[i]!.tablet.cast(casts[i]!.c));

    await sec.ok('POST', `/api/ballots/${b1.id}/close`);
    await waitForSums(big, b1.id);
    await settle(big.devices);
    const bundle = await waitForBundle(sec, b1.id);
    const serverKey = (await sec.ok('GET', '/api/server-key')).serverKey;
    expect(verifyBundle(bundle, { serverKey }).failures).toEqual([]);
    expect(bundle.tally).toMatchObject({ cast: N, valid: N });
    for (const [i, r] of receipts) expect(checkReceipt(bundle, r).status, `cast ${i}`).toBe('included');
    console.log(`[reliability] disk full: first refusal after ${one.i} casts; issuance: ${firstRefusal}; ${refusedInBatch} casts refused in a concurrent batch`);
  }, 180_000);

  it('secretary sign-ins (one new session each) until the disk is full: a clean 503 sets no cookie', async () => {
    await untilFull('login', (i) => new AppClient(w, 'http://localhost', `10.9.${i >> 8}.${i & 255}`).post('/api/secretary/login', { password: PASSWORD }), 200);
  });

  it('a roster import, the codes for it, the scrutineers, and a large ballot definition that do not fit: clean 503s (no partial roster, no partial codes)', async () => {
    const { meeting } = await sec.ok('POST', '/api/meetings', { title: '大名单' });
    const members = Array.from({ length: 1000 }, (_, i) => ({ name: `委员${String(i).padStart(4, '0')}${'名'.repeat(20)}`, kind: 'full', title: '县政协委员'.repeat(5) }));
    await untilFull('roster of 1000', () => sec.post(`/api/meetings/${meeting.id}/roster`, { members }), 3);
    await untilFull('codes for 1000', () => sec.post(`/api/meetings/${meeting.id}/codes`), 3);
    const items = Array.from({ length: 50 }, (_, i) => ({ nominee: `拟任人选${i}`.padEnd(100, '名'), post: `县第${i}局局长`.padEnd(200, '职') }));
    await untilFull('ballot of 50 long items', () => sec.post(`/api/meetings/${meeting.id}/ballots`, { type: 'consultation', title: '大表决', items }), 3);
  });
});

// ---- the publication on a full disk, in a process of its own -------------------------------------

/**
 * The app of server/main.ts on a store this child opened, with two signals for the test: SIGUSR1
 * fills the disk (max_page_count = page_count), SIGUSR2 frees it. Node's defaults apply, so an
 * unhandled rejection ends the process, as in production.
 */
const FAULTY = `
import { serve } from '@hono/node-server';
import { createApp } from './server/app.ts';
import { openStore } from './server/db.ts';
import { ensureSecretaryPassword, loadServerKey } from './server/keys.ts';
import { createHub } from './server/events.ts';
import { createCryptoPool } from './server/crypto-pool.ts';
const store = openStore(process.env.PIAOJUE_DB);
const serverKey = loadServerKey(store.db);
ensureSecretaryPassword(store.db, process.env.PIAOJUE_SECRETARY_PASSWORD);
const app = createApp({ store, serverKey, pool: createCryptoPool(0), hub: createHub() });
process.on('SIGUSR1', () => {
  if (store.sqlite.pragma('freelist_count', { simple: true }) > 0) store.sqlite.exec('VACUUM');
  store.sqlite.pragma('max_page_count = ' + store.sqlite.pragma('page_count', { simple: true }));
  console.log('FAULT full');
});
process.on('SIGUSR2', () => { store.sqlite.pragma('max_page_count = 1073741823'); console.log('FAULT healed'); });
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { keepAliveTimeout: 65000 } }, (info) => console.log('piaojue 票决 is running at http://127.0.0.1:' + info.port));
`;

describe('the publication itself on a full disk (a child process)', () => {
  // KNOWN BUG (server, reported): the t-th decryption share is stored and answered; the publication
  // runs after the answer (`void ctx.publishIfReady`), and a storage error in it (SQLITE_FULL while
  // writing the bundle) is rethrown from that promise — an unhandled rejection, which ends the
  // process. Nothing would retry the publication anyway. When fixed, make it `it`.
  it('the server survives a full disk while it writes the bundle, and publishes once there is room', async () => {
    const dir = tempDir();
    const out: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', FAULTY], {
      cwd: ROOT, env: { ...process.env, PIAOJUE_DB: join(dir, 'piaojue.db'), PIAOJUE_SECRETARY_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    let exited: string | null = null;
    child.once('exit', (code, sig) => (exited = `${code ?? sig}`));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 600 && !re.test(out.join('')); i++) await sleep(25);
      return re.exec(out.join(''));
    };
    try {
      const url = (await waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)/))![1]!;
      const server = { url };
      const sec2 = new Client(server);
      await sec2.ok('POST', '/api/secretary/login', { password: PASSWORD });
      const room = await setupRoom(sec2, url, roster({ standing: 3 }), { title: '满盘公布' });
      const tabs = await checkInAll(server, room, room.names());
      const b = await confirmAndOpen(sec2, room, (await createBallot(sec2, room.id, { type: 'decision', items: 3 })).id);
      const issued = await issueAll(room, [...tabs.values()], b.id);
      for (const x of issued) await x.tablet.cast(x.tablet.prepare(castDef(b), x.keys, x.tok, ['agree', 'disagree', 'abstain']));
      await sec2.ok('POST', `/api/ballots/${b.id}/close`);
      await waitForSums(room, b.id);
      await room.devices[0]!.step(); // one share stored
      child.kill('SIGUSR1');
      await waitFor(/FAULT full/);
      const r = await room.devices[1]!.step().then(() => 'sent', (e) => String(e)); // the t-th share: the bundle no longer fits
      await sleep(1500);
      expect(exited, `the server process ended: ${out.join('').slice(-800)} (device: ${r})`).toBeNull();
      child.kill('SIGUSR2');
      await waitFor(/FAULT healed/);
      await room.devices[2]!.step().catch(() => undefined);
      const bundle = await waitForBundle(sec2, b.id, 5000);
      expect(verifyBundle(bundle).ok).toBe(true);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
