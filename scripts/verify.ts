/**
 * @module scripts/verify
 * The standalone verifier (protocol §10) as a command: reads one piaojue/2 audit bundle, runs
 * every check of `verifyBundle`, and prints a readable summary (ballot, rule in words, turnout,
 * per-item counts and outcomes) or, with `--json`, exactly one JSON object. It depends on the
 * crypto core and Node's fs/process only, so anyone can run it offline on a published bundle.
 *
 *   npm run verify -- path/to/bundle.json [--server-key HEX] [--json]
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import {
  CHECKS as CHECKS, backendChoice, kindOf, ceremonyFingerprint, useBackend, fromHex, parseJsonStrict, verifyBundle, verifyBundleAsync,
  normalizeServerKey, type Bundle, type KindId, type CastChecker, type CastCheckResult, type Failure as Failure, type FailureCode as FailureCode,
  type Outcome, type Rule, type Tally, type VerifyResult as VerifyResult,
} from '../crypto/index.ts';

const USAGE = `Usage: npm run verify -- <bundle.json | -> [--server-key HEX] [--previous FILE] [--json] [--threads N]
       npx tsx scripts/verify.ts <bundle.json | -> [--server-key HEX] [--previous FILE] [--json] [--threads N]

Verifies a piaojue/2 audit bundle offline (protocol §10): the server's signature, the
scrutineers' key ceremony and issuance logs, the roster and quorum, every token's blind
signature, every sealed ballot's proofs, the Merkle root, the homomorphic sums, every
decryption share and the counts. "-" reads the bundle from standard input. The text must be
UTF-8 JSON without a byte-order mark, duplicate member names or non-integer numbers
(protocol §7.5).

Options:
  --server-key HEX  the server's Ed25519 public key as announced at the meeting: the whole
                    key (64 hex digits, the projector's QR code) or its fingerprint (16 hex
                    digits, as the projector shows it; spaces and dashes are ignored). The
                    bundle must be signed by this key (check SERVER_KEY). Without it the
                    signature is checked against the key in the bundle only.
  --previous FILE   the bundle of the round this ballot follows (两推, 复议): check ROUND —
                    that this ballot names exactly that bundle and follows it.
  --json            print exactly one JSON object on stdout:
                      {"ok": bool, "failures": [{"code", "detail"}], "tally": {...} | null}
                    where "tally" is the tally recomputed by the verifier.
  --threads N       check token signatures and ballot proofs on N worker threads
                    (default: every core; 1 checks them in this thread).
  -h, --help        print this text.

Environment: PIAOJUE_CRYPTO=reference checks with @noble/curves alone instead of the faster
mcl-wasm and libsodium backends (both give the same verdicts; tests/crypto/backend.test.ts).

Exit status:
  0  every check passed
  1  at least one check failed (each failure is listed with its code)
  2  the file could not be read, is larger than 256 MiB, or is not JSON; or the command line
     is wrong. With --json such a file still prints one JSON object, with ok=false, tally null
     and a single failure of code MALFORMED; the exit status is 2 in both modes.
`;

/** Largest bundle file read (protocol §7.3 leaves the text size to the CLI). */
const MAX_BYTES = 256 * 1024 * 1024;

/** Exit statuses, documented in USAGE. */
const EXIT = { ok: 0, failed: 1, unusable: 2 } as const;

type Args = { path: string; json: boolean; serverKey?: string; previous?: string; threads: number };

/** Parse argv; returns a message instead of throwing for a wrong command line. */
function parseArgs(argv: readonly string[]): Args | { help: true } | { error: string } {
  let path: string | undefined;
  let json = false;
  let serverKey: string | undefined;
  let previous: string | undefined;
  let threads = availableParallelism();
  let options = true; // false after "--": the rest are file names, even if they start with "-"
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!options || a === '-' || !a.startsWith('-')) {
      if (path !== undefined) return { error: 'give exactly one bundle file' };
      path = a;
      continue;
    }
    if (a === '-h' || a === '--help') return { help: true };
    if (a === '--json') json = true;
    else if (a === '--server-key' || a.startsWith('--server-key=')) {
      const v = a === '--server-key' ? argv[++i] : a.slice('--server-key='.length);
      if (v === undefined) return { error: '--server-key needs a value' };
      // As read off the projector or the minutes: the whole key or its fingerprint, any case, with
      // or without spaces or dashes (crypto/server-key.ts).
      const key = normalizeServerKey(v);
      if (key === null) return { error: '--server-key must be the server key (64 hex digits) or its fingerprint (16 hex digits, e.g. "1A2B 3C4D 5E6F 7A8B")' };
      serverKey = key;
    } else if (a === '--previous' || a.startsWith('--previous=')) {
      previous = a === '--previous' ? argv[++i] : a.slice('--previous='.length);
      if (!previous) return { error: '--previous needs the file of the previous round\'s bundle' };
    } else if (a === '--threads') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < 1 || n > 64) return { error: '--threads must be a whole number from 1 to 64' };
      threads = n;
    } else if (a === '--') options = false;
    else return { error: `unknown option ${a}` };
  }
  if (path === undefined) return { error: 'no bundle file given' };
  return { path, json, threads, ...(serverKey === undefined ? {} : { serverKey }), ...(previous === undefined ? {} : { previous }) };
}

