// `scripts/rehearse.ts` run as a child process on the documented example and on the drills
// in tests/server/scenarios: a 48-member consultation from the sample county roster where one
// nominee is dropped (and one kept at exactly half), a decision without quorum (the drill
// goes on with the next ballot), and exactly half vs half + 1 and a recusal. Each run starts
// its own server on a temporary database; the last stdout line is the JSON report. Every
// scenario is also played with a `scrutineers` field (other n and t, devices going offline
// after the ceremony) by the same drill (server/rehearse.ts, in-process against a test server,
// saving a process start each) — the counts and outcomes are the same as with the default
// scrutiny (three devices of which two suffice), and every bundle verifies (verifyBundle).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle, type Bundle } from '../../crypto/index.ts';
import { rehearse as rehearseInProcess, type Scenario } from '../../server/rehearse.ts';
import { startTestServer } from '../helpers/server.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCENARIOS = join(ROOT, 'tests/server/scenarios');
const out = mkdtempSync(join(tmpdir(), 'piaojue-rehearse-test-'));

type Item = { label: string; agree: number; disagree: number; abstain: number; outcome: string };
type Report = { title: string; error?: string; entitled?: number; present?: number; issued?: number; cast?: number; valid?: number; items?: Item[]; verified?: boolean; receiptsIncluded?: number; bundle?: string; ms?: number };
type Run = { code: number | null; stdout: string; stderr: string; ballots: Report[] };

function rehearse(scenario: string, name: string): Promise<Run> {
  return new Promise((done) => {
    execFile('npx', ['tsx', 'scripts/rehearse.ts', scenario, '--json', '--out', join(out, name)], { cwd: ROOT, timeout: 120_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let ballots: Report[] = [];
      try {
        ballots = (JSON.parse(last) as { ballots: Report[] }).ballots;
      } catch {
        /* reported by the assertions below */
      }
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ballots });
    });
  });
}

/** The scrutiny each scenario is also played with. */
const SCRUTINY: Record<string, { n: number; t: number; names?: string[]; offline?: number[] }> = {
  example: { n: 5, t: 3, offline: [2, 4] },
  'consultation-48': { n: 3, t: 2, offline: [1] },
  'decision-quorum': { n: 1, t: 1 },
  'decision-recusal': { n: 4, t: 4, names: ['纪委监票人', '组织部监票人', '群众代表甲', '群众代表乙'] },
};

