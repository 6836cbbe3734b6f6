// The trainer's batch source stage: where its batches of an epoch come from, in its training order —
// a sampler of its own process (shared-memory queue or clone hand-off), its own thread, or NATS.
import type { BatchView } from '../batch/batch-view.js';

/** One batch as the trainer receives it. Its views live until `release()`. */
export interface SourcedBatch {
  view: BatchView;
  /** Milliseconds the trainer waited for it (0 when sampled inline). */
  waitMs: number;
  /** Milliseconds of sampling and gathering it took, wherever that ran. */
  sampleMs: number;
  /** Hands the record's memory back (and the sampler a credit); the views die with it. */
  release(): void;
}

export interface BatchSource {
  /** 'inline' when the trainer samples on its own thread (what its metrics report). */
  readonly kind: 'queue' | 'clone' | 'inline' | 'fetch';
  /** Starts epoch `epoch`, whose batches (plan indices) this trainer takes in this order. */
  begin(epoch: number, batches: readonly number[]): void;
  /** The `i`-th batch of `begin`'s list; asked for in order, each once. */
  next(i: number): Promise<SourcedBatch>;
  /** Batches received and not yet trained on (the trainer's queue depth). */
  readonly depth: number;
  close(): void;
}

/** How a trainer's batches reach it, as its config carries it (plain data: it crosses threads). */
export type BatchSourceConfig =
  | { kind: 'fetch' }
  | { kind: 'queue'; queue: import('../../runtime/shm-queue.js').ShmQueueHandle }
  | { kind: 'clone'; channel: string }
  | { kind: 'inline' };
