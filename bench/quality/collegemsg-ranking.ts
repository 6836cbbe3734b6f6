// CollegeMsg ranked two ways and trained with three kinds of negatives: each test message's receiver
// ranked among 20 sampled users and among every user (eval.ranking exact, filtered), with the
// baselines on the same pairs, for link.negatives uniform, degree and in-batch, a few seeds each.
// Usage: npx tsx bench/quality/collegemsg-ranking.ts [--seeds 3] [--negatives uniform,degree] [--out FILE]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { jobSpec } from './collegemsg.js';
import { buildCollegeMsg } from './collegemsg-graph.js';
import { median, runRecord, writeResult } from './run-record.js';

const SHOWN = [
  'mrr',
  'hits@10',
  'exact_mrr',
  'exact_hits@10',
  'exact_recall@10',
  'exact_auc',
  'popularity_exact_mrr',
  'seen_before_exact_mrr',
] as const;

type ByKind = Record<string, { runs: Record<string, number>[]; median: Record<string, number> }>;

/** Writes the runs so far with their medians (after every run: a long sweep keeps what it did). */
function save(out: string | undefined, graph: string, seeds: number, byKind: ByKind): void {
  for (const r of Object.values(byKind))
    for (const k of Object.keys(r.runs[0] ?? {})) r.median[k] = median(r.runs.map((t) => t[k]));
  writeResult(out ?? join(import.meta.dirname, 'results', 'collegemsg-ranking.json'), {
    ...runRecord(),
    bench: 'quality/collegemsg-ranking',
    protocol:
      'as quality/collegemsg (newest 15 % test, 15 % before validation, 2 epochs, cosine decoder), test metrics: sampled = 20 uniform negatives, filtered by the split; exact_* = every user, filtered by every known destination of the sender; candidates embedded at eval.candidateSnapshots times (the test messages in time order cut into groups, each ranked against users embedded from neighbourhoods before its first message), senders at each message time',
    spec: applyOverrides(jobSpec(graph, '', 0), { 'eval.ranking': 'exact' }),
    seeds,
    negatives: byKind,
  });
}

const line = (r: Record<string, number>) => SHOWN.map((m) => `${m} ${r[m]?.toFixed(4)}`).join(', ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '3' },
      negatives: { type: 'string', default: 'uniform,degree,in-batch,hard' },
      out: { type: 'string' },
    },
  });
  const built = await buildCollegeMsg('weft-quality-collegemsg-');
  if (!built) return;
  const seeds = Number(values.seeds);
  const byKind: ByKind = {};
  for (const kind of values.negatives.split(',')) {
    byKind[kind] = { runs: [], median: {} };
    for (let seed = 0; seed < seeds; seed++) {
      const spec = applyOverrides(jobSpec(built.graph, join(built.work, `${kind}-${seed}`), seed), {
        'link.negatives': kind,
        'eval.ranking': 'exact',
        'eval.cutoffs': [1, 10, 50],
      });
      const t0 = performance.now();
      const r = await runTraining(spec);
      byKind[kind].runs.push({ ...r.test, seconds: (performance.now() - t0) / 1000 });
      console.log(`${kind} seed ${seed}: ${line(r.test)}`);
      save(values.out, built.graph, seeds, byKind);
    }
  }
  for (const [kind, r] of Object.entries(byKind)) console.log(`${kind} median: ${line(r.median)}`);
}

await main();
