// The publication after the close (server/publish.ts, server/routes/context.ts): the bundle
// takes the sums stored at the close, and the self-verification still recounts them itself
// (on the worker pool) and re-checks every token — a recount or a token check that disagrees
// stops the publication, which the secretary's 公布结果 completes once they agree; the t-th
// device's share is answered while the publication is still under way, and other requests are
// served meanwhile; the verifier with the pool's checker and recount reports exactly what
// verifyBundle reports; the devices' "online" time is written at most every few seconds.
import { serve } from '@hono/node-server';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assembleBundle, ballotShape, encodeCiphertext, sumSealedBallots, toHex, verifyBundle, verifyBundleAsync,
  type Bundle, type CastCheckInput, type CastCheckResult,
} from '../../crypto/index.ts';
import { createApp } from '../../server/app.ts';
import { createCryptoPool, type CryptoPool } from '../../server/crypto-pool.ts';
import { openStore, type Store } from '../../server/db.ts';
import { createHub } from '../../server/events.ts';
import { ensureSecretaryPassword, loadServerKey } from '../../server/keys.ts';
import { runElection } from '../helpers/election.ts';
import {
  Jar, PASSWORD, castVote, checkIn, issueAll, openNew, prepareVote, roster, setupMeeting, settle, signIn, sleep, waitForBundle,
  type Meeting, type Tablet,
} from '../helpers/server.ts';

// ---- a server whose pool the test can make lie or wait ----------------------------------------

/** What the wrapped pool does to the self-verification's work. */
const faults = {
  /** Report the first cast's token as bad. */
  badToken: false,
  /** Recount sums 0 and 1 the other way round. */
  swapSums: false,
  /** Hold every per-cast check until released. */
  gate: null as Promise<void> | null,
};
let checkerCalls = 0;
let sumsCalls = 0;

function wrap(pool: CryptoPool): CryptoPool {
  return {
    ...pool,
    castChecker(proofs: boolean) {
      const real = pool.castChecker(proofs);
      return async (input: CastCheckInput): Promise<CastCheckResult> => {
        checkerCalls++;
        if (faults.gate) await faults.gate;
        const r = await real(input);
        return faults.badToken ? { ...r, badTokens: [0, ...r.badTokens] } : r;
      };
    },
    async sums(shape, sealed) {
      sumsCalls++;
      const r = await pool.sums(shape, sealed);
      return faults.swapSums ? [r[1]!, r[0]!, ...r.slice(2)] : r;
    },
  };
}

let dir: string;
let store: Store;
let pool: CryptoPool;
let http: ReturnType<typeof serve>;
let url: string;
let sec: Jar;
let skew = 0;
const now = () => Date.now() + skew;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'piaojue-publish-'));
  store = openStore(join(dir, 'piaojue.db'));
  const serverKey = loadServerKey(store.db);
  ensureSecretaryPassword(store.db, PASSWORD);
  pool = createCryptoPool(2);
  const app = createApp({ store, serverKey, pool: wrap(pool), hub: createHub(), now });
  await new Promise<void>((resolve) => {
    http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { keepAliveTimeout: 65_000 } }, (info) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
  sec = await signIn({ url, password: PASSWORD });
});
afterAll(async () => {
  await new Promise<void>((done) => {
    http?.close(() => done());
    (http as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.();
  });
  store?.sqlite.close();
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  faults.badToken = false;
  faults.swapSums = false;
  faults.gate = null;
  vi.restoreAllMocks();
});

const status = (bid: string) => (store.sqlite.prepare('SELECT status FROM ballots WHERE id = ?').get(bid) as { status: string }).status;
const storedSums = (bid: string) => JSON.parse((store.sqlite.prepare('SELECT sums FROM ballots WHERE id = ?').get(bid) as { sums: string }).sums) as string[];

/** A closed ballot of 3 items with every member's cast in, the sums stored; the devices have not decrypted. */
async function closedBallot(title: string, prefix: string): Promise<{ m: Meeting; bid: string }> {
  const m = await setupMeeting(sec, roster({ standing: 5 }, prefix), title);
  const tabs = await checkIn({ url }, m, m.names());
  const b = await openNew(sec, m, { type: 'consultation', items: [1, 2, 3].map((i) => ({ nominee: `候选人${i}`, post: `职务${i}` })) });
  const toks = await issueAll([...tabs.values()] as Tablet[], b, m.online());
  const anon = new Jar(url, false);
  for (const [i, tok] of toks.entries()) await castVote(anon, prepareVote(tok, [['agree', 'disagree', 'abstain'][i % 3]!, 'agree', 'disagree']));
  await sec.ok('POST', `/api/ballots/${b.id}/close`);
  for (let i = 0; i < 200 && !(store.sqlite.prepare('SELECT sums FROM ballots WHERE id = ?').get(b.id) as { sums: string | null }).sums; i++) await sleep(10);
  return { m, bid: b.id };
}

/** Resolves with the first console.error line that matches. */
function errorLogged(re: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const real = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      const line = args.map(String).join(' ');
      if (re.test(line)) resolve(line);
      else real(...args);
    });
  });
}

