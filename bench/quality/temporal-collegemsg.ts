// The temporal activity model against static GraphSAGE on CollegeMsg (../shared/data/collegemsg):
// chronological 70/15/15 split, the same spec as quality/collegemsg.ts, then the overlays
// model.temporal (the member's last N messages through a causal transformer) and + its long-term
// loss; test MRR/AUC/recall@10 as mean ± std over seeds, with popularity and seen-before on the same
// pairs (under eval.ranking exact also the streaming seen-before). Usage: npx tsx
// bench/quality/temporal-collegemsg.ts [--seeds 3] [--first-seed 0] [--epochs 2]
// [--variants static,static+recency,temporal,temporal+long-term,temporal+recency,temporal+pair-recency,temporal+pair-rank,temporal+pair-window,temporal+pair-window-rank,temporal+pair-window-rank-history] [--set field=value ...] [--out FILE]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides, type JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { buildCollegeMsg, collegeMsgSpec } from './collegemsg-graph.js';
import { runRecord, writeResult } from './run-record.js';

const METRICS = ['mrr', 'auc', 'recall@10'] as const;

/** The overlays each variant adds to the static spec: pure job-spec fields. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  static: {},
  // The control: the target-recency term on static GraphSAGE, without the temporal model.
  'static+recency': { 'model.temporal.targetRecency': true },
  temporal: { 'model.temporal.enabled': true },
  'temporal+long-term': { 'model.temporal.enabled': true, 'model.temporal.longTerm.enabled': true },
  'temporal+recency': { 'model.temporal.enabled': true, 'model.temporal.targetRecency': true },
  'temporal+pair-recency': {
    'model.temporal.enabled': true,
    'model.temporal.targetRecency': true,
    'model.temporal.pairRecency': true,
  },
  // The pair term with the partners' recency rank (the newest partner first, as the count ranks).
  'temporal+pair-rank': {
    'model.temporal.enabled': true,
    'model.temporal.targetRecency': true,
    'model.temporal.pairRecency': true,
    'model.temporal.pairRank': true,
  },
  // The rank buckets over every earlier partner: the order the streaming count ranks by.
  'temporal+pair-window-rank': {
    'model.temporal.enabled': true,
    'model.temporal.targetRecency': true,
    'model.temporal.pairRecency': true,
    'model.temporal.pairRank': true,
    'model.temporal.pairWindow': 1000,
  },
  // The same, trained against the sender's earlier partners too (2 of the 5 negatives).
  'temporal+pair-window-rank-history': {
    'model.temporal.enabled': true,
    'model.temporal.targetRecency': true,
    'model.temporal.pairRecency': true,
    'model.temporal.pairRank': true,
    'model.temporal.pairWindow': 1000,
    'link.historyNegatives': 0.4,
  },
  // The pair term over every earlier partner (CollegeMsg's users have at most a few hundred).
  'temporal+pair-window': {
    'model.temporal.enabled': true,
    'model.temporal.targetRecency': true,
    'model.temporal.pairRecency': true,
    'model.temporal.pairWindow': 1000,
  },
};

/** Under eval.ranking exact: the model's exact metrics, and the baselines' on the same pairs. */
const EXACT_METRICS = ['mrr', 'auc', 'recall@10', 'hits@10'] as const;
const EXACT_BASELINES = ['popularity_exact', 'seen_before_exact', 'seen_stream_exact'] as const;

