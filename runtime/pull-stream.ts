// Credit-based pulling of bulk data between actors: the producer buffers items in a bounded PullSource,
// the consumer asks for up to `credits` items at a time. Nothing is pushed unasked, so a slow consumer
// only slows the producer (backpressure) instead of losing messages.
import type { AskOptions, Handler } from './actor.js';
import { WeftError } from './errors.js';
import { s, type Infer, type Schema } from './schema.js';

/** What a consumer sends: how many items it can take now and how long the producer may wait for the first. */
export const pullRequestSchema = s.object({
  credits: s.int({ min: 1 }),
  waitMs: s.number({ min: 0, finite: true }),
});
export type PullRequest = Infer<typeof pullRequestSchema>;

/** What the producer answers: up to `credits` items; `done` once it is closed and empty. */
export interface PullBatch<T> {
  items: T[];
  done: boolean;
}

export function pullBatchSchema<T>(item: Schema<T>): Schema<PullBatch<T>> {
  return s.object({ items: s.array(item), done: s.boolean() }) as Schema<PullBatch<T>>;
}

/** push() after close(). */
export class PullSourceClosedError extends WeftError {
  constructor() {
    super('pull-source-closed', 'push on a closed pull source');
  }
}

export interface PullSourceOptions {
  /** Items buffered before push() waits (default 16). */
  capacity?: number;
}

/** The producer side: a bounded buffer that consumers drain by asking. */
export class PullSource<T> {
  readonly capacity: number;
  private readonly items: T[] = [];
  private closed = false;
  private readonly takers: (() => void)[] = [];
  private readonly pushers: (() => void)[] = [];

  constructor(options: PullSourceOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 16);
  }

  get buffered(): number {
    return this.items.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Buffers `item`, waiting while the buffer is full (that wait is the backpressure). */
  async push(item: T): Promise<void> {
    while (!this.closed && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.pushers.push(resolve));
    }
    if (this.closed) throw new PullSourceClosedError();
    this.items.push(item);
    this.takers.shift()?.();
  }

  /** No more items: consumers get what is buffered, then `done`. */
  close(): void {
    this.closed = true;
    for (const wake of this.takers.splice(0)) wake();
    for (const wake of this.pushers.splice(0)) wake();
  }

  /** Up to `credits` items; waits up to `waitMs` for the first one when the buffer is empty. */
  async take(credits: number, waitMs: number): Promise<PullBatch<T>> {
    if (this.items.length === 0 && !this.closed && waitMs > 0) {
      await new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined = undefined;
        const wake = (): void => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        this.takers.push(wake);
        timer = setTimeout(() => {
          const i = this.takers.indexOf(wake);
          if (i >= 0) this.takers.splice(i, 1);
          resolve();
        }, waitMs);
      });
    }
    const items = this.items.splice(0, Math.max(0, credits));
    for (let i = 0; i < items.length && this.pushers.length > 0; i++) this.pushers.shift()!();
    // Another taker may be waiting while items remain (it was woken for an item this call took).
    if (this.items.length > 0) this.takers.shift()?.();
    return { items, done: this.closed && this.items.length === 0 };
  }

  /**
   * A ready handler for the pull verb: `handlers = { pull: source.handler(itemSchema) }`. It is concurrent,
   * so a pull waiting for items does not hold up the actor's other messages.
   */
  handler(item: Schema<T>): Handler<PullRequest, PullBatch<T>> {
    return {
      request: pullRequestSchema,
      reply: pullBatchSchema(item),
      concurrent: true,
      fn: (req) => this.take(req.credits, req.waitMs),
    };
  }
}

export interface PullOptions {
  /** Items asked for per request (default 8). */
  credits?: number;
  /** How long the producer may wait for items before answering with none (default 1 s). */
  waitMs?: number;
  /** Timeout of each ask (default waitMs + 30 s). */
  timeoutMs?: number;
  /** Ask for the next batch while the current one is consumed (default true). */
  prefetch?: boolean;
}

/** Anything that can ask: an ActorClient, a ref. */
export interface Asker {
  ask(verb: string, msg: PullRequest, options?: AskOptions): Promise<unknown>;
}

/**
 * The consumer side: yields the producer's items in order until it reports done. At most two batches
 * (the one being consumed and the prefetched one) are ever outstanding.
 */
export async function* pull<T>(
  source: Asker,
  verb: string,
  options: PullOptions = {},
): AsyncGenerator<T> {
  const credits = Math.max(1, Math.floor(options.credits ?? 8));
  const waitMs = options.waitMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? waitMs + 30_000;
  const prefetch = options.prefetch ?? true;
  const request = (): Promise<PullBatch<T>> =>
    source.ask(verb, { credits, waitMs }, { timeoutMs }) as Promise<PullBatch<T>>;
  let next: Promise<PullBatch<T>> | undefined = request();
  while (next) {
    const batch: PullBatch<T> = await next;
    next = batch.done ? undefined : prefetch ? request() : undefined;
    // A prefetched ask whose consumer stops early must not surface as an unhandled rejection.
    next?.catch(() => undefined);
    for (const item of batch.items) yield item;
    if (!batch.done && !next) next = request();
  }
}
