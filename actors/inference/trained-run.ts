// A finished (or stopped) training run as inference sees it: the job spec and parameters of its
// newest checkpoint, and the graph it trained on (or another one with the same schema).
import { jobGraph } from '../plan/feature-norm.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { ParamMap } from '../../kernels/nn/params.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { latestCheckpoint, type Checkpoint } from '../parameter-server/checkpoint.js';
import { jetStreamRunCheckpoint } from './run-checkpoint.js';

export interface TrainedRun {
  /** Absolute run directory. */
  runDir: string;
  /** The resolved job spec the run trained with; `graph` replaced by the override when given. */
  spec: JobSpec;
  /** The newest complete checkpoint (parameters and optimizer slots). */
  checkpoint: Checkpoint;
  /** Model parameters only: the checkpoint's tensors without optimizer slots (`name#slot`). */
  params: ParamMap;
  /** Epoch the checkpoint was written after (-1 when the checkpoint does not say). */
  epoch: number;
}

/** Optimizer slots are stored as `name#slot`; everything else is a model parameter. */
export function modelParams(tensors: ReadonlyMap<string, Float32Array>): ParamMap {
  const out: ParamMap = new Map();
  for (const [name, data] of tensors) if (!name.includes('#')) out.set(name, data);
  return out;
}

/**
 * Loads a run's newest checkpoint. The spec comes from the checkpoint's meta (what the parameters
 * were trained with), falling back to results.json's `config` for runs that did not record it.
 */
export function loadTrainedRun(runDir: string, opts: { graph?: string } = {}): TrainedRun {
  const dir = runDirOf(runDir);
  const ckptRoot = join(dir, 'checkpoints');
  const checkpoint = latestCheckpoint(ckptRoot);
  if (!checkpoint) {
    throw new ConfigError(
      'no checkpoint found (train the run, or let it reach its first checkpoint)',
      { file: ckptRoot, field: 'RUN_DIR' },
    );
  }
  return trainedRunOf(dir, checkpoint, opts);
}

/**
 * Loads a run's newest checkpoint wherever the job kept it: RUN_DIR/checkpoints/ as loadTrainedRun,
 * or the JetStream object store RUN_DIR/checkpoint-store.json names (`nats`: servers to reach it at).
 */
export async function openTrainedRun(
  runDir: string,
  opts: { graph?: string; nats?: string } = {},
): Promise<TrainedRun> {
  const dir = runDirOf(runDir);
  const fromStore = await jetStreamRunCheckpoint(dir, { nats: opts.nats });
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
function trainedRunOf(dir: string, checkpoint: Checkpoint, opts: { graph?: string }): TrainedRun {
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
  spec = structuredClone(spec);
  if (opts.graph !== undefined) spec.graph = opts.graph;
  const epoch = typeof checkpoint.meta.epoch === 'number' ? checkpoint.meta.epoch : -1;
  return { runDir: dir, spec, checkpoint, params: modelParams(checkpoint.tensors), epoch };
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
  const graph = await openGraph(dir);
  if (graph.dim === 0)
    throw new ConfigError(`graph ${dir} has no node features`, { file: dir, field: where });
  return jobGraph(graph, run.spec);
}

/**
 * Uploads the run's parameters into a model, turning a shape mismatch (another graph's feature width,
 * a checkpoint of another model) into an error that names the checkpoint.
 */
export function setRunParams(model: { setParams(p: ParamMap): void }, run: TrainedRun): void {
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
