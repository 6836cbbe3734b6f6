// Which job a checkpoint belongs to: the job's name and a hash of every spec field that changes what
// is trained, so a restart resumes its own run and never continues (or overwrites) another's.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { JobSpec } from '../job-spec.js';

/**
 * Fields that do not change the model a run trains: where it writes, how long it runs, how often it
 * checkpoints, how processes are placed, connected, watched and observed, and performance knobs
 * whose batches are the same either way. Every other field (and any field added later) counts.
 */
const OPERATIONAL = new Set([
  'name',
  'out',
  'train.epochs',
  'train.checkpointEvery',
  'train.checkpointStore',
  'train.checkpointBucket',
  'sampling.samplers',
  'sampling.prefetch',
  'sampling.handoff',
  'runtime',
  'cluster.parameterServers',
  'cluster.samplers',
  'cluster.partitions',
  'cluster.nats',
  'cluster.image',
  'cluster.namespace',
  'cluster.dataClaim',
  'cluster.resources',
  'timeouts',
]);

export interface JobIdentity {
  name: string;
  /** sha256 (first 16 hex digits) of the fields that change the model, in a fixed order. */
  specHash: string;
}

/** Field path → value of every identity field, the graph path resolved (relative or not, same graph). */
function identityFields(spec: JobSpec): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    if (OPERATIONAL.has(path)) return;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of Object.keys(v).sort())
        walk((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    out.set(path, JSON.stringify(path === 'graph' && typeof v === 'string' ? resolve(v) : v));
  };
  walk(spec, '');
  return out;
}

export function jobIdentityOf(spec: JobSpec): JobIdentity {
  const h = createHash('sha256');
  for (const [k, v] of identityFields(spec)) h.update(`${k}=${v}\n`);
  return { name: spec.name, specHash: h.digest('hex').slice(0, 16) };
}

/** The identity fields on which two specs differ (`name` first when the names differ). */
export function identityDifferences(a: JobSpec, b: JobSpec): string[] {
  const fa = identityFields(a);
  const fb = identityFields(b);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const diff = keys.filter((k) => fa.get(k) !== fb.get(k));
  return a.name !== b.name ? ['name', ...diff] : diff;
}

/** Whether a checkpoint (its meta.spec) was written by the same job as `spec`. */
export function sameJob(spec: JobSpec, checkpointSpec: JobSpec | undefined): boolean {
  if (!checkpointSpec) return false;
  const a = jobIdentityOf(spec);
  const b = jobIdentityOf(checkpointSpec);
  return a.name === b.name && a.specHash === b.specHash;
}
