// The compute loop of `weft embed`: batches of consecutive ids encoded inline (one worker) or on a
// pool of threads that each build the model once, rows streamed to the sink in id order either way.
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
  /** Threads computing batches: 1 computes inline on this thread. */
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

/** Batches a pool thread may have computed ahead of the writer, per thread: bounds memory. */
const AHEAD_PER_WORKER = 2;

/** Computes every batch of `pass.plan` and appends its rows to `sink` in id order. */
export async function runEmbedPass(pass: EmbedPass, sink: EmbeddingSink): Promise<void> {
  const { plan } = pass;
  const ids = new Int32Array(Math.min(plan.batchSize, plan.count));
  const write = (task: EmbedTask, rows: Float32Array) => {
    sink.append(fillBatchIds(ids.subarray(0, task.count), task.first), rows);
    pass.onProgress?.(task.first - plan.offset + task.count, plan.count);
  };
  const workers = Math.min(pass.workers, Math.max(1, numBatches(plan)));
  if (workers === 1) return inlinePass(pass, write);
  const pool = new WorkerPool<EmbedTask, Float32Array, EmbedShared>({
    module: moduleUrl('./embed-task.js', import.meta.url),
    shared: {
      graph: pass.graph.toHandle(),
      spec: pass.spec,
      weights: pass.weights,
      backend: pass.backend,
    },
    threads: workers,
    name: 'embed',
  });
  let failed = false;
  try {
    await computeInOrder(plan, workers * AHEAD_PER_WORKER, (task) => pool.run(task), write);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await pool.close({ force: failed });
  }
}

/** One batch at a time on this thread: the reference the pool's output must equal byte for byte. */
async function inlinePass(
  pass: EmbedPass,
  write: (task: EmbedTask, rows: Float32Array) => void,
): Promise<void> {
  const encoder = new NodeEncoder(pass.spec, pass.graph, pass.weights);
  const ids = new Int32Array(Math.min(pass.plan.batchSize, pass.plan.count));
  try {
    await computeInOrder(
      pass.plan,
      1,
      (task) => encoder.encode(fillBatchIds(ids.subarray(0, task.count), task.first), task.batch),
      write,
    );
  } finally {
    encoder.dispose();
  }
}
