// Every object `weft deploy render` writes is checked against its kind's schema offline (core and
// Prometheus-operator models, the JobSet v1alpha2 API), for the example job and for specs that use
// every cluster.kubernetes setting; deliberately broken objects must fail the same checks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  defaultJobSpec,
  parseJobSpec,
  type JobSpec,
} from '../../actors/job-spec.js';
import { manifestsToYaml, renderK8s } from '../../deploy/k8s/render.js';
import { manifestIssues } from '../helpers/k8s-schemas.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(import.meta.dirname, '../..');
const exampleFile = path.join(root, 'deploy/k8s/example/job.yaml');

/** The objects as kubectl reads them: through the YAML stream. */
function rendered(spec: JobSpec): Any[] {
  return parseAllDocuments(manifestsToYaml(renderK8s(spec))).map((d) => d.toJS() as Any);
}

function specs(): [string, JobSpec][] {
  const example = parseJobSpec(readFileSync(exampleFile, 'utf8'), exampleFile);
  return [
    ['the example', example],
    ['the defaults', applyOverrides(defaultJobSpec(), { graph: 'data/g' })],
    [
      'every cluster.kubernetes setting',
      applyOverrides(example, {
        'cluster.nats': 'tls://nats-0.example:4222,tls://nats-1.example:4222',
        'cluster.dataClaim': '',
        'cluster.kubernetes.credentialsSecret': 'cora-nats',
        'cluster.kubernetes.tlsSecret': 'cora-nats-client-tls',
        'cluster.kubernetes.monitorLabels': 'release=kube-prometheus-stack, team=ml',
        'cluster.kubernetes.dashboardLabels': 'grafana_dashboard=1,example.com/folder=weft',
        'cluster.kubernetes.runAsUser': 4242,
        'cluster.kubernetes.fsGroup': 5000,
        'runtime.metricsPort': 9100,
      }),
    ],
  ];
}

function byKind(objects: Any[], kind: string, name?: string): Any {
  const o = objects.find(
    (x) => x.kind === kind && (name === undefined || x.metadata.name === name),
  );
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
}

function firstPod(objects: Any[]): Any {
  return byKind(objects, 'JobSet').spec.replicatedJobs[0].template.spec.template;
}

describe('rendered manifests against their schemas', () => {
  it.each(specs())('%s: every object is valid for its kind', (_name, spec) => {
    const objects = rendered(spec);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'JobSet',
      'PodMonitor',
      'PrometheusRule',
      'Service',
    ]);
    for (const o of objects) expect(manifestIssues(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
  });

  it('renders no Prometheus-operator objects when the cluster has no operator', () => {
    const spec = applyOverrides(defaultJobSpec(), {
      graph: 'data/g',
      'cluster.kubernetes.prometheusOperator': false,
    });
    const objects = rendered(spec);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'JobSet',
      'Service',
    ]);
    for (const o of objects) expect(manifestIssues(o)).toEqual([]);
  });

  const breakages: [string, (objects: Any[]) => Any, RegExp][] = [
    [
      'a boolean field given a string',
      (objects) => {
        firstPod(objects).spec.securityContext.runAsNonRoot = 'yes';
        return byKind(objects, 'JobSet');
      },
      /runAsNonRoot must be boolean/,
    ],
    [
      'a misspelt container field',
      (objects) => {
        const c = firstPod(objects).spec.containers[0];
        c.livenesProbe = c.livenessProbe;
        delete c.livenessProbe;
        return byKind(objects, 'JobSet');
      },
      /containers\/0\/livenesProbe: not a field/,
    ],
    [
      'a JobSet field the API does not have',
      (objects) => {
        const jobset = byKind(objects, 'JobSet');
        jobset.spec.replicatedJobs[1].parallelism = 2;
        return jobset;
      },
      /replicatedJobs\[1\]\.parallelism: is not a known field/,
    ],
    [
      'zero replicas of a replicated job',
      (objects) => {
        const jobset = byKind(objects, 'JobSet');
        jobset.spec.replicatedJobs[0].replicas = 0;
        return jobset;
      },
      /replicas: must be >= 1/,
    ],
    [
      'a Service port that is not a number',
      (objects) => {
        const svc = byKind(objects, 'Service');
        svc.spec.ports[0].port = 'http';
        return svc;
      },
      /port must be integer/,
    ],
    [
      'a ConfigMap value that is not a string',
      (objects) => {
        const cm = byKind(objects, 'ConfigMap', 'weft-dashboard');
        cm.data['weft.json'] = { panels: [] };
        return cm;
      },
      /weft\.json must be string/,
    ],
    [
      'an alert rule without its expression',
      (objects) => {
        const rule = byKind(objects, 'PrometheusRule');
        delete rule.spec.groups[0].rules[0].expr;
        return rule;
      },
      /groups\/0\/rules\/0 must have required property expr/,
    ],
    [
      'a PodMonitor endpoint with a numeric port name',
      (objects) => {
        const pm = byKind(objects, 'PodMonitor');
        pm.spec.podMetricsEndpoints[0].port = 9464;
        return pm;
      },
      /port must be string/,
    ],
  ];

  it.each(breakages)('fails on %s', (_name, breakIt, message) => {
    const example = parseJobSpec(readFileSync(exampleFile, 'utf8'), exampleFile);
    const broken = breakIt(rendered(example));
    const issues = manifestIssues(broken);
    expect(issues.join('\n')).toMatch(message);
  });

  it('refuses kinds it has no schema for', () => {
    expect(manifestIssues({ apiVersion: 'v1', kind: 'Pod' })).toEqual(['no schema for v1 Pod']);
  });
});
