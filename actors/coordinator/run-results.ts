// What a training run reports: per-epoch summaries, live progress, and results.json with the
// steady-state throughput of its steps and the peak memory of the process.
import { readFileSync } from 'node:fs';
import type { JobSpec } from '../job-spec.js';
import type { StepRecord } from '../protocols.js';

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  seedsPerSecond: number;
  /** Seconds since the epoch started. */
  elapsedS: number;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  seedsPerSecond: number;
  val?: Record<string, number>;
  seconds: number;
}

export interface TrainResults {
  task: 'node' | 'link';
  backend: string;
  config: JobSpec;
  val: Record<string, number>;
  test: Record<string, number>;
  best_epoch: number;
  epochs: number;
  stopped_early: boolean;
  duration_s: number;
  throughput: {
    seeds_per_s: number;
    steps: number;
    step_s: number;
    sample_s: number;
    queue_wait_s: number;
    compute_s: number;
    sync_s: number;
    sampled_edges_per_s: number;
    /** Seeds over the wall time of the training epochs (start-up, evaluation, checkpoints excluded). */
    end_to_end_seeds_per_s?: number;
  };
  peak_rss_bytes: number;
  run_dir: string;
  /** What the speed-up switches did (docs/speedups.md). */
  speedups?: {
    /** Fanouts of the last epoch (adaptive sampling moves them). */
    fanouts: number[];
    /** Parameter-server pushes over the whole run. */
    syncs: number;
    /** Link task: distinct members encoded over training records (steady state). */
    member_encodings_per_record?: number;
    /** Bytes the sampler workers posted by structured clone (handoff clone; 0 otherwise). */
    cloned_bytes: number;
    /** Seconds of the MLPinit phase (0 when off). */
    mlp_init_s: number;
  };
}

/** Steps after warm-up: the first 3 per trainer (at most a fifth of the run) are dropped. */
export function steadySteps(steps: StepRecord[], trainers: number): StepRecord[] {
  return steps.slice(Math.min(3 * trainers, Math.floor(steps.length / 5)));
}

/**
 * Throughput of steady-state steps. Trainers run side by side, so seeds/s is every trainer's seeds
 * over one trainer's share of the summed step time; the per-step times are means over all steps.
 */
export function throughputOf(steady: StepRecord[], trainers: number): TrainResults['throughput'] {
  const sum = (f: (s: StepRecord) => number) => steady.reduce((a, s) => a + f(s), 0);
  const n = steady.length;
  const wallPerTrainer = sum((s) => s.wall_s) / trainers;
  return {
    seeds_per_s: wallPerTrainer > 0 ? sum((s) => s.seeds) / wallPerTrainer : 0,
    steps: n,
    step_s: n ? sum((s) => s.wall_s) / n : 0,
    sample_s: n ? sum((s) => s.sample_s) / n : 0,
    queue_wait_s: n ? sum((s) => s.queue_wait_s) / n : 0,
    compute_s: n ? sum((s) => s.compute_s) / n : 0,
    sync_s: n ? sum((s) => s.sync_s) / n : 0,
    sampled_edges_per_s: wallPerTrainer > 0 ? sum((s) => s.edges) / wallPerTrainer : 0,
  };
}

/** Peak resident set of this process (Linux: VmHWM), falling back to the current RSS. */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}
