// Renders a job's Kubernetes manifests (JobSet, spec ConfigMap, coordinator Service, monitoring) from
// the same job spec `weft launch` reads, so counts, resources and settings cannot disagree.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  Document,
  LineCounter,
  isMap,
  parseDocument,
  stringify,
  type Node as YamlNode,
} from 'yaml';
import type { JobSpec } from '../../actors/job-spec.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { ConfigError } from '../../runtime/errors.js';
import {
  K8S_ROLES,
  commonLabels,
  isMemoryQuantity,
  memoryBytes,
  metricsPortOf,
  natsUrlFor,
  parseLabelList,
  roleCounts,
  type Obj,
} from './cluster-settings.js';
import { dashboardConfigMap, podMonitor, prometheusRule } from './monitoring.js';
import { podTemplate } from './pod-template.js';

export {
  DEFAULT_METRICS_PORT,
  IMAGE_WORKDIR,
  K8S_ROLES,
  SPEC_MOUNT_DIR,
  memoryBytes,
  natsUrlFor,
  roleCounts,
  type K8sRole,
} from './cluster-settings.js';

// Single quotes, as the repository's formatter writes YAML, so rendered files pass its check.
const YAML_OPTIONS = { singleQuote: true } as const;

/** One rendered manifest: the file it goes to under --out and the Kubernetes object. */
export interface Manifest {
  file: string;
  object: Obj;
}

/** Where the spec came from, so errors can name the file and line of a bad field. */
export interface SpecSource {
  file?: string;
  text?: string;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CPU = /^(\d+(\.\d+)?|\d+m)$/;
// Pod hostnames are <jobset>-<replicated job>-<job index>-<pod index> and must fit in 63
// characters: 'coordinator' plus separators and indexes leave 40 for the job name.
const MAX_NAME_CHARS = 40;
/** Container restarts allowed per pod before its Job fails (and the JobSet restarts the job). */
const RESTARTS_PER_POD = 3;

function lineOf(source: SpecSource, field: string): number | undefined {
  if (!source.text) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter });
  let node: unknown = doc.contents;
  let pos: number | undefined;
  for (const key of field.split('.')) {
    if (!isMap(node)) return pos === undefined ? undefined : lineCounter.linePos(pos).line;
    const pair = node.items.find(
      (it) => String((it.key as { value?: unknown })?.value ?? it.key) === key,
    );
    if (!pair) return pos === undefined ? undefined : lineCounter.linePos(pos).line;
    pos = (pair.key as YamlNode | null)?.range?.[0];
    node = pair.value;
  }
  return pos === undefined ? undefined : lineCounter.linePos(pos).line;
}

function fail(source: SpecSource, field: string, message: string): never {
  const line = lineOf(source, field);
  const file = source.file && line ? `${source.file}:${line}` : source.file;
  throw new ConfigError(message, { file, field });
}

/** Checks what Kubernetes demands beyond the job spec's own schema; errors name the field. */
export function validateForKubernetes(spec: JobSpec, source: SpecSource = {}): void {
  if (!DNS_LABEL.test(spec.name) || spec.name.length > MAX_NAME_CHARS) {
    fail(
      source,
      'name',
      `must be a DNS label of at most ${MAX_NAME_CHARS} characters (lower-case letters, digits, '-'; starting with a letter) to name Kubernetes objects, got ${JSON.stringify(spec.name)}`,
    );
  }
  if (spec.graph.trim() === '') {
    fail(source, 'graph', 'a job on Kubernetes needs the graph directory (as the pods see it)');
  }
  const c = spec.cluster;
  if (!DNS_LABEL.test(c.namespace) || c.namespace.length > 63) {
    fail(source, 'cluster.namespace', `must be a DNS label, got ${JSON.stringify(c.namespace)}`);
  }
  if (c.image.trim() === '' || /\s/.test(c.image)) {
    fail(source, 'cluster.image', `must be an image reference, got ${JSON.stringify(c.image)}`);
  }
  if (c.nats !== 'local') {
    const urls = c.nats.split(',');
    if (!urls.every((u) => /^(nats|tls|ws|wss):\/\/[^\s/]+$/.test(u.trim()))) {
      fail(
        source,
        'cluster.nats',
        `must be 'local' or nats:// URLs separated by commas, got ${JSON.stringify(c.nats)}`,
      );
    }
  }
  if (c.dataClaim !== '' && (!DNS_SUBDOMAIN.test(c.dataClaim) || c.dataClaim.length > 253)) {
    fail(
      source,
      'cluster.dataClaim',
      `must name a PersistentVolumeClaim, got ${JSON.stringify(c.dataClaim)}`,
    );
  }
  for (const role of K8S_ROLES) {
    const r = c.resources[role];
    if (!CPU.test(r.cpu) || Number(r.cpu.replace(/m$/, '')) <= 0) {
      fail(
        source,
        `cluster.resources.${role}.cpu`,
        `must be a positive CPU quantity such as 2, 0.5 or 500m, got ${JSON.stringify(r.cpu)}`,
      );
    }
    if (!isMemoryQuantity(r.memory) || memoryBytes(r.memory) < 2 ** 26) {
      fail(
        source,
        `cluster.resources.${role}.memory`,
        `must be a memory quantity of at least 64Mi such as 512Mi or 4Gi, got ${JSON.stringify(r.memory)}`,
      );
    }
  }
}

/** The spec the pods run: transport over NATS, the metrics port fixed, the NATS URL resolved. */
export function clusterSpec(spec: JobSpec): JobSpec {
  const out = structuredClone(spec);
  out.runtime.transport = 'nats';
  out.runtime.metricsPort = metricsPortOf(spec);
  out.cluster.nats = natsUrlFor(spec);
  return out;
}