const runs: Record<string, Run> = {};
/** The bundles of the runs with a scrutineers field, by scenario name. */
const variantBundles: Record<string, (Bundle | null)[]> = {};
beforeAll(async () => {
  const scenarios: [string, string][] = [
    ['example', join(ROOT, 'docs/scenarios/example.json')],
    ['consultation-48', join(SCENARIOS, 'consultation-48.json')],
    ['decision-quorum', join(SCENARIOS, 'decision-quorum.json')],
    ['decision-recusal', join(SCENARIOS, 'decision-recusal.json')],
  ];
  // One child at a time (each runs a server, its devices and its tablets), while the variants
  // play in this process.
  const cli = (async () => {
    for (const [name, file] of scenarios) runs[name] = await rehearse(file, name);
  })();
  const inProcess = (async () => {
    const server = await startTestServer();
    try {
      for (const [name, file] of scenarios) {
        const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
        expect(scenario.scrutineers, `${name} is written without a scrutineers field`).toBeUndefined();
        const reports = await rehearseInProcess({ ...scenario, scrutineers: SCRUTINY[name] }, server.url, server.password);
        runs[`${name} (scrutineers)`] = {
          code: 0, stdout: '', stderr: '',
          ballots: reports.map((r) => ('error' in r ? r : (({ bundleJson: _j, bundle: _b, ...rest }) => rest)(r))) as Report[],
        };
        variantBundles[name] = reports.map((r) => ('error' in r ? null : r.bundleJson));
      }
    } finally {
      await server.dispose();
    }
  })();
  await Promise.all([cli, inProcess]);
}, 175_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function ok(name: string): Report[] {
  const r = runs[name]!;
  expect(r.code, `${name} exited with ${r.code}: ${r.stderr}`).toBe(0);
  expect(r.ballots.length, r.stdout).toBeGreaterThan(0);
  return r.ballots;
}

const verified = new Map<string, Bundle>();
/** The bundle file the run wrote verifies offline (checked once per file). */
function bundleVerifies(b: Report): Bundle {
  let bundle = verified.get(b.bundle!);
  if (!bundle) {
    bundle = JSON.parse(readFileSync(b.bundle!, 'utf8')) as Bundle;
    expect(verifyBundle(bundle).failures).toEqual([]);
    verified.set(b.bundle!, bundle);
  }
  return bundle;
}

/** Without the bundle path: what the report says about the ballot. */
// Everything but the bundle file and the wall-clock time.
const facts = (reports: Report[]) => reports.map(({ bundle: _b, ms: _ms, ...rest }) => rest);

const counts = (items: Item[]) => items.map(({ agree, disagree, abstain, outcome }) => ({ agree, disagree, abstain, outcome }));

describe('the same drills with a scrutineers field', () => {
  for (const name of Object.keys(SCRUTINY)) {
    it(`${name} with ${JSON.stringify(SCRUTINY[name])}: the same counts and outcomes, and every bundle verifies with that ceremony`, () => {
      const plain = ok(name);
      const withField = ok(`${name} (scrutineers)`);
      expect(facts(withField)).toEqual(facts(plain));
      const sc = SCRUTINY[name]!;
      expect(variantBundles[name]!.filter(Boolean).length).toBeGreaterThan(0);
      for (const [i, bundle] of variantBundles[name]!.entries()) {
        if (!bundle) continue;
        expect(verifyBundle(bundle).failures).toEqual([]);
        expect(bundle.ceremony.params).toMatchObject({ n: sc.n, t: sc.t });
        if (sc.names) expect(bundle.ceremony.params.devices.map((d) => d.name)).toEqual(sc.names);
        expect(bundle.decryption.length).toBeGreaterThanOrEqual(sc.t);
        expect(bundle.decryption.filter((d) => (sc.offline ?? []).includes(d.index))).toEqual([]);
        expect(bundle.issuanceLogs.map((l) => l === null)).toEqual(Array.from({ length: sc.n }, (_, k) => (sc.offline ?? []).includes(k + 1)));
        expect(bundleVerifies(plain[i]!).ceremony.params).toMatchObject({ n: 3, t: 2 });
      }
    });
  }
});

describe('rehearse drills (scripts/rehearse.ts --json)', () => {
  it('docs/scenarios/example.json: entitled 3, present 3, issued 3, cast 2, valid 2, agree 1, disagree 1 → failed, verified', () => {
    const [b] = ok('example');
    expect(b).toMatchObject({ title: '干部任免', entitled: 3, present: 3, issued: 3, cast: 2, valid: 2, verified: true, receiptsIncluded: 2 });
    expect(counts(b!.items!)).toEqual([{ agree: 1, disagree: 1, abstain: 0, outcome: 'failed' }]);
    expect(b!.items![0]!.label).toBe('周八 拟任 县财政局局长');
    bundleVerifies(b!);
  });

  it('consultation of the 48-member sample committee (46 present, 45 cast): 24 disagree of 48 is kept, 25 is dropped', () => {
    const [b] = ok('consultation-48');
    expect(b).toMatchObject({ entitled: 48, present: 46, issued: 46, cast: 45, valid: 45, verified: true, receiptsIncluded: 45 });
    expect(counts(b!.items!)).toEqual([
      { agree: 21, disagree: 24, abstain: 0, outcome: 'kept' },
      { agree: 20, disagree: 25, abstain: 0, outcome: 'dropped' },
      { agree: 34, disagree: 5, abstain: 6, outcome: 'kept' },
    ]);
    const bundle = bundleVerifies(b!);
    expect(bundle.roster).toHaveLength(48);
    expect(bundle.roster.filter((m: { present: boolean }) => !m.present).map((m: { name: string }) => m.name).sort()).toEqual(['戴国庆', '田玉兰'].sort());
  });

  it('a decision without quorum (5 of 9 standing present) reports {title, error: QUORUM_NOT_MET} and the drill goes on with the consultation', () => {
    const [d, c] = ok('decision-quorum');
    expect(d).toEqual({ title: '干部任免（常委会票决）', error: 'QUORUM_NOT_MET' });
    expect(c).toMatchObject({ title: '征求意见（不设到会比例）', entitled: 12, present: 8, issued: 8, cast: 7, valid: 7, verified: true });
    expect(counts(c!.items!)).toEqual([{ agree: 4, disagree: 2, abstain: 1, outcome: 'kept' }]);
  });

  it('exactly half (5 of 10) fails and half + 1 passes; with one member recused 5 of 9 passes and the recused member is not on the roster', () => {
    const [half, recusal] = ok('decision-recusal');
    expect(half).toMatchObject({ entitled: 10, present: 10, issued: 10, cast: 10, valid: 10, verified: true });
    expect(counts(half!.items!)).toEqual([
      { agree: 5, disagree: 3, abstain: 2, outcome: 'failed' },
      { agree: 6, disagree: 3, abstain: 1, outcome: 'passed' },
    ]);
    expect(recusal).toMatchObject({ entitled: 9, present: 9, issued: 9, cast: 9, valid: 9, verified: true });
    expect(counts(recusal!.items!)).toEqual([{ agree: 5, disagree: 3, abstain: 1, outcome: 'passed' }]);
    const bundle = bundleVerifies(recusal!);
    expect(bundle.ballot.recused).toHaveLength(1);
    expect(bundle.roster.map((m: { name: string }) => m.name)).not.toContain('常委十');
    expect(bundle.roster.map((m: { memberId: string }) => m.memberId)).not.toContain(bundle.ballot.recused[0]);
  });
});
