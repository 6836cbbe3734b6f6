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
  const first = s.train.length;
  return first < s.times.length ? s.times[first] : Infinity;
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

/** log1p(x) / log1p(max x): 0 for no edges, 1 for the busiest node. */
function logScaled(x: Float64Array): Float32Array {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  const scale = max > 0 ? 1 / Math.log1p(max) : 0;
  return Float32Array.from(x, (v) => Math.log1p(v) * scale);
}

/**
 * The graph with the structural columns appended to every feature row (a graph without features
 * gets them alone). Needs the whole graph: partitioned samplers cannot count every node's edges.
 */
export function withStructuralFeatures(graph: SharedGraph, spec: JobSpec): SharedGraph {
  if (graph.partition)
    throw new ConfigError(
      'model.structuralFeatures needs whole-graph samplers; with cluster.partitions compute degrees before weft graph build',
      { field: 'model.structuralFeatures' },
    );
  const deg = trainingDegrees(graph, trainingCutoff(graph, spec));
  const cols = [logScaled(deg.out), logScaled(deg.in)];
  const d = graph.dim;
  const width = d + STRUCTURAL_COLUMNS;
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
      for (let c = 0; c < STRUCTURAL_COLUMNS; c++) rows[at + d + c] = cols[c][start + i];
    }
  }
  return graph.withFeatures(rows, width);
}
