// What every quality result records beside its numbers: the machine, the date and the commit, and
// the median over seeds that a quality bar is judged on.
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gitCommit } from '../git-commit.js';

/**
 * The commit of the code this process loaded, read when it started: a long run writes its result
 * file after every seed, and a commit made meanwhile changes nothing the run executes.
 */
const LOADED_COMMIT = gitCommit();

export interface RunRecord {
  machine: string;
  cores: number;
  node: string;
  date: string;
  commit: string;
  /** 1, 5 and 15 minute load averages when the record was made (the machine is shared). */
  load: number[];
}

export function runRecord(): RunRecord {
  return {
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit: LOADED_COMMIT,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Median of the values (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Writes a result file (JSON, two-space indent), creating its folder. */
export function writeResult(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}
