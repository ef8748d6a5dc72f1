/**
 * @module bench/cpu
 * CPU accounting for a shared machine (Linux /proc, 10 ms ticks): the CPU time of given
 * processes (all their threads: the server's main thread and crypto workers, a device, the
 * bench with its worker threads) over a phase, and how much of the machine everything else
 * used meanwhile. A figure's wall time says what happened; its CPU time says what the same
 * work costs, which the other tenants of the machine do not change much.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // getconf CLK_TCK = 100 on Linux

/** utime + stime of a process, in ms (NaN once it is gone). */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 of proc(5)
  } catch {
    return NaN;
  }
}

/** CPU time (utime + stime) of this process's children that have exited and been waited for, in ms. */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // fields 16 and 17 of proc(5)
}

/** Busy CPU time of the whole machine (all cores), in ms: everything but idle and iowait. */
export function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

export type CpuPhase = {
  wall_ms: number;
  /** CPU ms per named process over the phase. */
  cpu_ms: Record<string, number>;
  /** Cores used on average by processes not named (other work on the machine). */
  others_cores: number;
};

/** Start measuring a phase for the named pids; `stop()` returns the figures. */
export function cpuPhase(pids: Record<string, number>): { stop(): CpuPhase } {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)]));
  return {
    stop() {
      const wall = performance.now() - t0;
      const cpu_ms = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid) - start[k]!]));
      const ours = Object.values(cpu_ms).filter(Number.isFinite).reduce((a, b) => a + b, 0);
      return { wall_ms: wall, cpu_ms, others_cores: Math.max(0, machineBusyMs() - busy0 - ours) / wall };
    },
  };
}
