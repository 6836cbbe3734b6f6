// The compute loop of `weft embed`: batches of consecutive ids encoded on this thread and, with more
// than one worker, on pool threads that each build the model once; rows reach the sink in id order.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { BackendName } from '../../kernels/tf/backend.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { WorkerPool } from '../../runtime/pool.js';
import type { JobSpec } from '../job-spec.js';
import { fillBatchIds, type EmbedShared, type EmbedTask } from './embed-task.js';
import type { EmbeddingSink } from './embedding-writer.js';
import { NodeEncoder } from './node-encoder.js';
import { computeInOrder, numBatches, type BatchPlan } from './ordered-batches.js';
import type { RunWeights } from './trained-run.js';

export interface EmbedPass {
  spec: JobSpec;
  graph: SharedGraph;
  weights: RunWeights;
  backend: BackendName;
  plan: BatchPlan;
  /** Threads computing batches, this one included: 1 computes on this thread alone. */
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

/** Batches a worker may have computed ahead of the writer: bounds memory to a few batches each. */
const AHEAD_PER_WORKER = 2;

/**
 * Computes every batch of `pass.plan` and appends its rows to `sink` in id order. With N workers this
 * thread computes every Nth batch itself (it would otherwise sit idle waiting to write) and N - 1
 * pool threads compute the rest, so only N - 1 threads pay the start-up of loading the model.
 */
export async function runEmbedPass(pass: EmbedPass, sink: EmbeddingSink): Promise<void> {
  const { plan } = pass;
  const written = new Int32Array(Math.min(plan.batchSize, plan.count));
  const write = (task: EmbedTask, rows: Float32Array) => {
    sink.append(fillBatchIds(written.subarray(0, task.count), task.first), rows);
    pass.onProgress?.(task.first - plan.offset + task.count, plan.count);
  };
  const workers = Math.min(pass.workers, Math.max(1, numBatches(plan)));
  const encoder = new NodeEncoder(pass.spec, pass.graph, pass.weights);
  const ids = new Int32Array(written.length);
  const inline = (task: EmbedTask) =>
    encoder.encode(fillBatchIds(ids.subarray(0, task.count), task.first), task.batch);
  const pool = workers > 1 ? embedPool(pass, workers - 1) : undefined;
  let failed = false;
  try {
    const compute = pool
      ? (task: EmbedTask) => (task.batch % workers === 0 ? inline(task) : pool.run(task))
      : inline;
    await computeInOrder(plan, pool ? workers * AHEAD_PER_WORKER : 1, compute, write);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    encoder.dispose();
    await pool?.close({ force: failed });
  }
}

/** `threads` pool threads, each building its own model from the run's weights on its first batch. */
function embedPool(pass: EmbedPass, threads: number): WorkerPool<EmbedTask, Float32Array> {
  return new WorkerPool<EmbedTask, Float32Array, EmbedShared>({
    module: moduleUrl('./embed-task.js', import.meta.url),
    shared: {
      graph: pass.graph.toHandle(),
      spec: pass.spec,
      weights: pass.weights,
      backend: pass.backend,
    },
    threads,
    name: 'embed',
  });
}