describe('the self-verification before publishing', () => {
  it('the bundle carries the sums stored at the close; the self-check recounts them on the pool and re-checks the tokens', async () => {
    const { m, bid } = await closedBallot('公布：复核', 'P');
    const [checks0, sums0] = [checkerCalls, sumsCalls];
    await settle(m.online());
    const bundle = await waitForBundle(new Jar(url, false), bid);
    expect(checkerCalls - checks0).toBe(1);
    expect(sumsCalls - sums0).toBe(1);
    expect(bundle.sums).toEqual(storedSums(bid));
    expect(verifyBundle(bundle).failures).toEqual([]);
    expect(bundle.tally.items.map((i) => i.counts)).toEqual([
      { agree: 2, disagree: 2, abstain: 1 },
      { agree: 5, disagree: 0, abstain: 0 },
      { agree: 0, disagree: 5, abstain: 0 },
    ]);
  });

  it('a recount that disagrees with the stored sums stops the publication (ENCRYPTED_SUM); 公布结果 publishes once it agrees', async () => {
    const { m, bid } = await closedBallot('公布：总和不符', 'Q');
    faults.swapSums = true;
    const logged = errorLogged(/self-verification failed/);
    for (const d of m.online().slice(0, 2)) await d.step(); // t = 2 shares: one attempt
    expect(await logged).toMatch(/ENCRYPTED_SUM: sum 0 is not the sum of the published ballots; ENCRYPTED_SUM: sum 1/);
    await sleep(50);
    expect(status(bid)).toBe('closed');
    expect((await new Jar(url, false).call('GET', `/api/ballots/${bid}/bundle`)).json.error).toBe('NOT_PUBLISHED');
    faults.swapSums = false;
    expect((await sec.ok('POST', `/api/ballots/${bid}/finalize`)).ballot.status).toBe('published');
    expect(verifyBundle(await waitForBundle(new Jar(url, false), bid)).ok).toBe(true);
  });

  it('a token the check refuses stops the publication (TOKEN_SIGNATURE)', async () => {
    const { m, bid } = await closedBallot('公布：令牌不符', 'R');
    faults.badToken = true;
    const logged = errorLogged(/self-verification failed/);
    for (const d of m.online().slice(0, 2)) await d.step();
    expect(await logged).toMatch(/^\[piaojue\] self-verification failed: TOKEN_SIGNATURE: ballot 0 /);
    await sleep(50);
    expect(status(bid)).toBe('closed');
    faults.badToken = false;
    expect((await sec.ok('POST', `/api/ballots/${bid}/finalize`)).ballot.status).toBe('published');
  });

  it('the t-th share is answered while the publication waits for its checks, and other requests are served meanwhile', async () => {
    const { m, bid } = await closedBallot('公布：先答复', 'S');
    let release!: () => void;
    faults.gate = new Promise<void>((r) => (release = r));
    const checks0 = checkerCalls;
    const [d1, d2] = m.online();
    expect(await d1!.step()).toBe(true);
    expect(await d2!.step()).toBe(true); // the t-th share: answered
    for (let i = 0; i < 200 && checkerCalls === checks0; i++) await sleep(10);
    expect(checkerCalls).toBe(checks0 + 1); // the publication is under way, held at its token checks
    expect(status(bid)).toBe('closed');
    expect((await sec.ok('GET', `/api/ballots/${bid}`)).decryptions).toBe(2);
    expect((await d1!.jar.ok('GET', '/api/scrutineer')).ballots.find((b: { id: string }) => b.id === bid).decrypted).toBe(true);
    release();
    const bundle = await waitForBundle(new Jar(url, false), bid);
    expect(bundle.decryption.map((d) => d.index)).toEqual([1, 2]);
    expect(verifyBundle(bundle).ok).toBe(true);
  });
});

