// Metrics and status of a job run in one process (`weft train`): the coordinator's JobObserver fed by
// supervision events, and with runtime.metricsPort one endpoint merging every thread's metrics.
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { ConfigError } from '../../runtime/errors.js';
import { MetricsHub } from '../../runtime/metrics-hub.js';
import { serveMetrics, type MetricsServer } from '../../runtime/metrics-server.js';
import { pushMetrics } from '../../runtime/pushgateway.js';
import { actorMetrics, countHostErrors } from '../actor-metrics.js';
import type { JobSpec } from '../job-spec.js';
import { countError, ROLES, type Role } from '../metrics-catalogue.js';
import { JobObserver } from './job-observer.js';
import { JobStatusBoard, statusRoutes } from './job-status.js';

export interface EmbeddedObservability {
  readonly observer: JobObserver;
  /** Base URL of /metrics, /status and /healthz; undefined when runtime.metricsPort is 0. */
  readonly url?: string;
  /**
   * Pushes every thread's merged metrics to runtime.pushgateway (no-op without one). A failed push
   * is counted and returned as an error, never thrown: training results matter more.
   */
  push(): Promise<Error | undefined>;
  /** Stops following the actors and closes the endpoint. */
  close(): Promise<void>;
}

const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/**
 * Starts observing the job `job` run by `system` from the state it resumes at (`epoch` -1: fresh).
 * Main-thread actors' errors are counted here; the trainer's thread counts its own and reports to the
 * hub. Fails with a ConfigError naming runtime.metricsPort when the port cannot be bound.
 */
export async function observeEmbeddedJob(
  spec: JobSpec,
  job: string,
  system: ActorSystem,
  from: { epoch: number; step: number },
): Promise<EmbeddedObservability> {
  // Actors report healthy on their supervisor's word: they share this process, no heartbeats.
  const board = new JobStatusBoard({ job, epochs: spec.train.epochs, actors: [] });
  const hasSampler = spec.sampling.handoff !== 'inline';
  const actors: { role: Role; index: number }[] = [
    ...Array.from({ length: spec.cluster.parameterServers }, (_, index) => ({
      role: 'ps' as const,
      index,
    })),
    ...(hasSampler ? [{ role: 'sampler' as const, index: 0 }] : []),
    { role: 'trainer', index: 0 },
  ];
  const observer = new JobObserver(board, actorMetrics('coordinator', { job, index: 0 }), {
    job,
    actors,
    checkpointEvery: spec.train.checkpointEvery,
    epoch: from.epoch,
    step: from.step,
  });
  const mineIn = (role: Role) => (a: Address) => a.job === job && a.role === role;
  const stops: (() => void)[] = [
    countHostErrors(actorMetrics('ps', { job, index: 0 }), mineIn('ps')),
    // Only actors that exist get metrics: an inline job has no sampler actor to report up.
    ...(hasSampler
      ? [countHostErrors(actorMetrics('sampler', { job, index: 0 }), mineIn('sampler'))]
      : []),
    system.on((e) => {
      const { role } = e.address;
      const index = Number(e.address.index);
      if (e.address.job !== job || !isRole(role)) return;
      if (e.type === 'failure') {
        if (e.kind === 'thread-exit' || e.kind === 'thread-error' || e.kind === 'process-exit')
          countError(actorMetrics(role, { job, index }), 'worker_exit');
        observer.actorEvent(role, index, 'failure', `${e.kind}: ${e.cause.message}`);
      } else if (e.type === 'restarted') {
        observer.actorEvent(role, index, 'restarted', `restart ${e.attempt}`);
      } else if (e.type === 'gave-up') {
        observer.actorEvent(role, index, 'gave-up', `${e.kind}: ${e.cause.message}`);
      }
    }),
  ];
  const port = spec.runtime.metricsPort;
  let server: MetricsServer | undefined;
  // One hub merges every thread's metrics, for the endpoint and for pushes.
  const hub = port > 0 || spec.runtime.pushgateway ? new MetricsHub() : undefined;
  if (hub && port > 0) {
    try {
      server = await serveMetrics({
        port,
        host: process.env.WEFT_METRICS_HOST ?? '127.0.0.1',
        hub,
        routes: statusRoutes(board),
      });
    } catch (error) {
      hub.close();
      for (const stop of stops) stop();
      throw new ConfigError(
        `cannot serve metrics on port ${port}: ${error instanceof Error ? error.message : String(error)}`,
        { field: 'runtime.metricsPort' },
        { cause: error },
      );
    }
  }
  let closed = false;
  const gateway = spec.runtime.pushgateway;
  return {
    observer,
    url: server?.url,
    async push() {
      if (!gateway || !hub) return undefined;
      try {
        await pushMetrics(gateway, job, await hub.metrics());
        return undefined;
      } catch (error) {
        countError(actorMetrics('coordinator', { job, index: 0 }), 'transport');
        return error as Error;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const stop of stops.splice(0)) stop();
      await server?.close();
      hub?.close();
    },
  };
}
