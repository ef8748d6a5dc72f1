/**
 * @module bench/system
 * The system under load (figures 2, 3, 5, 6): the real server as a child process on
 * 127.0.0.1 (its own SQLite file in WAL + synchronous=FULL, its default pool of one crypto
 * thread per core), three scrutineer devices (t = 2) each in its own child process
 * (bench/device.ts, the reference `SimulatedScrutineer`), and N tablets simulated in this
 * process speaking the piaojue/2 API: check-in, the long-polled issue request, the sealed
 * cast with its MAC. The tablets' crypto (blinding, combining partials, sealing with the
 * voter engine) runs on the bench's worker threads between the timed phases, so what is
 * timed is the server and the devices. Forged casts come from another child process
 * (bench/flood.ts). Every request loop is bounded; everything is stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ballotKeys, ballotShape, toHex, type BallotKeys, type Bundle, type CeremonyRecord, type PreparedCast } from '../crypto/index.ts';
import { Jar } from '../server/simulate.ts';
import { cpuPhase, type CpuPhase } from './cpu.ts';
import type { BenchPool } from './pool.ts';
import type { FloodReport } from './flood.ts';
import type { TabletIssued } from './work.ts';

const PASSWORD = 'bench-password';
const HERE = import.meta.dirname;
const ROOT = join(HERE, '..');
const OPTIONS = ['agree', 'disagree', 'abstain'] as const;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Server = { url: string; pid: number; child: ChildProcess; dir: string };

/**
 * Start the real server (`node --import tsx server/main.ts`) on a fresh DB; `profileDir` adds
 * `--cpu-prof`. Figures 2–6 run in lab mode (PIAOJUE_HTTP=1, plain HTTP, as all their earlier
 * runs); with `tls` the server makes its CA as `npm start` does and the URL is HTTPS (the soak).
 */
