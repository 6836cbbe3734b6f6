// Quality bar on the synthetic job marketplace: the relation-aware encoder (rgcn) against the
// flattened GraphSAGE (sage) on member→job link prediction, test recall@10, MRR and AUC overall and
// on cold members (every application in the test period, none in training), median of 5 seeds.
//
// Each seed generates its own marketplace (`weft graph synth --kind marketplace --cold-members`) and
// trains every configuration on that same graph, split and evaluation pairs; configurations differ
// only in the encoder and the sampling (the same fanouts are given to both encoders). The result
// file keeps every run, so a partial run still says what it measured.
// With --views, --dismissals and --typed-features the marketplace gets member→job relations that mean
// something else than `applied` and a feature space per node type (docs/densification.md).
// Per metric, seeds_best_<metric> counts the seeds on which a configuration beats every other one.
// Usage: npx tsx bench/quality/marketplace.ts [--seeds 5] [--members 3000] [--cold 0.05]
//        [--epochs 3] [--configs sage,rgcn,rgcn-typed,sage-typed,sage-rel,rgcn-rel] [--views V] [--dismissals X]
//        [--typed-features] [--exact] [--set field=value ...] [--out FILE] [--resume FILE]
// --resume FILE keeps FILE's runs of the same protocol and spec (refused otherwise) and runs only
// the (seed, configuration) pairs it lacks; the result names the file and commit it resumed.
// A configuration may carry its own job-spec fields after its name, `rgcn+model.relations.bases=4`;
// --set fields apply to every configuration (the same budget for every encoder: epochs, lr, hidden).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { addSetOverrides } from '../../cli/command-line.js';
import { median, runRecord, writeResult } from './run-record.js';

/** Neighbours per relation and hop: every relation a member→job score can use gets its own draws. */
const RELATION_FANOUTS: Record<string, number[]> = {
  member__has_skill__skill: [8, 4],
  member__works_at__company: [1, 1],
  member__applied__job: [5, 3],
  job__requires__skill: [5, 3],
  job__posted_by__company: [1, 1],
  job__rev_applied__member: [5, 3],
};

/** The configurations: encoder, and whether rows are drawn relation by relation. */
const CONFIGS: Record<string, Record<string, unknown>> = {
  sage: { 'model.encoder': 'sage' },
  rgcn: { 'model.encoder': 'rgcn' },
  'sage-rel': {
    'model.encoder': 'sage',
    'sampling.fanouts': [3, 2],
    'sampling.relationFanouts': RELATION_FANOUTS,
  },
  // Each node type projected from its own columns to the hidden width before the first layer.
  'rgcn-typed': { 'model.encoder': 'rgcn', 'model.inputProjection': 'per-type' },
  'sage-typed': { 'model.encoder': 'sage', 'model.inputProjection': 'per-type' },
  'rgcn-rel': {
    'model.encoder': 'rgcn',
    'sampling.fanouts': [3, 2],
    'sampling.relationFanouts': RELATION_FANOUTS,
  },
};

/** `name` or `name+field=value+…`: a configuration of CONFIGS with job-spec fields of its own. */
function configOf(label: string): Record<string, unknown> {
  const [name, ...sets] = label.split('+');
  if (!CONFIGS[name]) throw new Error(`unknown configuration '${name}' in '${label}'`);
  const out = { ...CONFIGS[name] };
  addSetOverrides(sets, out);
  return out;
}

function jobSpec(
  graph: string,
  out: string,
  seed: number,
  epochs: number,
  config: Record<string, unknown>,
): JobSpec {
  // examples/marketplace.yaml, with the seed, the epochs and the configuration.
  return applyOverrides(defaultJobSpec(), {
    name: 'marketplace-quality',
    graph,
    out,
    task: 'link',
    'model.layers': 2,
    'model.hidden': 64,
    'model.dropout': 0.1,
    'sampling.fanouts': [10, 5],
    'sampling.batchSize': 512,
    'train.epochs': epochs,
    'train.lr': 0.005,
    'train.seed': seed,
    'link.edgeType': 'member__applied__job',
    'link.numNegatives': 1,
    'eval.maxNodes': 4000,
    ...config,
  });
}

const METRICS = [
  'recall@10',
  'mrr',
  'auc',
  'cold_recall@10',
  'cold_mrr',
  'cold_auc',
  'exact_recall@10',
  'exact_mrr',
  'exact_cold_recall@10',
  'exact_cold_mrr',
] as const;

interface SeedRun {
  seed: number;
  config: string;
  test: Record<string, number>;
}

/** Seeds on which `config` scores strictly above every other configuration's test `metric`. */
function seedsBest(runs: readonly SeedRun[], config: string, metric: string): number {
  let count = 0;
  for (const own of runs.filter((r) => r.config === config)) {
    const others = runs.filter((r) => r.seed === own.seed && r.config !== config);
    const mine = own.test[metric] ?? NaN;
    if (others.length > 0 && others.every((r) => mine > (r.test[metric] ?? NaN))) count++;
  }
  return count;
}