/** Read and parse the file; a message on failure. */
function readJson(path: string): { value: unknown } | { error: string } {
  const name = path === '-' ? 'standard input' : path;
  const tooBig = (n: number) => `${name} is ${n} bytes, more than the ${MAX_BYTES / 1024 / 1024} MiB a bundle may have`;
  let bytes: Buffer;
  try {
    if (path !== '-') {
      const { size } = statSync(path);
      if (size > MAX_BYTES) return { error: tooBig(size) };
    }
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    return { error: `cannot read ${name}: ${(e as Error).message}` };
  }
  if (bytes.length > MAX_BYTES) return { error: tooBig(bytes.length) };
  try {
    return { value: parseJsonStrict(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)) };
  } catch (e) {
    return { error: `${name} is not strict UTF-8 JSON (protocol §7.5): ${(e as Error).message}` };
  }
}

// ---- words ------------------------------------------------------------------------------

const VERB: Record<Outcome, string> = { passed: 'passes', failed: 'fails', kept: 'is kept', dropped: 'is dropped' };

function times(name: string, k: number): string {
  return k === 1 ? name : `${name} × ${k}`;
}

/**
 * The rule as a sentence, e.g. "passes iff agree × 2 > entitled (11), otherwise fails"; for a
 * reference kind "flagged iff …" or "no flag" (its figures decide nothing).
 */
function ruleInWords(type: KindId, rule: Rule, tally: Tally | null): string {
  const outcomes = kindOf(type).outcomes;
  if (rule.threshold === null) return 'for reference only: no outcome, no flag';
  const base = tally ? ` (${tally[rule.base]})` : '';
  const cmp = rule.strict ? '>' : '≥';
  const cond = `${times(rule.option, rule.threshold.den)} ${cmp} ${times(rule.base, rule.threshold.num)}${base}`;
  return outcomes ? `${VERB[outcomes.met]} iff ${cond}, otherwise ${VERB[outcomes.notMet]}` : `for reference only: flagged iff ${cond}`;
}

/** What an item's figures mean: its outcome, rank or flag. */
function meaning(t: Tally['items'][number]): string {
  const parts = [t.outcome, t.rank !== null ? `rank ${t.rank}` : null, t.flagged === null ? null : t.flagged ? 'flagged' : 'not flagged'];
  return parts.filter((p) => p !== null).join(', ') || '—';
}

/** The quorum as a sentence, with the figures when known. */
function quorumInWords(rule: Rule, tally: Tally | null): string {
  const q = rule.quorum;
  if (q === null) return 'opens with any attendance';
  const words = `opens only if ${times('present', q.den)} ≥ ${times('entitled', q.num)}`;
  if (!tally) return words;
  const met = tally.present * q.den >= tally.entitled * q.num;
  return `${words} (${tally.present} × ${q.den} ${met ? '≥' : '<'} ${tally.entitled} × ${q.num}: ${met ? 'met' : 'not met'})`;
}

// ---- output -----------------------------------------------------------------------------

/** Which checks ran: SERVER_KEY only when a key is pinned, ROUND only with the previous round's bundle. */
function checksRun(pinned: boolean, previous: boolean): readonly FailureCode[] {
  return CHECKS.filter((c) => (c !== 'SERVER_KEY' || pinned) && (c !== 'ROUND' || previous));
}

function summary(bundle: Bundle, tally: Tally, transcript: string | null): string[] {
  const def = bundle.ballot;
  const lines = [
    `Ballot:   ${def.title}`,
    `          id ${def.id}, meeting ${def.meetingId}`,
    `Type:     ${def.type}${def.type === 'recommendation' ? ` — ${(def.params as { post: string; seats: number }).post}, ${(def.params as { seats: number }).seats} place(s)` : ''}`,
    `Round:    ${def.round.number}${def.round.previous ? ` (follows ballot ${def.round.previous.ballotId}, bundle ${def.round.previous.bundleId})` : ''}`,
    `Rule:     ${ruleInWords(def.type, def.rule, tally)}`,
    `Quorum:   ${quorumInWords(def.rule, tally)}`,
    `Server:   ${bundle.serverKey}`,
    `Scrutiny: ${bundle.ceremony.params.n} scrutineers, any ${bundle.ceremony.params.t} decrypt; fingerprint ${transcript ? ceremonyFingerprint(fromHex(transcript, 32, 'transcript')) : '(ceremony failed)'}`,
    `Turnout:  entitled ${tally.entitled} · present ${tally.present} · issued ${tally.issued} · cast ${tally.cast} · valid ${tally.valid} · invalid ${tally.invalid}`,
    `Items:`,
  ];
  tally.items.forEach((t, i) => {
    const item = def.items[i]!;
    const counts = def.options.map((o) => `${o} ${t.counts[o]}`).join(', ');
    lines.push(`  ${i + 1}. ${item.nominee} — ${item.post} [${t.itemId}]`, `     ${counts} (entitled ${t.entitled}) → ${meaning(t)}`);
  });
  return lines;
}

