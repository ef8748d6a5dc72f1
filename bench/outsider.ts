/**
 * @module bench/outsider
 * The soak's outsider on the room's Wi-Fi (bench/soak.ts), in its own process: once told `go`
 * it runs, at once and until `stop` (or its own deadline), an event-stream flood to the caps
 * (connections from 64 loopback addresses, each held open and opened again when refused or
 * dropped), wrong sign-in codes from many addresses and from the room's own address, and
 * uploads aborted mid-body; the forged casts come from bench/flood.ts. Only to
 * https://127.0.0.1:PORT, from source addresses in 127.0.0.0/8; every loop is bounded in rate,
 * count and time; it exits by itself at its deadline. It trusts the server's CA like a tablet
 * (the `ca` it is given); an outsider gains nothing by not checking.
 */
import { request, type Agent } from 'node:https';
import { randomBytes } from 'node:crypto';

export type OutsiderJob = { url: string; meetingId: string; ca: string; seconds: number; streams: number; codesPerS: number; abortsPerS: number };
export type OutsiderReport = {
  streams_open_max: number;
  streams_refused: Record<string, number>;
  streams_opened: number;
  codes_sent: number;
  codes: Record<string, number>;
  aborts_sent: number;
  errors: Record<string, number>;
};

const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const code = () => [...randomBytes(10)].map((b, i) => (i === 5 ? '-' : '') + ALPHABET[b & 31]).join('');
const bump = (o: Record<string, number>, k: string) => void (o[k] = (o[k] ?? 0) + 1);

let stopAt = Infinity;
let stopped = false;

async function run(j: OutsiderJob): Promise<OutsiderReport> {
  const u = new URL(j.url);
  const base = { host: '127.0.0.1', port: Number(u.port), ca: j.ca, agent: false as unknown as Agent, servername: undefined };
  const report: OutsiderReport = { streams_open_max: 0, streams_refused: {}, streams_opened: 0, codes_sent: 0, codes: {}, aborts_sent: 0, errors: {} };
  let open = 0;
  const alive = () => !stopped && Date.now() < stopAt;
  const timers: ReturnType<typeof setTimeout>[] = [];

  // The event-stream flood: `streams` slots, each from one of 64 addresses, kept open.
  const slot = (i: number) => {
    if (!alive()) return;
    const req = request({ ...base, path: `/api/meetings/${j.meetingId}/events`, localAddress: `127.0.1.${(i % 64) + 1}` }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => void 0);
        bump(report.streams_refused, String(res.statusCode));
        timers.push(setTimeout(() => slot(i), 3000));
        return;
      }
      open++;
      report.streams_opened++;
      report.streams_open_max = Math.max(report.streams_open_max, open);
      res.resume();
      res.on('close', () => {
        open--;
        timers.push(setTimeout(() => slot(i), 3000));
      });
    });
    req.on('error', (e) => {
      bump(report.errors, `stream ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      timers.push(setTimeout(() => slot(i), 3000));
    });
    req.end();
  };
  for (let i = 0; i < j.streams; i++) setTimeout(() => slot(i), (i * 5) % 1000);

  // Wrong codes: a quarter from the room's own address (127.0.0.1), the rest from 200 others.
  let n = 0;
  const codes = setInterval(() => {
    if (!alive()) return;
    for (let k = 0; k < j.codesPerS / 10; k++) {
      const body = JSON.stringify({ code: code() });
      const from = n++ % 4 === 0 ? '127.0.0.1' : `127.0.2.${(n % 200) + 1}`;
      report.codes_sent++;
      const req = request({ ...base, method: 'POST', path: '/api/checkin', localAddress: from, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => bump(report.codes, `${res.statusCode} ${/"error":"([A-Z_]+)"/.exec(text)?.[1] ?? ''}`.trim()));
      });
      req.on('error', (e) => bump(report.errors, `code ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      req.end(body);
    }
  }, 100);

  // Aborted uploads: a cast body announced at 5 KB, 100 bytes sent, the connection dropped.
  const aborts = setInterval(() => {
    if (!alive()) return;
    for (let k = 0; k < j.abortsPerS / 10; k++) {
      report.aborts_sent++;
      const req = request({ ...base, method: 'POST', path: '/api/checkin', localAddress: `127.0.3.${(k % 50) + 1}`, headers: { 'Content-Type': 'application/json', 'Content-Length': 5000 } });
      req.on('error', () => undefined);
      req.write('{"code":"' + 'A'.repeat(90));
      setTimeout(() => req.destroy(), 30);
    }
  }, 100);

  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      if (!alive()) {
        clearInterval(tick);
        done();
      }
    }, 100);
  });
  clearInterval(codes);
  clearInterval(aborts);
  for (const t of timers) clearTimeout(t);
  // Let the last answers arrive.
  await new Promise((r) => setTimeout(r, 1000));
  return report;
}

let job: OutsiderJob | null = null;
process.on('message', (m: { job?: OutsiderJob; go?: true; stop?: true; cmd?: string }) => {
  if (m.cmd === 'exit') process.exit(0);
  if (m.job) {
    if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(m.job.url)) {
      process.send!({ error: 'the outsider goes only to https://127.0.0.1:PORT' });
      return;
    }
    job = m.job;
    process.send!({ armed: true });
  } else if (m.go && job) {
    stopAt = Date.now() + job.seconds * 1000;
    setTimeout(() => process.exit(3), job.seconds * 1000 + 30_000).unref();
    void run(job).then((report) => process.send!({ report }));
  } else if (m.stop) {
    stopped = true;
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
