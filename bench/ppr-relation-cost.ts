// What sampling.ppr costs the producer: training batches of the quality ablation's marketplace job
// (512 pairs, 5 negatives, temporal fanouts [10, 5]) with 0, 4, 8 and 16 PPR neighbours per seed,
// settings alternated batch by batch; sample ms and CPU ms of the whole produce call, medians.
// Run: npx tsx bench/ppr-relation-cost.ts [--batches N]
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchProducer } from '../actors/batch/batch-producer.js';
import { allocateArrays, readBatchHeader, type BatchFields } from '../actors/batch/batch-record.js';
import { applyOverrides } from '../actors/job-spec.js';
import { makeEpochPlan } from '../actors/plan/epoch-plan.js';
import { requestFor } from '../actors/plan/seed-source.js';
import { producerConfigs, seedsOf } from '../actors/plan/task-seeds.js';
import { openGraph } from '../graph-store/open-graph.js';
import { synthMarketplace } from '../graph-store/synth-marketplace.js';
import { median } from './quality/run-record.js';
import { qualityBaseSpec } from './quality-ablation.js';
import { runInfo } from './run-info.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench/results/ppr-relation-cost.json' },
  },
});
const TOP_K = [0, 4, 8, 16];
const dir = join(os.tmpdir(), 'weft-bench-ppr-market-3000');
if (!existsSync(join(dir, 'manifest.json')))
  await synthMarketplace({ members: 3000, seed: 1, coldMembers: 0.2, intentDrift: 0.3 }, dir);
const loadStart = os.loadavg()[0];
const graph = await openGraph(dir);
const base = qualityBaseSpec('marketplace', dir, join(os.tmpdir(), 'unused'), 0, 1);
const seeds = seedsOf(base, graph);
const source = seeds.source.kind === 'link' ? seeds.source : undefined;
if (!source) throw new Error('the marketplace job is a link task');
const plan = makeEpochPlan(seeds.train, 512, 0, 0);
const producers = TOP_K.map((k) => {
  const spec = applyOverrides(base, { 'sampling.ppr.topK': k });
  return new BatchProducer(graph, producerConfigs(spec, seeds.negativeRange).train);
});
const times = TOP_K.map(() => ({ sampleMs: [] as number[], cpuMs: [] as number[], edges: 0 }));
const batches = Math.min(Number(values.batches), Math.floor(seeds.train.length / 512));
for (let b = 0; b < batches; b++)
  producers.forEach((p, i) => {
    const cpu0 = process.cpuUsage();
    const f = p.produce(requestFor(source, plan.order, 0, b, 512, b + 1), (s) =>
      allocateArrays<BatchFields>(s),
    );
    const cpu = process.cpuUsage(cpu0);
    const h = readBatchHeader(f.meta);
    times[i].sampleMs.push(h.sampleMs);
    times[i].cpuMs.push((cpu.user + cpu.system) / 1000);
    times[i].edges += h.edges;
  });
const rows = TOP_K.map((k, i) => ({
  topK: k,
  sampleMsMedian: median(times[i].sampleMs),
  cpuMsMedian: median(times[i].cpuMs),
  edgesPerBatch: times[i].edges / batches,
}));
console.table(rows);
const report = {
  ...runInfo('ppr-relation-cost'),
  loadStart,
  loadEnd: os.loadavg()[0],
  batches,
  rows,
};
writeFileSync(values.out!, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${values.out}`);
