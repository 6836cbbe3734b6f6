// Quality bar on CollegeMsg (../shared/data/collegemsg): temporal link prediction with the newest
// 15 % of messages as test and the 15 % before them as validation, each test message's receiver
// scored against 20 users drawn at random (filtered: the sender's other test partners are not
// negatives). The model must beat both baselines on the same pairs, destination popularity and
// "seen before", on AUC and MRR, median of 5 seeds.
//
// The graph has no node features: collegemsg-graph.ts gives each node identity and training-period
// degree features. Usage: npx tsx bench/quality/collegemsg.ts [--seeds 5] [--out FILE]
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { buildCollegeMsg, collegeMsgSpec } from './collegemsg-graph.js';
import { median, runRecord, writeResult } from './run-record.js';

export function jobSpec(graph: string, out: string, seed: number): JobSpec {
  return collegeMsgSpec('collegemsg', graph, out, seed, 2);
}

const METRICS = ['auc', 'mrr', 'hits@10'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '5' }, out: { type: 'string' } },
  });
  const built = await buildCollegeMsg('weft-quality-collegemsg-');
  if (!built) return;
  const { work, graph } = built;
  const runs: Record<string, number>[] = [];
  for (let seed = 0; seed < Number(values.seeds); seed++) {
    const r = await runTraining(jobSpec(graph, join(work, `run-${seed}`), seed));
    runs.push(r.test);
    console.log(`seed ${seed}: ${METRICS.map((m) => `${m} ${r.test[m].toFixed(4)}`).join(', ')}`);
  }
  const med = (k: string) => median(runs.map((t) => t[k]));
  const summary: Record<string, Record<string, number>> = {
    model: {},
    popularity: {},
    seen_before: {},
  };
  for (const m of METRICS) {
    summary.model[m] = med(m);
    summary.popularity[m] = med(`popularity_${m}`);
    summary.seen_before[m] = med(`seen_before_${m}`);
  }
  const beats = (m: string) =>
    summary.model[m] > summary.popularity[m] && summary.model[m] > summary.seen_before[m];
  const result = {
    ...runRecord(),
    bench: 'quality/collegemsg',
    protocol:
      'newest 15 % of messages test, 15 % before them validation; 20 uniform negatives per test message among all users, filtered; baselines on the same pairs',
    spec: jobSpec(graph, '', 0),
    seeds: runs.length,
    median: summary,
    bar: { auc: beats('auc'), mrr: beats('mrr') },
    runs,
  };
  writeResult(values.out ?? join(import.meta.dirname, 'results', 'collegemsg.json'), result);
  console.log(JSON.stringify({ median: summary, bar: result.bar }, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
