// Who may say what on a job's NATS subjects: one user per role with its publish and subscribe permissions,
// the private reply and blob prefixes each role connects with, and fresh per-job credentials.
import { randomBytes } from 'node:crypto';
import type { NatsConfig } from '../../runtime/nats-connect.js';
import type { NatsServerUser } from '../../runtime/nats-server.js';
import { EMB_ROLE } from '../parameter-server/embedding-tables.js';
import { PartitionPeerProtocol } from '../sampler/partition-protocol.js';

export const JOB_ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type JobRole = (typeof JOB_ROLES)[number];

/**
 * The verbs each role sends to the actors of another (`weft.<job>.<target>.<index>.<verb>`); '*' is
 * every verb. The coordinator is the control plane: it alone loads, shuts down and drives epochs.
 */
const CALLS: Record<JobRole, Partial<Record<string, readonly string[] | '*'>>> = {
  coordinator: { ps: '*', [EMB_ROLE]: '*', sampler: '*', trainer: '*' },
  trainer: {
    ps: ['pull', 'push', 'update', 'progress'],
    [EMB_ROLE]: ['pull', 'push'],
    sampler: ['fetch', 'evalFetch'],
  },
  // Partition-owning samplers ask each other every peer verb (rows, expand, seeds, degree counts).
  sampler: { sampler: Object.keys(PartitionPeerProtocol) },
  ps: {},
};

/** Updates only trainers send: denied even to the coordinator, so no other role can move the model. */
const TRAINER_ONLY: Partial<Record<string, readonly string[]>> = {
  ps: ['push', 'update'],
  [EMB_ROLE]: ['push'],
};

/** Actor roles a role's process hosts (a parameter server also hosts its ID-embedding table shard). */
function hosted(role: JobRole): string[] {
  if (role === 'coordinator') return [];
  return role === 'ps' ? ['ps', EMB_ROLE] : [role];
}

/**
 * How long an actor may take to answer an ask and still be allowed to (a trainer answers `trainEpoch`
 * after a whole epoch, MLPinit after its whole run): the server forgets a reply subject after this.
 */
const RESPONSE_WINDOW_MS = 48 * 3600 * 1000;

/** Reply and blob subject prefixes of a role's connections: only that role may subscribe to them. */
export function rolePrefixes(
  job: string,
  role: JobRole,
): Required<Pick<NatsConfig, 'inboxPrefix' | 'blobPrefix'>> {
  return { inboxPrefix: `_INBOX.${job}.${role}`, blobPrefix: `weft._blob.${job}.${role}` };
}

/** The subject permissions of `role` in job `job` (what the server enforces; see docs/operations.md). */
export function rolePermissions(
  job: string,
  role: JobRole,
): Required<Pick<NatsServerUser, 'publish' | 'subscribe' | 'responses'>> {
  const { inboxPrefix, blobPrefix } = rolePrefixes(job, role);
  const publish: string[] = [
    // Heartbeats of its own actors, and chunk requests for any role's large payloads.
    ...hosted(role).map((r) => `weft._hb.${job}.${r}.>`),
    `weft._blob.${job}.>`,
  ];
  for (const [target, verbs] of Object.entries(CALLS[role])) {
    if (verbs === '*') publish.push(`weft.${job}.${target}.>`);
    else for (const verb of verbs ?? []) publish.push(`weft.${job}.${target}.*.${verb}`);
  }
  const deny: string[] = [];
  if (role !== 'trainer')
    for (const [target, verbs] of Object.entries(TRAINER_ONLY))
      for (const verb of verbs ?? []) deny.push(`weft.${job}.${target}.*.${verb}`);
  const subscribe = [
    ...hosted(role).map((r) => `weft.${job}.${r}.>`),
    `${inboxPrefix}.>`,
    `${blobPrefix}.>`,
  ];
  if (role === 'coordinator') {
    // Liveness of every actor, and the JetStream object store of `checkpointStore: jetstream`.
    subscribe.push(`weft._hb.${job}.>`);
    publish.push('$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$O.>');
    // The job's claim (job-claim.ts): one coordinator per job name on a server.
    subscribe.push(`weft.${job}.coordinator.>`);
    publish.push(`weft.${job}.coordinator.>`);
  }
  return {
    publish: deny.length > 0 ? { allow: publish, deny } : { allow: publish },
    subscribe: { allow: subscribe },
    responses: { expiresMs: RESPONSE_WINDOW_MS },
  };
}

export interface RoleCredentials {
  readonly user: string;
  readonly password: string;
}

/** Fresh random credentials for every role of one run of a job (192 bits of password each). */
export function makeJobCredentials(job: string): Record<JobRole, RoleCredentials> {
  const out = {} as Record<JobRole, RoleCredentials>;
  for (const role of JOB_ROLES)
    out[role] = { user: `${job}-${role}`, password: randomBytes(24).toString('base64url') };
  return out;
}

/** The server's user list for a job: one user per role with its permissions. */
export function jobUsers(
  job: string,
  credentials: Record<JobRole, RoleCredentials>,
): NatsServerUser[] {
  return JOB_ROLES.map((role) => ({ ...credentials[role], ...rolePermissions(job, role) }));
}
