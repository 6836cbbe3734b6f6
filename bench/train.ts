// End-to-end training throughput of `weft train` on the 1M-node / 20M-edge power-law graph:
// 2-layer GraphSAGE, hidden 128, fanout [15,10], batch 1024, Adam; seeds/s after warm-up, the time
// split per step, and peak RSS. Run: npx tsx bench/train.ts [--steps N] [--graph DIR] [--quick] [--out FILE]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runTraining } from '../actors/coordinator/train-job.js';
import { type TrainResults } from '../actors/coordinator/run-results.js';
import { applyOverrides, defaultJobSpec } from '../actors/job-spec.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { gitCommit } from './git-commit.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '120' },
    graph: { type: 'string' },
    quick: { type: 'boolean', default: false },
    configs: { type: 'string', default: 'fused,unfused,inline' },
    out: { type: 'string' },
  },
});

const nodes = values.quick ? 100_000 : 1_000_000;
const edges = values.quick ? 2_000_000 : 20_000_000;
const graphDir = values.graph ?? join(os.tmpdir(), `weft-bench-powerlaw-${nodes}-${edges}`);
const loadStart = os.loadavg()[0];

if (!existsSync(join(graphDir, 'manifest.json'))) {
  const t = performance.now();
  await synthPowerlaw({ nodes, edges, featureDim: 64, classes: 8, seed: 1 }, graphDir);
  console.error(`synthesised ${graphDir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

interface Config {
  name: string;
  over: Record<string, unknown>;
}
const all: Config[] = [
  { name: 'fused', over: { 'sampling.fuseFirstLayer': true, 'sampling.handoff': 'shm' } },
  { name: 'unfused', over: { 'sampling.fuseFirstLayer': false, 'sampling.handoff': 'shm' } },
  { name: 'inline', over: { 'sampling.fuseFirstLayer': true, 'sampling.handoff': 'inline' } },
];
const chosen = all.filter((c) => values.configs!.split(',').includes(c.name));

const runs: Array<{ name: string; results: Omit<TrainResults, 'config'> }> = [];
for (const c of chosen) {
  const spec = applyOverrides(defaultJobSpec(), {
    name: `bench-train-${c.name}`,
    graph: graphDir,
    out: join(os.tmpdir(), `weft-bench-train-${c.name}`),
    'model.hidden': 128,
    'model.layers': 2,
    'sampling.fanouts': '15,10',
    'sampling.batchSize': 1024,
    'sampling.samplers': 1,
    'sampling.prefetch': 4,
    'train.optimizer': 'adam',
    'train.lr': 0.003,
    'train.epochs': 1,
    'train.maxStepsPerEpoch': Number(values.steps),
    'train.checkpointEvery': 0,
    'eval.maxNodes': 2048,
    ...c.over,
  });
  // A measurement is of a whole run: a run directory left by an earlier bench is started over.
  const r = await runTraining(spec, { fresh: true });
  const { config: _config, ...rest } = r;
  runs.push({ name: c.name, results: rest });
  const t = r.throughput;
  console.log(
    `${c.name.padEnd(8)} ${Math.round(t.seeds_per_s).toLocaleString('en-US').padStart(7)} seeds/s  step ${(t.step_s * 1000).toFixed(1)} ms = ` +
      `wait ${(t.queue_wait_s * 1000).toFixed(1)} + compute ${(t.compute_s * 1000).toFixed(1)} + sync ${(t.sync_s * 1000).toFixed(1)} ms ` +
      `(sampling ${(t.sample_s * 1000).toFixed(1)} ms on the sampler core)  ` +
      `${(t.sampled_edges_per_s / 1e6).toFixed(1)} M edges/s  val acc ${r.val.accuracy?.toFixed(3)}  peak RSS ${(r.peak_rss_bytes / 2 ** 30).toFixed(2)} GiB`,
  );
}

const commit = gitCommit();
const out = {
  benchmark: 'train',
  machine: os.cpus()[0]?.model,
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  commit,
  loadavg_start: loadStart,
  loadavg_end: os.loadavg()[0],
  graph: { dir: graphDir, nodes, edges, featureDim: 64, classes: 8 },
  model: 'GraphSAGE 2 layers, hidden 128, fanout [15,10], batch 1024, Adam',
  steps_per_run: Number(values.steps),
  note: 'seeds_per_s is measured after warm-up (the first steps are dropped); sample_s runs on the sampler thread, overlapped with compute; peak RSS is of the whole process (graph in shared memory included).',
  runs,
};
const outFile =
  values.out ?? join('bench/results', values.quick ? 'train-quick.json' : 'train.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
