// The pool task of a parallel `weft embed`: one batch of consecutive node ids encoded by this thread's
// own model (built once per thread from the run's weights), rows returned to be written in order.
import { fromHandle, type GraphHandle } from '../../graph-store/shared-graph.js';
import { initBackend, type BackendPreference } from '../../kernels/tf/backend.js';
import { poolShared } from '../../runtime/pool-worker.js';
import type { JobSpec } from '../job-spec.js';
import { NodeEncoder } from './node-encoder.js';
import type { RunWeights } from './trained-run.js';

export interface EmbedShared {
  graph: GraphHandle;
  spec: JobSpec;
  weights: RunWeights;
  /** The backend the main thread resolved, so every thread computes with the same kernels. */
  backend: BackendPreference;
}

/** Batch `batch` of the pass: ids [first, first + count). */
export interface EmbedTask {
  batch: number;
  first: number;
  count: number;
}

/** Ids [first, first + ids.length) into `ids`: a batch of the pass is always consecutive ids. */
export function fillBatchIds(ids: Int32Array, first: number): Int32Array {
  for (let i = 0; i < ids.length; i++) ids[i] = first + i;
  return ids;
}

let encoder: Promise<NodeEncoder> | undefined;

async function threadEncoder(): Promise<NodeEncoder> {
  const shared = poolShared<EmbedShared>();
  await initBackend(shared.backend);
  return new NodeEncoder(shared.spec, fromHandle(shared.graph), shared.weights);
}

/** Rows [task.count × dim] of one batch, the same values the single-thread pass computes for it. */
export default async function embedBatch(task: EmbedTask): Promise<Float32Array> {
  encoder ??= threadEncoder();
  const ids = fillBatchIds(new Int32Array(task.count), task.first);
  return (await encoder).encode(ids, task.batch);
}
