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
    byKind[o.kind] = o;
  }
  return byKind;
}

function replicatedJob(jobset: Any, role: K8sRole): Any {
  return jobset.spec.replicatedJobs.find((r: Any) => r.name === role);
}

function expectMatchesSpec(objects: Record<string, Any>, spec: JobSpec): void {
  expect(Object.keys(objects).sort()).toEqual(['ConfigMap', 'JobSet', 'PodMonitor', 'Service']);
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
    }
  }

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
    const monitorSelects = Object.entries(
      objects.PodMonitor.spec.selector.matchLabels as Record<string, string>,
    ).every(([k, v]) => labels[k] === v);
    expect(monitorSelects, role).toBe(true);
  }
  expect(objects.Service.spec.ports.map((p: Any) => p.targetPort)).toEqual(['metrics', 'metrics']);
  const endpoint = objects.PodMonitor.spec.podMetricsEndpoints[0];
  expect(endpoint).toMatchObject({ port: 'metrics', path: '/metrics' });
  expect(endpoint.honorLabels).toBeUndefined();
  expect(endpoint.relabelings.map((r: Any) => r.targetLabel)).toEqual(['weft_actor']);
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
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
      expect(log).toHaveBeenCalledTimes(5);
      expect(readdirSync(path.join(tmp, 'out')).sort()).toEqual([
        'configmap.yaml',
        'jobset.yaml',
        'kustomization.yaml',
        'podmonitor.yaml',
        'service.yaml',
      ]);
      const jobset = parse(readFileSync(path.join(tmp, 'out', 'jobset.yaml'), 'utf8'));
      expect(replicatedJob(jobset, 'trainer').template.spec.parallelism).toBe(7);
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
    expect(kinds).toEqual(['ConfigMap', 'Service', 'JobSet', 'PodMonitor']);
  });

  it('rejects bad command lines and unreadable specs with ConfigErrors', async () => {
    await expect(run(['render'])).rejects.toThrow(/job spec file is missing/);
    await expect(run(['render', exampleFile, '--bogus'])).rejects.toThrow(/unknown option --bogus/);
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
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await run(['apply'])).toBe(2);
    expect(err).toHaveBeenCalled();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await run(['render', '--help'])).toBe(0);
    expect(String(log.mock.calls[0][0])).toContain('usage: weft deploy render');
  });
});
