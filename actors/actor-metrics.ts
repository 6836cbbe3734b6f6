// The catalogue's handles for the actors of this thread (registered once per actor), and the feeds that
// fill them from what actors already measure: step records, parameter traffic, host errors, NATS status.
import { observeActors } from '../runtime/actor-host.js';
import type { Address } from '../runtime/address.js';
import { startMetricsReporter } from '../runtime/metrics-hub.js';
import { memoryLimitBytes } from '../runtime/memory-limit.js';
import { threadMetrics } from '../runtime/metrics.js';
import {
  BACKENDS,
  countError,
  registerRoleMetrics,
  setBackend,
  setEvalMetrics,
  type Backend,
  type EvalSplit,
  type Role,
  type RoleMetrics,
} from './metrics-catalogue.js';
import type { StepRecord } from './protocols.js';

const cache = new WeakMap<object, Map<string, unknown>>();

/**
 * The handles of one actor on this thread's registry. Registering binds (and zeroes) the series, so
 * every part of an actor asks here and gets the same handles instead of registering again.
 */
export function actorMetrics<R extends Role>(
  role: R,
  actor: { job: string; index: number },
): RoleMetrics<R> {
  const registry = threadMetrics();
  let byActor = cache.get(registry);
  if (!byActor) {
    byActor = new Map();
    cache.set(registry, byActor);
  }
  const key = `${actor.job}\u0000${role}\u0000${actor.index}`;
  let m = byActor.get(key) as RoleMetrics<R> | undefined;
  // A cleared registry (tests, a restarted component) dropped the metrics: register them again.
  if (!m || registry.registry.getSingleMetric('weft_actor_up') === undefined) {
    m = registerRoleMetrics(registry, role, actor);
    (m as RoleMetrics<'ps'>).weft_process_memory_limit_bytes.set(memoryLimitBytes());
    byActor.set(key, m);
  }
  return m;
}

type ErrorHandles = Pick<RoleMetrics<'trainer'>, 'weft_errors_total'>;

/**
 * Counts what the actor hosts of this thread see for the actors `mine` accepts: a handler that threw
 * (handler), a message rejected at the boundary (decode), a thread or child process that died
 * (worker_exit). Returns the unsubscribe.
 */
export function countHostErrors(
  metrics: ErrorHandles,
  mine: (address: Address) => boolean,
): () => void {
  return observeActors({
    invalid: (address) => {
      if (mine(address)) countError(metrics, 'decode');
    },
    handled: (address, _verb, _ms, ok) => {
      if (!ok && mine(address)) countError(metrics, 'handler');
    },
    failed: (address, kind) => {
      if (!mine(address)) return;
      const exit = kind === 'thread-exit' || kind === 'thread-error' || kind === 'process-exit';
      // A handler failure was counted by `handled` already.
      if (exit) countError(metrics, 'worker_exit');
      else if (kind !== 'handler') countError(metrics, 'other');
    },
  });
}

/** Counts reconnections of a NATS connection (`NatsTransport.onStatus`); returns the unsubscribe. */
export function countNatsReconnects(
  transport: { onStatus(listener: (status: { type: string }) => void): () => void },
  metrics: Pick<RoleMetrics<'trainer'>, 'weft_nats_reconnects_total'>,
): () => void {
  return transport.onStatus((status) => {
    if (status.type === 'reconnect') metrics.weft_nats_reconnects_total.inc();
  });
}

export interface ThreadActorMetrics<R extends Role> {
  readonly metrics: RoleMetrics<R>;
  /** Stops counting host errors and reporting to the hub (the actor stops). */
  stop(): void;
}

/**
 * The metrics of the actor `self` hosted in this worker thread: its handles, its host's errors
 * counted, and, when the process serves metrics (`report`), this thread's registry answering the
 * main thread's hub.
 */
export function threadActorMetrics<R extends Role>(
  role: R,
  self: Address,
  report: boolean,
): ThreadActorMetrics<R> {
  const metrics = actorMetrics(role, { job: self.job, index: Number(self.index) });
  const stopErrors = countHostErrors(
    metrics as unknown as ErrorHandles,
    (a) => a.job === self.job && a.role === self.role && a.index === self.index,
  );
  const reporter = report ? startMetricsReporter(threadMetrics()) : undefined;
  return {
    metrics,
    stop() {
      stopErrors();
      reporter?.stop();
    },
  };
}

/** A trainer's fixed gauges: backend, learning rate, queue capacity, staleness bound. */
export function trainerStarted(
  metrics: RoleMetrics<'trainer'>,
  o: { backend: string; lr: number; queueCapacity: number; stalenessBound: number },
): void {
  reportBackend(metrics, o.backend);
  metrics.weft_trainer_learning_rate.set(o.lr);
  metrics.weft_trainer_queue_capacity.set(o.queueCapacity);
  metrics.weft_trainer_parameter_staleness_bound_versions.set(o.stalenessBound);
}

/** One evaluation pass by the actor that ran it: its count, time and the split's gauges. */
export function recordEvaluation(
  metrics: Pick<
    RoleMetrics<'trainer'>,
    'weft_eval_runs_total' | 'weft_eval_duration_seconds' | 'weft_eval_result'
  >,
  split: EvalSplit,
  values: Record<string, number>,
  seconds: number,
): void {
  metrics.weft_eval_runs_total.inc();
  if (Number.isFinite(seconds)) metrics.weft_eval_duration_seconds.observe(seconds);
  setEvalMetrics(metrics, split, values);
}

/**
 * Sets the backend gauges from a backend label ('wasm', or 'wasm+native' when the native kernels
 * run; unknown names leave the backend gauges unset).
 */
export function reportBackend(metrics: RoleMetrics<'trainer'>, label: string): void {
  const [name, kernels] = label.split('+');
  if ((BACKENDS as readonly string[]).includes(name)) setBackend(metrics, name as Backend);
  metrics.weft_trainer_kernels_native.set(kernels === 'native' ? 1 : 0);
}

/**
 * Adds one trainer step to the metrics. `inline`: the trainer sampled the batch in its own thread, so
 * the record's sample and gather seconds are its own; otherwise they were spent by the samplers (in
 * parallel) and the trainer's share of the step is its queue wait.
 */
export function recordTrainerStep(
  metrics: RoleMetrics<'trainer'>,
  step: StepRecord,
  inline: boolean,
): void {
  metrics.weft_trainer_steps_total.inc();
  metrics.weft_trainer_seeds_total.inc(step.seeds);
  metrics.weft_trainer_step_duration_seconds.observe(step.wall_s);
  metrics.weft_trainer_epoch.set(step.epoch);
  if (Number.isFinite(step.loss)) metrics.weft_trainer_loss.set(step.loss);
  else {
    metrics.weft_trainer_loss.set(NaN);
    countError(metrics, 'nonfinite');
  }
  if (inline) {
    const gather = step.gather_s ?? 0;
    metrics.weft_trainer_sample_seconds_total.inc(Math.max(0, step.sample_s - gather));
    metrics.weft_trainer_gather_seconds_total.inc(gather);
  }
  metrics.weft_trainer_queue_wait_seconds_total.inc(step.queue_wait_s);
  metrics.weft_trainer_compute_seconds_total.inc(step.compute_s);
  metrics.weft_trainer_sync_seconds_total.inc(step.sync_s);
}

/** Bytes of the typed arrays of a parameter map. */
export function paramBytes(params: Record<string, ArrayBufferView>): number {
  let n = 0;
  for (const v of Object.values(params)) n += v.byteLength;
  return n;
}