export async function startServerProcess(opts: { profileDir?: string; tls?: boolean; env?: Record<string, string> } = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-bench-'));
  const prof = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, PIAOJUE_DB: join(dir, 'bench.db'), PORT: '0', HOST: '127.0.0.1', PIAOJUE_SECRETARY_PASSWORD: PASSWORD,
      ...(opts.tls ? { PIAOJUE_REDIRECT_PORT: 'off' } : { PIAOJUE_HTTP: '1' }), ...(opts.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  child.stdout!.resume();
  return { url, pid: child.pid!, child, dir };
}

/** Peak resident set size of a process (VmHWM: the main thread and its workers), in MiB. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode === null) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
  rmSync(s.dir, { recursive: true, force: true });
}

/** A bench child process (tsx) with a request/reply channel over IPC. */
export class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;
  onMessage: ((m: any) => void) | null = null;
  constructor(readonly proc: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      proc.on('message', (m: any) => {
        if (m?.ready) return resolve();
        if (typeof m?.id === 'number' && this.waiting.has(m.id)) {
          const w = this.waiting.get(m.id)!;
          this.waiting.delete(m.id);
          if (m.error !== undefined) w.reject(new Error(m.error));
          else w.resolve(m.result);
          return;
        }
        this.onMessage?.(m);
      });
      proc.once('exit', (code) => {
        reject(new Error(`child exited with ${code}`));
        for (const [, w] of this.waiting) w.reject(new Error(`child exited with ${code}`));
        this.waiting.clear();
      });
    });
    this.ready.catch(() => undefined);
  }
  static spawn(script: string, args: string[] = []): Child {
    return new Child(spawn(process.execPath, ['--import', 'tsx', join(HERE, script), ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  call<T = unknown>(cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`child: ${cmd} timed out`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      this.proc.send({ id, cmd, ...extra });
    });
  }
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    try {
      this.proc.send({ id: 0, cmd: 'exit' });
    } catch {
      // channel already closed
    }
    await Promise.race([exited, sleep(3000)]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** fetch's error for a refused or reset connection (not an HTTP status). */
function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError && /fetch failed/.test(e.message);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** Run `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export type Meeting = {
  url: string;
  serverPid: number;
  sec: Jar;
  meetingId: string;
  tablets: Jar[];
  devices: Child[];
  setup: { codes_ms: number; ceremony_ms: number; checkin_ms: number };
};

/** Run every device's step until none sends anything (server/simulate.ts `settle`, across processes). */
async function settle(devices: readonly Child[], rounds = 20): Promise<number> {
  for (let i = 0; i < rounds; i++) {
    const sent = await Promise.all(devices.map((d) => d.call<boolean>('step')));
    if (!sent.some(Boolean)) return i;
  }
  throw new Error(`the devices did not settle within ${rounds} rounds`);
}

/** A meeting of `n` members (all checked in) with 3 scrutineer devices, t = 2, and a finished key ceremony. */
export async function setUpMeeting(url: string, serverPid: number, n: number): Promise<Meeting> {
  const sec = new Jar(url);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: `压力测试 ${n}` });
  const members = Array.from({ length: n }, (_, i) => ({ name: `委员${i + 1}`, kind: 'full' }));
  await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  let t0 = performance.now();
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const codes_ms = performance.now() - t0;

  t0 = performance.now();
  const named = await sec.ok('POST', `/api/meetings/${meeting.id}/scrutineers`, { t: 2, scrutineers: [1, 2, 3].map((i) => ({ name: `监票人${i}` })) });
  const devices = (named.codes as { code: string }[]).map((c) => Child.spawn('device.ts', [url, c.code]));
  await Promise.all(devices.map((d) => d.ready));
  for (const d of devices) await d.call('signIn');
  await settle(devices);
  const view = await sec.ok('GET', `/api/meetings/${meeting.id}`);
  if (view.scrutiny?.ceremony?.status !== 'ready') throw new Error(`key ceremony not ready: ${JSON.stringify(view.scrutiny?.ceremony)}`);
  const ceremony_ms = performance.now() - t0;

  t0 = performance.now();
  const tablets = await pool(codes as { code: string }[], 50, async (c) => {
    const t = new Jar(url);
    await t.ok('POST', '/api/checkin', { code: c.code });
    return t;
  });
  const checkin_ms = performance.now() - t0;
  return { url, serverPid, sec, meetingId: meeting.id, tablets, devices, setup: { codes_ms, ceremony_ms, checkin_ms } };
}

/** How the valid casts are sent: all at once, or each at a uniformly random instant of a window (optionally under a flood). */
export type CastMode = { kind: 'burst' } | { kind: 'spread'; windowMs: number; flood?: { count: number } };

export type BallotRun = {
  n: number;
  issue_per_s: number;
  issue_wall_ms: number;
  issue_p50_ms: number;
  issue_max_ms: number;
  issue_p99_ms: number;
  issue_attempts_max: number;
  prepare_ms: number;
  cast_wall_ms: number;
  cast_per_s: number;
  cast_p50_ms: number;
  cast_p99_ms: number;
  cast_max_ms: number;
  cast_busy_retries: number;
  /** Requests sent again after a reset or refused connection (issue and cast). */
  net_retries: number;
  issue_net_retries: number;
  cast_net_retries: number;
  /** The `cause.code` of those failures (e.g. ECONNRESET). */
  net_retry_causes: string;
  close_ms: number;
  /** From the close to the t-th (2nd) device's decryption share accepted, and to the last one. */
  shares_ms: number;
  all_shares_ms: number;
  close_to_published_ms: number;
  flood?: FloodReport;
  /** The same forged casts again, alone over 2 s after the valid ones: the server's CPU per forged cast. */
  forged_only?: { server_cpu_ms_each: number; flood_cpu_ms: number; others_cores: number; report: FloodReport };
  /** CPU time of the server, the devices, the bench (tablets) and the flood, and the others' cores, per timed phase. */
  cpu: { issue: CpuPhase; cast: CpuPhase; close: CpuPhase };
};

/** Prepare a flood child for one run (the template is a real cast, so the forged ones have its size and form). */
async function armFlood(url: string, ballotId: string, template: PreparedCast['body'], count: number, windowMs: number) {
  const child = Child.spawn('flood.ts');
  await child.ready;
  let armed!: () => void;
  const isArmed = new Promise<void>((r) => (armed = r));
  const reported = new Promise<FloodReport>((resolve, reject) => {
    child.onMessage = (m) => {
      if (m.armed) armed();
      if (m.report) resolve(m.report as FloodReport);
      if (m.error) reject(new Error(m.error));
    };
    child.proc.once('exit', (code) => reject(new Error(`flood exited with ${code}`)));
  });
  reported.catch(() => undefined);
  child.proc.send({ job: { url, path: `/api/anon/ballots/${ballotId}/cast`, template, count, windowMs } });
  await Promise.race([isArmed, reported]);
  return { go: () => child.proc.send({ go: true }), reported, child };
}

/**
 * One ballot of 3 items: create, the devices confirm the attendance, open; every tablet asks
 * for its token at once while the devices serve (timed: issue_per_s); the tablets' crypto
 * (untimed); the casts (timed, by `mode`); close, the devices decrypt, and the server
 * publishes (timed: close_to_published_ms). Checks every receipt and the bundle's counts.
 */
export async function runBallot(m: Meeting, pool: BenchPool, mode: CastMode, title: string): Promise<BallotRun> {
  const { sec, tablets, devices, url } = m;
  const n = tablets.length;
  const { ballot } = await sec.ok('POST', `/api/meetings/${m.meetingId}/ballots`, {
    type: 'consultation', title, items: [1, 2, 3].map((i) => ({ nominee: `候选人${i}`, post: `职务${i}` })),
  });
  const bid = ballot.id as string;
  await Promise.all(devices.map((d) => d.call('confirm', { ballotId: bid })));
  await sec.ok('POST', `/api/ballots/${bid}/open`);
  const view = await tablets[0]!.ok('GET', '/api/tablet');
  const b = view.ballots.find((x: { id: string }) => x.id === bid);
  const keys: BallotKeys = ballotKeys(view.ceremony as CeremonyRecord, { publicKey: b.publicKey, electionKey: b.electionKey });
  const shape = ballotShape(b);

  // Untimed: every tablet blinds a fresh token.
  const blinded = await pool.map<number, TabletIssued['st']>('blind', tablets.map((_, i) => i), { ballotId: bid });

  // Timed: all tablets ask at once; each long-polls until t partials are in (≤ 30 asks, as SimulatedTablet.token).
  const pids = { server: m.serverPid, bench: process.pid, ...Object.fromEntries(devices.map((d, k) => [`device${k + 1}`, d.proc.pid!])) };
  await Promise.all(devices.map((d) => d.call('serve')));
  const issueCpu = cpuPhase(pids);
  const issueLat: number[] = [];
  let attemptsMax = 0;
  const netRetries = { issue: 0, cast: 0, causes: new Set<string>() };
  const cause = (e: unknown) => netRetries.causes.add(String((e as { cause?: { code?: string } }).cause?.code ?? 'unknown'));
  const i0 = performance.now();
  const issued = await Promise.all(
    tablets.map(async (t, i) => {
      const s = performance.now();
      for (let attempt = 1; attempt <= 30; attempt++) {
        let r: { status: string; partials?: unknown; castKey?: string };
        try {
          r = await t.ok('POST', `/api/ballots/${bid}/issue`, { blinded: toHex(blinded[i]!.blinded) });
        } catch (e) {
          // A connection the server reset (a tablet asks again, with the same blinded point).
          if (!isNetworkError(e)) throw e;
          netRetries.issue++;
          cause(e);
          await sleep(100);
          continue;
        }
        if (r.status === 'signed') {
          issueLat.push(performance.now() - s);
          attemptsMax = Math.max(attemptsMax, attempt);
          return { partials: r.partials as TabletIssued['partials'], castKey: r.castKey as string };
        }
      }
      throw new Error(`tablet ${i}: no token after 30 asks`);
    }),
  );
  const issueMs = performance.now() - i0;
  const issueFig = issueCpu.stop();
  await Promise.all(devices.map((d) => d.call('stop')));
  issueLat.sort((a, b) => a - b);

  // Untimed: combine and unblind, seal and MAC (crypto/voter.ts prepareCast), on the worker threads.
  const p0 = performance.now();
  const items: TabletIssued[] = issued.map((x, i) => ({ st: blinded[i]!, partials: x.partials, castKey: x.castKey, selections: [0, 1, 2].map((k) => OPTIONS.map((_, o) => (o === (i + k) % 3 ? 1 : 0))) }));
  const prepared = await pool.map<TabletIssued, PreparedCast>('casts', items, { ballotId: bid, keys, shape, checkSigma: false });
  const prepareMs = performance.now() - p0;

  // Timed: the casts.
  const flood = mode.kind === 'spread' && mode.flood ? await armFlood(url, bid, prepared[0]!.body, mode.flood.count, mode.windowMs) : null;
  const anon = new Jar(url, false);
  const castLat: number[] = [];
  const receipts: unknown[] = new Array(n);
  let busy = 0;
  const castCpu = cpuPhase(flood ? { ...pids, flood: flood.child.proc.pid! } : pids);
  const c0 = performance.now();
  flood?.go();
  await Promise.all(
    prepared.map(async (p, i) => {
      if (mode.kind === 'spread') await sleep(Math.random() * mode.windowMs);
      const s = performance.now();
      for (let attempt = 0; ; attempt++) {
        let r: Awaited<ReturnType<Jar['call']>>;
        try {
          r = await anon.call('POST', `/api/anon/ballots/${bid}/cast`, p.body);
        } catch (e) {
          // The same cast again gets the same receipt (docs/api.md).
          if (!isNetworkError(e) || attempt >= 50) throw e;
          netRetries.cast++;
          cause(e);
          await sleep(100);
          continue;
        }
        if (r.status === 503 && attempt < 50) {
          busy++;
          await sleep(200);
          continue;
        }
        if (r.status !== 200) throw new Error(`cast ${i} → ${r.status} ${JSON.stringify(r.json)}`);
        castLat.push(performance.now() - s);
        receipts[i] = r.json.receipt;
        return;
      }
    }),
  );
  const castMs = performance.now() - c0;
  const floodReport = flood ? await flood.reported : undefined;
  const castFig = castCpu.stop();
  await flood?.child.kill();
  castLat.sort((a, b) => a - b);
  const bad = await pool.map<{ receipt: unknown; expect: PreparedCast['expect'] }, number>('receipts', prepared.map((p, i) => ({ receipt: receipts[i], expect: p.expect })));
  if (bad.length) throw new Error(`${bad.length} receipts do not match their casts`);

  // What a forged cast costs the server by itself: the same number again, alone, over 2 s.
  let forgedOnly: BallotRun['forged_only'];
  if (mode.kind === 'spread' && mode.flood) {
    const again = await armFlood(url, bid, prepared[0]!.body, mode.flood.count, 2000);
    const cpu = cpuPhase({ server: m.serverPid, flood: again.child.proc.pid! });
    again.go();
    const report = await again.reported;
    const c = cpu.stop();
    await again.child.kill();
    forgedOnly = { server_cpu_ms_each: c.cpu_ms.server! / mode.flood.count, flood_cpu_ms: c.cpu_ms.flood!, others_cores: c.others_cores, report };
  }

  // Timed: close → the devices' decryption shares → the bundle served.
  const closeCpu = cpuPhase(pids);
  const k0 = performance.now();
  await sec.ok('POST', `/api/ballots/${bid}/close`);
  const closeMs = performance.now() - k0;
  // Each device decrypts once (one step each, as settle's first round); the t-th answer is what publishes.
  const answered = (await Promise.all(devices.map((d) => d.call<boolean>('step').then(() => performance.now() - k0)))).sort((a, b) => a - b);
  await settle(devices);
  const sharesMs = answered[1]!;
  const allSharesMs = answered[2]!;
  let bundle: Bundle | null = null;
  for (let i = 0; i < 3000 && !bundle; i++) {
    const r = await sec.call('GET', `/api/ballots/${bid}/bundle`);
    if (r.status === 200) bundle = r.json as Bundle;
    else await sleep(10);
  }
  const publishedMs = performance.now() - k0;
  const closeFig = closeCpu.stop();
  if (!bundle) throw new Error(`ballot ${bid} was not published within 30 s of the last decryption share`);
  if (bundle.tally.cast !== n || bundle.tally.valid !== n) throw new Error(`lost casts: ${bundle.tally.cast}/${n} cast, ${bundle.tally.valid} valid`);

  return {
    n,
    issue_per_s: (n * 1000) / issueMs,
    issue_wall_ms: issueMs,
    issue_p50_ms: percentile(issueLat, 50),
    issue_max_ms: issueLat.at(-1)!,
    issue_p99_ms: percentile(issueLat, 99),
    issue_attempts_max: attemptsMax,
    prepare_ms: prepareMs,
    cast_wall_ms: castMs,
    cast_per_s: (n * 1000) / castMs,
    cast_p50_ms: percentile(castLat, 50),
    cast_p99_ms: percentile(castLat, 99),
    cast_max_ms: castLat.at(-1)!,
    cast_busy_retries: busy,
    net_retries: netRetries.issue + netRetries.cast,
    issue_net_retries: netRetries.issue,
    cast_net_retries: netRetries.cast,
    net_retry_causes: [...netRetries.causes].join(' '),
    close_ms: closeMs,
    shares_ms: sharesMs,
    all_shares_ms: allSharesMs,
    close_to_published_ms: publishedMs,
    ...(floodReport ? { flood: floodReport } : {}),
    ...(forgedOnly ? { forged_only: forgedOnly } : {}),
    cpu: { issue: issueFig, cast: castFig, close: closeFig },
  };
}

export async function endMeeting(m: Meeting): Promise<void> {
  await Promise.all(m.devices.map((d) => d.kill()));
}