/** Paths of `earlier`'s leaves whose value `now` does not share. */
function specDifferences(earlier: unknown, now: unknown, path = ''): string[] {
  if (typeof earlier === 'object' && earlier !== null && !Array.isArray(earlier)) {
    if (typeof now !== 'object' || now === null || Array.isArray(now)) return [path];
    return Object.entries(earlier).flatMap(([k, v]) =>
      specDifferences(v, (now as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`),
    );
  }
  return JSON.stringify(earlier) === JSON.stringify(now) ? [] : [path];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '5' },
      members: { type: 'string', default: '3000' },
      cold: { type: 'string', default: '0.05' },
      epochs: { type: 'string', default: '3' },
      configs: { type: 'string', default: Object.keys(CONFIGS).join(',') },
      views: { type: 'string', default: '0' },
      dismissals: { type: 'string', default: '0' },
      'typed-features': { type: 'boolean', default: false },
      exact: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      out: { type: 'string' },
      resume: { type: 'string' },
    },
  });
  const names = values.configs.split(',');
  const configs = Object.fromEntries(names.map((n) => [n, configOf(n)]));
  const epochs = Number(values.epochs);
  const synth = {
    members: Number(values.members),
    coldMembers: Number(values.cold),
    viewsPerMember: Number(values.views),
    dismissalsPerMember: Number(values.dismissals),
    typedFeatures: values['typed-features'],
  };
  const shared: Record<string, unknown> = values.exact ? { 'eval.ranking': 'exact' } : {};
  addSetOverrides(values.set, shared);
  const synthFlags = [
    `--members ${synth.members} --cold-members ${synth.coldMembers}`,
    synth.viewsPerMember ? `--views-per-member ${synth.viewsPerMember}` : '',
    synth.dismissalsPerMember ? `--dismissals-per-member ${synth.dismissalsPerMember}` : '',
    synth.typedFeatures ? '--typed-features' : '',
  ]
    .filter((f) => f !== '')
    .join(' ');
  const out = values.out ?? join(import.meta.dirname, 'results', 'marketplace.json');
  const work = mkdtempSync(join(os.tmpdir(), 'weft-quality-marketplace-'));
  const runs: {
    seed: number;
    config: string;
    val: Record<string, number>;
    test: Record<string, number>;
    seconds: number;
    /** Load averages (1, 5, 15 min) when the run ended: the machine is shared. */
    load: number[];
  }[] = [];
  const record = runRecord();
  const protocol = `weft graph synth --kind marketplace ${synthFlags} --seed S (S = 1..${values.seeds}); member→job link prediction, applications split by time (newest 10 % test, 10 % before them validation), 20 negatives per test application from the job type, filtered${values.exact ? ', and exact ranking among every job (exact_* metrics)' : ''}; cold = test applications of members with none before the test period`;
  const spec = jobSpec('GRAPH', '', 1, epochs, shared);
  let resumed: { file: string; commit: string; runs: number } | undefined;
  if (values.resume !== undefined) {
    const earlier = JSON.parse(readFileSync(values.resume, 'utf8'));
    // The seed count is part of the protocol's wording, not of what each run measured.
    const bare = (p: string) => p.replace(/\(S = 1\.\.\d+\)/, '');
    if (bare(earlier.protocol) !== bare(protocol)) {
      throw new Error(
        `--resume ${values.resume}: protocol differs:\n  ${earlier.protocol}\n  ${protocol}`,
      );
    }
    // Fields added to the spec since the earlier run are new defaults, absent from its file; every
    // field that file does record must be equal.
    const differing = specDifferences(earlier.spec, spec);
    if (differing.length > 0) {
      throw new Error(`--resume ${values.resume}: job spec differs at ${differing.join(', ')}`);
    }
    const kept = (earlier.runs as (typeof runs)[number][]).filter(
      (r) => names.includes(r.config) && r.seed <= Number(values.seeds),
    );
    for (const r of kept) {
      if (JSON.stringify(earlier.configs[r.config]) !== JSON.stringify(configs[r.config])) {
        throw new Error(`--resume ${values.resume}: configuration ${r.config} differs`);
      }
    }
    runs.push(...kept);
    resumed = { file: basename(values.resume), commit: earlier.commit, runs: kept.length };
  }
  const summarise = () => {
    const median_: Record<string, Record<string, number>> = {};
    for (const c of names) {
      const own = runs.filter((r) => r.config === c);
      if (own.length === 0) continue;
      median_[c] = { seeds: own.length };
      for (const m of METRICS) median_[c][m] = median(own.map((r) => r.test[m] ?? NaN));
      // Settings are chosen on validation (the best epoch's), never on test.
      for (const m of METRICS) median_[c][`val_${m}`] = median(own.map((r) => r.val[m] ?? NaN));
      // A median can rest on one or two seeds: say how many seeds each configuration leads.
      for (const m of METRICS) median_[c][`seeds_best_${m}`] = seedsBest(runs, c, m);
    }
    return median_;
  };
  for (let seed = 1; seed <= Number(values.seeds); seed++) {
    const todo = names.filter((c) => !runs.some((r) => r.seed === seed && r.config === c));
    if (todo.length === 0) continue;
    const graph = join(work, `graph-${seed}`);
    await synthMarketplace({ ...synth, seed }, graph);
    for (const c of todo) {
      const t0 = performance.now();
      const r = await runTraining(
        jobSpec(graph, join(work, `run-${seed}-${c}`), seed, epochs, { ...shared, ...configs[c] }),
      );
      const seconds = (performance.now() - t0) / 1000;
      runs.push({ seed, config: c, val: r.val, test: r.test, seconds, load: os.loadavg() });
      const line = (m: Record<string, number>) =>
        METRICS.map((k) => `${k} ${(m[k] ?? NaN).toFixed(4)}`).join(', ');
      console.log(`seed ${seed} ${c}: val ${line(r.val)}`);
      console.log(`seed ${seed} ${c}: test ${line(r.test)} (${seconds.toFixed(0)} s)`);
      // Written after every run: a partial result still says what it measured.
      writeResult(out, {
        ...record,
        bench: 'quality/marketplace',
        protocol,
        ...(resumed ? { resumed } : {}),
        configs,
        spec,
        median: summarise(),
        runs,
      });
    }
    rmSync(graph, { recursive: true, force: true });
  }
  console.log(JSON.stringify(summarise(), null, 2));
}

await main();
