// The pool task a sampler worker thread runs per batch: read the batch's seeds from the shared epoch
// plan, sample and gather straight into a reservation of the trainer's shared-memory queue.
import { fromHandle, type GraphHandle } from '../../graph-store/shared-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { poolQueueProducer, poolShared } from '../../runtime/pool-worker.js';
import { reserveBatch } from '../../runtime/shm-queue-batch.js';
import type { ShmQueueHandle } from '../../runtime/shm-queue.js';
import {
  BatchProducer,
  type BatchFields,
  type BatchRequest,
  type ProducerConfig,
} from './batch-producer.js';
import { requestFor, type SeedSource } from './seed-source.js';

export interface SamplerShared {
  graph: GraphHandle;
  producer: ProducerConfig;
  queue: ShmQueueHandle;
  seeds: SeedSource;
}

export interface SampleTask {
  epoch: number;
  batch: number;
  batchSize: number;
  /** The epoch's seed order (Int32Array over a SharedArrayBuffer: shared, not copied). */
  order: Int32Array;
  batchSeed: number;
}

export interface SampleTaskResult {
  sampleMs: number;
  gatherMs: number;
  edges: number;
}

let state: { graph: SharedGraph; producer: BatchProducer; shared: SamplerShared } | undefined;

function init(): NonNullable<typeof state> {
  if (state) return state;
  const shared = poolShared<SamplerShared>();
  const graph = fromHandle(shared.graph);
  state = { graph, producer: new BatchProducer(graph, shared.producer), shared };
  return state;
}

/** Samples batch `task.batch` into the queue; returns only its timings (the batch itself is in shared memory). */
export default function sampleBatch(task: SampleTask): SampleTaskResult {
  const { producer, shared } = init();
  const req: BatchRequest = requestFor(
    shared.seeds,
    task.order,
    task.epoch,
    task.batch,
    task.batchSize,
    task.batchSeed,
  );
  const queue = poolQueueProducer(shared.queue);
  let commit: (() => void) | undefined;
  const out = producer.produce(req, (shape) => {
    const r = reserveBatch<BatchFields>(queue, shape);
    commit = r.commit;
    return r.arrays;
  });
  commit!();
  return { sampleMs: out.meta[4], gatherMs: out.meta[5], edges: out.meta[3] };
}
