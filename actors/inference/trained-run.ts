// A finished (or stopped) training run as inference sees it: the job spec and parameters of the
// checkpoint chosen (by default the best validation's), and the graph it trained on (or another one
// with the same schema).
import { jobGraph } from '../plan/feature-norm.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { ParamMap } from '../../kernels/nn/params.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import type { Checkpoint } from '../parameter-server/checkpoint.js';
import { pathCheckpointStore } from '../parameter-server/checkpoint-store.js';
import {
  chooseCheckpoint,
  type CheckpointChoice,
  type ChosenCheckpoint,
  type ScoredCheckpoint,
} from './checkpoint-choice.js';
import { jetStreamRunCheckpoint } from './run-checkpoint.js';
import { NO_FEATURES_HINT } from '../../graph-store/errors.js';
import { upgradeSavedSpec } from '../saved-spec.js';

export interface TrainedRun {
  /** Absolute run directory. */
  runDir: string;
  /** The resolved job spec the run trained with; `graph` replaced by the override when given. */
  spec: JobSpec;
  /** The checkpoint chosen (parameters and optimizer slots). */
  checkpoint: Checkpoint;
  /** Which it is: the best validation's, the newest, or the version asked for. */
  scored: ScoredCheckpoint;
  /** Why it differs from what was asked, when it does. */
  note?: string;
  /** Model parameters only: the checkpoint's tensors without optimizer slots (`name#slot`). */
  params: ParamMap;
  /** Epoch the checkpoint was written after (-1 when the checkpoint does not say). */
  epoch: number;
  /** The run's best validation epoch as of this checkpoint (-1 when unknown). */
  bestEpoch: number;
}

/** Optimizer slots are stored as `name#slot`; everything else is a model parameter. */
export function modelParams(tensors: ReadonlyMap<string, Float32Array>): ParamMap {
  const out: ParamMap = new Map();
  for (const [name, data] of tensors) if (!name.includes('#')) out.set(name, data);
  return out;
}

/** Which run to open and how: another graph, the NATS servers of its store, the checkpoint. */
export interface TrainedRunOptions {
  graph?: string;
  nats?: string;
  /** best (default: the checkpoint whose numbers results.json reports), latest, or a version. */
  checkpoint?: CheckpointChoice;
}

/**
 * Loads a run's checkpoint from RUN_DIR/checkpoints/ (by default the best validation's). The spec
 * comes from the checkpoint's meta (what the parameters were trained with), falling back to
 * results.json's `config` for runs that did not record it.
 */
export async function loadTrainedRun(
  runDir: string,
  opts: TrainedRunOptions = {},
): Promise<TrainedRun> {
  const dir = runDirOf(runDir);
  const ckptRoot = join(dir, 'checkpoints');
  const chosen = await chooseCheckpoint(pathCheckpointStore(ckptRoot), opts.checkpoint ?? 'best');
  if (!chosen) {
    throw new ConfigError(
      'no checkpoint found (train the run, or let it reach its first checkpoint)',
      { file: ckptRoot, field: 'RUN_DIR' },
    );
  }
  return trainedRunOf(dir, chosen, opts);
}

/**
 * Loads a run's checkpoint wherever the job kept it: RUN_DIR/checkpoints/ as loadTrainedRun, or the
 * JetStream object store RUN_DIR/checkpoint-store.json names (`nats`: servers to reach it at).
 */
export async function openTrainedRun(
  runDir: string,
  opts: TrainedRunOptions = {},
): Promise<TrainedRun> {
  const dir = runDirOf(runDir);
  const fromStore = await jetStreamRunCheckpoint(dir, {
    nats: opts.nats,
    checkpoint: opts.checkpoint,
  });
  return fromStore ? trainedRunOf(dir, fromStore, opts) : loadTrainedRun(dir, opts);
}

function runDirOf(runDir: string): string {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError('run directory not found', { file: dir, field: 'RUN_DIR' });
  }
  return dir;
}

