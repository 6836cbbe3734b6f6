// Quality bar on Cora (../shared/data/cora): node classification on the Planetoid split (140 train /
// 500 validation / 1,000 test), the graph made undirected, GraphSAGE with the job spec's defaults
// (the small-labelled-set defaults the data chooses included); test accuracy at the best validation
// epoch, median of 5 seeds, must reach 0.80. Usage: npx tsx bench/quality/cora.ts [--seeds 5] [--out FILE]
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildGraph } from '../../graph-store/build-graph.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { withDataDefaults } from '../../actors/plan/small-labelled.js';
import { median, runRecord, writeResult } from './run-record.js';

const DATA = resolve(import.meta.dirname, '../../../shared/data/cora');
const BAR = 0.8;

function jobSpec(graph: string, out: string, seed: number): JobSpec {
  return applyOverrides(defaultJobSpec(), { name: `cora-${seed}`, graph, out, 'train.seed': seed });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '5' }, out: { type: 'string' } },
  });
  if (!existsSync(join(DATA, 'edges.tsv'))) {
    console.log(`skipped: Cora not found at ${DATA}`);
    return;
  }
  const work = mkdtempSync(join(os.tmpdir(), 'weft-quality-cora-'));
  const graph = join(work, 'graph');
  await buildGraph({
    edges: join(DATA, 'edges.tsv'),
    features: join(DATA, 'features.npy'),
    labels: join(DATA, 'labels.tsv'),
    split: join(DATA, 'split.tsv'),
    undirected: true,
    out: graph,
  });
  const runs: Record<string, number>[] = [];
  for (let seed = 0; seed < Number(values.seeds); seed++) {
    const r = await runTraining(jobSpec(graph, join(work, `run-${seed}`), seed));
    runs.push({ seed, best_epoch: r.best_epoch, ...r.test });
    console.log(`seed ${seed}: test accuracy ${r.test.accuracy.toFixed(4)}`);
  }
  const accuracy = median(runs.map((r) => r.accuracy));
  const result = {
    ...runRecord(),
    bench: 'quality/cora',
    protocol:
      'Planetoid split, undirected, job-spec defaults; test accuracy at the best validation epoch',
    chosen: withDataDefaults(jobSpec(graph, '', 0)).chosen,
    seeds: runs.length,
    median: { accuracy, macro_f1: median(runs.map((r) => r.macro_f1)) },
    bar: { accuracy: BAR, met: accuracy >= BAR },
    runs,
  };
  writeResult(values.out ?? join(import.meta.dirname, 'results', 'cora.json'), result);
  console.log(JSON.stringify({ median: result.median, bar: result.bar }, null, 2));
}

await main();
