// CollegeMsg ranked two ways and trained with three kinds of negatives: each test message's receiver
// ranked among 20 sampled users and among every user (eval.ranking exact, filtered), with the
// baselines on the same pairs, for link.negatives uniform, degree and in-batch, a few seeds each.
// Usage: npx tsx bench/quality/collegemsg-ranking.ts [--seeds 3] [--negatives uniform,degree] [--out FILE]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { collegeMsgGraph, jobSpec } from './collegemsg.js';
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '3' },
      negatives: { type: 'string', default: 'uniform,degree,in-batch' },
      out: { type: 'string' },
    },
  });
  const built = await collegeMsgGraph();
  if (!built) return;
  const kinds = values.negatives.split(',');
  const byKind: Record<string, { runs: Record<string, number>[]; median: Record<string, number> }> =
    {};
  for (const kind of kinds) {
    const runs: Record<string, number>[] = [];
    for (let seed = 0; seed < Number(values.seeds); seed++) {
      const spec = applyOverrides(jobSpec(built.graph, join(built.work, `${kind}-${seed}`), seed), {
        'link.negatives': kind,
        'eval.ranking': 'exact',
        'eval.cutoffs': [1, 10, 50],
      });
      const t0 = performance.now();
      const r = await runTraining(spec);
      runs.push({ ...r.test, seconds: (performance.now() - t0) / 1000 });
      console.log(
        `${kind} seed ${seed}: ${SHOWN.map((m) => `${m} ${r.test[m]?.toFixed(4)}`).join(', ')}`,
      );
    }
    const med: Record<string, number> = {};
    for (const k of Object.keys(runs[0])) med[k] = median(runs.map((t) => t[k]));
    byKind[kind] = { runs, median: med };
  }
  const result = {
    ...runRecord(),
    bench: 'quality/collegemsg-ranking',
    protocol:
      'as quality/collegemsg (newest 15 % test, 15 % before validation, 2 epochs, cosine decoder), test metrics: sampled = 20 uniform negatives, filtered by the split; exact_* = every user, filtered by every known destination of the sender; embeddings for exact ranking drawn before the first test message',
    spec: applyOverrides(jobSpec(built.graph, '', 0), { 'eval.ranking': 'exact' }),
    seeds: Number(values.seeds),
    negatives: byKind,
  };
  writeResult(
    values.out ?? join(import.meta.dirname, 'results', 'collegemsg-ranking.json'),
    result,
  );
  for (const [kind, r] of Object.entries(byKind))
    console.log(
      `${kind} median: ${SHOWN.map((m) => `${m} ${r.median[m]?.toFixed(4)}`).join(', ')}`,
    );
}

await main();
