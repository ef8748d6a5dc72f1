/**
 * @module bench/soak
 * The soak (issue 12): a whole meeting of N tablets (1000 by default) over HTTPS with the
 * server's generated CA, played twice on the same server — quiet, then while an outsider runs
 * every attack at once: the event-stream flood to the caps, wrong sign-in codes from many
 * addresses and from the room's own one, uploads aborted mid-body (bench/outsider.ts) and forged
 * casts (bench/flood.ts). Each run: 100 members' codes re-issued and signed in at once (valid
 * sign-ins), every tablet's issuance and sealed cast (runBallot, spread over the window), the
 * close and the publication, with every receipt and the bundle's counts checked (nothing
 * acknowledged lost). Reported as ratios of the attacked run's p99s to the quiet run's, and the
 * server's resident memory and open file descriptors, sampled every 250 ms, in each run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { Child, runBallot, setUpMeeting, startServerProcess, stopServer, type BallotRun, type Meeting, type Server } from './system.ts';
import type { BenchPool } from './pool.ts';
import type { OutsiderReport } from './outsider.ts';

const percentile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** VmRSS (MiB) and open file descriptors of a process, sampled until stopped. */
function sampler(pid: number) {
  let rss = 0;
  let fds = 0;
  const take = () => {
    try {
      rss = Math.max(rss, Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
      fds = Math.max(fds, readdirSync(`/proc/${pid}/fd`).length);
    } catch {
      // the process is gone
    }
  };
  take();
  const t = setInterval(take, 250);
  return { stop: () => (clearInterval(t), take(), { rss_mib: rss, fds }) };
}

/** Re-issue `k` members' codes (from `first`) and sign their tablets in again, all at once: the p99 of those sign-ins. */
async function signIns(m: Meeting, first: number, k: number): Promise<{ p99_ms: number; max_ms: number; refused: number }> {
  const view = await m.sec.ok('GET', `/api/meetings/${m.meetingId}`);
  const members = (view.members as { id: string }[]).slice(first, first + k);
  const codes: string[] = [];
  for (const mem of members) codes.push((await m.sec.ok('POST', `/api/meetings/${m.meetingId}/members/${mem.id}/code`)).code);
  const lat: number[] = [];
  let refused = 0;
  await Promise.all(
    codes.map(async (code, i) => {
      const s = performance.now();
      const r = await m.tablets[first + i]!.call('POST', '/api/checkin', { code });
      if (r.status !== 200) refused++;
      else lat.push(performance.now() - s);
    }),
  );
  lat.sort((a, b) => a - b);
  if (refused) throw new Error(`${refused} of ${k} valid sign-ins were refused`);
  return { p99_ms: percentile(lat, 99), max_ms: lat.at(-1)!, refused };
}

export type SoakResult = Record<string, number | string>;

export async function runSoak(pool: BenchPool, sizes: { tablets: number; forged: number; windowMs: number }, say: (s: string) => void): Promise<SoakResult> {
  const server: Server = await startServerProcess({ tls: true });
  // Whatever happens (the bench's deadline included), the server child does not outlive the bench.
  const kill = () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  };
  process.on('exit', kill);
  let outsider: Child | null = null;
  try {
    const caPath = join(server.dir, 'tls', 'ca.pem');
    const ca = readFileSync(caPath, 'utf8');
    // This process's fetch and every child's (devices, flood) trust the CA, as the tablets do once.
    setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ca] } }));
    process.env.NODE_EXTRA_CA_CERTS = caPath;
    if (!server.url.startsWith('https://')) throw new Error(`the soak server is not HTTPS: ${server.url}`);
    const m = await setUpMeeting(server.url, server.pid, sizes.tablets);
    const k = Math.min(100, Math.floor(sizes.tablets / 2));
    const mode = { kind: 'spread' as const, windowMs: sizes.windowMs };

    say(`  quiet: ${k} sign-ins, then a ballot of ${sizes.tablets} tablets over ${sizes.windowMs / 1000} s`);
    let probe = sampler(server.pid);
    const quietSign = await signIns(m, 0, k);
    const quiet: BallotRun = await runBallot(m, pool, mode, '征求意见（安静）');
    const quietRes = probe.stop();

    say(`  attacked: the same while the outsider floods event streams, sends wrong codes and aborted uploads, and ${sizes.forged} forged casts`);
    outsider = Child.spawn('outsider.ts');
    await outsider.ready;
    let armed!: () => void;
    const isArmed = new Promise<void>((r) => (armed = r));
    const reported = new Promise<OutsiderReport>((resolve, reject) => {
      outsider!.onMessage = (msg) => {
        if (msg.armed) armed();
        if (msg.report) resolve(msg.report as OutsiderReport);
        if (msg.error) reject(new Error(msg.error));
      };
    });
    outsider.proc.send({ job: { url: server.url, meetingId: m.meetingId, ca, seconds: 600, streams: 600, codesPerS: 100, abortsPerS: 20 } });
    await isArmed;
    outsider.proc.send({ go: true });
    await new Promise((r) => setTimeout(r, 5000)); // the flood reaches the caps first
    probe = sampler(server.pid);
    const attackedSign = await signIns(m, k, k);
    const attacked: BallotRun = await runBallot(m, pool, { ...mode, flood: { count: sizes.forged } }, '征求意见（攻击下）');
    const attackedRes = probe.stop();
    outsider.proc.send({ stop: true });
    const report = await reported;

    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      soak_tablets: sizes.tablets,
      soak_signins_each: k,
      soak_quiet_signin_p99_ms: quietSign.p99_ms,
      soak_attacked_signin_p99_ms: attackedSign.p99_ms,
      soak_signin_p99_ratio: ratio(attackedSign.p99_ms, quietSign.p99_ms),
      soak_quiet_issue_p99_ms: quiet.issue_p99_ms,
      soak_attacked_issue_p99_ms: attacked.issue_p99_ms,
      soak_issue_p99_ratio: ratio(attacked.issue_p99_ms, quiet.issue_p99_ms),
      soak_quiet_cast_p99_ms: quiet.cast_p99_ms,
      soak_attacked_cast_p99_ms: attacked.cast_p99_ms,
      soak_cast_p99_ratio: ratio(attacked.cast_p99_ms, quiet.cast_p99_ms),
      soak_quiet_close_to_published_ms: quiet.close_to_published_ms,
      soak_attacked_close_to_published_ms: attacked.close_to_published_ms,
      soak_quiet_rss_max_mib: quietRes.rss_mib,
      soak_attacked_rss_max_mib: attackedRes.rss_mib,
      soak_rss_ratio: ratio(attackedRes.rss_mib, quietRes.rss_mib),
      soak_quiet_fds_max: quietRes.fds,
      soak_attacked_fds_max: attackedRes.fds,
      soak_busy_retries: attacked.cast_busy_retries,
      soak_net_retries: attacked.net_retries,
      soak_outsider_streams_open_max: report.streams_open_max,
      soak_outsider_streams_refused: JSON.stringify(report.streams_refused),
      soak_outsider_codes: JSON.stringify(report.codes),
      soak_outsider_aborts_sent: report.aborts_sent,
      soak_outsider_errors: JSON.stringify(report.errors),
      soak_forged_statuses: JSON.stringify(attacked.flood?.statuses ?? {}),
      // runBallot threw had any receipt or the bundle's count been wrong: both runs lost nothing.
      soak_casts_lost: 0,
    };
  } finally {
    await outsider?.kill();
    await stopServer(server);
    process.off('exit', kill);
  }
}
