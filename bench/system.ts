/**
 * @module bench/system
 * The system under load: a real server (child process, its own SQLite file in WAL +
 * synchronous=FULL) on 127.0.0.1, and N simulated tablets driving it over HTTP. Client-side
 * crypto (blinding, unblinding, commitments) is precomputed outside the timed sections, so
 * the figures are the server's. Every request loop is bounded and the server is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fr, blindToken, commit, decodeG1, decodeScalar, fromHex, newSalt, toHex, type BlindingState } from '../crypto/index.ts';

const PASSWORD = 'bench-password';

export type Server = { url: string; pid: number; child: ChildProcess; dir: string };

/** Start the real server as a child process on a fresh DB; resolves with its URL. */
export async function startServerProcess(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, PIAOJUE_DB: join(dir, 'bench.db'), PORT: '0', HOST: '127.0.0.1', PIAOJUE_SECRETARY_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, pid: child.pid!, child, dir };
}

/** Peak resident set size of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(s.dir, { recursive: true, force: true });
}

/** An HTTP client with a cookie jar (the secretary, or one tablet). */
export class Http {
  private cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async call(method: string, path: string, body?: unknown, withCookie = true): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { Origin: this.base };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (withCookie && this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const sc of res.headers.getSetCookie()) {
      const kv = sc.split(';')[0]!;
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return { status: res.status, json: await res.json() };
  }
  async ok(method: string, path: string, body?: unknown, withCookie = true): Promise<any> {
    const r = await this.call(method, path, body, withCookie);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
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

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A meeting of `n` members, all checked in, on a running server. */
export async function setUpMeeting(url: string, n: number) {
  const sec = new Http(url);
  await sec.ok('POST', '/api/secretary/login', { password: PASSWORD });
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: `压力测试 ${n}` });
  const members = Array.from({ length: n }, (_, i) => ({ name: `委员${i + 1}`, kind: 'full' }));
  await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, { members });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const tablets = await pool(codes as { code: string }[], 50, async (c) => {
    const t = new Http(url);
    await t.ok('POST', '/api/checkin', { code: c.code });
    return t;
  });
  return { sec, meeting, tablets };
}

type Tok = { st: BlindingState; signature?: Uint8Array; salt: Uint8Array; commitment: Uint8Array };

/**
 * One ballot: open, issue to every tablet (all at once), cast (`spreadMs` = 0: all at the
 * same instant; otherwise uniformly over that window), close, open every commitment, finalise.
 */
export async function runBallot(m: Awaited<ReturnType<typeof setUpMeeting>>, spreadMs: number) {
  const { sec, meeting, tablets } = m;
  const n = tablets.length;
  const { ballot } = await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, {
    type: 'consultation', title: '征求意见', items: [{ nominee: '测试', post: '测试岗位' }],
  });
  const opened = await sec.ok('POST', `/api/ballots/${ballot.id}/open`);
  void opened;
  // Client side, untimed: every tablet blinds a fresh token and prepares its commitment.
  const toks: Tok[] = tablets.map(() => {
    const st = blindToken(ballot.id);
    const salt = newSalt();
    return { st, salt, commitment: commit(ballot.id, st.token, ['agree'], salt) };
  });

  const t0 = performance.now();
  const signed = await Promise.all(tablets.map((t, i) => t.ok('POST', `/api/ballots/${ballot.id}/issue`, { blinded: toHex(toks[i]!.st.blinded) })));
  const issueMs = performance.now() - t0;
  // Unblind without the device's pairing check (the bench checks the receipts instead).
  signed.forEach((s, i) => {
    const r = decodeScalar(toks[i]!.st.r);
    toks[i]!.signature = decodeG1(fromHex(s.signed, 48, 'signed')).multiply(Fr.inv(r)).toBytes(true);
  });

  const anon = new Http(m.sec.base);
  const latencies: number[] = [];
  const c0 = performance.now();
  await Promise.all(
    toks.map(async (t) => {
      if (spreadMs > 0) await new Promise((r) => setTimeout(r, Math.random() * spreadMs));
      const s = performance.now();
      const { receipt } = await anon.ok('POST', `/api/ballots/${ballot.id}/cast`, { token: toHex(t.st.token), signature: toHex(t.signature!), commitment: toHex(t.commitment) }, false);
      latencies.push(performance.now() - s);
      if (receipt.commitment !== toHex(t.commitment)) throw new Error('receipt for another commitment');
    }),
  );
  const castMs = performance.now() - c0;

  const closeAt = performance.now();
  await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
  const o0 = performance.now();
  await pool(toks, 200, (t) => anon.ok('POST', `/api/ballots/${ballot.id}/openings`, { token: toHex(t.st.token), choices: ['agree'], salt: toHex(t.salt) }, false));
  const openMs = performance.now() - o0;
  const f0 = performance.now();
  await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
  const finalizeMs = performance.now() - f0;
  const closeToPublishedMs = performance.now() - closeAt;
  const bundle = await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`, undefined, false);
  if (bundle.tally.cast !== n || bundle.tally.valid !== n) throw new Error(`lost casts: ${bundle.tally.cast}/${n} cast, ${bundle.tally.valid} valid`);
  latencies.sort((a, b) => a - b);
  return {
    n,
    issue_per_s: (n * 1000) / issueMs,
    cast_per_s: spreadMs > 0 ? NaN : (n * 1000) / castMs,
    cast_wall_ms: castMs,
    cast_p50_ms: percentile(latencies, 50),
    cast_p99_ms: percentile(latencies, 99),
    cast_max_ms: latencies[latencies.length - 1]!,
    openings_per_s: (n * 1000) / openMs,
    finalize_ms: finalizeMs,
    close_to_published_ms: closeToPublishedMs,
  };
}
