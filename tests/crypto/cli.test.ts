// The verifier command (scripts/verify.ts), run as a user would: `npx tsx scripts/verify.ts …` on
// a piaojue/2 bundle of an in-memory ballot (tests/helpers/election.ts) and on tampered copies
// written to the temp directory. Checks the readable summary, the exit statuses (0 ok, 1 failed
// checks, 2 unusable input), --json, and the strict JSON text of protocol §7.5 (no byte-order
// mark, no duplicate member names). Once the token tags are the final piaojue/2 ones (after v1 is
// deleted) it also verifies docs/vectors/bundle.json as is.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS, ceremonyFingerprint, fromHex, serverKeyFingerprint, verifyBundle, type Bundle } from '../../crypto/index.ts';
import { runElection } from '../helpers/election.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

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
let bundle: Bundle;
let good: string;
let tampered: string;
let notJson: string;
let bom: string;
let duplicate: string;
let float: string;
/** Checks run without and with a pinned server key (SERVER_KEY runs only when a key is pinned). */
// Every check but ROUND, which runs only with --previous (the previous round's bundle).
const ALL = CHECKS.length - 1;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'piaojue-cli-'));
  bundle = runElection().bundle;
  const text = JSON.stringify(bundle);
  good = join(dir, 'bundle.json');
  writeFileSync(good, text);
  // The server claims one more valid ballot than there is, without being able to re-sign.
  const b = structuredClone(bundle) as { tally: { valid: number } };
  b.tally.valid += 1;
  tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify(b));
  notJson = join(dir, 'not-json.json');
  writeFileSync(notJson, '{"version": "piaojue/2",');
  bom = join(dir, 'bom.json');
  writeFileSync(bom, '\ufeff' + text);
  // The same bundle with a second "serverKey" member in front: JSON.parse would keep the last one.
  duplicate = join(dir, 'duplicate.json');
  writeFileSync(duplicate, `{"serverKey":"${'00'.repeat(32)}",` + text.slice(1));
  float = join(dir, 'float.json');
  writeFileSync(float, text.replace(`"cast":${bundle.tally.cast}`, `"cast":${bundle.tally.cast}.0`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/verify.ts', () => {
  it('exits 0 on a piaojue/2 bundle and prints the summary', async () => {
    const r = await cli([good]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(bundle.ballot.title);
    expect(r.stdout).toContain('Type:     decision');
    expect(r.stdout).toContain('passes iff agree × 2 > entitled (5), otherwise fails');
    expect(r.stdout).toContain('opens only if present × 3 ≥ entitled × 2');
    const fp = ceremonyFingerprint(fromHex(verifyBundle(bundle).transcript!, 32, 'transcript'));
    expect(r.stdout).toContain(`Scrutiny: 3 scrutineers, any 2 decrypt; fingerprint ${fp}`);
    expect(r.stdout).toContain('entitled 5 · present 5 · issued 5 · cast 3 · valid 3 · invalid 0');
    expect(r.stdout).toMatch(/agree 2, disagree 1, abstain 0 \(entitled \d+\) → failed/);
    expect(r.stdout).toMatch(/agree 1, disagree 1, abstain 1 \(entitled \d+\) → failed/);
    expect(r.stdout).toContain(`OK: all ${ALL - 1} checks passed`);
  });

  it(`runs all ${ALL} checks when --server-key pins the right key (upper case accepted)`, async () => {
    const r = await cli([good, '--server-key', bundle.serverKey.toUpperCase()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`OK: all ${ALL} checks passed`);
  });

  it('exits 1 on a tampered copy and lists every failure with its code', async () => {
    const r = await cli([tampered]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAILED: 2 of ${ALL - 1} checks failed`, 'm'));
    expect(r.stdout).toMatch(/^\s+BUNDLE_SIGNATURE\s+the server signature over the bundle does not verify$/m);
    expect(r.stdout).toMatch(/^\s+TALLY_MISMATCH\s+valid is 3, bundle says 4$/m);
  });

  it('accepts the fingerprint read off the projector, typed with spaces, dashes or none, in either case', async () => {
    const fp = serverKeyFingerprint(bundle.serverKey); // "1A2B 3C4D 5E6F 7A8B"
    const typed = [fp, fp.replace(/ /g, '-'), fp.replace(/ /g, '').toLowerCase()];
    const runs = await Promise.all(typed.map((k) => cli([good, '--server-key', k])));
    for (const r of runs) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`OK: all ${ALL} checks passed`);
    }
    // Another server's fingerprint fails SERVER_KEY; a fingerprint cut short is a wrong command line.
    const other = (bundle.serverKey[0] === '0' ? '1' : '0') + bundle.serverKey.slice(1, 16);
    const [wrong, short] = await Promise.all([cli([good, '--server-key', other]), cli([good, '--server-key', fp.slice(0, 14)])]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^\s+SERVER_KEY\s+/m);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('fingerprint');
  });

  it('exits 1 with SERVER_KEY when another key is pinned', async () => {
    const r = await cli(['--server-key=' + '0'.repeat(64), good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s+SERVER_KEY\s+/m);
  });

  it('--json prints exactly one JSON object {ok, failures, tally}', async () => {
    const [ok, bad] = await Promise.all([cli(['--json', good]), cli([tampered, '--json'])]);
    expect(ok.code).toBe(0);
    const g = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(Object.keys(g).sort()).toEqual(['failures', 'ok', 'tally']);
    expect(g).toEqual({ ok: true, failures: [], tally: bundle.tally });
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);

    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.stdout) as { ok: boolean; failures: { code: string; detail: string }[]; tally: { valid: number } };
    expect(b.ok).toBe(false);
    expect(b.failures.map((f) => f.code)).toEqual(['BUNDLE_SIGNATURE', 'TALLY_MISMATCH']);
    expect(b.failures.every((f) => Object.keys(f).sort().join() === 'code,detail' && f.detail.length > 0)).toBe(true);
    expect(b.tally.valid).toBe(3); // the recomputed tally, not the claimed one
  });

  it('exits 2 with a clear message for a missing file or invalid JSON; --json still prints MALFORMED', async () => {
    const [missing, broken, brokenJson] = await Promise.all([cli([join(dir, 'nope.json')]), cli([notJson]), cli(['--json', notJson])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
    expect(missing.stdout).toBe('');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not strict UTF-8 JSON \(protocol §7\.5\)/);
    expect(brokenJson.code).toBe(2);
    const j = JSON.parse(brokenJson.stdout) as { ok: boolean; failures: { code: string }[]; tally: unknown };
    expect(j).toMatchObject({ ok: false, tally: null });
    expect(j.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });

  it('refuses a byte-order mark, a duplicate member name and a non-integer number (protocol §7.5): exit 2, MALFORMED', async () => {
    const runs = await Promise.all([bom, duplicate, float].map((f) => cli(['--json', f])));
    for (const [r, what] of [[runs[0]!, /byte-order mark/], [runs[1]!, /duplicate member name "serverKey"/], [runs[2]!, /only integers/]] as const) {
      expect(r.code).toBe(2);
      const j = JSON.parse(r.stdout) as { ok: boolean; failures: { code: string; detail: string }[]; tally: unknown };
      expect(j).toMatchObject({ ok: false, tally: null });
      expect(j.failures.map((f) => f.code)).toEqual(['MALFORMED']);
      expect(j.failures[0]!.detail).toMatch(what);
    }
    // The text without its BOM, and the same values parsed leniently, do verify: only the text is at fault.
    expect(verifyBundle(JSON.parse(readFileSync(bom, 'utf8').slice(1))).ok).toBe(true);
  });

  it('--help prints the usage and exits 0; a wrong command line exits 2 with the usage', async () => {
    const [help, none, unknown, badKey] = await Promise.all([cli(['--help']), cli([]), cli(['--frobnicate', good]), cli([good, '--server-key', 'xyz'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run verify -- /);
    expect(help.stdout).toContain('Exit status');
    for (const r of [none, unknown, badKey]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage:');
    }
    expect(unknown.stderr).toContain('unknown option --frobnicate');
  });

  it('exits 0 on docs/vectors/bundle.json with its pinned server key', async () => {
    const vector = join(root, 'docs/vectors/bundle.json');
    const key = (JSON.parse(readFileSync(vector, 'utf8')) as Bundle).serverKey;
    const r = await cli([vector, '--server-key', key]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`OK: all ${ALL} checks passed`);
  });
});
