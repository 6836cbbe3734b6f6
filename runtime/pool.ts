// A pool of worker threads for CPU work (neighbour sampling) over piscina: task modules may be TypeScript,
// shared buffers reach every worker once at start, and bulk results go into a ShmQueue, not back by clone.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ConfigError } from './errors.js';
import { workerResourceLimits } from './young-generation.js';

const bootstrap = fileURLToPath(new URL('./pool-bootstrap.mjs', import.meta.url));

/** Cores this process may use (the default size of pools that use them all). */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

export interface WorkerPoolOptions<S> {
  /** Task module (.ts or .js): each exported function is a task; `run` calls `default` unless told. */
  module: URL;
  /**
   * Handed to every worker once, at start (workerData): SharedArrayBuffers and ShmQueue handles inside
   * are shared, not copied. Read it in a task with `poolShared()` from runtime/pool-worker.ts.
   */
  shared?: S;
  /** Fixed thread count (sets min and max); default: available cores - 1, at least 1. */
  threads?: number;
  minThreads?: number;
  maxThreads?: number;
  /** An idle thread above minThreads exits after this long (ms). */
  idleTimeoutMs?: number;
  /** Tasks allowed to wait for a thread before `run` rejects; 'auto' = threads^2. Default unbounded. */
  maxQueue?: number | 'auto';
  /** Names the pool in errors and thread names. */
  name?: string;
}

export interface RunTaskOptions {
  /** Exported function of the task module to call; default 'default'. */
  fn?: string;
  signal?: AbortSignal;
  /** Transferred (not cloned) with the task. */
  transferList?: ArrayBuffer[];
}

/** The workerData every pool thread receives (read through runtime/pool-worker.ts). */
export interface PoolWorkerData<S> {
  weftPool: { entry: string; name: string; shared: S };
}

/** Piscina under a small typed surface: `run`, counters, `close`. */
export class WorkerPool<TTask = unknown, TResult = unknown, S = unknown> {
  readonly name: string;
  private readonly piscina: Piscina;

  constructor(options: WorkerPoolOptions<S>) {
    this.name = options.name ?? 'pool';
    if (!(options.module instanceof URL)) {
      throw new ConfigError('task module must be a URL (new URL(path, import.meta.url))', {
        field: `${this.name}.module`,
      });
    }
    const fallback = Math.max(1, availableCores() - 1);
    const minThreads = options.threads ?? options.minThreads ?? Math.min(1, fallback);
    const maxThreads = options.threads ?? options.maxThreads ?? Math.max(minThreads, fallback);
    for (const [field, v] of [
      ['minThreads', minThreads],
      ['maxThreads', maxThreads],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new ConfigError(`${field} must be a positive integer, got ${v}`, {
          field: `${this.name}.${field}`,
        });
      }
    }
    if (minThreads > maxThreads) {
      throw new ConfigError(`minThreads ${minThreads} exceeds maxThreads ${maxThreads}`, {
        field: `${this.name}.minThreads`,
      });
    }
    const workerData: PoolWorkerData<S | undefined> = {
      weftPool: { entry: options.module.href, name: this.name, shared: options.shared },
    };
    this.piscina = new Piscina({
      filename: bootstrap,
      name: 'default',
      minThreads,
      maxThreads,
      idleTimeout: options.idleTimeoutMs,
      maxQueue: options.maxQueue ?? Infinity,
      workerData,
      resourceLimits: workerResourceLimits(),
    });
  }

  /** Runs one task on some thread; resolves with what the task function returned (keep it small). */
  run(task: TTask, options: RunTaskOptions = {}): Promise<TResult> {
    return this.piscina.run(
      { fn: options.fn ?? 'default', task },
      { signal: options.signal ?? null, transferList: options.transferList },
    ) as Promise<TResult>;
  }

  /** Threads currently running. */
  get threads(): number {
    return this.piscina.threads.length;
  }

  /** Tasks finished so far. */
  get completed(): number {
    return this.piscina.completed;
  }

  /** Tasks waiting for a free thread. */
  get queued(): number {
    return this.piscina.queueSize;
  }

  /** Fraction of the pool's capacity spent running tasks since start (0..1). */
  get utilization(): number {
    return this.piscina.utilization;
  }

  /** Waits for queued and running tasks, then stops the threads; `force` cancels queued tasks instead. */
  close(options: { force?: boolean } = {}): Promise<void> {
    return this.piscina.close({ force: options.force ?? false });
  }
}
