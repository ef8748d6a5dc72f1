/**
 * `npx tsx bench/profile.ts [DIR] [--top N]` — summarise the V8 CPU profiles that
 * `npm run bench -- --profile` makes the server write (bench/out/prof/ by default: one
 * `.cpuprofile` for the main thread and one per crypto worker). For each profile: the
 * sampled time, the share that was idle, the functions with the most self time (grouped by
 * function, file and line), the innermost function of the project's own code under which
 * the time was spent (crypto/, server/, bench/), and the files with the most self time, so docs/performance.md can say what dominates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export function summarise(p: Profile, top = 15) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The innermost frame of the project's own code (not node_modules) on each sample's stack.
  const own = (id: number): string | null => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (cf.url.startsWith('file:') && /\/(crypto|server|bench)\/[^/]+\.ts$/.test(cf.url) && !cf.url.includes('node_modules'))
        return `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(crypto|server|bench)\//, '$1/')}`;
    }
    return null;
  };
  const perOwn = new Map<string, number>();
  const self = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const cf = byId.get(id)!.callFrame;
    const file = cf.url ? basename(cf.url.replace(/\?.*$/, '')) : '';
    const key = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const mine = cf.functionName === '(idle)' ? null : own(id);
    if (mine) perOwn.set(mine, (perOwn.get(mine) ?? 0) + dt);
    const where = file || cf.functionName || '(native)';
    perFile.set(where, (perFile.get(where) ?? 0) + dt);
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]);
  const idle = self.get('(idle)') ?? 0;
  return {
    total_ms: total / 1000,
    idle_ms: idle / 1000,
    top: rows.slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total })),
    own: [...perOwn].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / (total - idle) })),
    files: [...perFile].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top).map(([file, us]) => ({ file, ms: us / 1000, share: us / (total - idle) })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args[ti + 1]) : 15;
  const dir = args.find((a, i) => !a.startsWith('--') && i !== ti + 1) ?? join(import.meta.dirname, 'out', 'prof');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    const s = summarise(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile, top);
    const busy = s.total_ms - s.idle_ms;
    console.log(`\n${f}: ${(s.total_ms / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (${((100 * busy) / s.total_ms).toFixed(0)} %)`);
    for (const r of s.top) console.log(`  ${(100 * r.share).toFixed(1).padStart(5)} %  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.fn}`);
    console.log('  by the innermost project function on the stack, share of busy time:');
    for (const r of s.own) console.log(`  ${(100 * r.share).toFixed(1).padStart(5)} %  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.fn}`);
    console.log('  by file, share of busy time:');
    for (const r of s.files) console.log(`  ${(100 * r.share).toFixed(1).padStart(5)} %  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.file}`);
  }
}
