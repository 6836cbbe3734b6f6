// Waiting on a shared-memory queue: retry an attempt and sleep on a sequence word between tries. The
// loop is written once; the blocking (Atomics.wait) and the event-loop (Atomics.waitAsync) waits drive it.
import { QueueTimeoutError } from './shm-queue-errors.js';

/** Where one side of a queue sleeps, and the counters its waits add to. */
export interface WaitSite {
  readonly header: Int32Array;
  readonly queue: string;
  readonly side: 'producer' | 'consumer';
  /** Header word counting this side's sleepers: the other side wakes them only when it is non-zero. */
  readonly waitersWord: number;
  /** Header word the other side bumps (and notifies) when this side may go on. */
  readonly seqWord: number;
  readonly stats: { waits: number; waitMs: number };
}

/** One sleep: until the sequence word moves off `seq`, or `timeoutMs` (undefined: no limit) passes. */
interface Sleep {
  readonly seq: number;
  readonly timeoutMs: number | undefined;
}

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

// Atomics.waitAsync (Node 20) is typed only from lib ES2024; the project compiles against ES2023.
const waitAsync = (
  Atomics as unknown as {
    waitAsync: (a: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;
  }
).waitAsync.bind(Atomics);

/**
 * A pending Atomics.waitAsync does not keep Node's event loop alive: a thread whose only work is awaiting
 * the queue would exit mid-wait. A ref'd timer holds the loop open for the duration of the wait.
 */
async function keepAlive<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 1 << 30);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Calls `attempt` until it returns a value, yielding one Sleep between tries. The sequence word is read
 * before each try, so a wake-up between the try and the sleep is not lost. Throws QueueTimeoutError once
 * `timeoutMs` has passed without a value.
 */
function* retryUntil<T>(
  site: WaitSite,
  timeoutMs: number | undefined,
  attempt: () => T | undefined,
): Generator<Sleep, T, void> {
  const h = site.header;
  const start = performance.now();
  const deadline = timeoutMs === undefined ? Infinity : start + timeoutMs;
  site.stats.waits++;
  try {
    for (;;) {
      Atomics.add(h, site.waitersWord, 1);
      let result: T | undefined;
      try {
        const seq = Atomics.load(h, site.seqWord);
        result = attempt();
        if (result === undefined) {
          const remaining = deadline - performance.now();
          if (remaining <= 0) throw new QueueTimeoutError(site.queue, site.side, timeoutMs ?? 0);
          yield { seq, timeoutMs: remaining === Infinity ? undefined : remaining };
        }
      } finally {
        Atomics.sub(h, site.waitersWord, 1);
      }
      if (result !== undefined) return result;
    }
  } finally {
    site.stats.waitMs += performance.now() - start;
  }
}

/** Retries `attempt` until it returns a value, blocking the thread between tries. */
export function waitBlocking<T>(
  site: WaitSite,
  timeoutMs: number | undefined,
  attempt: () => T | undefined,
): T {
  const tries = retryUntil(site, timeoutMs, attempt);
  for (;;) {
    const next = tries.next();
    if (next.done) return next.value;
    Atomics.wait(site.header, site.seqWord, next.value.seq, next.value.timeoutMs);
  }
}

/** As `waitBlocking`, sleeping with Atomics.waitAsync so the thread's event loop keeps running. */
export async function waitAsyncFor<T>(
  site: WaitSite,
  timeoutMs: number | undefined,
  attempt: () => T | undefined,
): Promise<T> {
  const tries = retryUntil(site, timeoutMs, attempt);
  for (;;) {
    const next = tries.next();
    if (next.done) return next.value;
    const sleep = waitAsync(site.header, site.seqWord, next.value.seq, next.value.timeoutMs);
    if (sleep.async) await keepAlive(sleep.value);
  }
}
