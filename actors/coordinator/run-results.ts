// What a training run reports: per-epoch summaries, live progress, and results.json with the
// steady-state throughput of its steps and the peak memory of the process.
import { existsSync, readFileSync } from 'node:fs';
import type { JobSpec } from '../job-spec.js';
import type { CheckpointLocator } from '../parameter-server/checkpoint-locator.js';
import type { StepRecord } from '../protocols.js';
import type { CoordinatorState } from './coordinator-state.js';
import type { LedgerTotals } from './ledger-audit.js';
import type { SamplerTotals } from './placement.js';
import { withRelationBlocks, type RelationResults } from '../plan/eval-relations.js';

export interface Progress {
  /** Training the epoch's batches, or evaluating after them (`split` says which split). */
  phase: 'train' | 'evaluate';
  split?: 'val' | 'test';
  epoch: number;
  epochs: number;
  /** Batches of the epoch trained so far (all of them while evaluating). */
  step: number;
  steps: number;
  /** Loss of the last batch trained (NaN before the first). */
  loss: number;
  seedsPerSecond: number;
  /** Seconds since the epoch started (training), or since the evaluation started. */
  elapsedS: number;
}

export interface EpochSummary {
  epoch: number;
  /** Mean loss over the epoch's steps. */
  loss: number;
  /** Steps the mean is over. */
  steps: number;
  seedsPerSecond: number;
  val?: Record<string, number>;
  /** Seconds of training (evaluation and checkpoint excluded). */
  seconds: number;
  /** Seconds of evaluation after the epoch (0 when it was not evaluated). */
  evalSeconds: number;
}

