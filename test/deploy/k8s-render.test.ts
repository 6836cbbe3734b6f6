import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  applyOverrides,
  defaultJobSpec,
  parseJobSpec,
  type JobSpec,
} from '../../actors/job-spec.js';
import { run } from '../../cli/commands/deploy.js';
import {
  DEFAULT_METRICS_PORT,
  K8S_ROLES,
  clusterSpec,
  manifestsToYaml,
  memoryBytes,
  natsUrlFor,
  renderK8s,
  type K8sRole,
} from '../../deploy/k8s/render.js';
import { ConfigError } from '../../runtime/errors.js';
import { configErrorOf as errorOf } from '../helpers/config-error.js';

const root = path.resolve(import.meta.dirname, '../..');
const exampleFile = path.join(root, 'deploy/k8s/example/job.yaml');

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Renders through the YAML text, as kubectl would read it, and indexes the objects by kind. */
function renderParsed(spec: JobSpec): Record<string, Any> {
  const docs = parseAllDocuments(manifestsToYaml(renderK8s(spec)));
  const byKind: Record<string, Any> = {};
  for (const d of docs) {
    expect(d.errors).toEqual([]);
    const o = d.toJS() as Any;
    // Two ConfigMaps: the job's spec, and the dashboard every job of the namespace shares.
    byKind[o.metadata.name === 'weft-dashboard' ? 'Dashboard' : o.kind] = o;
  }
  return byKind;
}

function replicatedJob(jobset: Any, role: K8sRole): Any {
  return jobset.spec.replicatedJobs.find((r: Any) => r.name === role);
}

function expectMatchesSpec(objects: Record<string, Any>, spec: JobSpec): void {
  expect(Object.keys(objects).sort()).toEqual(
    spec.cluster.kubernetes.prometheusOperator
      ? ['ConfigMap', 'Dashboard', 'JobSet', 'PodMonitor', 'PrometheusRule', 'Service']
      : ['ConfigMap', 'Dashboard', 'JobSet', 'Service'],
  );
  const jobset = objects.JobSet;
  expect(jobset.apiVersion).toBe('jobset.x-k8s.io/v1alpha2');
  expect(jobset.metadata).toMatchObject({ name: spec.name, namespace: spec.cluster.namespace });
  expect(jobset.spec.replicatedJobs.map((r: Any) => r.name)).toEqual([...K8S_ROLES]);
  const want: Record<K8sRole, number> = {
    coordinator: 1,
    ps: spec.cluster.parameterServers,
    sampler: spec.cluster.samplers,
    trainer: spec.cluster.trainers,
  };
  const port = spec.runtime.metricsPort || DEFAULT_METRICS_PORT;
  const nats = natsUrlFor(spec);
  for (const role of K8S_ROLES) {
    const rj = replicatedJob(jobset, role);
    expect(rj.replicas).toBe(1);
    const job = rj.template.spec;
    expect(job.parallelism, role).toBe(want[role]);
    expect(job.completions, role).toBe(want[role]);
    expect(job.completionMode).toBe('Indexed');
    const pod = job.template;
    expect(pod.metadata.labels['app.kubernetes.io/component']).toBe(role);
    const [c, ...more] = pod.spec.containers;
    expect(more).toEqual([]);
    expect(c.image).toBe(spec.cluster.image);
    expect(c.args).toEqual([
      'actor',
      '--role',
      role,
      '--index',
      '$(JOB_COMPLETION_INDEX)',
      '--job',
      spec.name,
      '--nats',
      nats,
    ]);
    const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e]));
    // The index the args expand comes from the Job controller's completion-index annotation.
    expect(env.JOB_COMPLETION_INDEX.valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    expect(env.WEFT_ROLE.value).toBe(role);
    expect(env.WEFT_JOB.value).toBe(spec.name);
    expect(env.WEFT_NATS_URL.value).toBe(nats);
    expect(env.WEFT_METRICS_PORT.value).toBe(String(port));
    const r = spec.cluster.resources[role];
    expect(c.resources).toEqual({
      requests: { cpu: r.cpu, memory: r.memory },
      limits: { memory: r.memory },
    });
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS.value)?.[1]);
    expect(heapMiB * 2 ** 20).toBeLessThan(memoryBytes(r.memory));
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: port, protocol: 'TCP' }]);
    const specMount = c.volumeMounts.find((m: Any) => m.name === 'spec');
    expect(`${specMount.mountPath}/job.yaml`).toBe(env.WEFT_JOB_SPEC.value);
    const volumes = Object.fromEntries(pod.spec.volumes.map((v: Any) => [v.name, v]));
    expect(volumes.spec.configMap.name).toBe(objects.ConfigMap.metadata.name);
    if (spec.cluster.dataClaim) {
      expect(volumes.data.persistentVolumeClaim.claimName).toBe(spec.cluster.dataClaim);
    } else {
      expect(volumes.data).toBeUndefined();
      expect(volumes.runs.emptyDir).toEqual({});
    }
    expectHardenedPod(pod.spec, spec, role);
    expectCredentials(c, volumes, spec, role);
  }
  expectMonitoring(objects, spec);

  // The ConfigMap carries the spec the pods run: same job, over NATS, on the rendered port.
  const inPods = parseJobSpec(objects.ConfigMap.data['job.yaml'], 'configmap');
  expect(inPods).toEqual(clusterSpec(spec));
  expect(inPods.runtime.transport).toBe('nats');
  expect(inPods.runtime.metricsPort).toBe(port);
  expect(inPods.cluster.nats).toBe(nats);
  expect(inPods.cluster.trainers).toBe(spec.cluster.trainers);

  // The Service selects the coordinator's pod and no other.
  const selector = objects.Service.spec.selector as Record<string, string>;
  for (const role of K8S_ROLES) {
    const labels = replicatedJob(jobset, role).template.spec.template.metadata.labels;
    const selected = Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selected, role).toBe(role === 'coordinator');
    // The PodMonitor scrapes every pod of the job.
    if (!objects.PodMonitor) continue;
    const monitorSelects = Object.entries(
      objects.PodMonitor.spec.selector.matchLabels as Record<string, string>,
    ).every(([k, v]) => labels[k] === v);
    expect(monitorSelects, role).toBe(true);
  }
  expect(objects.Service.spec.ports.map((p: Any) => p.targetPort)).toEqual(['metrics', 'metrics']);
  if (!objects.PodMonitor) return;
  const endpoint = objects.PodMonitor.spec.podMetricsEndpoints[0];
  expect(endpoint).toMatchObject({ port: 'metrics', path: '/metrics' });
  expect(endpoint.honorLabels).toBeUndefined();
  expect(endpoint.relabelings.map((r: Any) => r.targetLabel)).toEqual(['weft_actor']);
}

