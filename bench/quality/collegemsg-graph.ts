// The CollegeMsg graph as the quality benchmarks train on it: its messages (real timestamps) and, as
// the graph has no node features, a fixed random vector per node (64 values, seed 0, identity only)
// with its in- and out-degree among the training-period messages (log scale; nothing later leaks).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { buildGraph } from '../../graph-store/build-graph.js';
import { Mulberry32 } from '../../runtime/prng.js';

export const COLLEGEMSG_DATA = resolve(import.meta.dirname, '../../../shared/data/collegemsg');
/** Share of the messages, oldest first, that count as training for the degree features. */
const TRAIN_SHARE = 0.7;
const RANDOM_DIM = 64;

/** Standard normal draws (Box–Muller) from a seeded generator. */
function gaussian(rng: Mulberry32): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Features as a .npy file: random identity vectors and training-period log degrees. */
function writeFeatures(edgesFile: string, file: string): number {
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

/** Builds the featured CollegeMsg graph into `dir` (once); undefined when the data is absent. */
export async function collegeMsgGraph(dir: string): Promise<string | undefined> {
  const edges = join(COLLEGEMSG_DATA, 'edges.tsv');
  if (!existsSync(edges)) return undefined;
  const graph = join(dir, 'graph');
  if (existsSync(graph)) return graph;
  mkdirSync(dir, { recursive: true });
  const features = join(dir, 'features.npy');
  writeFeatures(edges, features);
  await buildGraph({ edges, tsCol: 2, features, out: graph });
  return graph;
}

/**
 * The graph built in a fresh temporary folder named from `prefix`, or null (after saying so) where
 * the data is absent.
 */
export async function buildCollegeMsg(
  prefix: string,
): Promise<{ work: string; graph: string } | null> {
  const work = mkdtempSync(join(os.tmpdir(), prefix));
  const graph = await collegeMsgGraph(work);
  if (graph) return { work, graph };
  console.log(`skipped: CollegeMsg not found at ${COLLEGEMSG_DATA}`);
  return null;
}

/**
 * The CollegeMsg link job: newest 15 % test, 15 % before validation, cosine decoder, 5 negatives,
 * batches of 512 pairs, temporal sampling.
 */
export function collegeMsgSpec(
  name: string,
  graph: string,
  out: string,
  seed: number,
  epochs: number,
): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name: `${name}-${seed}`,
    graph,
    out,
    task: 'link',
    'model.decoder': 'cosine',
    'link.numNegatives': 5,
    'sampling.strategy': 'temporal',
    'sampling.batchSize': 512,
    'train.epochs': epochs,
    'train.seed': seed,
    'link.valFraction': 0.15,
    'link.testFraction': 0.15,
    'eval.maxNodes': 5000,
  });
}
