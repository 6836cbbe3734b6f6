// Helm values for the NATS chart (deploy/nats/values.yaml) that give the server one user per role of
// each job, with that role's subject permissions, reading user and password from the job's Secrets.
import type { JobSpec } from '../../actors/job-spec.js';
import { rolePermissions } from '../../actors/distributed/nats-permissions.js';
import { ConfigError } from '../../runtime/errors.js';
import { K8S_ROLES, type K8sRole, type Obj } from './cluster-settings.js';
import { credentialsSecretOf } from './pod-template.js';

/** The NATS container's variable holding one credential of a job's role: WEFT_<JOB>_<ROLE>_<WHAT>. */
export function natsEnvName(job: string, role: K8sRole, what: 'USER' | 'PASSWORD'): string {
  return `WEFT_${job.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${role.toUpperCase()}_${what}`;
}

/** The chart writes a value wrapped in << >> unquoted into nats.conf: here a $VARIABLE reference. */
function confVariable(name: string): string {
  return `<< $${name} >>`;
}

function permissionsOf(job: string, role: K8sRole): Obj {
  const p = rolePermissions(job, role);
  return {
    publish: p.publish,
    subscribe: p.subscribe,
    allow_responses: { max: 1, expires: `${Math.ceil(p.responses.expiresMs)}ms` },
  };
}

/** The Helm values: nats.conf users (config.merge) and the server container's variables. */
export interface NatsAuthValues {
  config: { merge: { authorization: { users: Obj[] } } };
  container: { env: Record<string, Obj> };
}

/**
 * Values to pass to `helm install/upgrade nats nats/nats` after deploy/nats/values.yaml: the users of
 * every job given (jobs sharing the release must be rendered together, since Helm replaces lists).
 * Every job must name its credentials Secrets (cluster.kubernetes.credentialsSecret).
 */
export function natsAuthValues(specs: readonly JobSpec[]): NatsAuthValues {
  const users: Obj[] = [];
  const env: Record<string, Obj> = {};
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec.cluster.kubernetes.credentialsSecret === '') {
      throw new ConfigError(
        `job ${spec.name} names no credentials Secrets: set cluster.kubernetes.credentialsSecret`,
        { field: 'cluster.kubernetes.credentialsSecret' },
      );
    }
    if (seen.has(spec.name)) {
      throw new ConfigError(`job ${spec.name} is given twice`, { field: 'name' });
    }
    seen.add(spec.name);
    for (const role of K8S_ROLES) {
      const secret = credentialsSecretOf(spec, role);
      const userVar = natsEnvName(spec.name, role, 'USER');
      const passwordVar = natsEnvName(spec.name, role, 'PASSWORD');
      env[userVar] = { valueFrom: { secretKeyRef: { name: secret, key: 'WEFT_NATS_USER' } } };
      env[passwordVar] = {
        valueFrom: { secretKeyRef: { name: secret, key: 'WEFT_NATS_PASSWORD' } },
      };
      users.push({
        user: confVariable(userVar),
        password: confVariable(passwordVar),
        permissions: permissionsOf(spec.name, role),
      });
    }
  }
  return { config: { merge: { authorization: { users } } }, container: { env } };
}
