// The pool task a sampler worker thread runs per batch: read the batch's seeds from the shared epoch
// plan, sample and gather straight into a reservation of the trainer's shared-memory queue.
import { fromHandle, type GraphHandle } from '../../graph-store/shared-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { poolQueueProducer, poolShared } from '../../runtime/pool-worker.js';
import { reserveBatch } from '../../runtime/shm-queue-batch.js';
import type { ShmQueueHandle } from '../../runtime/shm-queue.js';
import { sameFanouts, withFanouts } from '../plan/adaptive-fanouts.js';
import { CloneSender } from '../batch/clone-handoff.js';
import { readBatchHeader, allocateArrays, type BatchFields } from '../batch/batch-record.js';
import { BatchProducer, type BatchRequest, type ProducerConfig } from '../batch/batch-producer.js';
import { requestFor, type SeedSource } from '../plan/seed-source.js';

export interface SamplerShared {
  graph: GraphHandle;
  producer: ProducerConfig;
  /** The trainer's shared-memory queue (handoff shm). */
  queue?: ShmQueueHandle;
  /** handoff clone: the BroadcastChannel batches are posted on instead of a queue. */
  cloneChannel?: string;
  seeds: SeedSource;
}

export interface SampleTask {
  epoch: number;
  batch: number;
  batchSize: number;
  /** The epoch's seed order (Int32Array over a SharedArrayBuffer: shared, not copied). */
  order: Int32Array;
  batchSeed: number;
  /** Adaptive sampling: this batch's fanouts (the worker rebuilds its sampler when they change). */
  fanouts?: number[];
}

export interface SampleTaskResult {
  sampleMs: number;
  gatherMs: number;
  edges: number;
  /** Bytes posted by structured clone (0 when the batch went through shared memory). */
  clonedBytes: number;
}

let state:
  | {
      graph: SharedGraph;
      producer: BatchProducer;
      shared: SamplerShared;
      fanouts: readonly number[];
      clone?: CloneSender;
    }
  | undefined;

function init(fanouts?: number[]): NonNullable<typeof state> {
  if (state) {
    if (fanouts && !sameFanouts(fanouts, state.fanouts)) {
      state.producer = new BatchProducer(state.graph, withFanouts(state.shared.producer, fanouts));
      state.fanouts = fanouts;
    }
    return state;
  }
  const shared = poolShared<SamplerShared>();
  const graph = fromHandle(shared.graph);
  const config = withFanouts(shared.producer, fanouts);
  state = {
    graph,
    producer: new BatchProducer(graph, config),
    shared,
    fanouts: config.sampler.fanouts,
    ...(shared.cloneChannel ? { clone: new CloneSender(shared.cloneChannel) } : {}),
  };
  return state;
}

/** Samples batch `task.batch` into the queue; returns only its timings (the batch itself is in shared memory). */
export default function sampleBatch(task: SampleTask): SampleTaskResult {
  const { producer, shared, clone } = init(task.fanouts);
  const req: BatchRequest = requestFor(
    shared.seeds,
    task.order,
    task.epoch,
    task.batch,
    task.batchSize,
    task.batchSeed,
  );
  if (clone) {
    const fields = producer.produce(req, (shape) => allocateArrays<BatchFields>(shape));
    const clonedBytes = clone.send(fields);
    const { sampleMs, gatherMs, edges } = readBatchHeader(fields.meta);
    return { sampleMs, gatherMs, edges, clonedBytes };
  }
  const queue = poolQueueProducer(shared.queue!);
  let reserved: ReturnType<typeof reserveBatch<BatchFields>> | undefined;
  let out: BatchFields;
  try {
    out = producer.produce(req, (shape) => {
      reserved = reserveBatch<BatchFields>(queue, shape);
      return reserved.arrays;
    });
  } catch (err) {
    // An open reservation would stop the consumer at this ring position for good.
    reserved?.reservation.abort();
    throw err;
  }
  reserved!.commit();
  const { sampleMs, gatherMs, edges } = readBatchHeader(out.meta);
  return { sampleMs, gatherMs, edges, clonedBytes: 0 };
}
