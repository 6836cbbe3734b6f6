// `weft graph synth --kind powerlaw`: a directed Chung-Lu graph (node weight (rank+1)^-alpha, ranks
// shuffled over ids) with homophilous classes and class-centroid features, fully determined by the seed.
import { ConfigError } from '../runtime/errors.js';
import { AliasSegments } from './alias-table.js';
import { allocOffsets } from './csr-builder.js';
import { baseManifest, writeEdgeType } from './graph-arrays-writer.js';
import { finishSynthGraph, type SynthWriteOptions } from './synth-output.js';
import { writeGraphDir } from './graph-writer.js';
import type { GraphManifest } from './manifest.js';
import { Xoshiro128Float } from '../runtime/prng.js';
import { sortRows, type CsrArrays } from './row-sort.js';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from './types.js';

export interface PowerlawOptions {
  nodes: number;
  edges: number;
  featureDim: number;
  classes: number;
  seed: number;
  /** Weight exponent: node of rank r has weight (r+1)^-alpha; degree tail exponent 1 + 1/alpha. */
  alpha?: number;
  /** Probability that an edge's destination is drawn from the source's class. */
  homophily?: number;
  /** Standard deviation of feature noise around the class centroid (centroid entries are N(0,1)). */
  noise?: number;
  trainFraction?: number;
  valFraction?: number;
}

export const POWERLAW_DEFAULTS = {
  alpha: 0.8,
  homophily: 0.8,
  trainFraction: 0.6,
  valFraction: 0.2,
};

/** Noise that puts nearest-centroid accuracy on one node's features near one half for 8 classes. */
export function defaultPowerlawNoise(dim: number): number {
  return Math.sqrt(dim / 2) / 1.3;
}

export interface PowerlawTopology {
  csr: CsrArrays;
  labels: Int32Array;
  split: Uint8Array;
}

function check(o: PowerlawOptions): void {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new ConfigError(`must be an integer >= ${min}, got ${v}`, { field: name });
  };
  int(o.nodes, '--nodes', 2);
  if (o.nodes >= 2 ** 32 - 1) throw new ConfigError('must be below 2^32 - 1', { field: '--nodes' });
  int(o.edges, '--edges', 0);
  if (o.edges > (o.nodes * (o.nodes - 1)) / 2)
    throw new ConfigError(`too many edges for ${o.nodes} nodes without duplicates`, {
      field: '--edges',
    });
  int(o.featureDim, '--feature-dim', 0);
  int(o.classes, '--classes', 1);
  if (o.classes > 65535) throw new ConfigError('at most 65535 classes', { field: '--classes' });
  const alpha = o.alpha ?? POWERLAW_DEFAULTS.alpha;
  if (!(alpha >= 0 && alpha < 5))
    throw new ConfigError(`must be in [0, 5), got ${alpha}`, { field: '--alpha' });
  const h = o.homophily ?? POWERLAW_DEFAULTS.homophily;
  if (!(h >= 0 && h <= 1))
    throw new ConfigError(`must be in [0, 1], got ${h}`, { field: '--homophily' });
}

/**
 * Edges, labels and split. Out-degrees are a multinomial draw over the weights (exactly `edges` in
 * total); each row then draws distinct destinations, from the source's class with probability
 * `homophily`, else from all nodes, both by weight; no self-loops, no duplicate edges.
 */
