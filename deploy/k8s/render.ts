// Renders a job's Kubernetes manifests (JobSet, spec ConfigMap, coordinator Service, PodMonitor)
// from the same job spec `weft launch` reads, so counts, resources and settings cannot disagree.
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

/** Roles in the order their replicated jobs appear in the JobSet. */
export const K8S_ROLES = ['coordinator', 'ps', 'sampler', 'trainer'] as const;
export type K8sRole = (typeof K8S_ROLES)[number];

/** Port of /metrics (and the coordinator's /status and /healthz) when the spec leaves it at 0. */
export const DEFAULT_METRICS_PORT = 9464;
/** Where each pod finds the resolved job spec (the ConfigMap's job.yaml). */
export const SPEC_MOUNT_DIR = '/etc/weft';
/** Working directory of the image; data/ and runs/ under it are where dataClaim is mounted. */
export const IMAGE_WORKDIR = '/app';
/** Share of a pod's memory limit given to the V8 heap; the rest is for buffers and the runtime. */
const HEAP_SHARE = 0.75;
/** Container restarts allowed per pod before its Job fails (and the JobSet restarts the job). */
const RESTARTS_PER_POD = 3;

type Obj = Record<string, unknown>;

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
// Pod hostnames are <jobset>-<replicated job>-<job index>-<pod index> and must fit in 63
// characters: 'coordinator' plus separators and indexes leave 40 for the job name.
const MAX_NAME_CHARS = 40;

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
    if (!MEMORY.test(r.memory) || memoryBytes(r.memory) < 2 ** 26) {
      fail(
        source,
        `cluster.resources.${role}.memory`,
        `must be a memory quantity of at least 64Mi such as 512Mi or 4Gi, got ${JSON.stringify(r.memory)}`,
      );
    }
  }
}

function commonLabels(spec: JobSpec): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'weft',
    'app.kubernetes.io/instance': spec.name,
    'app.kubernetes.io/managed-by': 'weft-deploy-render',
  };
}

/** The spec the pods run: transport over NATS, the metrics port fixed, the NATS URL resolved. */
export function clusterSpec(spec: JobSpec): JobSpec {
  const out = structuredClone(spec);
  out.runtime.transport = 'nats';
  out.runtime.metricsPort = spec.runtime.metricsPort || DEFAULT_METRICS_PORT;
  out.cluster.nats = natsUrlFor(spec);
  return out;
}

function podTemplate(spec: JobSpec, role: K8sRole): Obj {
  const c = spec.cluster;
  const port = spec.runtime.metricsPort || DEFAULT_METRICS_PORT;
  const natsUrl = natsUrlFor(spec);
  const memory = c.resources[role].memory;
  const heapMiB = Math.max(64, Math.floor((memoryBytes(memory) * HEAP_SHARE) / 2 ** 20));
  const container: Obj = {
    name: 'weft',
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'actor',
      '--role',
      role,
      '--index',
      '$(JOB_COMPLETION_INDEX)',
      '--job',
      spec.name,
      '--nats',
      natsUrl,
    ],
    env: [
      {
        // Set by the Job controller too; declared here so the args' $(...) reference is explicit.
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: {
            fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
          },
        },
      },
      { name: 'WEFT_JOB', value: spec.name },
      { name: 'WEFT_ROLE', value: role },
      { name: 'WEFT_NATS_URL', value: natsUrl },
      { name: 'WEFT_JOB_SPEC', value: `${SPEC_MOUNT_DIR}/job.yaml` },
      { name: 'WEFT_METRICS_PORT', value: String(port) },
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` },
    ],
    ports: [{ name: 'metrics', containerPort: port, protocol: 'TCP' }],
    resources: {
      requests: { cpu: c.resources[role].cpu, memory },
      limits: { memory },
    },
    volumeMounts: [{ name: 'spec', mountPath: SPEC_MOUNT_DIR, readOnly: true }],
  };
  const volumes: Obj[] = [{ name: 'spec', configMap: { name: `${spec.name}-spec` } }];
  if (c.dataClaim !== '') {
    (container.volumeMounts as Obj[]).push(
      { name: 'data', mountPath: `${IMAGE_WORKDIR}/data`, subPath: 'data' },
      { name: 'data', mountPath: `${IMAGE_WORKDIR}/runs`, subPath: 'runs' },
    );
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: c.dataClaim } });
  }
  if (role === 'coordinator') {
    // Readiness only: a failing probe takes /status out of the Service but never kills the job.
    container.readinessProbe = {
      httpGet: { path: '/healthz', port: 'metrics' },
      periodSeconds: 10,
      failureThreshold: 3,
    };
  }
  return {
    metadata: {
      labels: { ...commonLabels(spec), 'app.kubernetes.io/component': role },
    },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 60,
      containers: [container],
      volumes,
    },
  };
}

function jobSet(spec: JobSpec): Obj {
  const counts = roleCounts(spec);
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: { name: spec.name, namespace: spec.cluster.namespace, labels: commonLabels(spec) },
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
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${spec.name}-spec`,
      namespace: spec.cluster.namespace,
      labels: commonLabels(spec),
    },
    data: { 'job.yaml': stringify(clusterSpec(spec), YAML_OPTIONS) },
  };
}

function service(spec: JobSpec): Obj {
  const port = spec.runtime.metricsPort || DEFAULT_METRICS_PORT;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `${spec.name}-coordinator`,
      namespace: spec.cluster.namespace,
      labels: { ...commonLabels(spec), 'app.kubernetes.io/component': 'coordinator' },
    },
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

function podMonitor(spec: JobSpec): Obj {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: spec.name, namespace: spec.cluster.namespace, labels: commonLabels(spec) },
    spec: {
      jobLabel: 'app.kubernetes.io/instance',
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'weft', 'app.kubernetes.io/instance': spec.name },
      },
      podMetricsEndpoints: [
        {
          port: 'metrics',
          path: '/metrics',
          interval: '15s',
          // The processes label their series weft_job/role/index themselves; the target gets one
          // label of its own, weft_actor (job/role/index), so `up` names the actor and nothing
          // collides: no honorLabels, and job/instance stay Prometheus's.
          relabelings: [
            {
              sourceLabels: [
                '__meta_kubernetes_pod_label_app_kubernetes_io_instance',
                '__meta_kubernetes_pod_label_app_kubernetes_io_component',
                '__meta_kubernetes_pod_annotation_batch_kubernetes_io_job_completion_index',
              ],
              separator: '/',
              targetLabel: 'weft_actor',
            },
          ],
        },
      ],
    },
  };
}

/**
 * Every manifest of a job, validated for Kubernetes first (a ConfigError names the bad field,
 * and the file and line when `source` carries the spec's text).
 */
export function renderK8s(spec: JobSpec, source: SpecSource = {}): Manifest[] {
  validateForKubernetes(spec, source);
  return [
    { file: 'configmap.yaml', object: configMap(spec) },
    { file: 'service.yaml', object: service(spec) },
    { file: 'jobset.yaml', object: jobSet(spec) },
    { file: 'podmonitor.yaml', object: podMonitor(spec) },
  ];
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
