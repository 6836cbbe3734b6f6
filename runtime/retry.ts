// Retrying asks across the failures a distributed job rides out: an actor restarting (no responders),
// a reply lost to a NATS reconnect (timeout). The verbs retried here are idempotent by design.
import {
  ActorStoppedError,
  ActorTimeoutError,
  NoResponderError,
  TransportError,
} from './actor-errors.js';
import { WeftError } from './errors.js';

/** Gave up: the peer stayed unreachable past the deadline. */
export class PeerUnreachableError extends WeftError {
  constructor(what: string, waitedMs: number, options?: { cause?: unknown }) {
    super('peer-unreachable', `${what}: no answer for ${Math.round(waitedMs / 1000)} s`, options);
  }
}

/** Failures that say nothing about the request itself: try again. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ActorTimeoutError ||
    error instanceof NoResponderError ||
    error instanceof ActorStoppedError ||
    error instanceof TransportError
  );
}

export interface RetryOptions {
  /** Give up after this long (default 10 min: a restarted process loads its graph and backend first). */
  deadlineMs?: number;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (error: unknown, attempt: number) => void;
  /** Stop retrying early (the job is stopping). */
  cancelled?: () => boolean;
  /** The failures are expected (peers still starting up): not reported to `onRetriedError`. */
  quiet?: boolean;
}

const retriedListeners = new Set<(error: unknown, what: string) => void>();

/**
 * Calls `listener` with every transient failure `retrying` rides out in this process (each is an
 * error of its own kind: a timeout, no responders); the process's metrics count them. Returns the
 * unsubscribe.
 */
export function onRetriedError(listener: (error: unknown, what: string) => void): () => void {
  retriedListeners.add(listener);
  return () => retriedListeners.delete(listener);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds or fails with a non-transient error; backs off 100 ms → 2 s. */
export async function retrying<T>(
  what: string,
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const deadlineMs = options.deadlineMs ?? 600_000;
  const t0 = Date.now();
  let delayMs = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransient(error) || options.cancelled?.()) throw error;
      if (!options.quiet) for (const listener of retriedListeners) listener(error, what);
      const waited = Date.now() - t0;
      if (waited > deadlineMs) throw new PeerUnreachableError(what, waited, { cause: error });
      options.onRetry?.(error, attempt);
      await sleep(delayMs);
      delayMs = Math.min(2000, delayMs * 2);
    }
  }
}