export interface TrainResults {
  task: 'node' | 'link';
  backend: string;
  config: JobSpec;
  val: Record<string, number>;
  test: Record<string, number>;
  /** eval.relations: each listed relation's val and test metrics at the best epoch. */
  relations?: RelationResults;
  /** The epoch of the best validation metric, counted from 1 as on screen (0: never evaluated). */
  best_epoch: number;
  /**
   * The checkpoint of `best_epoch`, whose parameters gave `val` and `test`: its parameter version
   * and location (`weft eval` / `weft embed` score it by default).
   */
  best_checkpoint?: { step: number; location: string };
  epochs: number;
  stopped_early: boolean;
  /** Seconds of the whole run; a resumed run adds the duration its previous results.json recorded. */
  duration_s: number;
  /** Present when the run was resumed: the epochs trained before (counted from 1). */
  resumed_after_epoch?: number;
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
  /** train.onNonFinite rollback: rollbacks taken and the learning rate's factor the run ended at. */
  numerics?: { non_finite_rollbacks: number; lr_scale: number };
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

/** results.json of any run: the training results, where its checkpoints are, and the cluster's tallies. */
export interface JobResults extends TrainResults {
  /** Where the run's checkpoints are (also RUN_DIR/checkpoint-store.json). */
  checkpoint_store?: CheckpointLocator;
  distributed: {
    trainers: number;
    parameter_servers: number;
    samplers: number;
    local_steps: number;
    /** train.sync; in async mode `rounds` counts updates (one version each). */
    sync: string;
    rounds: number;
    batches_planned: number;
    batches_applied: number;
    batches_repeated: number;
    batches_missing: number;
    push_bytes: number;
    pull_bytes: number;
    batch_bytes: number;
    /** cluster.partitions: bytes the samplers exchanged across partitions (0 when off). */
    partition_bytes: number;
    /** Bytes on the wire per synchronous round: gradients up, parameters down, batches to trainers. */
    bytes_per_round: number;
    /** Share of trainer step time spent in parameter sync (push + waiting for the round). */
    sync_share: number;
    actor_restarts: number;
    /** Async mode: updates refused as staler than train.staleness, and the largest staleness applied. */
    stale_rejections: number;
    max_staleness: number;
    /** Times a lost parameter-server shard rolled the job back to its last consistent checkpoint. */
    rollbacks: number;
    /** Batches applied after that checkpoint and then rolled back (their epochs were replayed). */
    batches_discarded: number;
  };
}

/** What the driver knows at the end of a run. */
export interface RunTallies {
  spec: JobSpec;
  backend: string;
  state: CoordinatorState;
  steps: StepRecord[];
  durationS: number;
  /** Seeds over the wall time of the training epochs. */
  endToEnd: number;
  runDir: string;
  locator: CheckpointLocator;
  fanouts: number[];
  mlpInitSeconds: number;
  shardStats: {
    pushBytes: number;
    pullBytes: number;
    staleRejected?: number;
    maxStaleness?: number;
  }[];
  samplers: SamplerTotals;
  totals: LedgerTotals;
  restarts: number;
  rollbacks: number;
  batchesDiscarded: number;
  /** A resumed run's previous results.json: its throughput stands when this run trained no steady step. */
  previous?: string;
  /** A resumed run: the epochs its checkpoint had trained (counted from 1). */
  resumedAtEpoch?: number;
}

export function jobResults(r: RunTallies): JobResults {
  const { spec, steps, totals } = r;
  const T = spec.cluster.trainers;
  const steady = steadySteps(steps, T);
  const sum = (f: (s: StepRecord) => number) => steady.reduce((a, s) => a + f(s), 0);
  const wall = sum((s) => s.wall_s);
  const pushBytes = r.shardStats.reduce((a, s) => a + s.pushBytes, 0);
  const pullBytes = r.shardStats.reduce((a, s) => a + s.pullBytes, 0);
  const batchBytes = r.samplers.batchBytes;
  let throughput: TrainResults['throughput'] = {
    ...throughputOf(steady, T),
    end_to_end_seeds_per_s: r.endToEnd,
  };
  const prev =
    r.previous && existsSync(r.previous)
      ? (JSON.parse(readFileSync(r.previous, 'utf8')) as Partial<TrainResults>)
      : undefined;
  if (steady.length === 0 && prev?.throughput) throughput = prev.throughput;
  // A resumed run's duration counts the part before it too (as far as results.json recorded it).
  const earlierS = r.resumedAtEpoch !== undefined ? (prev?.duration_s ?? 0) : 0;
  return {
    task: spec.task,
    backend: r.backend,
    config: spec,
    ...bestResults(r.state.bestVal, r.state.testAtBest),
    best_epoch: r.state.bestEpoch + 1,
    ...(r.state.bestCheckpoint ? { best_checkpoint: r.state.bestCheckpoint } : {}),
    epochs: r.state.epoch + 1,
    stopped_early: r.state.stoppedEarly,
    duration_s: earlierS + r.durationS,
    ...(r.resumedAtEpoch !== undefined ? { resumed_after_epoch: r.resumedAtEpoch } : {}),
    throughput,
    peak_rss_bytes: peakRssBytes(),
    run_dir: r.runDir,
    numerics: {
      non_finite_rollbacks: r.state.nonFiniteRollbacks ?? 0,
      lr_scale: r.state.lrScale ?? 1,
    },
    checkpoint_store: r.locator,
    speedups: {
      fanouts: r.fanouts,
      syncs: steps.reduce((a, st) => a + (st.syncs ?? 0), 0),
      ...(spec.task === 'link'
        ? {
            member_encodings_per_record:
              sum((st) => st.member_encodings ?? 0) /
              Math.max(
                1,
                sum((st) => st.seeds),
              ),
          }
        : {}),
      cloned_bytes: r.samplers.clonedBytes,
      mlp_init_s: r.mlpInitSeconds,
    },
    distributed: {
      trainers: T,
      parameter_servers: spec.cluster.parameterServers,
      samplers: spec.cluster.samplers,
      local_steps: spec.train.localSteps,
      sync: spec.train.sync,
      rounds: totals.rounds,
      batches_planned: totals.planned,
      batches_applied: totals.applied,
      batches_repeated: totals.repeated,
      batches_missing: totals.missing,
      push_bytes: pushBytes,
      pull_bytes: pullBytes,
      batch_bytes: batchBytes,
      partition_bytes: r.samplers.partitionBytes,
      bytes_per_round: totals.rounds > 0 ? (pushBytes + pullBytes + batchBytes) / totals.rounds : 0,
      sync_share: wall > 0 ? sum((s) => s.sync_s) / wall : 0,
      actor_restarts: r.restarts,
      stale_rejections: r.shardStats.reduce((a, s) => a + (s.staleRejected ?? 0), 0),
      max_staleness: Math.max(0, ...r.shardStats.map((s) => s.maxStaleness ?? 0)),
      rollbacks: r.rollbacks,
      batches_discarded: r.batchesDiscarded,
    },
  };
}

/** The best epoch's metrics: the trained relation's at the top, each listed relation's in a block. */
function bestResults(
  val: Record<string, number>,
  test: Record<string, number>,
): Pick<TrainResults, 'val' | 'test' | 'relations'> {
  const b = withRelationBlocks(val, test);
  return {
    val: b.val ?? {},
    test: b.test ?? {},
    ...(b.relations ? { relations: b.relations } : {}),
  };
}
