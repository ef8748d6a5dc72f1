/**
 * `npm run rehearse -- scenario.json [--url http://host:port] [--out dir] [--json]`
 * Plays a whole meeting through the real HTTP API (see docs/rehearse.md). Without --url it
 * starts the server in-process on a free port with a fresh temporary database.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rehearse, type Scenario } from '../server/rehearse.ts';
import { startServer } from '../server/main.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
if (args.includes('--help') || args.length === 0) {
  console.log('usage: npm run rehearse -- scenario.json [--url http://host:port] [--out dir] [--json]\n' +
    '  --url   rehearse against a running server; signs in with PIAOJUE_SECRETARY_PASSWORD\n' +
    '  --out   directory for the audit bundles (default ./rehearsal)\n' +
    '  --json  print one JSON object as the last line of stdout');
  process.exit(args.length === 0 ? 2 : 0);
}
const url = flag('--url');
const out = resolve(flag('--out') ?? 'rehearsal');
const json = args.includes('--json');
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('rehearse: give a scenario file');
  process.exit(2);
}
let scenario: Scenario;
try {
  scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
} catch (e) {
  console.error(`rehearse: cannot read ${file}: ${(e as Error).message}`);
  process.exit(2);
}

let stop: (() => Promise<void>) | undefined;
let tmp: string | undefined;
let base = url;
let password = process.env.PIAOJUE_SECRETARY_PASSWORD ?? '';
if (!base) {
  tmp = mkdtempSync(join(tmpdir(), 'piaojue-rehearse-'));
  password = 'rehearsal-password';
  const running = await startServer({ dbPath: join(tmp, 'rehearse.db'), port: 0, host: '127.0.0.1', password, quiet: true, tls: false });
  base = running.url;
  stop = running.close;
} else if (!password) {
  console.error('rehearse: with --url, set PIAOJUE_SECRETARY_PASSWORD to the secretary password');
  process.exit(2);
}

let code = 0;
try {
  const reports = await rehearse(scenario, base, password);
  mkdirSync(out, { recursive: true });
  const ballots = reports.map((r, i) => {
    if ('error' in r) return r;
    const path = join(out, `ballot-${i + 1}-${r.bundleJson.ballot.id}.json`);
    writeFileSync(path, JSON.stringify(r.bundleJson, null, 1));
    const { bundleJson: _b, ...rest } = r;
    if (!r.verified) code = 1;
    return { ...rest, bundle: path };
  });
  if (!json) {
    for (const b of ballots) {
      if ('error' in b) {
        console.log(`✗ ${b.title}: ${b.error}`);
        continue;
      }
      console.log(`${b.verified ? '✓' : '✗'} ${b.title}: entitled ${b.entitled}, present ${b.present}, issued ${b.issued}, cast ${b.cast}, valid ${b.valid}`);
      for (const { label, ...figures } of b.items) console.log(`    ${label}: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`    bundle ${b.bundle} ${b.verified ? 'verified' : `FAILED ${b.failures?.join(', ')}`}; receipts included ${b.receiptsIncluded}/${b.cast}`);
    }
  }
  if (json) console.log(JSON.stringify({ ballots }));
} catch (e) {
  const cause = (e as Error & { cause?: unknown }).cause;
  console.error(`rehearse: ${(e as Error).message}${cause ? ` (${String((cause as Error).message ?? cause)})` : ''}`);
  code = 1;
} finally {
  await stop?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