/** apiVersion, kind and metadata of one of the job's objects: in its namespace, with its labels. */
function objectHead(
  spec: JobSpec,
  apiVersion: string,
  kind: string,
  name: string,
  component?: string,
): Obj {
  const labels = commonLabels(spec);
  if (component) labels['app.kubernetes.io/component'] = component;
  return { apiVersion, kind, metadata: { name, namespace: spec.cluster.namespace, labels } };
}

function jobSet(spec: JobSpec): Obj {
  const counts = roleCounts(spec);
  return {
    ...objectHead(spec, 'jobset.x-k8s.io/v1alpha2', 'JobSet', spec.name),
    spec: {
      // The job is done when the coordinator is; it tells the other actors to exit first.
      successPolicy: { operator: 'All', targetReplicatedJobs: ['coordinator'] },
      failurePolicy: { maxRestarts: 3 },
      replicatedJobs: K8S_ROLES.map((role) => ({
        name: role,
        replicas: 1,
        template: {
          metadata: { labels: { ...commonLabels(spec), 'app.kubernetes.io/component': role } },
          spec: {
            parallelism: counts[role],
            completions: counts[role],
            completionMode: 'Indexed',
            backoffLimit: RESTARTS_PER_POD * counts[role],
            template: podTemplate(spec, role),
          },
        },
      })),
    },
  };
}

function configMap(spec: JobSpec): Obj {
  return {
    ...objectHead(spec, 'v1', 'ConfigMap', `${spec.name}-spec`),
    data: { 'job.yaml': stringify(clusterSpec(spec), YAML_OPTIONS) },
  };
}

function service(spec: JobSpec): Obj {
  const port = metricsPortOf(spec);
  return {
    ...objectHead(spec, 'v1', 'Service', `${spec.name}-coordinator`, 'coordinator'),
    spec: {
      selector: {
        'app.kubernetes.io/name': 'weft',
        'app.kubernetes.io/instance': spec.name,
        'app.kubernetes.io/component': 'coordinator',
      },
      ports: [
        // /status and /healthz on the usual HTTP port; /metrics on its own.
        { name: 'status', port: 80, targetPort: 'metrics', protocol: 'TCP' },
        { name: 'metrics', port, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  };
}

/** Checks the cluster.kubernetes section: Secret names and label lists Kubernetes can take. */
function validateKubernetesSection(spec: JobSpec, source: SpecSource): void {
  const k = spec.cluster.kubernetes;
  // The longest Secret name is <credentialsSecret>-coordinator.
  if (
    k.credentialsSecret !== '' &&
    (!DNS_SUBDOMAIN.test(`${k.credentialsSecret}-coordinator`) || k.credentialsSecret.length > 240)
  ) {
    fail(
      source,
      'cluster.kubernetes.credentialsSecret',
      `must be the prefix of Secret names (lower-case letters, digits, '-', '.'; at most 240 characters), got ${JSON.stringify(k.credentialsSecret)}`,
    );
  }
  if (k.tlsSecret !== '' && (!DNS_SUBDOMAIN.test(k.tlsSecret) || k.tlsSecret.length > 253)) {
    fail(
      source,
      'cluster.kubernetes.tlsSecret',
      `must name a Secret, got ${JSON.stringify(k.tlsSecret)}`,
    );
  }
  for (const field of ['monitorLabels', 'dashboardLabels'] as const) {
    try {
      parseLabelList(k[field], `cluster.kubernetes.${field}`);
    } catch (err) {
      if (err instanceof ConfigError) fail(source, `cluster.kubernetes.${field}`, err.message);
      throw err;
    }
  }
}

/**
 * Every manifest of a job, validated for Kubernetes first (a ConfigError names the bad field,
 * and the file and line when `source` carries the spec's text).
 */
export function renderK8s(spec: JobSpec, source: SpecSource = {}): Manifest[] {
  validateForKubernetes(spec, source);
  validateKubernetesSection(spec, source);
  const manifests: Manifest[] = [
    { file: 'configmap.yaml', object: configMap(spec) },
    { file: 'service.yaml', object: service(spec) },
    { file: 'jobset.yaml', object: jobSet(spec) },
    { file: 'dashboard.yaml', object: dashboardConfigMap(spec) },
  ];
  if (spec.cluster.kubernetes.prometheusOperator) {
    manifests.push(
      { file: 'podmonitor.yaml', object: podMonitor(spec) },
      { file: 'prometheusrule.yaml', object: prometheusRule(spec) },
    );
  }
  return manifests;
}

function toDocument(object: Obj, from: string): Document {
  const doc = new Document(object);
  doc.commentBefore = ` Rendered by \`weft deploy render\` from ${from}; re-render rather than edit.`;
  return doc;
}

/** All manifests as one multi-document YAML stream (what `kubectl apply -f -` reads). */
export function manifestsToYaml(manifests: Manifest[], from = 'the job spec'): string {
  return manifests.map((m) => toDocument(m.object, from).toString(YAML_OPTIONS)).join('---\n');
}

/**
 * Writes one file per manifest into `outDir`, plus a kustomization.yaml listing them so the
 * directory applies with `kubectl apply -k` and takes overlays. Returns the paths written.
 */
export function writeManifests(
  manifests: Manifest[],
  outDir: string,
  from = 'the job spec',
): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const m of manifests) {
    const file = path.join(outDir, m.file);
    writeFileAtomic(file, toDocument(m.object, from).toString(YAML_OPTIONS));
    written.push(file);
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: manifests.map((m) => m.file),
  };
  const file = path.join(outDir, 'kustomization.yaml');
  writeFileAtomic(file, toDocument(kustomization, from).toString(YAML_OPTIONS));
  written.push(file);
  return written;
}
