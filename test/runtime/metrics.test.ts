// Metrics: the naming and label rules are enforced; worker threads' registries merge into one /metrics
// endpoint per process (scraped over HTTP here) and Debian's promtool finds no problems in the output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MetricDefinitionError,
  MetricsRegistry,
  checkMetricDefinition,
  threadMetrics,
} from '../../runtime/metrics.js';
import { MetricsHub } from '../../runtime/metrics-hub.js';
import { serveMetrics, type MetricsServer } from '../../runtime/metrics-server.js';
import { spawnWorker } from '../../runtime/worker-spawn.js';

const workerUrl = new URL('./fixtures/metrics-worker.ts', import.meta.url);
const PROMTOOL = '/usr/bin/promtool';

/** Value of the sample `name{labels}` in a text exposition (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = part.indexOf('=');
      got[part.slice(0, eq)] = part.slice(eq + 2, -1);
    }
    const keys = Object.keys(labels);
    if (keys.length === Object.keys(got).length && keys.every((k) => got[k] === labels[k]))
      return Number(m[3]);
  }
  return undefined;
}

describe('metric definitions', () => {
  it('accepts well-formed names and rejects the rest with the rule that failed', () => {
    const r = new MetricsRegistry({ job: 'j' });
    expect(() => r.counter('weft_sampler_batches_total', 'ok')).not.toThrow();
    expect(() => r.gauge('weft_queue_used_bytes', 'ok', { labelNames: ['role'] })).not.toThrow();
    expect(() => r.histogram('weft_trainer_step_seconds', 'ok')).not.toThrow();
    const bad: [string, 'counter' | 'gauge' | 'histogram', string[], RegExp][] = [
      ['sampler_batches_total', 'counter', [], /weft_/],
      ['weft_Batches_total', 'counter', [], /lower-case/],
      ['weft_batches', 'counter', [], /end in _total/],
      ['weft_batches_total', 'gauge', [], /must not end in _total/],
      ['weft_step_ms', 'histogram', [], /'ms' is not a base unit/],
      ['weft_payload_kb_total', 'counter', [], /'kb'/],
      ['weft_step_seconds_count', 'histogram', [], /_count/],
      ['weft_batches_total', 'counter', ['partition'], /label 'partition' is not allowed/],
      ['weft_x__y_total', 'counter', [], /single underscores/],
    ];
    for (const [name, type, labels, why] of bad) {
      expect(() => checkMetricDefinition(name, type, labels)).toThrow(why);
    }
    expect(() => r.counter('weft_x_total', 'x', { labelNames: ['host' as 'role'] })).toThrow(
      MetricDefinitionError,
    );
    // `job` and `instance` are Prometheus's target labels: an exported one would need honor_labels.
    for (const reserved of ['job', 'instance'])
      expect(() => checkMetricDefinition('weft_y_total', 'counter', [reserved])).toThrow(
        /not allowed/,
      );
    expect(() =>
      checkMetricDefinition('weft_y_total', 'counter', ['weft_job', 'role', 'index', 'kind']),
    ).not.toThrow();
  });

  it('is get-or-create per name, and refuses a clash of type or labels', async () => {
    const r = new MetricsRegistry({ job: 'j', role: 'r', index: 3 });
    const a = r.counter('weft_things_total', 'Things.');
    const b = r.counter('weft_things_total', 'Things.');
    expect(a).toBe(b);
    a.inc(2);
    b.inc(3);
    expect(() => r.gauge('weft_things_total', 'x')).toThrow(/already registered as a counter/);
    expect(() => r.counter('weft_things_total', 'x', { labelNames: ['role'] })).toThrow(
      MetricDefinitionError,
    );
    const text = await r.text();
    expect(sample(text, 'weft_things_total', { weft_job: 'j', role: 'r', index: '3' })).toBe(5);
    expect(text).not.toMatch(/\bjob="/);
  });
});

describe('metrics endpoint', () => {
  let server: MetricsServer;
  let hub: MetricsHub;
  const workers: Worker[] = [];

  beforeAll(async () => {
    const main = threadMetrics({ job: 'test', role: 'coordinator', index: 0 });
    main.counter('weft_test_batches_total', 'Batches produced by this thread.').inc(1);
    hub = new MetricsHub({ registry: main, timeoutMs: 5000 });
    server = await serveMetrics({ port: 0, host: '127.0.0.1', hub });
    const specs = [
      { index: 0, batches: 10, stepSeconds: [0.005, 0.05], queueBytes: 100 },
      { index: 1, batches: 20, stepSeconds: [0.5], queueBytes: 200 },
      // Same identity as the previous one: its series add up with it.
      { index: 1, batches: 5, stepSeconds: [2], queueBytes: 50 },
    ];
    await Promise.all(
      specs.map((s) => {
        const w = spawnWorker(workerUrl, {
          workerData: { ...s, identity: { job: 'test', role: 'sampler', index: s.index } },
        });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        });
      }),
    );
  });

  afterAll(async () => {
    for (const w of workers) w.postMessage('stop');
    await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
    await server?.close();
    hub?.close();
  });

  it('merges every thread into one scrape, series kept apart by job/role/index', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const id = (role: string, index: string) => ({ weft_job: 'test', role, index });
    expect(sample(text, 'weft_test_batches_total', id('coordinator', '0'))).toBe(1);
    expect(sample(text, 'weft_test_batches_total', id('sampler', '0'))).toBe(10);
    expect(sample(text, 'weft_test_batches_total', id('sampler', '1'))).toBe(25);
    expect(sample(text, 'weft_test_queue_bytes', id('sampler', '0'))).toBe(100);
    expect(sample(text, 'weft_test_queue_bytes', id('sampler', '1'))).toBe(250);
    expect(sample(text, 'weft_test_step_seconds_count', id('sampler', '1'))).toBe(2);
    expect(sample(text, 'weft_test_step_seconds_sum', id('sampler', '1'))).toBeCloseTo(2.5, 9);
    expect(sample(text, 'weft_test_step_seconds_bucket', { ...id('sampler', '1'), le: '1' })).toBe(
      1,
    );
    expect(
      sample(text, 'weft_test_step_seconds_bucket', { ...id('sampler', '0'), le: '0.01' }),
    ).toBe(1);
    // Process metrics come once, from the main thread, under prom-client's standard names.
    expect(text.match(/^process_cpu_user_seconds_total/gm)?.length).toBe(1);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes/m);
    expect(hub.threads.length).toBe(3);
  });

  it('serves /healthz and 404 elsewhere', async () => {
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok\n');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('passes promtool check metrics with no problems', async (ctx) => {
    if (!existsSync(PROMTOOL)) {
      ctx.skip(`${PROMTOOL} is missing (Debian package 'prometheus'): cannot lint the exposition`);
      return;
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
