// Row normalisation of node features (model.featureNorm): each node's feature row divided by its sum,
// as GCN and GraphSAGE preprocess bag-of-words features, so a long document does not outweigh a short
// one. Applied when a job opens its graph, as a per-node factor on gathered rows (the stored features
// are untouched); 'auto' is settled from the data before the job starts (see small-labelled.ts).
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphManifest } from '../../graph-store/manifest.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import type { JobSpec } from '../job-spec.js';
import { withStructuralFeatures } from './structural-features.js';

/** Rows gathered at a time while summing. */
const CHUNK = 1024;

/** Per node, 1 / (sum of its feature row), or 1 where the sum is not positive (an empty row). */
export function rowSumScales(graph: SharedGraph): Float32Array {
  const n = graph.numNodes;
  const d = graph.dim;
  const scales = new Float32Array(n).fill(1);
  const buf = new Float32Array(CHUNK * d);
  const ids = new Int32Array(CHUNK);
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    for (let i = 0; i < count; i++) ids[i] = start + i;
    graph.gather(ids, count, buf, 0);
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let j = i * d; j < i * d + d; j++) s += buf[j];
      if (s > 0) scales[start + i] = 1 / s;
    }
  }
  return scales;
}

/**
 * The job's graph as the model reads it: rows normalised when model.featureNorm is 'row', then
 * structural columns appended when model.structuralFeatures is on.
 */
export function jobGraph(graph: SharedGraph, spec: JobSpec): SharedGraph {
  const normalised =
    spec.model.featureNorm !== 'row' || graph.dim === 0 || graph.rowScales
      ? graph
      : graph.withRowScales(rowSumScales(graph));
  return spec.model.structuralFeatures ? withStructuralFeatures(normalised, spec) : normalised;
}

/** Bytes of the stored value that hold its sign bit, and the value width, per stored dtype. */
const SIGN_BYTE = { float32: [3, 4], float16: [1, 2], int8: [0, 1] } as const;

/**
 * Whether no stored feature is negative (counts, bag-of-words, TF-IDF), read from the feature file
 * alone: the sign bit of every value.
 */
export function featuresNonNegative(dir: string, m: GraphManifest): boolean {
  if (!m.features) return false;
  const [at, width] = SIGN_BYTE[m.features.dtype];
  const fd = openSync(join(dir, m.features.file.path), 'r');
  try {
    const buf = Buffer.alloc(width * (1 << 16));
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) return true;
      for (let i = at; i < got; i += width) if (buf[i] & 0x80) return false;
    }
  } finally {
    closeSync(fd);
  }
}
