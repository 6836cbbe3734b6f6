// Optional accounting of the compute kernels by phase (matmul, aggregation, ...), in wall time and
// in this process's CPU time; off by default; the step benchmark uses it to show where time goes.

export interface OpTime {
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds of this process (user + system): steadier when other work shares the cores. */
  cpuMs: number;
  calls: number;
}

const totals = new Map<string, OpTime>();
let enabled = false;

/** Turns accounting on or off (and clears it when turning on). */
export function setOpTiming(on: boolean): void {
  enabled = on;
  if (on) totals.clear();
}

export function resetOpTimes(): void {
  totals.clear();
}

/** Accumulated time per phase name since the last reset. */
export function opTimes(): Record<string, OpTime> {
  const out: Record<string, OpTime> = {};
  for (const [k, v] of totals) out[k] = { ...v };
  return out;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function add(name: string, ms: number, cpuMs: number): void {
  const cur = totals.get(name);
  if (cur === undefined) totals.set(name, { ms, cpuMs, calls: 1 });
  else {
    cur.ms += ms;
    cur.cpuMs += cpuMs;
    cur.calls += 1;
  }
}

/** Runs `fn`, charging its time to `name` when accounting is on. Backends here are synchronous. */
export function timed<T>(name: string, fn: () => T): T {
  if (!enabled) return fn();
  const t0 = performance.now();
  const c0 = cpuNow();
  try {
    return fn();
  } finally {
    add(name, performance.now() - t0, cpuNow() - c0);
  }
}

/** Charges an already measured duration to `name` (for phases that span several calls). */
export function recordTime(name: string, ms: number, cpuMs = ms): void {
  if (enabled) add(name, ms, cpuMs);
}