/** Non-root, read-only root filesystem, every writable path a volume, alive and ready probes. */
function expectHardenedPod(podSpec: Any, spec: JobSpec, role: K8sRole): void {
  const k = spec.cluster.kubernetes;
  expect(podSpec.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: k.runAsUser,
    fsGroup: k.fsGroup,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const c = podSpec.containers[0];
  expect(c.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  const writable = c.volumeMounts.filter((m: Any) => !m.readOnly).map((m: Any) => m.mountPath);
  expect(writable).toEqual(
    spec.cluster.dataClaim ? ['/tmp', '/app/data', '/app/runs'] : ['/tmp', '/app/runs'],
  );
  expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'metrics' });
  if (role === 'coordinator') {
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  } else {
    expect(c.readinessProbe).toBeUndefined();
  }
}

/** A role's pods read that role's Secret only, and the TLS files from the TLS Secret. */
function expectCredentials(c: Any, volumes: Record<string, Any>, spec: JobSpec, role: K8sRole) {
  const k = spec.cluster.kubernetes;
  const env = Object.fromEntries(c.env.map((e: Any) => [e.name, e.value]));
  if (k.credentialsSecret) {
    const secret = `${k.credentialsSecret}-${role}`;
    expect(c.envFrom).toEqual([{ secretRef: { name: secret } }]);
    expect(volumes.credentials.secret).toEqual({ secretName: secret, defaultMode: 0o440 });
  } else {
    expect(c.envFrom).toBeUndefined();
    expect(volumes.credentials).toBeUndefined();
  }
  if (k.tlsSecret) {
    expect(volumes.tls.secret.secretName).toBe(k.tlsSecret);
    const dir = c.volumeMounts.find((m: Any) => m.name === 'tls').mountPath;
    expect([env.WEFT_NATS_TLS_CA, env.WEFT_NATS_TLS_CERT, env.WEFT_NATS_TLS_KEY]).toEqual([
      `${dir}/ca.crt`,
      `${dir}/tls.crt`,
      `${dir}/tls.key`,
    ]);
  } else {
    expect(volumes.tls).toBeUndefined();
    expect(env.WEFT_NATS_TLS_CA).toBeUndefined();
  }
  // Mount points never nest inside another volume (a read-only ConfigMap cannot hold them).
  const paths = c.volumeMounts.map((m: Any) => `${m.mountPath}/`);
  for (const a of paths) for (const b of paths) if (a !== b) expect(b.startsWith(a), b).toBe(false);
}

