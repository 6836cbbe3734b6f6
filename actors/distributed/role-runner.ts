// One actor of a distributed job in this process, as `weft actor` (and a Kubernetes pod) runs it:
// connects to NATS, hosts the role's actor with heartbeats, and exits when the job shuts it down.
import type { Actor, ActorContext } from '../../runtime/actor.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { ConfigError } from '../../runtime/errors.js';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { JobSpec } from '../job-spec.js';
import { runDistributedTraining, type DistributedResults } from './distributed-job.js';
import { RemoteSamplerActor } from './remote-sampler-actor.js';
import { RemoteTrainerActor } from './remote-trainer-actor.js';
import { ShardServerActor } from './shard-server-actor.js';

export const ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type Role = (typeof ROLES)[number];

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
  resume?: boolean;
}

type ActorCtor = new (ctx: ActorContext<never>) => Actor<never>;
const CLASSES: Record<Exclude<Role, 'coordinator'>, ActorCtor> = {
  ps: ShardServerActor as unknown as ActorCtor,
  sampler: RemoteSamplerActor as unknown as ActorCtor,
  trainer: RemoteTrainerActor as unknown as ActorCtor,
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
  const { role, index, job, spec } = options;
  const count = roleCount(spec, role);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new ConfigError(`index ${index} is outside 0..${count - 1} for role ${role}`, {
      field: '--index',
    });
  if (role === 'coordinator')
    return runDistributedTraining(spec, { nats: options.nats, job, resume: options.resume });
  const system = await ActorSystem.start({
    transport: 'nats',
    nats: { ...options.nats, name: options.nats.name ?? `weft-${job}-${role}-${index}` },
    heartbeatMs: options.heartbeatMs ?? 1000,
    askTimeoutMs: 60_000,
  });
  try {
    const ref = await system.spawn(
      CLASSES[role] as never,
      { job, role, index },
      { config: { spec, job }, placement: 'local', restart: { restart: 'never' } },
    );
    let stop = false;
    void options.stopRequested?.then(() => {
      stop = true;
    });
    while (!stop && ref.state !== 'stopped' && ref.state !== 'down')
      await new Promise((r) => setTimeout(r, 200));
    if (ref.state === 'down') throw new Error(`${role} ${index} failed; see the log above`);
  } finally {
    await system.shutdown();
  }
  return undefined;
}
