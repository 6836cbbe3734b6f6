import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { metricDecl } from '../../actors/metrics-catalogue.js';

const root = path.resolve(import.meta.dirname, '../..');
// Not `job`: the Weft job is `weft_job`, and `job` stays Prometheus's scrape job.
const ALLOWED_LABELS = new Set([
  'weft_job',
  'role',
  'index',
  'kind',
  'reason',
  'split',
  'metric',
  'hop',
  'backend',
  'le',
  'instance',
  'weft_actor',
  'alertname',
  'alertstate',
]);

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}

function ruleExpressions(): string[] {
  const rules = parse(
    readFileSync(path.join(root, 'deploy/prometheus/rules.yml'), 'utf8'),
  ) as RuleFile;
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

// Every PromQL string in the dashboard: panel targets, variable queries and annotation queries.
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/weft.json'), 'utf8'));
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'expr' || k === 'definition') && typeof v === 'string') out.push(v);
        else if (k === 'query' && typeof v === 'object' && v && 'query' in v) {
          out.push(String((v as { query: unknown }).query));
        } else walk(v);
      }
    }
  };
  walk(dashboard);
  return out;
}

/** Names a PromQL expression reads, with histogram series suffixes resolved to the histogram. */
function metricNamesIn(expr: string): { name: string; known: boolean }[] {
  const out: { name: string; known: boolean }[] = [];
  for (const [raw] of expr.matchAll(/\bweft_[a-z0-9_]+/g)) {
    if (ALLOWED_LABELS.has(raw)) continue; // weft_job, weft_actor: labels, not metrics
    if (metricDecl(raw)) {
      out.push({ name: raw, known: true });
      continue;
    }
    const base = raw.replace(/_(bucket|sum|count)$/, '');
    out.push({ name: raw, known: base !== raw && metricDecl(base)?.type === 'histogram' });
  }
  return out;
}

function labelNamesIn(expr: string): string[] {
  const names: string[] = [];
  for (const [, body] of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const [, label] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      names.push(label);
  }
  for (const [, list] of expr.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g)) {
    names.push(
      ...list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
  return names;
}

describe('rules and dashboard against the metric catalogue', () => {
  const sources = [
    { file: 'deploy/prometheus/rules.yml', exprs: ruleExpressions() },
    { file: 'deploy/grafana/weft.json', exprs: dashboardExpressions() },
  ];

  it('name only catalogued metrics', () => {
    for (const { file, exprs } of sources) {
      const names = exprs.flatMap(metricNamesIn);
      // A broken extraction would find nothing and pass vacuously.
      expect(new Set(names.map((n) => n.name)).size, file).toBeGreaterThan(10);
      const unknown = names.filter((n) => !n.known).map((n) => n.name);
      expect(unknown, `${file} names metrics missing from actors/metrics-catalogue.ts`).toEqual([]);
    }
  });

  it('use only catalogued labels (plus le and the target labels instance and weft_actor)', () => {
    for (const { file, exprs } of sources) {
      const bad = exprs.flatMap(labelNamesIn).filter((l) => !ALLOWED_LABELS.has(l));
      expect(bad, file).toEqual([]);
    }
  });

  it('would catch a renamed metric or a stray label', () => {
    expect(metricNamesIn('rate(weft_trainer_seed_total[5m])')).toEqual([
      { name: 'weft_trainer_seed_total', known: false },
    ]);
    expect(
      metricNamesIn('weft_trainer_loss_sum + weft_trainer_step_duration_seconds_bucket'),
    ).toEqual([
      { name: 'weft_trainer_loss_sum', known: false },
      { name: 'weft_trainer_step_duration_seconds_bucket', known: true },
    ]);
    expect(labelNamesIn('sum by (node) (x{job="a", batch=~"b"})').sort()).toEqual([
      'batch',
      'job',
      'node',
    ]);
  });

  it('covers what the issue asks the dashboard to show', () => {
    const all = dashboardExpressions().join('\n');
    for (const name of [
      'weft_trainer_seeds_total', // throughput
      'weft_trainer_queue_wait_seconds_total', // step-time breakdown
      'weft_trainer_compute_seconds_total',
      'weft_trainer_sync_seconds_total',
      'weft_trainer_loss', // loss and metrics
      'weft_eval_result',
      'weft_trainer_queue_depth', // queue depth
      'weft_trainer_param_pull_bytes_total', // PS traffic
      'weft_ps_sent_bytes_total',
      'weft_actor_restarts_total', // restarts
      'process_resident_memory_bytes', // memory against its limit
      'weft_process_memory_limit_bytes',
    ]) {
      expect(all, name).toContain(name);
    }
  });

  it('counts actors, not series, and shows memory against its limit', () => {
    const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/weft.json'), 'utf8'));
    const panel = (title: string) =>
      (dashboard.panels as { title: string; targets: { expr: string }[] }[]).find(
        (p) => p.title === title,
      )!;
    const [up, expected] = panel('Actors up').targets.map((t) => t.expr);
    expect(up).toMatch(
      /^count\(count by \(weft_job, role, index\) \(weft_actor_up\{[^}]*\} == 1\)\)$/,
    );
    // The coordinator is counted among the actors up, so it is added to the expected ones.
    expect(expected).toMatch(/weft_coordinator_actors_expected.*\+ 1/);
    const memory = panel('Memory')
      .targets.map((t) => t.expr)
      .join('\n');
    expect(memory).toContain('process_resident_memory_bytes');
    expect(memory).toContain('weft_process_memory_limit_bytes');
    // The restart annotation reads a counter that starts at 0, so changes() sees the first one.
    expect(JSON.stringify(dashboard.annotations)).toContain('changes(weft_actor_restarts_total');
  });

  it('has a datasource variable and job/role/index variables used by every panel', () => {
    const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/weft.json'), 'utf8'));
    const vars = dashboard.templating.list as { name: string; type: string }[];
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'job', 'role', 'index']);
    expect(vars[0].type).toBe('datasource');
    const panels = (
      dashboard.panels as {
        type: string;
        id: number;
        datasource?: { uid: string };
        targets?: { expr: string }[];
        gridPos: { x: number; y: number; w: number; h: number };
      }[]
    ).filter((p) => p.type !== 'row');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.datasource?.uid).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.expr).toMatch(/\$job/);
    }
    // No two panels overlap on the grid.
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.has(key), `overlap at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    }
  });
});