function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .filter((e) => e.trim())
      .map((e) => e.split('=').map((x) => x.trim())),
  );
}

/** The alert rules and dashboard as committed, labelled for the operator's and Grafana's selectors. */
function expectMonitoring(objects: Record<string, Any>, spec: JobSpec): void {
  const k = spec.cluster.kubernetes;
  const dashboard = objects.Dashboard;
  expect(dashboard.data['weft.json']).toBe(
    readFileSync(path.join(root, 'deploy/grafana/weft.json'), 'utf8'),
  );
  expect(dashboard.metadata.labels).toMatchObject(labelsOf(k.dashboardLabels));
  if (!k.prometheusOperator) return;
  const rules = parse(readFileSync(path.join(root, 'deploy/prometheus/rules.yml'), 'utf8'));
  expect(objects.PrometheusRule.spec.groups).toEqual(rules.groups);
  for (const kind of ['PrometheusRule', 'PodMonitor']) {
    expect(objects[kind].metadata.labels).toMatchObject(labelsOf(k.monitorLabels));
  }
}

describe('weft deploy render', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('renders the example job as its spec says', () => {
    const spec = parseJobSpec(readFileSync(exampleFile, 'utf8'), exampleFile);
    expect(spec.cluster.trainers).toBe(3);
    const objects = renderParsed(spec);
    expectMatchesSpec(objects, spec);
    expect(replicatedJob(objects.JobSet, 'trainer').template.spec.parallelism).toBe(3);
    expect(replicatedJob(objects.JobSet, 'ps').template.spec.completions).toBe(2);
  });

  it('matches the spec for many random specs', () => {
    const cpus = ['1', '2', '0.5', '250m', '16'];
    const memories = ['512Mi', '1Gi', '4Gi', '64Gi', '2G', '3000M'];
    for (let seed = 1; seed <= 60; seed++) {
      const next = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
      const overrides: Record<string, string> = {
        name: `job-${seed}`,
        graph: 'data/g',
        'cluster.parameterServers': String(1 + Math.floor(next() * 8)),
        'cluster.samplers': String(1 + Math.floor(next() * 32)),
        'cluster.trainers': String(1 + Math.floor(next() * 64)),
        'cluster.nats': next() < 0.5 ? 'local' : `nats://nats-${seed}.example.com:4222`,
        'cluster.image': `registry.example.com/weft:${seed}`,
        'cluster.namespace': pick(['default', 'ml', `team-${seed}`]),
        'cluster.dataClaim': next() < 0.5 ? '' : `claim-${seed}`,
        'runtime.metricsPort': String(next() < 0.3 ? 0 : 9000 + Math.floor(next() * 1000)),
        'cluster.kubernetes.credentialsSecret': next() < 0.5 ? '' : `job-${seed}-nats`,
        'cluster.kubernetes.tlsSecret': next() < 0.5 ? '' : `tls-${seed}`,
        'cluster.kubernetes.prometheusOperator': String(next() < 0.7),
        'cluster.kubernetes.monitorLabels': pick(['', 'release=prometheus', 'a=1, b.example/c=d']),
        'cluster.kubernetes.runAsUser': String(1 + Math.floor(next() * 60000)),
      };
      for (const role of K8S_ROLES) {
        overrides[`cluster.resources.${role}.cpu`] = pick(cpus);
        overrides[`cluster.resources.${role}.memory`] = pick(memories);
      }
      const spec = applyOverrides(defaultJobSpec(), overrides);
      expectMatchesSpec(renderParsed(spec), spec);
    }
  });

  it('names the field, file and line of a spec Kubernetes cannot take', () => {
    const cases: { text: string; field: string; line?: number; message: RegExp }[] = [
      {
        text: 'name: cora\ngraph: g\ncluster:\n  resources:\n    trainer:\n      memory: lots\n',
        field: 'cluster.resources.trainer.memory',
        line: 6,
        message: /memory quantity/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  resources:\n    ps:\n      cpu: two\n',
        field: 'cluster.resources.ps.cpu',
        line: 6,
        message: /CPU quantity/,
      },
      { text: 'name: Cora_Job\ngraph: g\n', field: 'name', line: 1, message: /DNS label/ },
      { text: 'name: cora\n', field: 'graph', message: /graph directory/ },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  nats: http://nats:4222\n',
        field: 'cluster.nats',
        line: 4,
        message: /nats:\/\//,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  namespace: My_NS\n',
        field: 'cluster.namespace',
        line: 4,
        message: /DNS label/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  kubernetes:\n    credentialsSecret: Bad_Name\n',
        field: 'cluster.kubernetes.credentialsSecret',
        line: 5,
        message: /prefix of Secret names/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  kubernetes:\n    tlsSecret: "a b"\n',
        field: 'cluster.kubernetes.tlsSecret',
        line: 5,
        message: /must name a Secret/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  kubernetes:\n    monitorLabels: release\n',
        field: 'cluster.kubernetes.monitorLabels',
        line: 5,
        message: /key=value/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  kubernetes:\n    dashboardLabels: "x=has space"\n',
        field: 'cluster.kubernetes.dashboardLabels',
        line: 5,
        message: /"x=has space"/,
      },
      {
        text: 'name: cora\ngraph: g\ncluster:\n  image: "weft latest"\n',
        field: 'cluster.image',
        line: 4,
        message: /image reference/,
      },
    ];
    for (const c of cases) {
      const spec = parseJobSpec(c.text, 'job.yaml');
      const err = errorOf(() => renderK8s(spec, { file: 'job.yaml', text: c.text }));
      expect(err.field, c.text).toBe(c.field);
      expect(err.file, c.text).toBe(c.line ? `job.yaml:${c.line}` : 'job.yaml');
      expect(err.message, c.text).toMatch(c.message);
    }
    // Counts are checked by the job spec itself, with the same field names.
    const err = errorOf(() => parseJobSpec('cluster:\n  trainers: 0\n', 'job.yaml'));
    expect(err.field).toBe('cluster.trainers');
    expect(err.file).toBe('job.yaml:2');
  });

  it('converts memory quantities to bytes', () => {
    expect(memoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(memoryBytes('4Gi')).toBe(4 * 2 ** 30);
    expect(memoryBytes('2G')).toBe(2e9);
    expect(memoryBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(memoryBytes('1048576')).toBe(2 ** 20);
    expect(() => memoryBytes('4 GB')).toThrow(ConfigError);
  });

  it('keeps the committed example in step with the renderer', () => {
    const spec = parseJobSpec(readFileSync(exampleFile, 'utf8'), exampleFile);
    const dir = path.join(root, 'deploy/k8s/example/rendered');
    const files = readdirSync(dir).sort();
    const manifests = renderK8s(spec);
    expect(files).toEqual([...manifests.map((m) => m.file), 'kustomization.yaml'].sort());
    for (const m of manifests) {
      const committed = parse(readFileSync(path.join(dir, m.file), 'utf8'));
      expect(
        committed,
        `re-render: npx weft deploy render deploy/k8s/example/job.yaml --out deploy/k8s/example/rendered`,
      ).toEqual(m.object);
    }
    const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
    expect(kustomization.resources).toEqual(manifests.map((m) => m.file));
  });

  it('writes one file per manifest with --out and applies --set overrides', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-render-'));
    try {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const code = await run([
        'render',
        exampleFile,
        '--out',
        path.join(tmp, 'out'),
        '--set',
        'cluster.trainers=7',
      ]);
      expect(code).toBe(0);
      expect(log).toHaveBeenCalledTimes(7);
      expect(readdirSync(path.join(tmp, 'out')).sort()).toEqual([
        'configmap.yaml',
        'dashboard.yaml',
        'jobset.yaml',
        'kustomization.yaml',
        'podmonitor.yaml',
        'prometheusrule.yaml',
        'service.yaml',
      ]);
      const jobset = parse(readFileSync(path.join(tmp, 'out', 'jobset.yaml'), 'utf8'));
      expect(replicatedJob(jobset, 'trainer').template.spec.parallelism).toBe(7);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('writes the NATS users beside the manifests when the job names credentials Secrets', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-render-'));
    try {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const out = path.join(tmp, 'out');
      const set = ['--set', 'cluster.kubernetes.credentialsSecret=cora-nats'];
      expect(await run(['render', exampleFile, '--out', out, ...set])).toBe(0);
      expect(log).toHaveBeenCalledWith(path.join(out, 'nats-values.yaml'));
      const values = parse(readFileSync(path.join(out, 'nats-values.yaml'), 'utf8'));
      const users = values.config.merge.authorization.users as Any[];
      expect(users.map((u) => u.user)).toEqual(
        K8S_ROLES.map((r) => `<< $WEFT_CORA_${r.toUpperCase()}_USER >>`),
      );
      // Not a Kubernetes object: kustomize leaves it alone.
      const kustomization = parse(readFileSync(path.join(out, 'kustomization.yaml'), 'utf8'));
      expect(kustomization.resources).not.toContain('nats-values.yaml');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('prints the NATS users of several jobs with nats-values, and refuses jobs without Secrets', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-render-'));
    try {
      const a = path.join(tmp, 'a.yaml');
      const b = path.join(tmp, 'b.yaml');
      const secret = 'cluster:\n  kubernetes:\n    credentialsSecret: s\n';
      writeFileSync(a, `name: job-a\ngraph: g\n${secret}`);
      writeFileSync(b, `name: job-b\ngraph: g\n${secret}`);
      let out = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      expect(await run(['nats-values', a, b])).toBe(0);
      vi.restoreAllMocks();
      const values = parse(out);
      expect(values.config.merge.authorization.users).toHaveLength(8);
      expect(Object.keys(values.container.env)).toContain('WEFT_JOB_B_TRAINER_PASSWORD');
      expect(values.container.env.WEFT_JOB_A_PS_PASSWORD.valueFrom.secretKeyRef).toEqual({
        name: 's-ps',
        key: 'WEFT_NATS_PASSWORD',
      });
      await expect(run(['nats-values', exampleFile])).rejects.toMatchObject({
        file: exampleFile,
        field: 'cluster.kubernetes.credentialsSecret',
      });
      await expect(run(['nats-values'])).rejects.toThrow(/job spec file is missing/);
      await expect(run(['nats-values', a, a])).rejects.toThrow(/given twice/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('prints one YAML stream without --out', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await run(['render', exampleFile])).toBe(0);
    vi.restoreAllMocks();
    const kinds = parseAllDocuments(out).map((d) => (d.toJS() as Any).kind);
    expect(kinds).toEqual([
      'ConfigMap',
      'Service',
      'JobSet',
      'ConfigMap',
      'PodMonitor',
      'PrometheusRule',
    ]);
  });

  it('rejects bad command lines and unreadable specs with ConfigErrors', async () => {
    await expect(run(['render'])).rejects.toMatchObject({ field: 'JOB.yaml' });
    await expect(run(['render', exampleFile, '--bogus'])).rejects.toMatchObject({
      field: '--bogus',
      message: expect.stringMatching(/unknown option/),
    });
    await expect(run(['render', exampleFile, '--set', 'novalue'])).rejects.toThrow(/field=value/);
    await expect(run(['render', exampleFile, '--set', 'cluster.trainers=0'])).rejects.toMatchObject(
      {
        field: 'cluster.trainers',
      },
    );
    await expect(run(['render', '/nonexistent/job.yaml'])).rejects.toMatchObject({
      file: '/nonexistent/job.yaml',
    });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-render-'));
    try {
      const bad = path.join(tmp, 'job.yaml');
      writeFileSync(
        bad,
        'name: cora\ngraph: g\ncluster:\n  resources:\n    sampler:\n      memory: 1Tb\n',
      );
      await expect(run(['render', bad])).rejects.toMatchObject({
        field: 'cluster.resources.sampler.memory',
        file: `${bad}:6`,
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    await expect(run(['apply'])).rejects.toThrow(/unknown subcommand 'apply'/);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await run(['render', '--help'])).toBe(0);
    expect(String(log.mock.calls[0][0])).toContain('usage: weft deploy render');
  });
});
