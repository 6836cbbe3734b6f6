// Batch hand-off by postMessage structured clone (sampling.handoff: clone): the pool workers post
// each batch's arrays on a named BroadcastChannel and the trainer receives them — a copy each way.
//
// This is the baseline the shared-memory queue is measured against: same worker prefetch, but every
// batch is serialised by the sender and deserialised on the trainer's thread.
import { BroadcastChannel } from 'node:worker_threads';
import type { BatchFields } from './batch-record.js';
import { viewBatch, type BatchView } from './batch-view.js';

/** Channel name of a job's cloned batches. */
export function cloneChannelName(job: string): string {
  return `weft-${job}-batches-clone`;
}

/** Bytes of the typed arrays of a batch: what a structured clone copies. */
export function batchBytes(fields: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(fields)) if (ArrayBuffer.isView(v)) n += v.byteLength;
  return n;
}

/** Worker side: posts batches (structured clone). One per worker thread, opened on first use. */
export class CloneSender {
  private channel: BroadcastChannel | undefined;

  constructor(private readonly name: string) {}

  /** Posts one batch; returns the bytes cloned. */
  send(fields: BatchFields): number {
    if (!this.channel) {
      this.channel = new BroadcastChannel(this.name);
      this.channel.unref();
    }
    this.channel.postMessage(fields);
    return batchBytes(fields);
  }

  close(): void {
    this.channel?.close();
    this.channel = undefined;
  }
}

/**
 * Trainer side: receives cloned batches and hands them out in plan order, holding early arrivals
 * (parallel workers finish out of order) until their turn.
 */
export class CloneReceiver {
  private readonly channel: BroadcastChannel;
  private readonly held = new Map<string, BatchView>();
  private waiter: { key: string; resolve: (v: BatchView) => void } | undefined;
  /** Batches and bytes received so far. */
  batches = 0;
  bytes = 0;

  constructor(name: string) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (ev: unknown) => {
      const fields = (ev as { data: BatchFields }).data;
      this.batches++;
      this.bytes += batchBytes(fields as unknown as Record<string, unknown>);
      const view = viewBatch(fields);
      const key = `${view.epoch}:${view.batch}`;
      if (this.waiter && this.waiter.key === key) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(view);
      } else this.held.set(key, view);
    };
    // Idle between epochs must not keep the thread alive.
    this.channel.unref();
  }

  /** The batch `batch` of `epoch`, waiting up to `timeoutMs` for it. */
  next(epoch: number, batch: number, timeoutMs: number): Promise<BatchView> {
    const key = `${epoch}:${batch}`;
    const ready = this.held.get(key);
    if (ready) {
      this.held.delete(key);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no cloned batch ${key} from the samplers within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        key,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
    });
  }

  close(): void {
    this.held.clear();
    this.channel.close();
  }
}
