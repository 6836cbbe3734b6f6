import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { JOB_FIELDS } from '../../actors/job-spec.js';
import {
  ERROR_KINDS,
  LABEL_NAMES,
  MAX_HOPS,
  METRIC_CATALOGUE,
  ROLES,
  countError,
  errorKindOf,
  evalMetricKey,
  metricDecl,
  metricHandle,
  metricsDoc,
  metricsOfRole,
  namingProblems,
  registerRoleMetrics,
  setBackend,
  setEvalMetrics,
  setFanouts,
  type MetricDecl,
  type Role,
  type RoleMetrics,
} from '../../actors/metrics-catalogue.js';
import { reportBackend } from '../../actors/actor-metrics.js';
import { WeftError } from '../../runtime/errors.js';
import { MetricsRegistry, checkMetricDefinition } from '../../runtime/metrics.js';

const root = path.resolve(import.meta.dirname, '../..');
const catalogue = METRIC_CATALOGUE as readonly MetricDecl[];

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
  sampleName = name,
): Promise<number | undefined> {
  const all = await registry.getMetricsAsJSON();
  const metric = all.find((m) => m.name === name);
  const values = (metric as unknown as { values: Sample[] } | undefined)?.values ?? [];
  const hit = values.find(
    (v) =>
      (v.metricName ?? name) === sampleName &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return hit?.value;
}

// A small deterministic generator, so the property tests replay the same cases.
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

describe('metric catalogue', () => {
  it('follows the naming rules and declares each name once', () => {
    const names = catalogue.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of catalogue) expect(namingProblems(d), d.name).toEqual([]);
    // A histogram's derived series must not collide with another metric's name.
    for (const d of catalogue.filter((x) => x.type === 'histogram')) {
      for (const suffix of ['_bucket', '_sum', '_count']) {
        expect(names).not.toContain(d.name + suffix);
      }
    }
  });

  it('passes the runtime registry’s own definition check', () => {
    for (const d of catalogue) {
      const labels = [...LABEL_NAMES, ...(d.labels ?? []).map((l) => l.name)];
      expect(() => checkMetricDefinition(d.name, d.type, labels), d.name).not.toThrow();
    }
  });

  it('registers through the runtime’s MetricsRegistry, labels defaulting to its identity', async () => {
    const metrics = new MetricsRegistry({ job: 'cora', role: 'trainer', index: 2 });
    const t = registerRoleMetrics(metrics, 'trainer');
    t.weft_trainer_steps_total.inc(5);
    const labels = { weft_job: 'cora', role: 'trainer', index: '2' };
    expect(await valueOf(metrics.registry, 'weft_trainer_steps_total', labels)).toBe(5);
    // The supervisor in the same thread counts a child's restart under the child's labels.
    metricHandle(metrics, 'weft_actor_restarts_total', {
      job: 'cora',
      role: 'sampler',
      index: 0,
    }).inc();
    expect(
      await valueOf(metrics.registry, 'weft_actor_restarts_total', { role: 'sampler', index: '0' }),
    ).toBe(1);
    // An actor does not export its own restarts (it cannot count them): only its supervisor does.
    expect(
      await valueOf(metrics.registry, 'weft_actor_restarts_total', { role: 'trainer', index: '2' }),
    ).toBeUndefined();
    expect(() => registerRoleMetrics(new MetricsRegistry({ role: 'ps' }), 'ps')).toThrow(
      /job and index/,
    );
    const clash = new MetricsRegistry({ job: 'j', index: 0 });
    clash.gauge('weft_trainer_steps_total_x', 'unrelated');
    clash.counter('weft_trainer_steps_total', 'no labels');
    expect(() => registerRoleMetrics(clash, 'trainer')).toThrow(WeftError);
  });

  it('flags names that break the rules', () => {
    const bad: MetricDecl = {
      name: 'weft_x_seconds',
      type: 'counter',
      unit: 'bytes',
      roles: [],
      help: '',
    };
    const problems = namingProblems(bad);
    expect(problems).toContain('counters end in _total');
    expect(problems).toContain("name suffix does not match unit 'bytes'");
    expect(problems).toContain('no role exports it');
    expect(
      namingProblems({ ...bad, name: 'Weft-x', type: 'gauge', unit: 'count', roles: ['ps'] }),
    ).toEqual(['must be weft_ followed by snake_case']);
  });

  it('covers what the issue asks of each role', () => {
    const has = (name: string, role: Role) => metricDecl(name)?.roles.includes(role) ?? false;
    expect(metricDecl('weft_trainer_step_duration_seconds')?.type).toBe('histogram');
    for (const n of [
      'weft_trainer_seeds_total',
      'weft_trainer_loss',
      'weft_trainer_queue_depth',
      'weft_trainer_queue_wait_seconds_total',
      'weft_trainer_param_pull_bytes_total',
      'weft_trainer_param_push_bytes_total',
      'weft_trainer_param_pull_duration_seconds',
      'weft_trainer_parameter_staleness_versions',
    ]) {
      expect(has(n, 'trainer'), n).toBe(true);
    }
    expect(has('weft_sampler_sampled_edges_total', 'sampler')).toBe(true);
    expect(has('weft_checkpoint_last_success_timestamp_seconds', 'coordinator')).toBe(true);
    for (const role of ROLES) {
      expect(has('weft_actor_restarts_total', role)).toBe(role === 'coordinator');
      for (const n of ['weft_actor_up', 'weft_nats_reconnects_total']) {
        expect(has(n, role), `${n} on ${role}`).toBe(true);
      }
      expect(has('weft_errors_total', role)).toBe(true);
    }
    expect(metricDecl('weft_errors_total')?.labels).toEqual([
      { name: 'kind', values: ERROR_KINDS },
    ]);
    // Hops: one series per layer the job spec allows, exported by samplers only.
    const layers = JOB_FIELDS.model.layers as { max?: number };
    expect(MAX_HOPS).toBe(layers.max);
    const fanout = metricDecl('weft_sampler_fanout');
    expect(fanout?.labels?.[0].values).toEqual(
      Array.from({ length: MAX_HOPS }, (_, h) => String(h)),
    );
    expect(fanout?.roles).toEqual(['sampler']);
    // No metric per member of a set any more: one metric, one label.
    expect(
      catalogue.filter((d) =>
        /_hop\d|_(val|test)_|errors_[a-z]+_total|refused_[a-z]+_total/.test(d.name),
      ),
    ).toEqual([]);
  });

  it('registers exactly a role’s metrics, labelled job/role/index only', async () => {
    for (const role of ROLES) {
      const registry = new Registry();
      const handles = registerRoleMetrics(registry, role, { job: 'cora', index: 3 });
      const want = metricsOfRole(role)
        .map((d) => d.name)
        .sort();
      expect(Object.keys(handles).sort()).toEqual(want);
      const exported = await registry.getMetricsAsJSON();
      expect(exported.map((m) => m.name).sort()).toEqual(want);
      for (const m of exported) {
        expect(m.type).toBe(metricDecl(m.name)?.type);
        for (const v of (m as unknown as { values: Sample[] }).values) {
          const keys = Object.keys(v.labels).filter((k) => k !== 'le');
          const dims = (metricDecl(m.name)?.labels ?? []).map((l) => l.name);
          expect(keys.sort()).toEqual([...LABEL_NAMES, ...dims].sort());
          expect(keys).not.toContain('job');
          expect(v.labels).toMatchObject({ weft_job: 'cora', role, index: '3' });
        }
      }
    }
  });

  it('adds up increments of many actors sharing one registry (random sequences)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = rng(seed);
      const registry = new Registry();
      const trainers = [0, 1, 2].map((index) =>
        registerRoleMetrics(registry, 'trainer', { job: `j${seed}`, index }),
      );
      const seeds = [0, 0, 0];
      const observed = [0, 0, 0];
      const lastLoss = [NaN, NaN, NaN];
      for (let op = 0; op < 200; op++) {
        const t = Math.floor(next() * 3);
        const n = Math.floor(next() * 2048);
        trainers[t].weft_trainer_seeds_total.inc(n);
        seeds[t] += n;
        const seconds = next() * 2;
        trainers[t].weft_trainer_step_duration_seconds.observe(seconds);
        observed[t] += seconds;
        lastLoss[t] = next() * 5;
        trainers[t].weft_trainer_loss.set(lastLoss[t]);
      }
      for (let t = 0; t < 3; t++) {
        const labels = { weft_job: `j${seed}`, role: 'trainer', index: String(t) };
        expect(await valueOf(registry, 'weft_trainer_seeds_total', labels)).toBe(seeds[t]);
        expect(await valueOf(registry, 'weft_trainer_loss', labels)).toBe(lastLoss[t]);
        const sum = await valueOf(
          registry,
          'weft_trainer_step_duration_seconds',
          labels,
          'weft_trainer_step_duration_seconds_sum',
        );
        expect(sum).toBeCloseTo(observed[t], 9);
      }
    }
  });

  it('creates every counter of every role at zero, each label value included', async () => {
    for (const role of ROLES) {
      const registry = new Registry();
      registerRoleMetrics(registry, role, { job: 'fresh', index: 0 });
      const exported = await registry.getMetricsAsJSON();
      for (const d of metricsOfRole(role).filter((x) => x.type === 'counter')) {
        const values = (
          exported.find((m) => m.name === d.name) as unknown as {
            values: Sample[];
          }
        ).values;
        const want = (d.labels ?? []).reduce((n, l) => n * l.values.length, 1);
        expect(values.length, `${d.name} on ${role}`).toBe(want);
        for (const v of values) expect(v.value, `${d.name} on ${role}`).toBe(0);
      }
    }
  });

  it('starts counters and histograms at zero and initialised gauges at their value', async () => {
    const registry = new Registry();
    registerRoleMetrics(registry, 'ps', { job: 'j', index: 0 });
    const labels = { weft_job: 'j', role: 'ps', index: '0' };
    expect(await valueOf(registry, 'weft_ps_pull_requests_total', labels)).toBe(0);
    expect(await valueOf(registry, 'weft_actor_up', labels)).toBe(1);
    expect(await valueOf(registry, 'weft_ps_parameter_version', labels)).toBe(0);
    const count = await valueOf(
      registry,
      'weft_ps_apply_duration_seconds',
      labels,
      'weft_ps_apply_duration_seconds_count',
    );
    expect(count).toBe(0);
    // A gauge without an initial value is absent until set: no false zero accuracy on a dashboard.
    expect(
      await valueOf(registry, 'weft_actor_heartbeat_timestamp_seconds', labels),
    ).toBeUndefined();
  });

  it('times with startTimer and stamps gauges with Unix seconds', async () => {
    const registry = new Registry();
    const m = registerRoleMetrics(registry, 'coordinator', { job: 'j', index: 0 });
    const stop = m.weft_checkpoint_duration_seconds.startTimer();
    const seconds = stop();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(5);
    const before = Date.now() / 1000;
    m.weft_checkpoint_last_success_timestamp_seconds.setToCurrentTime();
    const stamp = await valueOf(registry, 'weft_checkpoint_last_success_timestamp_seconds', {
      index: '0',
    });
    expect(stamp).toBeGreaterThanOrEqual(before - 1);
    expect(stamp).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it('lets a supervisor count a child’s restarts under the child’s labels', async () => {
    const registry = new Registry();
    registerRoleMetrics(registry, 'coordinator', { job: 'j', index: 0 });
    const restarts = metricHandle(registry, 'weft_actor_restarts_total', {
      job: 'j',
      role: 'sampler',
      index: 2,
    });
    restarts.inc();
    restarts.inc();
    expect(
      await valueOf(registry, 'weft_actor_restarts_total', { role: 'sampler', index: '2' }),
    ).toBe(2);
    expect(
      await valueOf(registry, 'weft_actor_restarts_total', { role: 'coordinator', index: '0' }),
    ).toBe(0);
    expect(() =>
      metricHandle(registry, 'weft_ps_parameter_version', { job: 'j', role: 'trainer', index: 0 }),
    ).toThrow(/not exported by role trainer/);
  });

  it('refuses a registry where a catalogue name already means something else', () => {
    const registry = new Registry();
    new Counter({ name: 'weft_trainer_loss', help: 'x', registers: [registry] });
    expect(() => registerRoleMetrics(registry, 'trainer', { job: 'j', index: 0 })).toThrow(
      WeftError,
    );
  });

  it('sets fanouts, evaluation metrics, backend and error counters through helpers', async () => {
    const registry = new Registry();
    const s = registerRoleMetrics(registry, 'sampler', { job: 'j', index: 0 });
    setFanouts(s, [25, 10, 5]);
    const hop = (h: string) => ({ role: 'sampler', hop: h });
    expect(await valueOf(registry, 'weft_sampler_fanout', hop('0'))).toBe(25);
    expect(await valueOf(registry, 'weft_sampler_fanout', hop('2'))).toBe(5);
    expect(await valueOf(registry, 'weft_sampler_fanout', hop('3'))).toBeUndefined();
    expect(() => setFanouts(s, [1, 1, 1, 1, 1, 1, 1])).toThrow(/exceed/);

    const c = registerRoleMetrics(registry, 'coordinator', { job: 'j', index: 0 });
    const unknown = setEvalMetrics(c, 'val', {
      accuracy: 0.81,
      'Hits@10': 0.4,
      ndcg: 0.3,
      auc: undefined,
    });
    expect(unknown).toEqual(['ndcg']);
    const ev = (metric: string) => ({ split: 'val', metric });
    expect(await valueOf(registry, 'weft_eval_result', ev('accuracy'))).toBe(0.81);
    expect(await valueOf(registry, 'weft_eval_result', ev('hits_at_10'))).toBe(0.4);
    expect(await valueOf(registry, 'weft_eval_result', ev('auc'))).toBeUndefined();
    expect(evalMetricKey('Macro-F1')).toBe('macro_f1');

    const t = registerRoleMetrics(registry, 'trainer', { job: 'j', index: 1 });
    setBackend(t, 'wasm');
    expect(await valueOf(registry, 'weft_trainer_backend', { backend: 'wasm' })).toBe(1);
    expect(await valueOf(registry, 'weft_trainer_backend', { backend: 'cpu' })).toBe(0);
    reportBackend(t, 'wasm+native');
    expect(await valueOf(registry, 'weft_trainer_backend', { backend: 'wasm' })).toBe(1);
    expect(await valueOf(registry, 'weft_trainer_kernels_native', {})).toBe(1);
    reportBackend(t, 'cpu');
    expect(await valueOf(registry, 'weft_trainer_backend', { backend: 'wasm' })).toBe(0);
    expect(await valueOf(registry, 'weft_trainer_kernels_native', {})).toBe(0);

    expect(countError(t, new WeftError('actor-timeout', 'x'))).toBe('timeout');
    expect(countError(t, 'checkpoint')).toBe('checkpoint');
    expect(countError(t, new Error('plain'))).toBe('other');
    const tl = { role: 'trainer', index: '1' };
    const kind = (k: string) => ({ ...tl, kind: k });
    expect(await valueOf(registry, 'weft_errors_total', kind('timeout'))).toBe(1);
    expect(await valueOf(registry, 'weft_errors_total', kind('checkpoint'))).toBe(1);
    expect(await valueOf(registry, 'weft_errors_total', kind('other'))).toBe(1);
    expect(await valueOf(registry, 'weft_errors_total', kind('decode'))).toBe(0);
    expect(() => t.weft_errors_total.with({ kind: 'bogus' as 'other' })).toThrow(/not one of/);
  });

  it('maps error codes to kinds', () => {
    const kind = (code: string) => errorKindOf(new WeftError(code, 'x'));
    expect(kind('timeout')).toBe('timeout');
    expect(kind('no-responders')).toBe('transport');
    expect(kind('nats')).toBe('transport');
    expect(kind('codec')).toBe('decode');
    expect(kind('graph-format')).toBe('input');
    expect(kind('input')).toBe('input');
    expect(kind('worker-exit')).toBe('worker_exit');
    expect(kind('checkpoint-write')).toBe('checkpoint');
    expect(kind('something-new')).toBe('other');
    expect(errorKindOf('a string')).toBe('other');
  });

  it('keeps role-specific handles apart at compile time', () => {
    const registry = new Registry();
    const s = registerRoleMetrics(registry, 'sampler', { job: 'j', index: 0 });
    // @ts-expect-error samplers do not export the trainer's loss
    expect(s.weft_trainer_loss).toBeUndefined();
    expect(typeof s.weft_sampler_sampled_edges_total.inc).toBe('function');
  });

  it('passes promtool check metrics for every role', async (ctx) => {
    if (!existsSync('/usr/bin/promtool')) {
      ctx.skip('promtool not installed (Debian package prometheus); skipping the lint');
      return;
    }
    const registry = new Registry();
    for (const role of ROLES) {
      const m = registerRoleMetrics(registry, role, { job: 'j', index: 0 });
      if (role === 'coordinator') (m as RoleMetrics<'coordinator'>).weft_actor_restarts_total.inc();
    }
    const text = await registry.metrics();
    const res = spawnSync('/usr/bin/promtool', ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
    });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('has docs/metrics.md generated from the catalogue', () => {
    const doc = metricsDoc();
    const committed = readFileSync(path.join(root, 'docs/metrics.md'), 'utf8');
    expect(committed, 'run `npx tsx scripts/gen-docs.ts` to regenerate docs/metrics.md').toBe(
      `${doc}\n`,
    );
    // Every metric sits in exactly one section of the page.
    for (const d of catalogue) {
      expect(doc.split(`| \`${d.name}\` |`).length - 1, d.name).toBe(1);
    }
  });
});
