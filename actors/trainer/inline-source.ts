// Batches the trainer samples itself, on its own thread, from the epoch's plan (hand-off `inline`):
// no sampler actor, no queue; sampling time is the trainer's.
import type { EpochPlan } from '../plan/epoch-plan.js';
import type { BatchSource, SourcedBatch } from './batch-source.js';
import type { BatchView } from '../batch/batch-view.js';

/** Samples batch `batch` of `epoch` from the plan's seed order. */
export type SampleInline = (order: Int32Array, epoch: number, batch: number) => BatchView;

export class InlineSource implements BatchSource {
  readonly kind = 'inline';
  readonly depth = 0;
  private epoch = -1;
  private batches: readonly number[] = [];
  private order: Int32Array = new Int32Array(0);

  constructor(
    private readonly planOf: (epoch: number) => EpochPlan,
    private readonly sample: SampleInline,
  ) {}

  begin(epoch: number, batches: readonly number[]): void {
    this.epoch = epoch;
    this.batches = batches;
    this.order = this.planOf(epoch).order;
  }

  next(i: number): Promise<SourcedBatch> {
    const t0 = performance.now();
    const view = this.sample(this.order, this.epoch, this.batches[i]);
    return Promise.resolve({
      view,
      waitMs: 0,
      sampleMs: performance.now() - t0,
      release: () => undefined,
    });
  }

  close(): void {}
}
