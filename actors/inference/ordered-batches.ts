// The embedding pass as a sequence of batches of consecutive ids: computed up to `window` at a time
// (on a pool's threads, or inline), written strictly in batch order, a failure named by its node range.
import { WeftError } from '../../runtime/errors.js';
import type { EmbedTask } from './embed-task.js';

/** Ids [offset, offset + count) in batches of `batchSize`. */
export interface BatchPlan {
  offset: number;
  count: number;
  batchSize: number;
}

/** Batch `b` of the plan. */
export function batchTask(plan: BatchPlan, b: number): EmbedTask {
  const start = b * plan.batchSize;
  return {
    batch: b,
    first: plan.offset + start,
    count: Math.min(plan.batchSize, plan.count - start),
  };
}

export function numBatches(plan: BatchPlan): number {
  return Math.ceil(plan.count / plan.batchSize);
}

/** A batch that failed, wherever it ran: its node ids, batch index, and the underlying error. */
export class EmbedBatchError extends WeftError {
  constructor(
    readonly task: EmbedTask,
    cause: unknown,
  ) {
    const last = task.first + task.count - 1;
    const why = cause instanceof Error ? cause.message : String(cause);
    super('embeddings', `nodes ${task.first}..${last} (batch ${task.batch}): ${why}`, { cause });
  }
}

type Settled = { rows: Float32Array } | { error: unknown };

/**
 * Runs every batch of `plan` through `compute`, at most `window` at once, and hands each one's rows
 * to `write` in batch order; at most `window` batches of rows are alive, whatever finishes first.
 * The first failure (in batch order) stops dispatching and is thrown as an EmbedBatchError.
 */
export async function computeInOrder(
  plan: BatchPlan,
  window: number,
  compute: (task: EmbedTask) => Promise<Float32Array> | Float32Array,
  write: (task: EmbedTask, rows: Float32Array) => void,
): Promise<void> {
  const total = numBatches(plan);
  const pending = new Map<number, Promise<Settled>>();
  let next = 0;
  for (let b = 0; b < total; b++) {
    while (next < total && next - b < window) {
      const task = batchTask(plan, next++);
      // Settled at once, so a later batch failing before its turn is not an unhandled rejection.
      const settled = (async () => compute(task))().then(
        (rows) => ({ rows }),
        (error: unknown) => ({ error }),
      );
      pending.set(task.batch, settled);
    }
    const done = await pending.get(b)!;
    pending.delete(b);
    if ('error' in done) throw new EmbedBatchError(batchTask(plan, b), done.error);
    write(batchTask(plan, b), done.rows);
  }
}