function failureLines(failures: readonly Failure[]): string[] {
  const width = Math.max(...failures.map((f) => f.code.length));
  return failures.map((f) => `  ${f.code.padEnd(width)}  ${f.detail}`);
}

/** The human-readable report. */
function report(result: VerifyResult, pinned: boolean, previous: boolean): string {
  const ran = checksRun(pinned, previous);
  const lines: string[] = [];
  if (result.bundle && result.tally) {
    lines.push(...summary(result.bundle, result.tally, result.transcript));
    if (!result.ok) lines.push('  (counts above are as recomputed by the verifier)');
    lines.push('');
  }
  if (result.ok) {
    lines.push(`OK: all ${ran.length} checks passed`);
    if (!pinned) lines.push('    (the server key was not pinned: pass --server-key HEX to check it too)');
  } else if (!result.bundle) {
    lines.push('FAILED: the bundle could not be parsed, so no other check ran', ...failureLines(result.failures));
  } else {
    const codes = new Set(result.failures.map((f) => f.code));
    lines.push(
      `FAILED: ${codes.size} of ${ran.length} checks failed (${result.failures.length} failure${result.failures.length === 1 ? '' : 's'})`,
      ...failureLines(result.failures),
    );
  }
  return lines.join('\n') + '\n';
}

function jsonReport(ok: boolean, failures: readonly Pick<Failure, 'code' | 'detail'>[], tally: Tally | null): string {
  return JSON.stringify({ ok, failures: failures.map(({ code, detail }) => ({ code, detail })), tally }) + '\n';
}

// ---- main -------------------------------------------------------------------------------

/** The per-cast checks (token signatures, ballot proofs) in `threads` worker threads, one contiguous slice each. */
function threadedChecker(threads: number): CastChecker {
  // The CLI runs under tsx; a worker registers tsx's loader before importing its module.
  const url = new URL('./verify-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return async (input) => {
    const size = Math.ceil(input.casts.length / threads);
    const slices = Array.from({ length: threads }, (_, t) => t * size).filter((o) => o < input.casts.length);
    const results = await Promise.all(
      slices.map(
        (offset) =>
          new Promise<CastCheckResult>((resolve, reject) => {
            const w = new Worker(boot, { eval: true, workerData: { ...input, casts: input.casts.slice(offset, offset + size) } });
            w.once('message', (r: CastCheckResult) =>
              resolve({ badTokens: r.badTokens.map((i) => i + offset), badProofs: r.badProofs.map((i) => i + offset) }),
            );
            w.once('error', reject);
          }),
      ),
    );
    return { badTokens: results.flatMap((r) => r.badTokens), badProofs: results.flatMap((r) => r.badProofs) };
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if ('help' in args) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if ('error' in args) {
    process.stderr.write(`verify: ${args.error}\n\n${USAGE}`);
    return EXIT.unusable;
  }
  const input = readJson(args.path);
  if ('error' in input) {
    if (args.json) process.stdout.write(jsonReport(false, [{ code: 'MALFORMED', detail: input.error }], null));
    else process.stderr.write(`verify: ${input.error}\n`);
    return EXIT.unusable;
  }
  let prev: unknown;
  if (args.previous !== undefined) {
    const p = readJson(args.previous);
    if ('error' in p) {
      if (args.json) process.stdout.write(jsonReport(false, [{ code: 'MALFORMED', detail: p.error }], null));
      else process.stderr.write(`verify: ${p.error}\n`);
      return EXIT.unusable;
    }
    prev = p.value;
  }
  const opts = { ...(args.serverKey === undefined ? {} : { serverKey: args.serverKey }), ...(args.previous === undefined ? {} : { previous: prev }) };
  // Threads pay off only past a few dozen ballots (each worker loads the crypto code).
  const many = ((input.value as { ballots?: unknown[] })?.ballots?.length ?? 0) >= 32;
  const result = args.threads > 1 && many ? await verifyBundleAsync(input.value, threadedChecker(args.threads), opts) : verifyBundle(input.value, opts);
  process.stdout.write(args.json ? jsonReport(result.ok, result.failures, result.tally) : report(result, args.serverKey !== undefined, args.previous !== undefined));
  return result.ok ? EXIT.ok : EXIT.failed;
}

// exitCode rather than exit(), so piped output is flushed before the process ends.
// The fastest backend that loads here, or the one PIAOJUE_CRYPTO names (protocol-identical).
await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO));
process.exitCode = await main(process.argv.slice(2));
