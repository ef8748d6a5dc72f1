/**
 * @module bench/seal
 * Figure 1: what a tablet pays to seal and prove one 3-item ballot — `sealBallot` for 3
 * groups × 3 entries, timed call by call, in Node (this thread) and in headless chromium's
 * Web Worker (as the tablet page runs it), with each runtime's own ristretto255 scalar
 * multiplication rate from the same run (bench/seal-core.ts). The sealed bytes are checked
 * with `verifySealedBallot` and never parsed here.
 */
import { resolve } from 'node:path';
import { inChromium } from './browser.ts';
import { measureSeal } from './seal-core.ts';

export type SealFigures = { median_ms: number; p95_ms: number; mean_ms: number; n: number; ristretto_mul_per_s: number };

/** Median, p95 (nearest rank) and mean. */
export function stats(times: readonly number[]): { median: number; p95: number; mean: number } {
  const s = [...times].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { median: q(50), p95: q(95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function figures(m: { times: number[]; mulPerS: number }, n: number): SealFigures {
  const s = stats(m.times);
  return { median_ms: s.median, p95_ms: s.p95, mean_ms: s.mean, n, ristretto_mul_per_s: m.mulPerS };
}

export function sealInNode(n: number): SealFigures {
  const m = measureSeal(n);
  if (!m.ok) throw new Error('a sealed ballot did not verify');
  return figures(m, n);
}

export async function sealInChromium(n: number): Promise<SealFigures & { chromium: string }> {
  const entry = `
import { measureSeal } from ${JSON.stringify(resolve(import.meta.dirname, 'seal-core.ts'))};
self.onmessage = () => {
  try {
    self.postMessage({ done: measureSeal(${n}) });
  } catch (e) {
    self.postMessage({ done: { error: String((e && e.stack) || e) } });
  }
};`;
  const r = await inChromium<{ times: number[]; mulPerS: number; ok: boolean }>(entry);
  if (!r.ok) throw new Error('a sealed ballot from chromium did not verify');
  return { ...figures(r, n), chromium: r.chromium };
}
