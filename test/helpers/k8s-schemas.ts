// Offline schema checks of rendered Kubernetes objects: core and Prometheus-operator kinds against
// the published OpenAPI models (kubernetes-models, @kubernetes-models/prometheus-operator), a JobSet
// against the v1alpha2 API with its Job templates checked as batch/v1 Jobs, and unknown container
// and pod fields refused (the models accept any extra key; the API server drops or rejects them).
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { s, schemaIssues } from '../../runtime/schema.js';

type Obj = Record<string, unknown>;

const NAME = s.string({ minLength: 1, maxLength: 63, pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ });
const LABELS = s.optional(s.record(s.string({ maxLength: 63 })));

/**
 * The JobSet v1alpha2 API (jobset.x-k8s.io) as its API reference describes JobSetSpec and
 * ReplicatedJob, written out here so a misspelt or misplaced field fails: a real field that Weft does
 * not render yet may be missing, and fails here until it is added. Templates are checked as Jobs.
 */
const JOBSET = s.object({
  apiVersion: s.literal('jobset.x-k8s.io/v1alpha2'),
  kind: s.literal('JobSet'),
  metadata: s.object({ name: NAME, namespace: NAME, labels: LABELS }),
  spec: s.object({
    replicatedJobs: s.array(
      s.object({
        name: NAME,
        groupName: s.optional(NAME),
        replicas: s.int({ min: 1 }),
        dependsOn: s.optional(
          s.array(s.object({ name: NAME, status: s.enum(['Ready', 'Complete'] as const) })),
        ),
        template: s.object(
          { metadata: s.optional(s.object({ labels: LABELS }, { allowUnknownKeys: true })) },
          { allowUnknownKeys: true },
        ),
      }),
    ),
    network: s.optional(
      s.object({
        enableDNSHostnames: s.optional(s.boolean()),
        subdomain: s.optional(NAME),
        publishNotReadyAddresses: s.optional(s.boolean()),
      }),
    ),
    successPolicy: s.optional(
      s.object({
        operator: s.enum(['All', 'Any'] as const),
        targetReplicatedJobs: s.optional(s.array(NAME)),
      }),
    ),
    failurePolicy: s.optional(
      s.object({
        maxRestarts: s.optional(s.int({ min: 0 })),
        restartStrategy: s.optional(s.enum(['Recreate', 'BlockingRecreate'] as const)),
        rules: s.optional(s.array(s.record(s.union(s.string(), s.array(s.string()))))),
      }),
    ),
    startupPolicy: s.optional(
      s.object({ startupPolicyOrder: s.enum(['AnyOrder', 'InOrder'] as const) }),
    ),
    coordinator: s.optional(
      s.object({
        replicatedJob: NAME,
        jobIndex: s.optional(s.int({ min: 0 })),
        podIndex: s.optional(s.int({ min: 0 })),
      }),
    ),
    suspend: s.optional(s.boolean()),
    managedBy: s.optional(s.string()),
    ttlSecondsAfterFinished: s.optional(s.int({ min: 0 })),
  }),
});

/** Fields of core/v1 Container and PodSpec (Kubernetes 1.33). */
const CONTAINER_FIELDS = new Set(
  (
    'name image command args workingDir ports envFrom env resources resizePolicy restartPolicy ' +
    'volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle ' +
    'terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty'
  ).split(' '),
);
const POD_SPEC_FIELDS = new Set(
  (
    'volumes initContainers containers ephemeralContainers restartPolicy terminationGracePeriodSeconds ' +
    'activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount ' +
    'automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace ' +
    'securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases ' +
    'priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks ' +
    'preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers ' +
    'schedulingGates resourceClaims resources'
  ).split(' '),
);

function unknownFields(template: Obj, where: string): string[] {
  const spec = (template.spec ?? {}) as Obj;
  const out = Object.keys(spec)
    .filter((k) => !POD_SPEC_FIELDS.has(k))
    .map((k) => `${where}/spec/${k}: not a PodSpec field`);
  for (const [i, c] of ((spec.containers ?? []) as Obj[]).entries()) {
    for (const k of Object.keys(c)) {
      if (!CONTAINER_FIELDS.has(k)) out.push(`${where}/spec/containers/${i}/${k}: not a field`);
    }
  }
  return out;
}

function modelIssues(validate: () => void): string[] {
  try {
    validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

function jobSetIssues(o: Obj): string[] {
  const issues = schemaIssues(JOBSET, o).map((i) => `${i.path}: ${i.message}`);
  const replicated = ((o.spec as Obj | undefined)?.replicatedJobs ?? []) as Obj[];
  for (const [i, rj] of replicated.entries()) {
    const template = (rj.template ?? {}) as Obj;
    const job = { apiVersion: 'batch/v1', kind: 'Job', ...template };
    const where = `spec.replicatedJobs[${i}].template`;
    issues.push(
      ...modelIssues(() => new Job(job as never).validate()).map((m) => `${where}: ${m}`),
    );
    const pod = ((template.spec as Obj | undefined)?.template ?? {}) as Obj;
    issues.push(...unknownFields(pod, `${where}/spec/template`));
  }
  return issues;
}

/** Every way `o` fails its kind's schema; empty when Kubernetes would take it. Unknown kinds fail. */
export function manifestIssues(o: Obj): string[] {
  const key = `${String(o.apiVersion)} ${String(o.kind)}`;
  switch (key) {
    case 'v1 ConfigMap':
      return modelIssues(() => new ConfigMap(o as never).validate());
    case 'v1 Secret':
      return modelIssues(() => new Secret(o as never).validate());
    case 'v1 Service':
      return modelIssues(() => new Service(o as never).validate());
    case 'monitoring.coreos.com/v1 PodMonitor':
      return modelIssues(() => new PodMonitor(o as never).validate());
    case 'monitoring.coreos.com/v1 PrometheusRule':
      return modelIssues(() => new PrometheusRule(o as never).validate());
    case 'jobset.x-k8s.io/v1alpha2 JobSet':
      return jobSetIssues(o);
    default:
      return [`no schema for ${key}`];
  }
}
