// Batch sources fed by a sampler of the trainer's own process: records read in place from a
// shared-memory ring, or structured clones on a BroadcastChannel; every release is a credit back.
import { readBatch } from '../../runtime/shm-queue-batch.js';
import {
  ShmQueue,
  type ShmConsumer,
  type ShmQueueHandle,
  type ShmRecord,
} from '../../runtime/shm-queue.js';
import { BatchSourceClosedError } from './batch-errors.js';
import type { BatchFields } from '../batch/batch-record.js';
import type { BatchSource, SourcedBatch } from './batch-source.js';
import { viewBatch, type BatchView } from '../batch/batch-view.js';
import { CloneReceiver } from '../batch/clone-handoff.js';

/** Tells the sampler that batch `batch` of `epoch` was consumed: it may produce one more. */
export type Credit = (epoch: number, batch: number) => void;

abstract class LocalSource implements BatchSource {
  abstract readonly kind: 'queue' | 'clone';
  protected epoch = -1;
  protected batches: readonly number[] = [];

  constructor(
    protected readonly credit: Credit,
    protected readonly timeoutMs: number,
  ) {}

  begin(epoch: number, batches: readonly number[]): void {
    this.epoch = epoch;
    this.batches = batches;
  }

  abstract get depth(): number;
  protected abstract take(batch: number): Promise<{ view: BatchView; release?: () => void }>;
  abstract close(): void;

  async next(i: number): Promise<SourcedBatch> {
    const t0 = performance.now();
    const epoch = this.epoch;
    const batch = this.batches[i];
    const { view, release } = await this.take(batch);
    return {
      view,
      waitMs: performance.now() - t0,
      sampleMs: view.sampleMs + view.gatherMs,
      release: () => {
        release?.();
        this.credit(epoch, batch);
      },
    };
  }
}

/** The shared-memory ring the samplers fill for this trainer; early arrivals wait aside, in the ring. */
export class QueueSource extends LocalSource {
  readonly kind = 'queue';
  private readonly consumer: ShmConsumer;
  private readonly early = new Map<number, { record: ShmRecord; view: BatchView }>();

  constructor(handle: ShmQueueHandle, credit: Credit, timeoutMs: number) {
    super(credit, timeoutMs);
    this.consumer = ShmQueue.attach(handle).consumer();
  }

  get depth(): number {
    return this.early.size;
  }

  protected take(batch: number): Promise<{ view: BatchView; release: () => void }> {
    const held = this.early.get(batch);
    if (held) {
      this.early.delete(batch);
      return Promise.resolve({ view: held.view, release: () => held.record.release() });
    }
    for (;;) {
      const record = this.consumer.pop({ timeoutMs: this.timeoutMs });
      if (record === null) throw new BatchSourceClosedError(this.epoch, batch);
      const view = viewBatch(readBatch<BatchFields>(record));
      if (view.epoch === this.epoch && view.batch === batch)
        return Promise.resolve({ view, release: () => record.release() });
      this.early.set(view.batch, { record, view });
    }
  }

  close(): void {
    for (const { record } of this.early.values()) record.release();
    this.early.clear();
    this.consumer.dispose();
  }
}

/** Batches posted by the sampler workers as structured clones (the hand-off `clone`). */
export class CloneSource extends LocalSource {
  readonly kind = 'clone';
  private readonly receiver: CloneReceiver;

  constructor(channel: string, credit: Credit, timeoutMs: number) {
    super(credit, timeoutMs);
    this.receiver = new CloneReceiver(channel);
  }

  get depth(): number {
    return 0;
  }

  protected async take(batch: number): Promise<{ view: BatchView }> {
    return { view: await this.receiver.next(this.epoch, batch, this.timeoutMs) };
  }

  close(): void {
    this.receiver.close();
  }
}
