// Structural input features (model.structuralFeatures): each node's out- and in-degree over the
// edges training may see, log-scaled, appended to its features. They let a model learn popularity,
// which is most of what it can know about an item shown to a user it has never seen.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { linkSplit } from './link-split.js';

/** Columns appended: log out-degree, log in-degree (each scaled to [0, 1] by the largest). */
export const STRUCTURAL_COLUMNS = 2;

/** Rows gathered at a time while copying the stored features. */
const CHUNK = 1024;

/** Feature width the model reads for a graph whose stored width is `storedDim`. */
export function modelFeatureDim(spec: JobSpec, storedDim: number): number {
  return storedDim + (spec.model.structuralFeatures ? STRUCTURAL_COLUMNS : 0);
}

/**
 * The time before which edges count: a link job's first held-out interaction (its validation and
 * test edges and everything as late are never counted), or +Infinity for node tasks, whose whole
 * graph is visible to training.
 */
export function trainingCutoff(graph: SharedGraph, spec: JobSpec): number {
  if (spec.task !== 'link') return Infinity;
  const s = linkSplit(graph, spec.link.edgeType, spec.link.valFraction, spec.link.testFraction);
  return cutoffOfSplit(s.train.length, s.times);
}

/** The first held-out time of a link split whose `times` ascend with its `trainCount` edges first. */
export function cutoffOfSplit(trainCount: number, times: ArrayLike<number>): number {
  return trainCount < times.length ? times[trainCount] : Infinity;
}

/** Out- and in-degree of every node over the edges strictly before `cutoff` (untimed edges count). */
export function trainingDegrees(
  graph: SharedGraph,
  cutoff: number,
): { out: Float64Array; in: Float64Array } {
  const { indptr, indices, timestamps } = graph.csr;
  const n = graph.numNodes;
  const out = new Float64Array(n);
  const inn = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    for (let e = Number(indptr[v]); e < Number(indptr[v + 1]); e++) {
      if (timestamps && !(timestamps[e] < cutoff)) continue;
      out[v]++;
      inn[indices[e]]++;
    }
  }
  return { out, in: inn };
}

/** The largest value of `x` (0 when empty). */
export function maxOf(x: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  return max;
}

/** log1p(x) / log1p(max): 0 for no edges, 1 for the busiest node of the graph (`max`). */
export function logScaled(x: Float64Array, max: number): Float32Array {
  const scale = max > 0 ? 1 / Math.log1p(max) : 0;
  return Float32Array.from(x, (v) => Math.log1p(v) * scale);
}

/**
 * The graph with the structural columns appended to every feature row (a graph without features
 * gets them alone). Needs the whole graph; partition-owning samplers exchange their counts instead
 * (actors/sampler/partition-structural.ts).
 */
export function withStructuralFeatures(graph: SharedGraph, spec: JobSpec): SharedGraph {
  if (graph.partition)
    throw new ConfigError(
      'counts a whole graph; a partition gets its columns from partitionStructural, whose counts come from every part',
      { field: 'model.structuralFeatures' },
    );
  const deg = trainingDegrees(graph, trainingCutoff(graph, spec));
  return withColumns(graph, [logScaled(deg.out, maxOf(deg.out)), logScaled(deg.in, maxOf(deg.in))]);
}

/** The graph (or a part, by local row) with `cols` (one value per row each) after its features. */
export function withColumns(graph: SharedGraph, cols: readonly Float32Array[]): SharedGraph {
  const d = graph.dim;
  const width = d + cols.length;
  const n = graph.numNodes;
  const rows = new Float32Array(n * width);
  const buf = new Float32Array(CHUNK * Math.max(1, d));
  const ids = new Int32Array(CHUNK);
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    for (let i = 0; i < count; i++) ids[i] = start + i;
    if (d > 0) graph.gather(ids, count, buf, 0);
    for (let i = 0; i < count; i++) {
      const at = (start + i) * width;
      rows.set(buf.subarray(i * d, i * d + d), at);
      for (let c = 0; c < cols.length; c++) rows[at + d + c] = cols[c][start + i];
    }
  }
  return graph.withFeatures(rows, width);
}
