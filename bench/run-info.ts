// What every recorded benchmark result starts with: which benchmark, on what machine, when, on
// which commit, so a figure can be traced to the code and the hardware that produced it.
import os from 'node:os';
import { gitCommit } from './git-commit.js';

export interface RunInfo {
  benchmark: string;
  machine: string | undefined;
  cores: number;
  node: string;
  date: string;
  commit: string;
}

export function runInfo(benchmark: string): RunInfo {
  return {
    benchmark,
    machine: os.cpus()[0]?.model,
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(),
  };
}
