// A sampler's production for a trainer of its own process: a pool of worker threads samples each
// batch straight into the trainer's shared-memory ring (or posts it as a structured clone), at most
// `prefetch` batches ahead of the trainer's credits.
import type { GraphHandle } from '../../graph-store/shared-graph.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { WorkerPool } from '../../runtime/pool.js';
import type { ShmQueueHandle } from '../../runtime/shm-queue.js';
import type { ProducerConfig } from '../batch/batch-producer.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { batchSeed, type EpochPlan } from '../plan/epoch-plan.js';
import type { SeedSource } from '../plan/seed-source.js';
import type { SampleTask, SampleTaskResult, SamplerShared } from './sample-task.js';

/** Where pushed batches go: the trainer's ring, or a BroadcastChannel (hand-off `clone`). */
export type SinkConfig =
  { kind: 'queue'; queue: ShmQueueHandle } | { kind: 'clone'; channel: string };

export interface PoolSinkOptions {
  graph: GraphHandle;
  producer: ProducerConfig;
  seeds: SeedSource;
  sink: SinkConfig;
  threads: number;
  prefetch: number;
  seed: number;
}

export class PoolSink {
  private readonly pool: WorkerPool<SampleTask, SampleTaskResult, SamplerShared>;
  private plan?: EpochPlan;
  private order: Int32Array = new Int32Array(0);
  private next = 0;
  private fanouts: number[] | undefined;
  readonly totals = { batches: 0, sampleSeconds: 0, gatherSeconds: 0, edges: 0, clonedBytes: 0 };

  constructor(
    private readonly options: PoolSinkOptions,
    private readonly metrics: RoleMetrics<'sampler'>,
    private readonly fail: (error: unknown) => void,
  ) {
    const { sink } = options;
    this.pool = new WorkerPool<SampleTask, SampleTaskResult, SamplerShared>({
      module: moduleUrl('./sample-task.js', import.meta.url),
      shared: {
        graph: options.graph,
        producer: options.producer,
        ...(sink.kind === 'queue' ? { queue: sink.queue } : { cloneChannel: sink.channel }),
        seeds: options.seeds,
      },
      threads: options.threads,
      name: 'sampler',
    });
  }

  /** Starts epoch `plan.epoch`: the first `prefetch` batches are dispatched at once. */
  start(plan: EpochPlan, fanouts: number[] | undefined): number {
    if (fanouts) this.fanouts = fanouts;
    this.plan = plan;
    // Shared, not copied, with the pool's threads.
    this.order = new Int32Array(new SharedArrayBuffer(Math.max(8, plan.order.byteLength)));
    this.order.set(plan.order);
    this.order = this.order.subarray(0, plan.order.length);
    this.next = 0;
    const first = Math.min(plan.numBatches, this.options.prefetch);
    for (let i = 0; i < first; i++) this.dispatch();
    return first;
  }

  /** The trainer consumed a batch of `epoch`: one more may be produced. */
  credit(epoch: number): void {
    if (this.plan && epoch === this.plan.epoch && this.next < this.plan.numBatches) this.dispatch();
  }

  private dispatch(): void {
    const plan = this.plan!;
    const b = this.next++;
    const task: SampleTask = {
      epoch: plan.epoch,
      batch: b,
      batchSize: plan.batchSize,
      order: this.order,
      batchSeed: batchSeed(this.options.seed, plan.epoch, b),
      ...(this.fanouts ? { fanouts: this.fanouts } : {}),
    };
    const seeds = Math.max(0, Math.min(plan.batchSize, plan.order.length - b * plan.batchSize));
    this.pool.run(task).then((r) => {
      const m = this.metrics;
      m.weft_sampler_batches_total.inc();
      m.weft_sampler_seeds_total.inc(seeds);
      m.weft_sampler_sampled_edges_total.inc(r.edges);
      m.weft_sampler_batch_duration_seconds.observe((r.sampleMs + r.gatherMs) / 1000);
      const t = this.totals;
      t.batches++;
      t.sampleSeconds += r.sampleMs / 1000;
      t.gatherSeconds += r.gatherMs / 1000;
      t.edges += r.edges;
      t.clonedBytes += r.clonedBytes;
    }, this.fail);
  }

  close(): Promise<void> {
    return this.pool.close({ force: true });
  }
}