/** The run as inference sees it, from the checkpoint found (spec from its meta or results.json). */
function trainedRunOf(dir: string, chosen: ChosenCheckpoint, opts: { graph?: string }): TrainedRun {
  const { checkpoint } = chosen;
  let spec = checkpoint.meta.spec as JobSpec | undefined;
  const resultsPath = join(dir, 'results.json');
  if (spec === undefined && existsSync(resultsPath)) {
    try {
      spec = (JSON.parse(readFileSync(resultsPath, 'utf8')) as { config?: JobSpec }).config;
    } catch (err) {
      throw new InputError(
        `cannot read results: ${(err as Error).message}`,
        { file: resultsPath },
        { cause: err },
      );
    }
  }
  if (spec === undefined || typeof spec !== 'object' || spec.model === undefined) {
    throw new InputError(
      'checkpoint records no job spec (meta.spec) and results.json has no config',
      {
        file: `${checkpoint.dir}/manifest.json`,
        field: 'meta.spec',
      },
    );
  }
  spec = upgradeSavedSpec(spec);
  if (opts.graph !== undefined) spec.graph = opts.graph;
  const epoch = typeof checkpoint.meta.epoch === 'number' ? checkpoint.meta.epoch : -1;
  const state = checkpoint.meta.coordinator as { bestEpoch?: unknown } | undefined;
  const bestEpoch = typeof state?.bestEpoch === 'number' ? state.bestEpoch : -1;
  return {
    runDir: dir,
    spec,
    checkpoint,
    scored: chosen.scored,
    ...(chosen.note ? { note: chosen.note } : {}),
    params: modelParams(checkpoint.tensors),
    epoch,
    bestEpoch,
  };
}

/** Opens the run's graph; a missing directory is named with a hint to pass --graph. */
export async function openRunGraph(run: TrainedRun, graphFlagGiven = false): Promise<SharedGraph> {
  const where = graphFlagGiven ? '--graph' : 'graph';
  if (!run.spec.graph) {
    throw new ConfigError('the run records no graph directory; pass --graph DIR', { field: where });
  }
  const dir = resolve(run.spec.graph);
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    const what = existsSync(dir)
      ? `no ${MANIFEST_FILE} in graph directory`
      : 'graph directory not found';
    const hint = graphFlagGiven
      ? ''
      : ` (the run trained on ${run.spec.graph}; pass --graph DIR to use another copy)`;
    throw new ConfigError(`${what}${hint}`, { file: dir, field: where });
  }
  const graph = jobGraph(await openGraph(dir), run.spec);
  if (graph.dim === 0)
    throw new ConfigError(`graph ${dir} has no node features: ${NO_FEATURES_HINT}`, {
      file: dir,
      field: where,
    });
  return graph;
}

/** What a model needs of a run: its parameters, and the checkpoint's tensors and name (structured-cloneable). */
export interface RunWeights {
  params: ParamMap;
  checkpoint: Pick<Checkpoint, 'dir' | 'tensors'>;
}

/** A run's weights alone, to hand to worker threads (each builds its own model from them). */
export function runWeights(run: TrainedRun): RunWeights {
  return {
    params: run.params,
    checkpoint: { dir: run.checkpoint.dir, tensors: run.checkpoint.tensors },
  };
}

/**
 * Uploads the run's parameters into a model, turning a shape mismatch (another graph's feature width,
 * a checkpoint of another model) into an error that names the checkpoint.
 */
export function setRunParams(model: { setParams(p: ParamMap): void }, run: RunWeights): void {
  try {
    model.setParams(run.params);
  } catch (err) {
    throw new InputError(
      `checkpoint parameters do not fit the model built from its spec and graph: ${(err as Error).message}`,
      // A string join: the checkpoint may be `jetstream://<bucket>/vNNNNNNNNN`, not a path.
      { file: `${run.checkpoint.dir}/manifest.json` },
      { cause: err },
    );
  }
}
