// Inside a WorkerPool thread: the shared data handed over at start, and one cached queue producer per
// queue so tasks write their results into a ShmQueue without re-attaching each time.
import { isMainThread, threadId, workerData } from 'node:worker_threads';
import { ShmQueue, type ShmProducer, type ShmQueueHandle } from './shm-queue.js';
import { WeftError } from './errors.js';
import type { PoolWorkerData } from './pool.js';

function poolData(): PoolWorkerData<unknown>['weftPool'] {
  const data = (workerData as Partial<PoolWorkerData<unknown>> | null)?.weftPool;
  if (isMainThread || data === undefined) {
    throw new WeftError(
      'pool',
      'poolShared()/poolQueueProducer() work only inside a WorkerPool thread',
    );
  }
  return data;
}

/** True in a thread started by a WorkerPool. */
export function isPoolWorker(): boolean {
  return (
    !isMainThread && (workerData as Partial<PoolWorkerData<unknown>> | null)?.weftPool !== undefined
  );
}

/** The `shared` value given to the pool, as this thread received it once at start (buffers shared). */
export function poolShared<S>(): S {
  return poolData().shared as S;
}

/** The pool's name, for logs and metric labels. */
export function poolName(): string {
  return poolData().name;
}

/** This thread's id (node:worker_threads threadId), e.g. to tell which worker ran a task. */
export function poolThreadId(): number {
  return threadId;
}

const producers = new Map<SharedArrayBuffer, ShmProducer>();

/**
 * A producer for this queue, made once per thread and reused by every task. The queue must be
 * 'multi'-producer when the pool has more than one thread.
 */
export function poolQueueProducer(handle: ShmQueueHandle): ShmProducer {
  let p = producers.get(handle.sab);
  if (p === undefined) {
    p = ShmQueue.attach(handle).producer();
    producers.set(handle.sab, p);
  }
  return p;
}
