// The sampler actor: runs batch sampling on a pool of worker threads that write straight into the
// trainer's shared-memory queue, keeping at most `prefetch` batches ahead of the trainer's credits.
import { Actor, implement } from '../../runtime/actor.js';
import { moduleUrl } from '../../runtime/module-url.js';
import { WorkerPool } from '../../runtime/pool.js';
import { actorMetrics } from '../actor-metrics.js';
import { batchSeed } from '../plan/epoch-plan.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import { SamplerProtocol } from '../protocols.js';
import type { SampleTask, SampleTaskResult, SamplerShared } from './sample-task.js';

export interface SamplerConfig {
  shared: SamplerShared;
  threads: number;
  prefetch: number;
  batchSize: number;
  seed: number;
}

export class SamplerActor extends Actor<SamplerConfig> {
  private pool!: WorkerPool<SampleTask, SampleTaskResult, SamplerShared>;
  private epoch = -1;
  private order: Int32Array = new Int32Array(0);
  private numBatches = 0;
  private next = 0;
  private fanouts: number[] | undefined;
  private stats = { batches: 0, sampleSeconds: 0, gatherSeconds: 0, edges: 0, clonedBytes: 0 };
  private metrics!: RoleMetrics<'sampler'>;

  override onStart(): void {
    const c = this.ctx.config;
    const { job, index } = this.ctx.self;
    this.metrics = actorMetrics('sampler', { job, index: Number(index) });
    this.pool = new WorkerPool<SampleTask, SampleTaskResult, SamplerShared>({
      module: moduleUrl('./sample-task.js', import.meta.url),
      shared: c.shared,
      threads: c.threads,
      name: 'sampler',
    });
  }

  override async onStop(): Promise<void> {
    await this.pool?.close({ force: true });
  }

  private dispatch(): void {
    const c = this.ctx.config;
    const b = this.next++;
    const epoch = this.epoch;
    const task: SampleTask = {
      epoch,
      batch: b,
      batchSize: c.batchSize,
      order: this.order,
      batchSeed: batchSeed(c.seed, epoch, b),
      ...(this.fanouts ? { fanouts: this.fanouts } : {}),
    };
    const seeds = Math.max(0, Math.min(c.batchSize, this.order.length - b * c.batchSize));
    this.pool.run(task).then(
      (r) => {
        const m = this.metrics;
        m.weft_sampler_batches_total.inc();
        m.weft_sampler_seeds_total.inc(seeds);
        m.weft_sampler_sampled_edges_total.inc(r.edges);
        m.weft_sampler_batch_duration_seconds.observe((r.sampleMs + r.gatherMs) / 1000);
        this.stats.batches++;
        this.stats.sampleSeconds += r.sampleMs / 1000;
        this.stats.gatherSeconds += r.gatherMs / 1000;
        this.stats.edges += r.edges;
        this.stats.clonedBytes += r.clonedBytes;
      },
      (err: unknown) => this.ctx.fail(err),
    );
  }

  readonly handlers = implement(SamplerProtocol, {
    startEpoch: ({ epoch, numBatches, order, fanouts }) => {
      if (fanouts) this.fanouts = fanouts;
      this.epoch = epoch;
      this.order = order as Int32Array;
      this.numBatches = numBatches;
      this.next = 0;
      const first = Math.min(numBatches, this.ctx.config.prefetch);
      for (let i = 0; i < first; i++) this.dispatch();
      return { queued: first };
    },
    credit: ({ epoch }) => {
      if (epoch === this.epoch && this.next < this.numBatches) this.dispatch();
    },
    stats: () => ({ ...this.stats }),
  });
}
