// The monitoring objects of a job on a cluster with the Prometheus operator and Grafana: the PodMonitor
// that scrapes its pods, and the alert rules and dashboard rendered from deploy/ as they are.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { JobSpec } from '../../actors/job-spec.js';
import { ConfigError } from '../../runtime/errors.js';
import { commonLabels, packageFile, parseLabelList, type Obj } from './cluster-settings.js';

/** The alert rules and the dashboard, shipped with the package. */
export const RULES_FILE = 'deploy/prometheus/rules.yml';
export const DASHBOARD_FILE = 'deploy/grafana/weft.json';

/** Labels of objects every job in a namespace shares (one set of alerts, one dashboard). */
function sharedLabels(): Record<string, string> {
  return { 'app.kubernetes.io/name': 'weft', 'app.kubernetes.io/managed-by': 'weft-deploy-render' };
}

function monitorLabels(spec: JobSpec): Record<string, string> {
  return parseLabelList(spec.cluster.kubernetes.monitorLabels, 'cluster.kubernetes.monitorLabels');
}

/** Scrapes port `metrics` of every pod of the job; the processes label their own series. */
export function podMonitor(spec: JobSpec): Obj {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: {
      name: spec.name,
      namespace: spec.cluster.namespace,
      labels: { ...monitorLabels(spec), ...commonLabels(spec) },
    },
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
 * deploy/prometheus/rules.yml as a PrometheusRule. The rules select by the `job` label, so one object
 * serves every job of the namespace (each job renders the same one; a second apply changes nothing).
 */
export function prometheusRule(spec: JobSpec): Obj {
  const file = packageFile(RULES_FILE);
  const rules = parse(readFileSync(file, 'utf8')) as { groups?: unknown };
  if (!Array.isArray(rules?.groups)) {
    throw new ConfigError('the alert rules have no groups: list', { file, field: 'groups' });
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'weft-alerts',
      namespace: spec.cluster.namespace,
      labels: { ...monitorLabels(spec), ...sharedLabels() },
    },
    spec: { groups: rules.groups },
  };
}

/**
 * deploy/grafana/weft.json in a ConfigMap labelled for the Grafana sidecar, which loads it as a
 * dashboard. Shared by every job of the namespace: its Job variable picks the job.
 */
export function dashboardConfigMap(spec: JobSpec): Obj {
  const file = packageFile(DASHBOARD_FILE);
  const text = readFileSync(file, 'utf8');
  try {
    JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the dashboard is not JSON: ${(err as Error).message}`, { file });
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'weft-dashboard',
      namespace: spec.cluster.namespace,
      labels: {
        ...parseLabelList(
          spec.cluster.kubernetes.dashboardLabels,
          'cluster.kubernetes.dashboardLabels',
        ),
        ...sharedLabels(),
      },
    },
    data: { 'weft.json': text },
  };
}
