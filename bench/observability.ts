// Cost of observing a job: nanoseconds per metric update through the catalogue's handles, time to
// serve /metrics for a whole embedded job, and time and size of `weft report` as runs grow.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Counter, Registry } from 'prom-client';
import { registerRoleMetrics, type Role } from '../actors/metrics-catalogue.js';
import { renderReport } from '../actors/report/html-report.js';
import { readRun } from '../actors/report/run-data.js';
import { writeFixtureRun } from '../test/actors/report/report-fixture.js';
import { gitCommit } from './git-commit.js';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000000' },
    'report-steps': { type: 'string', default: '5000,50000,200000' },
    out: { type: 'string', default: 'bench/results/observability.json' },
  },
});
const ops = Number(args.ops);
const reportSteps = String(args['report-steps']).split(',').map(Number);

function nsPerOp(fn: (i: number) => void, n: number): number {
  for (let i = 0; i < Math.min(n, 100_000); i++) fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / n;
}

const loadavgAtStart = os.loadavg();
const results: Record<string, unknown> = {};

// 1. Handle updates: what a trainer pays per step for each metric it touches.
{
  const registry = new Registry();
  const t = registerRoleMetrics(registry, 'trainer', { job: 'bench', index: 0 });
  const raw = new Counter({
    name: 'raw_total',
    help: 'x',
    labelNames: ['weft_job', 'role', 'index'],
    registers: [registry],
  });
  const labels = { weft_job: 'bench', role: 'trainer', index: '0' };
  results.updateNsPerOp = {
    counterInc: nsPerOp(() => t.weft_trainer_steps_total.inc(), ops),
    gaugeSet: nsPerOp((i) => t.weft_trainer_loss.set(i * 1e-6), ops),
    histogramObserve: nsPerOp(
      (i) => t.weft_trainer_step_duration_seconds.observe((i % 1000) * 1e-3),
      ops,
    ),
    rawPromClientCounterInc: nsPerOp(() => raw.inc(labels, 1), ops),
  };
}

// 2. One scrape of an embedded job that hosts every actor in one registry.
{
  const registry = new Registry();
  const actors: [Role, number][] = [
    ['coordinator', 1],
    ['ps', 4],
    ['sampler', 8],
    ['trainer', 8],
  ];
  for (const [role, count] of actors) {
    for (let i = 0; i < count; i++) registerRoleMetrics(registry, role, { job: 'bench', index: i });
  }
  const text = await registry.metrics();
  const runs = 50;
  const start = performance.now();
  for (let i = 0; i < runs; i++) await registry.metrics();
  results.scrape = {
    actors: actors.reduce((n, [, c]) => n + c, 0),
    series: text.split('\n').filter((l) => l && !l.startsWith('#')).length,
    bytes: Buffer.byteLength(text),
    msPerScrape: (performance.now() - start) / runs,
  };
}

// 3. The report: read + render time and page size against the number of step records.
{
  const work = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-report-'));
  const rows: Record<string, number>[] = [];
  try {
    for (const steps of reportSteps) {
      const dir = path.join(work, `run-${steps}`);
      writeFixtureRun(dir, {
        trainers: 2,
        stepsPerTrainer: steps / 2,
        epochs: 20,
        withEvents: true,
      });
      const inputBytes = statSync(path.join(dir, 'metrics.jsonl')).size;
      const t0 = performance.now();
      const run = await readRun(dir);
      const t1 = performance.now();
      const html = renderReport(run);
      const t2 = performance.now();
      rows.push({
        stepRecords: steps,
        inputMB: inputBytes / 1e6,
        readMs: t1 - t0,
        renderMs: t2 - t1,
        readMBPerS: inputBytes / 1e6 / ((t1 - t0) / 1000),
        reportKB: Buffer.byteLength(html) / 1e3,
        rssMB: process.memoryUsage().rss / 1e6,
      });
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  results.report = rows;
}

const commit = gitCommit();
const record = {
  machine: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  commit,
  loadavgAtStart,
  results,
};
mkdirSync(path.dirname(String(args.out)), { recursive: true });
writeFileSync(String(args.out), `${JSON.stringify(record, null, 2)}\n`);
console.log(JSON.stringify(record, null, 2));
