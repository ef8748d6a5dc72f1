/**
 * @module bench/verifier
 * Figure 4: the public verifier on the in-memory bundle (bench/bundle.ts), three ways —
 * the command anyone runs, `scripts/verify.ts FILE --json --threads 2` (its threaded
 * checker: token signatures and ballot proofs on 2 worker threads), timed from the spawn to
 * its exit, with the command's own start-up measured apart (`--help`); `verifyBundleAsync`
 * in this process with the server's crypto pool of 2 threads checking every cast and every
 * proof; and `verifyBundle` in one chromium Web Worker with progress messages, as the
 * /verify page runs it.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { backendChoice, verifyBundleAsync } from '../crypto/index.ts';
import { createCryptoPool } from '../server/crypto-pool.ts';
import { inChromium } from './browser.ts';
import { childrenCpuMs, machineBusyMs } from './cpu.ts';

const ROOT = resolve(import.meta.dirname, '..');

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/verify.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', rej);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, ms: performance.now() - t0 });
    });
  });
}

/** `npm run verify -- FILE --json --threads N`, wall time; and the command's start-up alone. */
export async function verifyWithCli(path: string, threads = 2) {
  const startup = await run(['--help'], 60_000);
  const c0 = childrenCpuMs();
  const b0 = machineBusyMs();
  const r = await run([path, '--json', '--threads', String(threads)], 300_000);
  const cpu = childrenCpuMs() - c0;
  const others = Math.max(0, machineBusyMs() - b0 - cpu) / r.ms;
  let out: { ok?: boolean; failures?: { code: string }[]; tally?: { cast: number } } = {};
  try {
    out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    throw new Error(`verify CLI printed no JSON (exit ${r.code})`);
  }
  if (r.code !== 0 || !out.ok) throw new Error(`verify CLI rejected the bench bundle (exit ${r.code}): ${JSON.stringify(out.failures ?? out).slice(0, 300)}`);
  return { ms: r.ms, startup_ms: startup.ms, cast: out.tally!.cast, cpu_ms: cpu, others_cores: others };
}

/** `verifyBundleAsync` here, every per-cast check (tokens and proofs) on the server's crypto pool of `threads`. */
export async function verifyInProcess(json: unknown, threads = 2) {
  const pool = createCryptoPool(threads);
  try {
    await pool.ready();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await verifyBundleAsync(json, pool.castChecker(true));
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!r.ok) throw new Error(`bench bundle failed verification: ${r.failures.map((f) => f.code).join(',')}`);
    return { ms, cast: r.tally!.cast, cpu_ms: (c.user + c.system) / 1000 };
  } finally {
    await pool.close();
  }
}

/** `verifyBundle` in one chromium Web Worker, with progress messages; the time excludes fetching the file. */
export async function verifyInChromium(text: string) {
  const entry = `
import { useBackend, verifyBundle } from ${JSON.stringify(resolve(import.meta.dirname, '../crypto/index.ts'))};
// As the /verify page (client/verify/verify.worker.ts) chooses its backends.
const ready = useBackend(${JSON.stringify(backendChoice(process.env.PIAOJUE_CRYPTO))}, { ristretto: 'reference' });
self.onmessage = async (e) => {
  await ready;
  const t0 = performance.now();
  let last = 0;
  const r = verifyBundle(JSON.parse(e.data), {
    onProgress: (done, total) => {
      const now = performance.now();
      if (now - last > 50 || done === total) { last = now; self.postMessage({ progress: done / total }); }
    },
  });
  self.postMessage({ done: { ok: r.ok, failures: r.failures.slice(0, 3), cast: r.tally ? r.tally.cast : 0, ms: performance.now() - t0 } });
};`;
  const r = await inChromium<{ ok: boolean; failures: unknown[]; cast: number; ms: number }>(entry, text, 300_000);
  if (!r.ok) throw new Error(`the chromium verifier rejected the bench bundle: ${JSON.stringify(r.failures)}`);
  return { ms: r.ms, cast: r.cast, progress_events: r.events, chromium: r.chromium };
}
