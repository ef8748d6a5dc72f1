/**
 * @module bench/pool
 * Worker threads for the bench's own client-side crypto (tablets' unblinding and sealing,
 * the scrutineer engines of the in-memory bundle, receipt checks). It runs only between the
 * timed phases, never while a figure is being measured. Each worker loads bench/work.ts
 * through tsx's loader, as server/crypto-pool.ts does.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Op } from './work.ts';

const WORK_URL = new URL('./work.ts', import.meta.url).href;
const BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORK_URL)}); })`;

type Reply = { id: number; result?: unknown; error?: string };

export type BenchPool = {
  readonly size: number;
  /** Run `op` on `items` split into one contiguous slice per worker; results in order. */
  map<T, R>(op: Op, items: readonly T[], common?: Record<string, unknown>): Promise<R[]>;
  /** Run `op` once on one worker (the `i`-th, round robin). */
  one<R>(op: Op, args: Record<string, unknown>, i?: number): Promise<R>;
  close(): Promise<void>;
};

export function createBenchPool(size = availableParallelism()): BenchPool {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(BOOT, { eval: true, workerData: { role: 'bench-work' } });
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    w.on('error', (e) => {
      for (const [, p] of pending) p.reject(e);
      pending.clear();
    });
    return w;
  });
  let rr = 0;
  const call = <R>(w: Worker, op: Op, args: Record<string, unknown>) =>
    new Promise<R>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ id, op, args });
    });
  return {
    size,
    async map<T, R>(op: Op, items: readonly T[], common: Record<string, unknown> = {}): Promise<R[]> {
      if (items.length === 0) return [];
      const per = Math.ceil(items.length / workers.length);
      const slices: T[][] = [];
      for (let o = 0; o < items.length; o += per) slices.push(items.slice(o, o + per));
      const out = await Promise.all(slices.map((s, i) => call<R[]>(workers[i]!, op, { ...common, items: s })));
      return out.flat();
    },
    one<R>(op: Op, args: Record<string, unknown>, i?: number): Promise<R> {
      return call<R>(workers[(i ?? rr++) % workers.length]!, op, args);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
