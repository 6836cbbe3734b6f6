// `weft eval`: the metrics of a run's checkpoint (by default the best validation's, whose numbers
// results.json reports) on validation and/or test, computed with the trainer's own evaluation (same
// sampler settings and batch seeds) in this thread.
import type { JobSpec } from '../job-spec.js';
import { IdTableHost } from '../parameter-server/id-table-host.js';
import { idTableConfigOf } from '../parameter-server/id-table-spec.js';
import { backendLabel, initBackend, type BackendPreference } from '../../kernels/tf/backend.js';
import { withRelationBlocks, type RelationResults } from '../plan/eval-relations.js';
import { coreOverGraph } from '../trainer/trainer-core.js';
import type { CheckpointChoice, ScoredCheckpoint } from './checkpoint-choice.js';
import { openRunGraph, openTrainedRun, setRunParams } from './trained-run.js';

export type EvalSplit = 'val' | 'test' | 'both';

export interface EvaluateOptions {
  /** Which split(s) to evaluate. Default 'both'. */
  split?: EvalSplit;
  /** Graph directory to use instead of the one recorded in the run. */
  graph?: string;
  /** Backend instead of the run's `runtime.backend`. */
  backend?: BackendPreference;
  /** NATS URL(s) of a JetStream-checkpointed run's store, instead of the servers it recorded. */
  nats?: string;
  /** Which checkpoint: best (default), latest, or a parameter version. */
  checkpoint?: CheckpointChoice;
  /** eval.ranking instead of the run's (exact: also every candidate of the destination type). */
  ranking?: JobSpec['eval']['ranking'];
  /** eval.relations instead of the run's: relations scored beside the trained one. */
  relations?: string[];
}

export interface EvalReport {
  run_dir: string;
  task: 'node' | 'link';
  graph: string;
  backend: string;
  /** Parameter version of the checkpoint evaluated. */
  checkpoint_step: number;
  checkpoint_dir: string;
  /** Epoch after which the checkpoint was written, counted from 1 as on screen (0 when unknown). */
  epoch: number;
  /** Which checkpoint was scored: the best validation's, the newest, or the version asked for. */
  scored: ScoredCheckpoint;
  /**
   * The run's best validation epoch as of that checkpoint, counted from 1 as in results.json (0 when
   * unknown).
   */
  best_epoch: number;
  /** Why the checkpoint scored is not the one asked for, when it is not. */
  note?: string;
  /** accuracy, macro_f1, count (node) or auc, mrr, hits@10, count, ... (link). */
  val?: Record<string, number>;
  test?: Record<string, number>;
  /** eval.relations: each listed relation's val and test metrics (docs/evaluation.md). */
  relations?: RelationResults;
  seconds: number;
}

/** Evaluates a checkpoint of `runDir` (by default the best validation's) on the chosen split(s). */
export async function evaluateRun(runDir: string, opts: EvaluateOptions = {}): Promise<EvalReport> {
  const t0 = performance.now();
  const split = opts.split ?? 'both';
  const run = await openTrainedRun(runDir, {
    graph: opts.graph,
    nats: opts.nats,
    checkpoint: opts.checkpoint,
  });
  const graph = await openRunGraph(run, opts.graph !== undefined);
  const backend = await initBackend(opts.backend ?? run.spec.runtime.backend);
  const spec = {
    ...run.spec,
    eval: {
      ...run.spec.eval,
      ...(opts.ranking ? { ranking: opts.ranking } : {}),
      ...(opts.relations ? { relations: opts.relations } : {}),
    },
  };
  const { core } = coreOverGraph(spec, graph);
  try {
    setRunParams(core, run);
    // ID embeddings: the checkpoint's table answers the rows (unseen ids get their initial rows).
    const idTable = idTableConfigOf(run.spec, graph.numClasses);
    if (idTable) {
      const host = new IdTableHost(idTable);
      host.restore(run.checkpoint.tensors);
      core.idRowSource = (ids) => Promise.resolve(host.pullRows(ids, false));
    }
    const report: EvalReport = {
      run_dir: run.runDir,
      task: run.spec.task,
      graph: graph.dir,
      backend: backendLabel(backend),
      checkpoint_step: run.checkpoint.step,
      checkpoint_dir: run.checkpoint.dir,
      epoch: run.epoch + 1,
      scored: run.scored,
      best_epoch: run.bestEpoch + 1,
      ...(run.note ? { note: run.note } : {}),
      seconds: 0,
    };
    // Validation first, as the coordinator does, so both see the same sampler state.
    const val = split === 'test' ? undefined : await core.evaluate('val');
    const test = split === 'val' ? undefined : await core.evaluate('test');
    Object.assign(report, withRelationBlocks(val, test));
    report.seconds = (performance.now() - t0) / 1000;
    return report;
  } finally {
    core.model.dispose();
  }
}