describe('the verifier with the pool', () => {
  const vectors = new URL('../../docs/vectors/', import.meta.url);
  const valid = JSON.parse(readFileSync(new URL('bundle.json', vectors), 'utf8')) as Bundle;
  const invalid = JSON.parse(readFileSync(new URL('bundles-invalid.json', vectors), 'utf8')) as {
    vectors: { name: string; options: { serverKey?: string }; bundle: unknown }[];
  };

  it('reports exactly what verifyBundle reports, with the tokens, proofs and sums on the workers, for every vector', async () => {
    const opts = { sums: (shape: Parameters<CryptoPool['sums']>[0], sealed: readonly string[]) => pool.sums(shape, sealed) };
    const a = await verifyBundleAsync(valid, pool.castChecker(true), opts);
    expect(a.failures).toEqual([]);
    expect(a.tally).toEqual(verifyBundle(valid).tally);
    for (const v of invalid.vectors) {
      const sync = verifyBundle(v.bundle, v.options);
      const async_ = await verifyBundleAsync(v.bundle, pool.castChecker(true), { ...v.options, ...opts });
      expect(async_.failures, v.name).toEqual(sync.failures);
      expect(async_.tally, v.name).toEqual(sync.tally);
    }
  });

  it('a sealed ballot that does not decode: the recount fails as the one on this thread does, with the first such ballot', async () => {
    const shape = ballotShape(valid.ballot);
    const sealed = Array.from({ length: 40 }, (_, i) => valid.ballots[i % valid.ballots.length]!.sealed);
    expect(await pool.sums(shape, sealed)).toEqual(sumSealedBallots(shape, sealed.map((h) => Uint8Array.from(Buffer.from(h, 'hex')))).map((c) => toHex(encodeCiphertext(c))));
    // A bad α in the first half (the first worker's part) and a bad β in the second.
    const bad = [...sealed];
    bad[3] = 'ff'.repeat(32) + bad[3]!.slice(64);
    bad[30] = bad[30]!.slice(0, 64) + 'ff'.repeat(32) + bad[30]!.slice(128);
    let here = '';
    try {
      sumSealedBallots(shape, bad.map((h) => Uint8Array.from(Buffer.from(h, 'hex'))));
    } catch (e) {
      here = (e as Error).message;
    }
    expect(here).toMatch(/α/);
    await expect(pool.sums(shape, bad)).rejects.toThrow(here);
    const tampered = { ...valid, ballots: valid.ballots.map((b, i) => (i === 0 ? { ...b, sealed: 'ff'.repeat(32) + b.sealed.slice(64) } : b)) };
    const viaPool = await verifyBundleAsync(tampered, pool.castChecker(true), { sums: (s, x) => pool.sums(s, x) });
    expect(viaPool.failures).toEqual(verifyBundle(tampered).failures);
    expect(viaPool.failures.filter((f) => f.code === 'ENCRYPTED_SUM').map((f) => f.detail)).toEqual([`the sums cannot be recomputed: ${here}`]);
  });

  it('assembleBundle with the sums computed before builds the same bundle as without them, and refuses sums of another shape', () => {
    const e = runElection();
    const b = e.bundle;
    const inputs = {
      ballot: b.ballot, ceremony: b.ceremony, publicKey: b.publicKey, electionKey: b.electionKey, roster: b.roster,
      issuanceLogs: b.issuanceLogs, casts: [...b.ballots].reverse(), decryption: b.decryption,
    };
    expect(assembleBundle({ ...inputs, sums: b.sums }, e.serverSecret)).toEqual(assembleBundle(inputs, e.serverSecret));
    expect(assembleBundle({ ...inputs, sums: b.sums }, e.serverSecret)).toEqual(b);
    expect(() => assembleBundle({ ...inputs, sums: b.sums.slice(1) }, e.serverSecret)).toThrow(/sums are needed/);
  });
});

describe('the devices\' "online" time', () => {
  const seen = (mid: string, idx: number) =>
    (store.sqlite.prepare('SELECT last_seen_at AS t FROM scrutineers WHERE meeting_id = ? AND idx = ?').get(mid, idx) as { t: number | null }).t;
  const lamps = async (mid: string) => (await sec.ok('GET', `/api/meetings/${mid}`)).scrutiny.scrutineers.map((s: { online: boolean }) => s.online);

  it('is written once every few seconds however often a device asks; the lamp goes out after the window without a request', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'T'), '在线时间');
    const d = m.devices[0]!;
    skew += 10_000;
    await d.jar.ok('GET', '/api/scrutineer');
    const first = seen(m.id, 1)!;
    expect(Math.abs(now() - first)).toBeLessThan(1000);
    for (let i = 0; i < 20; i++) await d.jar.ok('GET', '/api/scrutineer/requests');
    skew += 3_000;
    await d.jar.ok('GET', '/api/scrutineer');
    expect(seen(m.id, 1)).toBe(first); // not written again yet…
    expect(await lamps(m.id)).toEqual([true, true, true]);
    skew += 3_000;
    await d.jar.ok('GET', '/api/scrutineer');
    expect(seen(m.id, 1)!).toBeGreaterThanOrEqual(first + 5_000); // …but once it is 5 s old
    skew += 20_000; // longer than the "online" window, with no request
    expect(await lamps(m.id)).toEqual([false, false, false]);
    await d.jar.ok('GET', '/api/scrutineer');
    expect(await lamps(m.id)).toEqual([true, false, false]);
  });

  it('a device of scrutineers named again lights its lamp with its first request, however recently the one before asked', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3 }, 'U'), '重新指定监票人', { scrutineers: false });
    const name = async () => (await sec.ok('POST', `/api/meetings/${m.id}/scrutineers`, { t: 1, scrutineers: [{ name: '甲' }, { name: '乙' }] })).codes as { index: number; code: string }[];
    const first = new Jar(url);
    await first.ok('POST', '/api/scrutineer/checkin', { code: (await name()).find((c) => c.index === 1)!.code });
    await first.ok('GET', '/api/scrutineer');
    expect(seen(m.id, 1)).not.toBeNull();
    const again = new Jar(url);
    await again.ok('POST', '/api/scrutineer/checkin', { code: (await name()).find((c) => c.index === 1)!.code });
    expect(seen(m.id, 1)).toBeNull(); // the new naming: not seen yet
    await again.ok('GET', '/api/scrutineer');
    expect(seen(m.id, 1)).not.toBeNull();
    expect(await lamps(m.id)).toEqual([true, false]);
  });
});