function baseSpec(graph: string, out: string, seed: number, epochs: number): JobSpec {
  return collegeMsgSpec('temporal-collegemsg', graph, out, seed, epochs);
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

/** Exact ranking's figures: each variant's (`<variant> exact`) and each baseline's, mean ± std. */
function exactSummary(runs: Record<string, Record<string, number>[]>): Summary {
  const out: Summary = {};
  const of = (rs: Record<string, number>[], prefix: string) =>
    Object.fromEntries(EXACT_METRICS.map((m) => [m, meanStd(rs.map((t) => t[`${prefix}${m}`]))]));
  for (const [name, rs] of Object.entries(runs)) out[`${name} exact`] = of(rs, 'exact_');
  const all = Object.values(runs).flat();
  for (const b of EXACT_BASELINES) out[b] = of(all, `${b}_`);
  return out;
}

type Summary = Record<string, Record<string, { mean: number; std: number }>>;

/** Each variant's and each baseline's mean ± std over the runs so far. */
function summaryOf(runs: Record<string, Record<string, number>[]>): Summary {
  const summary: Summary = {};
  for (const [name, rs] of Object.entries(runs)) {
    summary[name] = {};
    for (const m of METRICS) summary[name][m] = meanStd(rs.map((t) => t[m]));
  }
  const all = Object.values(runs).flat();
  for (const b of ['popularity', 'seen_before']) {
    summary[b] = {};
    for (const m of METRICS) summary[b][m] = meanStd(all.map((t) => t[`${b}_${m}`]));
  }
  if (all.every((t) => t.exact_mrr !== undefined)) Object.assign(summary, exactSummary(runs));
  return summary;
}

/** One run's line: the sampled metrics, and under exact ranking the exact MRR beside the baselines'. */
function runLine(name: string, seed: number, t: Record<string, number>): string {
  const sampled = METRICS.map((m) => `${m} ${t[m].toFixed(4)}`).join(', ');
  if (t.exact_mrr === undefined) return `${name} seed ${seed}: ${sampled}`;
  const exact = ['exact', ...EXACT_BASELINES].map((b) => `${b}_mrr ${t[`${b}_mrr`].toFixed(4)}`);
  return `${name} seed ${seed}: ${sampled}; ${exact.join(', ')}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '3' },
      'first-seed': { type: 'string', default: '0' },
      epochs: { type: 'string', default: '2' },
      variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
      set: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
    },
  });
  const built = await buildCollegeMsg('weft-quality-temporal-');
  if (!built) return;
  const { work, graph } = built;
  const epochs = Number(values.epochs);
  // Extra overrides (--set a.b=c) apply to every variant alike: what was tuned is on the record.
  const common = Object.fromEntries(values.set.map((kv) => kv.split('=', 2) as [string, string]));
  const runs: Record<string, Record<string, number>[]> = {};
  const seconds: Record<string, number[]> = {};
  const out = values.out ?? join(import.meta.dirname, 'results', 'temporal-collegemsg.json');
  // Written after every run, so a stopped bench keeps the seeds it finished.
  const save = () =>
    writeResult(out, {
      ...runRecord(),
      bench: 'quality/temporal-collegemsg',
      protocol:
        'chronological split: newest 15 % of messages test, 15 % before them validation; 20 uniform negatives per test message, filtered; baselines on the same pairs; mean ± sample std over seeds',
      epochs,
      overrides: common,
      variants: VARIANTS,
      spec: applyOverrides(baseSpec(graph, '', 0, epochs), common),
      seeds: Number(values.seeds),
      summary: summaryOf(runs),
      secondsPerRun: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, meanStd(v)])),
      runs,
    });
  for (const name of values.variants.split(',')) {
    runs[name] = [];
    seconds[name] = [];
    const first = Number(values['first-seed']);
    for (let seed = first; seed < first + Number(values.seeds); seed++) {
      const spec = applyOverrides(baseSpec(graph, join(work, `${name}-${seed}`), seed, epochs), {
        ...common,
        ...VARIANTS[name],
      });
      const t0 = performance.now();
      const r = await runTraining(spec);
      seconds[name].push((performance.now() - t0) / 1000);
      runs[name].push(r.test);
      console.log(runLine(name, seed, r.test));
      save();
    }
  }
  console.log(JSON.stringify({ summary: summaryOf(runs) }, null, 2));
}

await main();
