// Quality bar on CollegeMsg (../shared/data/collegemsg): temporal link prediction with the newest
// 15 % of messages as test and the 15 % before them as validation, each test message's receiver
// scored against 20 users drawn at random (filtered: the sender's other test partners are not
// negatives). The model must beat both baselines on the same pairs, destination popularity and
// "seen before", on AUC and MRR, median of 5 seeds.
//
// The graph has no node features. Each node gets a fixed random vector (64 values, seed 0, no
// information beyond identity: the GNN's neighbour mean of them says whom a node has talked to)
// and its in- and out-degree among the training-period messages (log scale; nothing from validation
// or test). Usage: npx tsx bench/quality/collegemsg.ts [--seeds 5] [--out FILE]
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildGraph } from '../../graph-store/build-graph.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { runTraining } from '../../actors/coordinator/train-job.js';
import { Mulberry32 } from '../../runtime/prng.js';
import { median, runRecord, writeResult } from './run-record.js';

const DATA = resolve(import.meta.dirname, '../../../shared/data/collegemsg');
const TRAIN_SHARE = 0.7;
const RANDOM_DIM = 64;

/** Standard normal draws (Box–Muller) from a seeded generator. */
function gaussian(rng: Mulberry32): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Features as a .npy file: random identity vectors and training-period log degrees. */
export function writeFeatures(edgesFile: string, file: string): number {
  const rows = readFileSync(edgesFile, 'utf8').trim().split('\n');
  const pairs = rows.map((l) => l.split('\t').map(Number));
  let n = 0;
  for (const [s, d] of pairs) n = Math.max(n, s + 1, d + 1);
  const numTrain = Math.floor(pairs.length * TRAIN_SHARE);
  const indeg = new Float64Array(n);
  const outdeg = new Float64Array(n);
  for (let e = 0; e < numTrain; e++) {
    outdeg[pairs[e][0]]++;
    indeg[pairs[e][1]]++;
  }
  const dim = RANDOM_DIM + 2;
  const x = new Float32Array(n * dim);
  const rng = new Mulberry32(0);
  for (let v = 0; v < n; v++) {
    for (let j = 0; j < RANDOM_DIM; j++) x[v * dim + j] = gaussian(rng) / 8;
    x[v * dim + RANDOM_DIM] = Math.log1p(indeg[v]) / 5;
    x[v * dim + RANDOM_DIM + 1] = Math.log1p(outdeg[v]) / 5;
  }
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${dim}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(header + ' '.repeat(pad) + '\n', 'latin1');
  const pre = Buffer.from([
    0x93,
    0x4e,
    0x55,
    0x4d,
    0x50,
    0x59,
    1,
    0,
    h.length & 255,
    h.length >> 8,
  ]);
  writeFileSync(file, Buffer.concat([pre, h, Buffer.from(x.buffer)]));
  return n;
}

export function jobSpec(graph: string, out: string, seed: number): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name: `collegemsg-${seed}`,
    graph,
    out,
    task: 'link',
    'model.decoder': 'cosine',
    'link.numNegatives': 5,
    'sampling.strategy': 'temporal',
    'sampling.batchSize': 512,
    'train.epochs': 2,
    'train.seed': seed,
    'link.valFraction': 0.15,
    'link.testFraction': 0.15,
    'eval.maxNodes': 5000,
  });
}

const METRICS = ['auc', 'mrr', 'hits@10'] as const;

/** The graph with its features built in a fresh folder, or undefined (said) without the data. */
export async function collegeMsgGraph(): Promise<{ work: string; graph: string } | undefined> {
  const edges = join(DATA, 'edges.tsv');
  if (!existsSync(edges)) {
    console.log(`skipped: CollegeMsg not found at ${DATA}`);
    return undefined;
  }
  const work = mkdtempSync(join(os.tmpdir(), 'weft-quality-collegemsg-'));
  const features = join(work, 'features.npy');
  writeFeatures(edges, features);
  const graph = join(work, 'graph');
  await buildGraph({ edges, tsCol: 2, features, out: graph });
  return { work, graph };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seeds: { type: 'string', default: '5' }, out: { type: 'string' } },
  });
  const built = await collegeMsgGraph();
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
