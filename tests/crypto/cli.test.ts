// The verifier command (scripts/verify.ts), run as a user would: `npx tsx scripts/verify.ts …`
// on docs/vectors/bundle.json and on tampered copies written to the temp directory. Checks the
// readable summary, the exit statuses (0 ok, 1 failed checks, 2 unusable input) and --json.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vector = join(root, 'docs/vectors/bundle.json');
const bundle = JSON.parse(readFileSync(vector, 'utf8')) as {
  ballot: { title: string };
  serverKey: string;
  tally: { valid: number };
};

type Run = { code: number | null; stdout: string; stderr: string };

/** Run the CLI with `args`; resolves with the exit status and both streams. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/verify.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let tampered: string;
let notJson: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'piaojue-cli-'));
  // The server claims one more valid ballot than there is, without being able to re-sign.
  const b = structuredClone(bundle);
  b.tally.valid += 1;
  tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify(b));
  notJson = join(dir, 'not-json.json');
  writeFileSync(notJson, '{"version": "piaojue/1",');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/verify.ts', () => {
  it('exits 0 on docs/vectors/bundle.json and prints the summary', async () => {
    const r = await cli([vector]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(bundle.ballot.title);
    expect(r.stdout).toContain('Type:     decision');
    expect(r.stdout).toContain('passes iff agree × 2 > entitled (5), otherwise fails');
    expect(r.stdout).toContain('opens only if present × 3 ≥ entitled × 2');
    expect(r.stdout).toContain('entitled 5 · present 5 · issued 5 · cast 4 · valid 3 · invalid 1');
    expect(r.stdout).toMatch(/agree 3, disagree 0, abstain 0 → passed/);
    expect(r.stdout).toMatch(/agree 1, disagree 1, abstain 1 → failed/);
    expect(r.stdout).toContain('OK: all 14 checks passed');
  });

  it('runs all 15 checks when --server-key pins the right key (upper case accepted)', async () => {
    const r = await cli([vector, '--server-key', bundle.serverKey.toUpperCase()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK: all 15 checks passed');
  });

  it('exits 1 on a tampered copy and lists every failure with its code', async () => {
    const r = await cli([tampered]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: 2 of 14 checks failed/m);
    expect(r.stdout).toMatch(/^\s+BUNDLE_SIGNATURE\s+the server signature over the bundle does not verify$/m);
    expect(r.stdout).toMatch(/^\s+TALLY_MISMATCH\s+valid is 3, bundle says 4$/m);
  });

  it('exits 1 with SERVER_KEY when another key is pinned', async () => {
    const r = await cli(['--server-key=' + '0'.repeat(64), vector]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s+SERVER_KEY\s+/m);
  });

  it('--json prints exactly one JSON object {ok, failures, tally}', async () => {
    const [good, bad] = await Promise.all([cli(['--json', vector]), cli([tampered, '--json'])]);
    expect(good.code).toBe(0);
    const g = JSON.parse(good.stdout) as Record<string, unknown>;
    expect(Object.keys(g).sort()).toEqual(['failures', 'ok', 'tally']);
    expect(g).toEqual({ ok: true, failures: [], tally: bundle.tally });
    expect(good.stdout.trim().split('\n')).toHaveLength(1);

    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.stdout) as { ok: boolean; failures: { code: string; detail: string }[]; tally: { valid: number } };
    expect(b.ok).toBe(false);
    expect(b.failures.map((f) => f.code)).toEqual(['BUNDLE_SIGNATURE', 'TALLY_MISMATCH']);
    expect(b.failures.every((f) => Object.keys(f).sort().join() === 'code,detail' && f.detail.length > 0)).toBe(true);
    expect(b.tally.valid).toBe(3); // the recomputed tally, not the claimed one
  });

  it('exits 2 with a clear message for a missing file or invalid JSON; --json still prints MALFORMED', async () => {
    const [missing, broken, brokenJson] = await Promise.all([
      cli([join(dir, 'nope.json')]),
      cli([notJson]),
      cli(['--json', notJson]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
    expect(missing.stdout).toBe('');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/not valid UTF-8 JSON/);
    expect(brokenJson.code).toBe(2);
    const j = JSON.parse(brokenJson.stdout) as { ok: boolean; failures: { code: string }[]; tally: unknown };
    expect(j).toMatchObject({ ok: false, tally: null });
    expect(j.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });

  it('--help prints the usage and exits 0; a wrong command line exits 2 with the usage', async () => {
    const [help, none, unknown, badKey] = await Promise.all([cli(['--help']), cli([]), cli(['--frobnicate', vector]), cli([vector, '--server-key', 'xyz'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run verify -- /);
    expect(help.stdout).toContain('Exit status');
    for (const r of [none, unknown, badKey]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage:');
    }
    expect(unknown.stderr).toContain('unknown option --frobnicate');
  });
});
