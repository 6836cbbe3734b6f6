// The producer's time per batch on the 1M-node / 20M-edge power-law graph (GraphSAGE input, fanout
// [15,10], batch 1024, fused first layer): sample, then gather + first-layer mean, native and wasm
// paths alternated batch by batch in one process. Run: npx tsx bench/producer.ts [--batches N]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchProducer } from '../actors/batch/batch-producer.js';
import { allocateArrays, readBatchHeader } from '../actors/batch/batch-record.js';
import { openGraph } from '../graph-store/open-graph.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { nativeKernels, nativeStatus, setNativeEnabled } from '../kernels/native/addon.js';
import { Xoshiro128 } from '../runtime/prng.js';
import { runInfo } from './run-info.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '40' },
    graph: { type: 'string' },
    out: { type: 'string', default: 'bench/results/producer.json' },
  },
});
const graphDir = values.graph ?? join(os.tmpdir(), 'weft-bench-powerlaw-1000000-20000000');
if (!existsSync(join(graphDir, 'manifest.json')))
  await synthPowerlaw({ nodes: 1e6, edges: 2e7, featureDim: 64, classes: 8, seed: 1 }, graphDir);
const loadStart = os.loadavg()[0];
const graph = await openGraph(graphDir);
const native = nativeKernels() !== null;
const producer = new BatchProducer(graph, {
  sampler: { strategy: 'uniform', fanouts: [15, 10], seed: 7 },
  fuseFirstLayer: true,
  numNegatives: 0,
});

interface Times {
  sample: number[];
  gather: number[];
  total: number[];
  /** CPU ms of the whole produce call: on a loaded machine the steadier figure. */
  cpu: number[];
}
const paths: Record<string, Times> = {};
const modes = native ? ['native', 'wasm'] : ['wasm'];
for (const m of modes) paths[m] = { sample: [], gather: [], total: [], cpu: [] };
const rng = new Xoshiro128(11);
const seeds = new Int32Array(1024);
const batches = Number(values.batches);
for (let b = -4; b < batches; b++) {
  for (let i = 0; i < seeds.length; i++) seeds[i] = rng.below(graph.numNodes);
  // Alternate which path goes first, so neither always finds the other's rows in the cache.
  const order = b % 2 === 0 ? modes : [...modes].reverse();
  for (const m of order) {
    setNativeEnabled(m === 'native');
    const cpu0 = process.cpuUsage();
    const out = producer.produce(
      { kind: 'node', epoch: 0, batch: b, batchSeed: b, seeds },
      (shape) => allocateArrays(shape),
    );
    const cpu = process.cpuUsage(cpu0);
    if (b < 0) continue;
    paths[m].cpu.push((cpu.user + cpu.system) / 1000);
    const { sampleMs, gatherMs } = readBatchHeader(out.meta);
    paths[m].sample.push(sampleMs);
    paths[m].gather.push(gatherMs);
    paths[m].total.push(sampleMs + gatherMs);
  }
}
setNativeEnabled(true);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  Object.entries(paths).map(([m, t]) => [
    m,
    {
      sample_ms_median: med(t.sample),
      gather_first_layer_ms_median: med(t.gather),
      producer_ms_median: med(t.total),
      producer_ms_min: Math.min(...t.total),
      producer_cpu_ms_median: med(t.cpu),
    },
  ]),
);
for (const [m, s] of Object.entries(summary))
  console.log(
    `${m.padEnd(6)} sample ${s.sample_ms_median.toFixed(1)} ms + gather/first layer ${s.gather_first_layer_ms_median.toFixed(1)} ms = ${s.producer_ms_median.toFixed(1)} ms per batch (min ${s.producer_ms_min.toFixed(1)}), CPU ${s.producer_cpu_ms_median.toFixed(1)} ms`,
  );
const out = {
  ...runInfo('producer'),
  kernels: nativeStatus().reason,
  loadavg_start: loadStart,
  loadavg_end: os.loadavg()[0],
  graph: 'powerlaw 1M nodes / 20M edges, 64-d float32; uniform fanout [15,10], batch 1024, fused',
  batches,
  summary,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(out, null, 2)}\n`);
