// The pod every replicated job of a rendered JobSet runs: `weft actor` as a non-root user on a
// read-only root filesystem, with probes, the job's spec, volumes and NATS credentials mounted.
import type { JobSpec } from '../../actors/job-spec.js';
import {
  CREDENTIALS_MOUNT_DIR,
  IMAGE_WORKDIR,
  SPEC_MOUNT_DIR,
  TLS_MOUNT_DIR,
  commonLabels,
  memoryBytes,
  metricsPortOf,
  natsUrlFor,
  type K8sRole,
  type Obj,
} from './cluster-settings.js';

/** Share of a pod's memory limit given to the V8 heap; the rest is for buffers and the runtime. */
const HEAP_SHARE = 0.75;
/** Scratch space of /tmp (the root filesystem is read-only). */
const TMP_SIZE_LIMIT = '1Gi';
/** Secret files readable by the owner and the pod's fsGroup only. */
const SECRET_FILE_MODE = 0o440;

/** The Secret holding one role's NATS credentials, or '' when the spec names none. */
export function credentialsSecretOf(spec: JobSpec, role: K8sRole): string {
  const prefix = spec.cluster.kubernetes.credentialsSecret;
  return prefix === '' ? '' : `${prefix}-${role}`;
}

function baseEnv(spec: JobSpec, role: K8sRole): Obj[] {
  const heapMiB = Math.max(
    64,
    Math.floor((memoryBytes(spec.cluster.resources[role].memory) * HEAP_SHARE) / 2 ** 20),
  );
  return [
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
    { name: 'WEFT_NATS_URL', value: natsUrlFor(spec) },
    { name: 'WEFT_JOB_SPEC', value: `${SPEC_MOUNT_DIR}/job.yaml` },
    { name: 'WEFT_METRICS_PORT', value: String(metricsPortOf(spec)) },
    { name: 'NODE_OPTIONS', value: `--max-old-space-size=${heapMiB}` },
  ];
}

interface Mounts {
  env: Obj[];
  envFrom: Obj[];
  volumeMounts: Obj[];
  volumes: Obj[];
}

/** The spec, scratch /tmp, the run volume, and the credentials and TLS Secrets the spec names. */
function mountsOf(spec: JobSpec, role: K8sRole): Mounts {
  const c = spec.cluster;
  const m: Mounts = {
    env: [],
    envFrom: [],
    volumeMounts: [
      { name: 'spec', mountPath: SPEC_MOUNT_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    volumes: [
      { name: 'spec', configMap: { name: `${spec.name}-spec` } },
      { name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE_LIMIT } },
    ],
  };
  if (c.dataClaim !== '') {
    m.volumeMounts.push(
      { name: 'data', mountPath: `${IMAGE_WORKDIR}/data`, subPath: 'data' },
      { name: 'data', mountPath: `${IMAGE_WORKDIR}/runs`, subPath: 'runs' },
    );
    m.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: c.dataClaim } });
  } else {
    // Checkpoints then live as long as the pod: a claim keeps them across restarts.
    m.volumeMounts.push({ name: 'runs', mountPath: `${IMAGE_WORKDIR}/runs` });
    m.volumes.push({ name: 'runs', emptyDir: {} });
  }
  const credentials = credentialsSecretOf(spec, role);
  if (credentials !== '') {
    m.envFrom.push({ secretRef: { name: credentials } });
    m.volumeMounts.push({ name: 'credentials', mountPath: CREDENTIALS_MOUNT_DIR, readOnly: true });
    m.volumes.push({
      name: 'credentials',
      secret: { secretName: credentials, defaultMode: SECRET_FILE_MODE },
    });
  }
  if (c.kubernetes.tlsSecret !== '') {
    m.env.push(
      { name: 'WEFT_NATS_TLS_CA', value: `${TLS_MOUNT_DIR}/ca.crt` },
      { name: 'WEFT_NATS_TLS_CERT', value: `${TLS_MOUNT_DIR}/tls.crt` },
      { name: 'WEFT_NATS_TLS_KEY', value: `${TLS_MOUNT_DIR}/tls.key` },
    );
    m.volumeMounts.push({ name: 'tls', mountPath: TLS_MOUNT_DIR, readOnly: true });
    m.volumes.push({
      name: 'tls',
      secret: { secretName: c.kubernetes.tlsSecret, defaultMode: SECRET_FILE_MODE },
    });
  }
  return m;
}

function probes(role: K8sRole): Obj {
  const out: Obj = {
    // /livez answers while the process's event loop runs (from before the actor loads its graph);
    // two minutes without an answer restarts the container, which resumes its part of the job.
    livenessProbe: {
      httpGet: { path: '/livez', port: 'metrics' },
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
  };
  if (role === 'coordinator') {
    // Readiness: a failing /healthz takes /status out of the Service but never kills the job.
    out.readinessProbe = {
      httpGet: { path: '/healthz', port: 'metrics' },
      periodSeconds: 10,
      failureThreshold: 3,
    };
  }
  return out;
}

/** The pod template of `role`'s replicated job. */
export function podTemplate(spec: JobSpec, role: K8sRole): Obj {
  const c = spec.cluster;
  const k = c.kubernetes;
  const port = metricsPortOf(spec);
  const mounts = mountsOf(spec, role);
  const memory = c.resources[role].memory;
  const natsUrl = natsUrlFor(spec);
  const container: Obj = {
    name: 'weft',
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      ...['actor', '--role', role, '--index', '$(JOB_COMPLETION_INDEX)'],
      ...['--job', spec.name, '--nats', natsUrl],
    ],
    env: [...baseEnv(spec, role), ...mounts.env],
    ...(mounts.envFrom.length > 0 ? { envFrom: mounts.envFrom } : {}),
    ports: [{ name: 'metrics', containerPort: port, protocol: 'TCP' }],
    resources: { requests: { cpu: c.resources[role].cpu, memory }, limits: { memory } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: mounts.volumeMounts,
    ...probes(role),
  };
  return {
    metadata: { labels: { ...commonLabels(spec), 'app.kubernetes.io/component': role } },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 60,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: k.runAsUser,
        runAsGroup: k.runAsUser,
        fsGroup: k.fsGroup,
        // Changing the claim's ownership walks every file: only when its root is not ours yet.
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes: mounts.volumes,
    },
  };
}
