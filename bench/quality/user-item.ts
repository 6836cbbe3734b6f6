// Quality bar on user–item ratings: the newest 10 % of ratings are test (10 % before them
// validation), each test rating's item scored against items drawn at random (filtered), and the
// model must beat item popularity and "seen before" on the same pairs, AUC and MRR, median of
// seeds. Most test ratings come from users with no training ratings, as on public rating data.
//
// Data: any `user,item,rating,timestamp` log (--ratings; MovieLens u.data, ratings.csv or
// ratings.dat as they are), optionally with `id,<features…>` tables (--users, --items); without
// --ratings, a generated log of that shape (graph-store/synth-user-item.ts). The graph is built
// through `weft graph build --inputs` from the tables. Each variant of the model runs every seed.
// Usage: npx tsx bench/quality/user-item.ts [--ratings FILE [--users F] [--items F]] [--seeds 5]
//        [--variants a,b] [--out FILE]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTypedGraph } from '../../graph-store/build-typed-graph.js';
import {
  coldShare,
  generateUserItem,
  writeUserItemTables,
} from '../../graph-store/synth-user-item.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { median, runRecord, writeResult } from './run-record.js';
import { readRatings, type Ratings } from './ratings-csv.js';

const HELD_OUT = 0.1;
const METRICS = ['auc', 'mrr', 'hits@10'] as const;

/** The model variants measured: job-spec overrides on top of the common link job. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  plain: {},
  structural: { 'model.structuralFeatures': true },
  'structural+id': {
    'model.structuralFeatures': true,
    'model.idEmbedding.enabled': true,
    'model.idEmbedding.rowDropout': 0.3,
  },
  // Ablations: ID embeddings alone (new users read the unseen row), and without row dropout.
  id: { 'model.idEmbedding.enabled': true },
  'structural+id-nodrop': {
    'model.structuralFeatures': true,
    'model.idEmbedding.enabled': true,
  },
};

interface Tables {
  ratings: string;
  users?: string;
  items?: string;
  source: string;
}

/** The log's interactions as the typed build reads them, and the share of cold test ratings. */
function writeInteractions(r: Ratings, file: string): { count: number; coldShare: number } {
  const order = Int32Array.from(r.time.keys()).sort((a, b) => r.time[a] - r.time[b] || a - b);
  const lines = ['user,item,timestamp'];
  const ids = new Map<string, number>();
  const user = new Int32Array(order.length);
  order.forEach((k, at) => {
    lines.push(`${r.user[k]},${r.item[k]},${r.time[k]}`);
    if (!ids.has(r.user[k])) ids.set(r.user[k], ids.size);
    user[at] = ids.get(r.user[k])!;
  });
  writeFileSync(file, lines.join('\n') + '\n');
  // The cold share of the newest HELD_OUT against everything before it (training and validation).
  return { count: order.length, coldShare: coldShare({ user }, HELD_OUT) };
}

/** The feature columns of a node table: every header cell after its `id`. */
function featureColumns(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0];
  return first
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== 'id');
}

/** graph.yaml for the typed build: users and items (with their tables when given), rated edges. */
function inputsYaml(dir: string, t: Tables, interactions: string): string {
  const node = (type: string, file?: string) =>
    file
      ? `  - type: ${type}\n    file: ${relative(dir, resolve(file))}\n    id: id\n    features: [${featureColumns(file).join(', ')}]\n`
      : `  - type: ${type}\n`;
  return (
    `nodes:\n${node('user', t.users)}${node('item', t.items)}` +
    `edges:\n  - file: ${relative(dir, interactions)}\n    relation: rated\n    src: user\n    dst: item\n` +
    `    srcColumn: user\n    dstColumn: item\n    timestamp: timestamp\n` +
    `unknownIds: ${t.users || t.items ? 'skip' : 'error'}\nreverse: true\n`
  );
}

