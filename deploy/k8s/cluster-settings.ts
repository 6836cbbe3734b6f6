// What every rendered Kubernetes object of a job agrees on: the roles, ports, mount points, labels
// and the NATS URL, derived from the job spec in one place.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSpec } from '../../actors/job-spec.js';
import { ConfigError } from '../../runtime/errors.js';

/** Roles in the order their replicated jobs appear in the JobSet. */
export const K8S_ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type K8sRole = (typeof K8S_ROLES)[number];

/** A Kubernetes object or part of one, as plain data. */
export type Obj = Record<string, unknown>;

/** Port of /metrics (and the coordinator's /status and /healthz) when the spec leaves it at 0. */
export const DEFAULT_METRICS_PORT = 9464;
/** Where each pod finds the resolved job spec (the ConfigMap's job.yaml). */
export const SPEC_MOUNT_DIR = '/etc/weft/spec';
/** Where a role's credentials Secret is mounted (WEFT_NATS_CREDS may name a file in it). */
export const CREDENTIALS_MOUNT_DIR = '/etc/weft/credentials';
/** Where the TLS Secret (ca.crt, tls.crt, tls.key) is mounted. */
export const TLS_MOUNT_DIR = '/etc/weft/tls';
/** Working directory of the image; data/ and runs/ under it are where dataClaim is mounted. */
export const IMAGE_WORKDIR = '/app';

const MEMORY = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const MEMORY_FACTOR: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** True when `quantity` is a Kubernetes memory quantity such as '512Mi', '4Gi' or '1G'. */
export function isMemoryQuantity(quantity: string): boolean {
  return MEMORY.test(quantity);
}

/** Bytes of a Kubernetes memory quantity such as '512Mi', '4Gi' or '1G'. */
export function memoryBytes(quantity: string): number {
  const m = MEMORY.exec(quantity);
  if (!m) throw new ConfigError(`not a memory quantity: ${JSON.stringify(quantity)}`);
  return Number(m[1]) * MEMORY_FACTOR[m[3] ?? ''];
}

/** The NATS URL pods connect to: 'local' means the release installed from deploy/nats. */
export function natsUrlFor(spec: JobSpec): string {
  return spec.cluster.nats === 'local'
    ? `nats://nats.${spec.cluster.namespace}.svc:4222`
    : spec.cluster.nats;
}

/** Replicas of each role the spec asks for. */
export function roleCounts(spec: JobSpec): Record<K8sRole, number> {
  return {
    coordinator: 1,
    ps: spec.cluster.parameterServers,
    sampler: spec.cluster.samplers,
    trainer: spec.cluster.trainers,
  };
}

/** The port every pod serves /metrics, /healthz and /livez on. */
export function metricsPortOf(spec: JobSpec): number {
  return spec.runtime.metricsPort || DEFAULT_METRICS_PORT;
}

/** Labels on every object of a job; the PodMonitor and the Service select pods by them. */
export function commonLabels(spec: JobSpec): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'weft',
    'app.kubernetes.io/instance': spec.name,
    'app.kubernetes.io/managed-by': 'weft-deploy-render',
  };
}

// A label key: an optional DNS-subdomain prefix and '/', then a name of up to 63 characters.
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * Labels written as 'key=value,key=value' (the spec's monitorLabels and dashboardLabels); an entry that
 * Kubernetes would refuse is a ConfigError naming `field`.
 */
export function parseLabelList(text: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (eq < 0 || !LABEL_KEY.test(key) || key.length > 317 || !LABEL_VALUE.test(value)) {
      throw new ConfigError(
        `labels are 'key=value' pairs separated by commas, with Kubernetes label keys and values; got ${JSON.stringify(entry)}`,
        { field },
      );
    }
    out[key] = value;
  }
  return out;
}

/** A file shipped with the package (deploy/…), found from this module compiled or not. */
export function packageFile(relative: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return path.join(dir, relative);
}
