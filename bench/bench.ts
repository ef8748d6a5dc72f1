/**
 * `npm run bench [-- --json] [-- --quick]`: every figure of docs/performance.md, measured
 * in one run on this machine. Baselines first (single thread), then the real server over
 * HTTP on 127.0.0.1 with 50, 500 and 1000 simulated tablets, then the verifier on a
 * 10,000-ballot bundle in Node and in headless chromium. Stops by itself; with --json the
 * last stdout line is one JSON object. `--quick` uses smaller sizes (a smoke run).
 */
import { cpus, totalmem } from 'node:os';
import { privacypassBaseline } from './privacypass.ts';
import { cryptoBaselines, sqliteBaselines } from './baselines.ts';
import { peakRssMiB, runBallot, setUpMeeting, startServerProcess, stopServer } from './system.ts';
import { largeBundle, verifyInBrowser, verifyInNode } from './verifier.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const say = (s: string) => (json ? process.stderr.write(s + '\n') : console.log(s));
const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x);
const deadline = setTimeout(() => {
  console.error('bench: over 10 minutes, stopping');
  process.exit(1);
}, 10 * 60_000);
deadline.unref();

const figures: Record<string, number | string> = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
};
const put = (o: Record<string, number>) => {
  for (const [k, v] of Object.entries(o)) figures[k] = round(v);
  say(Object.entries(o).map(([k, v]) => `  ${k} = ${round(v)}`).join('\n'));
};

say('baselines (single thread)');
put(cryptoBaselines());
put(sqliteBaselines());
put(await privacypassBaseline(quick ? 3 : 10));

say('system: real server over HTTP');
const server = await startServerProcess();
try {
  for (const n of quick ? [50] : [50, 500, 1000]) {
    const meeting = await setUpMeeting(server.url, n);
    const burst = await runBallot(meeting, 0);
    say(`  ${n} tablets, all casting at the same instant`);
    put({
      [`issue_per_s_${n}`]: burst.issue_per_s,
      [`cast_per_s_${n}`]: burst.cast_per_s,
      [`cast_p50_ms_${n}`]: burst.cast_p50_ms,
      [`cast_p99_ms_${n}`]: burst.cast_p99_ms,
      [`cast_max_ms_${n}`]: burst.cast_max_ms,
      [`openings_per_s_${n}`]: burst.openings_per_s,
      [`close_to_published_ms_${n}`]: burst.close_to_published_ms,
    });
    if (n === (quick ? 50 : 1000)) {
      const spread = await runBallot(meeting, 10_000);
      say(`  ${n} tablets, casts spread over a 10 s window`);
      put({ [`cast_spread_p50_ms_${n}`]: spread.cast_p50_ms, [`cast_spread_p99_ms_${n}`]: spread.cast_p99_ms, [`cast_spread_max_ms_${n}`]: spread.cast_max_ms });
      figures.issue_per_s = figures[`issue_per_s_${n}`]!;
      figures.cast_per_s = figures[`cast_per_s_${n}`]!;
      figures.cast_p50_ms = figures[`cast_spread_p50_ms_${n}`]!;
      figures.cast_p99_ms = figures[`cast_spread_p99_ms_${n}`]!;
    }
  }
  put({ server_peak_rss_mib: peakRssMiB(server.pid) });
} finally {
  await stopServer(server);
}

const size = quick ? 1000 : 10_000;
say(`verifier: ${size}-ballot bundle`);
const bundle = await largeBundle(size);
const node = await verifyInNode(bundle.json);
put({ verify_node_ms: node.ms, verify_per_s: (size * 1000) / node.ms });
const browser = await verifyInBrowser(bundle.path);
put({ verify_browser_ms: browser.ms, verify_browser_per_s: (size * 1000) / browser.ms, verify_browser_progress_events: browser.progressEvents });

const f = figures as Record<string, number>;
const targets = {
  cast_vs_pairing: f.cast_per_s! / f.pairing_verify_per_s!,
  issue_vs_g1_mul: f.issue_per_s! / f.g1_mul_per_s!,
  verify_vs_pairing: f.verify_per_s! / f.pairing_verify_per_s!,
};
say('ratios (targets: cast ≥ 3×, issue ≥ 1×, verify ≥ 3×)');
put(targets);
if (json) console.log(JSON.stringify(figures));
process.exit(0);
