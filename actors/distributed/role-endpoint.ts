// One process of a distributed job as Prometheus sees it: /metrics (and the coordinator's /status) on its
// port, plus the feeds every role shares: host errors, retried failures, NATS reconnects, heartbeat time.
import type { Address } from '../../runtime/address.js';
import { ConfigError } from '../../runtime/errors.js';
import { serveMetrics, type MetricsServer } from '../../runtime/metrics-server.js';
import { statusRoutes, type JobStatusBoard } from '../coordinator/job-status.js';
import { actorMetrics, countHostErrors, countNatsReconnects } from '../actor-metrics.js';
import { countError, type Role, type RoleMetrics } from '../metrics-catalogue.js';
import { onRetriedError } from '../../runtime/retry.js';

export interface RoleEndpointOptions {
  role: Role;
  index: number;
  job: string;
  /** Port of /metrics; 'auto' a free one the system chooses; 0 serves nothing (still recorded). */
  port: number | 'auto';
  /** Interface to bind (default 127.0.0.1; 0.0.0.0 in a pod, to be scraped from other hosts). */
  host?: string;
  /** The coordinator's job status: served as /status, and /healthz says 503 once the job failed. */
  status?: JobStatusBoard;
}

export interface RoleEndpoint {
  readonly metrics: RoleMetrics<Role>;
  /** Null when metrics are not served (port 0). */
  readonly server: MetricsServer | null;
  /**
   * Follows the process's NATS connection: counts reconnects, and stamps the heartbeat gauge every
   * `heartbeatMs` while connected (the hosted actor publishes its heartbeat on the same clock, in the
   * same thread, so a blocked thread stops both).
   */
  follow(
    transport: { connected: boolean; onStatus(l: (s: { type: string }) => void): () => void },
    heartbeatMs?: number,
  ): void;
  /** Reports the actor down (weft_actor_up 0), stops the feeds and the server. */
  close(): Promise<void>;
}

/**
 * Starts the endpoint of one actor process (before the actor loads, so a slow start is visible);
 * a port that cannot be bound is a ConfigError naming runtime.metricsPort.
 */
export async function startRoleEndpoint(options: RoleEndpointOptions): Promise<RoleEndpoint> {
  const { role, index, job } = options;
  const metrics = actorMetrics(role, { job, index }) as RoleMetrics<Role>;
  const mine = (a: Address) => a.job === job && a.role === role && a.index === index;
  const stops: (() => void)[] = [
    countHostErrors(metrics, mine),
    onRetriedError((error) => countError(metrics, error)),
  ];
  const status = options.status;
  let server: MetricsServer | null = null;
  if (options.port === 'auto' || options.port > 0) {
    try {
      server = await serveMetrics({
        port: options.port === 'auto' ? 0 : options.port,
        host: options.host,
        ...(status ? { routes: statusRoutes(status) } : {}),
      });
    } catch (error) {
      for (const stop of stops) stop();
      throw new ConfigError(
        `${role} ${index} cannot serve metrics on port ${options.port}: ${error instanceof Error ? error.message : String(error)}`,
        { field: 'runtime.metricsPort' },
        { cause: error },
      );
    }
  }
  let closed = false;
  return {
    metrics,
    server,
    follow(transport, heartbeatMs) {
      stops.push(countNatsReconnects(transport, metrics));
      if (heartbeatMs === undefined || heartbeatMs <= 0) return;
      const beat = () => {
        if (transport.connected) metrics.weft_actor_heartbeat_timestamp_seconds.setToCurrentTime();
      };
      beat();
      const timer = setInterval(beat, heartbeatMs);
      timer.unref();
      stops.push(() => clearInterval(timer));
    },
    async close() {
      if (closed) return;
      closed = true;
      metrics.weft_actor_up.set(0);
      for (const stop of stops.splice(0)) stop();
      await server?.close();
    },
  };
}
