/**
 * @module bench/flood
 * Figure 3's attacker, in its own process so that its CPU does not stall the bench's clock:
 * `count` forged casts (armed by a `job` message, sent on `go`) — the size and form of a real cast (a real sealed ballot and σ), with a
 * fresh random token, commitment and MAC each — sent at uniformly random instants over
 * `windowMs` once the parent says go. Only to a 127.0.0.1 URL (HTTPS trusted through NODE_EXTRA_CA_CERTS); every request has a 15 s
 * timeout; the process gives up and exits on its own after the window plus 30 s.
 */
import { randomBytes } from 'node:crypto';

export type FloodJob = { url: string; path: string; template: Record<string, string>; count: number; windowMs: number };
export type FloodReport = { sent: number; statuses: Record<string, number>; p50_ms: number; p99_ms: number; max_ms: number; elapsed_ms: number };

let job: FloodJob | null = null;

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function go(j: FloodJob): Promise<FloodReport> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const origin = new URL(j.url).origin;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: j.count }, async () => {
      await new Promise((r) => setTimeout(r, Math.random() * j.windowMs));
      const body = JSON.stringify({
        ...j.template,
        token: randomBytes(32).toString('hex'), commitment: randomBytes(32).toString('hex'), mac: randomBytes(32).toString('hex'),
      });
      const s = performance.now();
      let key: string;
      try {
        const res = await fetch(j.url + j.path, {
          method: 'POST', headers: { Origin: origin, 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(15_000),
        });
        const json = (await res.json().catch(() => ({}))) as { error?: string };
        key = `${res.status} ${json.error ?? ''}`.trim();
      } catch (e) {
        key = `error ${(e as Error).name}`;
      }
      latencies.push(performance.now() - s);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }),
  );
  latencies.sort((a, b) => a - b);
  return { sent: j.count, statuses, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), max_ms: latencies.at(-1) ?? NaN, elapsed_ms: performance.now() - t0 };
}

process.on('message', (m: { job?: FloodJob; go?: true; cmd?: string }) => {
  if (m.cmd === 'exit') process.exit(0);
  if (m.job) {
    if (!/^https?:\/\/127\.0\.0\.1:\d+$/.test(m.job.url)) {
      process.send!({ error: 'the flood goes only to http(s)://127.0.0.1:PORT' });
      return;
    }
    job = m.job;
    setTimeout(() => process.exit(3), job.windowMs + 30_000).unref();
    process.send!({ armed: true });
  } else if (m.go && job) {
    void go(job).then((report) => process.send!({ report }));
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