function jobSpec(graph: string, out: string, seed: number, variant: string): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name: `user-item-${variant}-${seed}`,
    graph,
    out,
    task: 'link',
    'link.edgeType': 'user__rated__item',
    'link.numNegatives': 5,
    'link.valFraction': HELD_OUT,
    'link.testFraction': HELD_OUT,
    'model.hidden': 64,
    'sampling.strategy': 'temporal',
    'sampling.fanouts': [10, 5],
    'sampling.batchSize': 512,
    'train.epochs': 2,
    'train.seed': seed,
    'eval.maxNodes': 5000,
    ...VARIANTS[variant],
  });
}

/** The tables to train on: the user's, or a generated log written into `work`. */
function tablesOf(values: Record<string, string | undefined>, work: string): Tables {
  if (values.ratings)
    return {
      ratings: values.ratings,
      users: values.users,
      items: values.items,
      source: values.ratings,
    };
  const opts = { users: 2500, items: 600, seed: 0 };
  const data = generateUserItem(opts);
  return {
    ...writeUserItemTables(data, join(work, 'tables')),
    source: `synth-user-item ${JSON.stringify(opts)}`,
  };
}

type Summary = Record<string, Record<string, number>>;

/** Trains every seed of one variant; the test metrics of each run. */
async function runVariant(graph: string, work: string, variant: string, seeds: number) {
  const runs: Record<string, number>[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const r = await runTraining(
      jobSpec(graph, join(work, `run-${variant}-${seed}`), seed, variant),
    );
    runs.push(r.test);
    const shown = METRICS.map((m) => `${m} ${r.test[m].toFixed(4)}`).join(', ');
    console.log(`${variant} seed ${seed}: ${shown}`);
  }
  return runs;
}

/** Medians of the model and of both baselines (same pairs) over the runs. */
function summarise(runs: Record<string, number>[]): Summary {
  const med = (k: string) => median(runs.map((t) => t[k]));
  const out: Summary = { model: {}, popularity: {}, seen_before: {} };
  for (const m of METRICS) {
    out.model[m] = med(m);
    out.popularity[m] = med(`popularity_${m}`);
    out.seen_before[m] = med(`seen_before_${m}`);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ratings: { type: 'string' },
      users: { type: 'string' },
      items: { type: 'string' },
      seeds: { type: 'string', default: '5' },
      variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
      out: { type: 'string' },
    },
  });
  const work = mkdtempSync(join(os.tmpdir(), 'weft-quality-user-item-'));
  const tables = tablesOf(values, work);
  const interactions = join(work, 'interactions.csv');
  const log = writeInteractions(await readRatings(tables.ratings), interactions);
  console.log(
    `${log.count} ratings; ${(100 * log.coldShare).toFixed(1)} % of test ratings from cold users`,
  );
  const inputs = join(work, 'graph.yaml');
  writeFileSync(inputs, inputsYaml(work, tables, interactions));
  const graph = join(work, 'graph');
  await buildTypedGraph({ inputs, out: graph });
  const variants = values.variants.split(',');
  const results: Record<string, { median: Summary; bar: Record<string, boolean>; runs: unknown }> =
    {};
  for (const v of variants) {
    if (!VARIANTS[v])
      throw new Error(`unknown variant '${v}'; one of ${Object.keys(VARIANTS).join(', ')}`);
    const runs = await runVariant(graph, work, v, Number(values.seeds));
    const s = summarise(runs);
    const beats = (m: string) => s.model[m] > s.popularity[m] && s.model[m] > s.seen_before[m];
    results[v] = { median: s, bar: { auc: beats('auc'), mrr: beats('mrr') }, runs };
    console.log(v, JSON.stringify({ median: s, bar: results[v].bar }));
    // Written after every variant, so a long run keeps what it has measured.
    writeResult(values.out ?? join(import.meta.dirname, 'results', 'user-item.json'), {
      ...runRecord(),
      bench: 'quality/user-item',
      data: { source: tables.source, ratings: log.count, coldTestShare: log.coldShare },
      protocol:
        'newest 10 % of ratings test, 10 % before them validation; 20 uniform negatives per test rating among all items, filtered; baselines on the same pairs',
      spec: jobSpec(graph, '', 0, 'plain'),
      variantOverrides: VARIANTS,
      seeds: Number(values.seeds),
      variants: results,
    });
  }
}

await main();