export function generatePowerlawTopology(o: PowerlawOptions): PowerlawTopology {
  check(o);
  const n = o.nodes;
  const numClasses = o.classes;
  const alpha = o.alpha ?? POWERLAW_DEFAULTS.alpha;
  const homophily = o.homophily ?? POWERLAW_DEFAULTS.homophily;

  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  new Xoshiro128Float(o.seed, 1).shuffle(perm);
  const weight = new Float64Array(n);
  for (let r = 0; r < n; r++) weight[perm[r]] = Math.pow(r + 1, -alpha);

  const rngClass = new Xoshiro128Float(o.seed, 2);
  const labels = new Int32Array(n);
  for (let v = 0; v < n; v++) labels[v] = rngClass.below(numClasses);

  const small = new Uint32Array(n);
  const large = new Uint32Array(n);
  const global = new AliasSegments(n);
  global.build(weight, 0, n, small, large);
  // Nodes grouped by class (ascending id inside a class), one alias segment per class.
  const classStart = new Float64Array(numClasses + 1);
  for (let v = 0; v < n; v++) classStart[labels[v] + 1]++;
  for (let c = 0; c < numClasses; c++) classStart[c + 1] += classStart[c];
  const classNodes = new Uint32Array(n);
  const classWeight = new Float64Array(n);
  const fillAt = classStart.slice(0, numClasses);
  for (let v = 0; v < n; v++) {
    const p = fillAt[labels[v]]++;
    classNodes[p] = v;
    classWeight[p] = weight[v];
  }
  const byClass = new AliasSegments(n);
  for (let c = 0; c < numClasses; c++)
    if (classStart[c + 1] > classStart[c])
      byClass.build(classWeight, classStart[c], classStart[c + 1], small, large);

  const rngDeg = new Xoshiro128Float(o.seed, 3);
  const deg = new Uint32Array(n);
  for (let e = 0; e < o.edges; e++) deg[global.sample(rngDeg, 0, n)]++;
  // A row holds at most n - 1 distinct neighbours; move any excess to rows with room.
  let excess = 0;
  for (let v = 0; v < n; v++)
    if (deg[v] > n - 1) {
      excess += deg[v] - (n - 1);
      deg[v] = n - 1;
    }
  while (excess > 0) {
    const v = rngDeg.below(n);
    if (deg[v] < n - 1) {
      deg[v]++;
      excess--;
    }
  }

  const indptr = allocOffsets(n, o.edges);
  for (let v = 0; v < n; v++) indptr[v + 1] = indptr[v] + deg[v];
  const indices = new Uint32Array(o.edges);
  const mark = new Uint32Array(n); // mark[v] === u + 1: v already in row u (or v === u)
  const rng = new Xoshiro128Float(o.seed, 4);
  let p = 0;
  for (let u = 0; u < n; u++) {
    const stamp = u + 1;
    mark[u] = stamp;
    const c = labels[u];
    const cs = classStart[c];
    const ce = classStart[c + 1];
    const d = deg[u];
    for (let k = 0; k < d; k++) {
      let v: number;
      for (let tries = 0; ; tries++) {
        // Weighted draws first; a row that has used up its class (or the heavy nodes) falls back to
        // uniform draws, which always find a free node because d <= n - 1.
        if (tries < 8)
          v =
            rng.next() < homophily
              ? classNodes[byClass.sample(rng, cs, ce)]
              : global.sample(rng, 0, n);
        else if (tries < 16) v = global.sample(rng, 0, n);
        else v = rng.below(n);
        if (mark[v] !== stamp) break;
      }
      mark[v] = stamp;
      indices[p++] = v;
    }
  }
  const csr: CsrArrays = { numRows: n, indptr, indices };
  sortRows(csr, false);

  const rngSplit = new Xoshiro128Float(o.seed, 6);
  const train = o.trainFraction ?? POWERLAW_DEFAULTS.trainFraction;
  const val = o.valFraction ?? POWERLAW_DEFAULTS.valFraction;
  const split = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const r = rngSplit.next();
    split[v] = r < train ? SPLIT_TRAIN : r < train + val ? SPLIT_VAL : SPLIT_TEST;
  }
  return { csr, labels, split };
}

/** Feature rows in node order: class centroid (entries N(0,1)) plus N(0, noise^2) per value. */
export class PowerlawFeatures {
  readonly centroids: Float32Array;
  private readonly rng: Xoshiro128Float;
  private next = 0;

  constructor(
    private readonly o: PowerlawOptions,
    private readonly labels: Int32Array,
  ) {
    this.rng = new Xoshiro128Float(o.seed, 5);
    this.centroids = new Float32Array(o.classes * o.featureDim);
    for (let i = 0; i < this.centroids.length; i++) this.centroids[i] = this.rng.normal();
  }

  /** Writes the next `rows` rows into `out`; returns how many were written (0 at the end). */
  fill(out: Float32Array, rows: number): number {
    const dim = this.o.featureDim;
    const noise = this.o.noise ?? defaultPowerlawNoise(dim);
    const count = Math.min(rows, this.o.nodes - this.next);
    const rng = this.rng;
    for (let i = 0; i < count; i++) {
      const c = this.labels[this.next + i] * dim;
      const o = i * dim;
      for (let k = 0; k < dim; k++) out[o + k] = this.centroids[c + k] + noise * rng.normal();
    }
    this.next += count;
    return count;
  }
}

/** Generates the graph into `out` (temporary folder, renamed when complete); returns the manifest. */
export async function synthPowerlaw(
  o: PowerlawOptions,
  out: string,
  opts: SynthWriteOptions = {},
): Promise<GraphManifest> {
  check(o);
  return writeGraphDir(out, { replace: opts.replace }, async (w) => {
    opts.onProgress?.('edges', 0, 1);
    const topo = generatePowerlawTopology(o);
    opts.onProgress?.('edges', 1, 1);
    const et = writeEdgeType(w, { src: 'node', rel: 'to', dst: 'node' }, topo.csr);
    const m = baseManifest([{ name: 'node', offset: 0, count: o.nodes }], [et], {
      generator: 'weft graph synth',
      kind: 'powerlaw',
      nodes: o.nodes,
      edges: o.edges,
      featureDim: o.featureDim,
      classes: o.classes,
      seed: o.seed,
      alpha: o.alpha ?? POWERLAW_DEFAULTS.alpha,
      homophily: o.homophily ?? POWERLAW_DEFAULTS.homophily,
      noise: o.noise ?? defaultPowerlawNoise(o.featureDim),
    });
    return finishSynthGraph(
      w,
      m,
      {
        dim: o.featureDim,
        features: () => new PowerlawFeatures(o, topo.labels),
        labels: topo.labels,
        split: topo.split,
      },
      opts,
    );
  });
}
