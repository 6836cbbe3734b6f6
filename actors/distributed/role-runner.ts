// One actor of a distributed job in this process, as `weft actor` (and a Kubernetes pod) runs it:
// serves its metrics, connects to NATS, hosts the role's actor with heartbeats, exits at shutdown.
import { EmbeddingShardActor } from '../parameter-server/embedding-shard-actor.js';
import { EMB_ROLE } from '../parameter-server/embedding-tables.js';
import type { Actor, ActorContext } from '../../runtime/actor.js';
import { consoleLogger, type Logger } from '../../runtime/actor-log.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { NatsTransport } from '../../runtime/transports/nats.js';
import type { JobStatusBoard } from '../coordinator/job-status.js';
import type { EpochSummary } from '../coordinator/run-results.js';
import { usesIdTable, type JobSpec } from '../job-spec.js';
import { withGraphVersion } from '../coordinator/densify-step.js';
import {
  runDistributedTraining,
  statusBoardOf,
  type DistributedResults,
} from './distributed-job.js';
import { SamplerActor } from '../sampler/sampler-actor.js';
import { TrainerActor } from '../trainer/trainer-actor.js';
import { rolePrefixes } from './nats-permissions.js';
import { startRoleEndpoint, type RoleEndpoint } from './role-endpoint.js';
import { ParameterServerActor } from '../parameter-server/parameter-server-actor.js';

export const ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What an actor process sends its launcher (over the IPC channel) when the coordinator told it to
 * shut down: an exit without it is a failure, restarted even with exit code 0.
 */
export const SHUTDOWN_TOLD = 'shutdown-told';

export interface RoleOptions {
  role: Role;
  index: number;
  job: string;
  spec: JobSpec;
  nats: NatsConfig;
  /** Heartbeat period of the hosted actor (default 1000 ms). */
  heartbeatMs?: number;
  /** Resolves when the process should stop (a signal); the actor then drains. */
  stopRequested?: Promise<void>;
  /** The coordinator's start: job-driver.ts JobOptions (resume, fresh, runLockToken, onOwned). */
  resume?: boolean;
  fresh?: boolean;
  runLockToken?: string;
  onOwned?: () => void;
  /**
   * Serve /metrics (and the coordinator's /status and /healthz) on this port; 'auto': a free port
   * the system chooses (reported to `onMetricsBound`); 0 or absent: off.
   */
  metricsPort?: number | 'auto';
  /** Interface the metrics endpoint binds (default 127.0.0.1). */
  metricsHost?: string;
  /** Called once the metrics endpoint listens, with its base URL. */
  onMetricsBound?: (url: string) => void;
  /** The coordinator: called after every epoch (also logged at info level). */
  onEpoch?: (e: EpochSummary) => void;
  /** Called once the coordinator told the hosted actor to shut down, before the role returns. */
  onShutdownTold?: () => Promise<void> | void;
}

type ActorCtor = new (ctx: ActorContext<never>) => Actor<never>;
const CLASSES: Record<Exclude<Role, 'coordinator'>, ActorCtor> = {
  ps: ParameterServerActor as unknown as ActorCtor,
  sampler: SamplerActor as unknown as ActorCtor,
  trainer: TrainerActor as unknown as ActorCtor,
};

/** The number of actors of a role in a job. */
export function roleCount(spec: JobSpec, role: Role): number {
  if (role === 'coordinator') return 1;
  if (role === 'ps') return spec.cluster.parameterServers;
  if (role === 'sampler') return spec.cluster.samplers;
  return spec.cluster.trainers;
}

/**
 * Runs one role until it is done: the coordinator returns the job's results; any other role returns
 * undefined once the coordinator told it to shut down (or `stopRequested` fired).
 */
export async function runRole(options: RoleOptions): Promise<DistributedResults | undefined> {
  // A process started alone (weft actor) finds or writes the densified graph itself.
  const spec = await withGraphVersion(options.spec);
  options = { ...options, spec };
  const { role, index, job } = options;
  const count = roleCount(spec, role);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new ConfigError(`index ${index} is outside 0..${count - 1} for role ${role}`, {
      field: '--index',
    });
  const heartbeatMs = options.heartbeatMs ?? 1000;
  // Replies and large payloads on subjects only this role may read (the server's permissions say so).
  // Large payloads are pulled only up to the spec's limit.
  options = {
    ...options,
    nats: {
      ...rolePrefixes(job, role),
      maxInboundBytes: spec.runtime.maxMessageBytes,
      ...options.nats,
    },
  };
  const status = role === 'coordinator' ? statusBoardOf(spec, job) : undefined;
  const log = consoleLogger({ job, role, index, pid: process.pid });
  log.info('starting', { nats: options.nats.servers });
  const endpoint = await startRoleEndpoint({
    role,
    index,
    job,
    port: options.metricsPort ?? 0,
    host: options.metricsHost,
    status,
  });
  if (endpoint.server) {
    log.info('serving metrics', { url: `${endpoint.server.url}/metrics` });
    options.onMetricsBound?.(endpoint.server.url);
  }
  try {
    if (role === 'coordinator') return await coordinate(options, status, log);
    await hostActor(options, endpoint, heartbeatMs, log);
    log.info('stopped');
    return undefined;
  } finally {
    await endpoint.close();
  }
}

/** The coordinator's run, with its progress logged at info level as it goes (`kubectl logs`). */
async function coordinate(
  options: RoleOptions,
  status: JobStatusBoard | undefined,
  log: Logger,
): Promise<DistributedResults> {
  const { spec, job } = options;
  const results = await runDistributedTraining(spec, {
    nats: options.nats,
    job,
    resume: options.resume,
    fresh: options.fresh,
    runLockToken: options.runLockToken,
    onOwned: options.onOwned,
    status,
    onEpoch: (e) => {
      log.info('epoch', { ...e, epochs: spec.train.epochs });
      options.onEpoch?.(e);
    },
    onEvent: (e) => log.info(e.kind, { detail: e.detail }),
  });
  log.info('finished', { val: results.val, test: results.test, run_dir: results.run_dir });
  return results;
}

async function hostActor(
  options: RoleOptions,
  endpoint: RoleEndpoint,
  heartbeatMs: number,
  log: Logger,
): Promise<void> {
  const { role, index, job, spec } = options;
  if (role === 'coordinator') throw new Error('the coordinator hosts no actor');
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { ...options.nats, name: options.nats.name ?? `weft-${job}-${role}-${index}` },
    heartbeatMs,
    askTimeoutMs: 60_000,
  });
  endpoint.follow(system.transport as NatsTransport, heartbeatMs);
  try {
    const ref = await system.spawn(
      CLASSES[role] as never,
      { job, role, index },
      { config: { spec, job }, placement: 'local', restart: { restart: 'never' } },
    );
    // ID embeddings: the table shard of this index lives in the parameter server's process.
    if (role === 'ps' && usesIdTable(spec))
      await system.spawn(
        EmbeddingShardActor as never,
        { job, role: EMB_ROLE, index },
        { config: {}, placement: 'local', restart: { restart: 'never' } },
      );
    log.info('ready');
    let stop = false;
    void options.stopRequested?.then(() => {
      stop = true;
    });
    while (!stop && ref.state !== 'stopped' && ref.state !== 'down')
      await new Promise((r) => setTimeout(r, 200));
    if (ref.state === 'down') throw new Error(`${role} ${index} failed; see the log above`);
    // The actor stops itself only on the coordinator's (authenticated) shutdown.
    if (!stop && ref.state === 'stopped') await options.onShutdownTold?.();
  } finally {
    await system.shutdown();
  }
}
