// The memory this process may use before it is killed: its cgroup's limit (v2 memory.max, v1
// memory.limit_in_bytes) where one is set, else the machine's memory; what the memory alert compares to.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const CGROUP_LIMIT_FILES = [
  '/sys/fs/cgroup/memory.max',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
];

/**
 * Parses a cgroup memory limit file's text: bytes, or undefined for no limit ('max' in v2, or v1's
 * huge sentinel, anything at or above the machine's memory).
 */
export function parseCgroupLimit(text: string, machineBytes: number): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const bytes = Number(t);
  return bytes > 0 && bytes < machineBytes ? bytes : undefined;
}

let cached: number | undefined;

/** Bytes this process may hold: the cgroup limit when one applies, else the machine's total memory. */
export function memoryLimitBytes(): number {
  if (cached !== undefined) return cached;
  const machine = os.totalmem();
  let limit = machine;
  for (const file of CGROUP_LIMIT_FILES) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    limit = Math.min(limit, parseCgroupLimit(text, machine) ?? machine);
  }
  cached = limit;
  return limit;
}
