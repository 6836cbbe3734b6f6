// The first GraphSAGE layer's input, built where the features are read: for each block-0 destination
// v the row [x_v | mean_{u in N(v)} x_u], gathered and aggregated in one pass by global id.
import type { FeatureStore } from '../../graph-store/types.js';
import { csrAggregateRows, copySelfRows } from '../ops/csr-mean.js';

/** The CSR part of block 0 (local ids) and the local → global map of its sources. */
export interface FirstLayerBlock {
  numDst: number;
  numSrc: number;
  indptr: Int32Array;
  indices: Int32Array;
  edgeWeight?: Float32Array;
}

/** A feature store whose float32 rows can be read in place (SharedGraph with float32 features). */
interface DirectRows {
  readonly dtype: string;
  readonly features?: Float32Array | Uint16Array | Int8Array;
}

/**
 * Writes numDst rows of 2·dim floats into out: the destination's own features, then the (weighted)
 * mean of its sampled neighbours' features (zeros for a node without neighbours). The input
 * features carry no gradient, so this runs on the sampler's core instead of the trainer's, and the
 * trainer receives numDst rows instead of numSrc. Float32 stores are read in place; float16 and
 * int8 stores are gathered into `scratch` first.
 */
export function firstLayerInput(
  store: FeatureStore & DirectRows,
  nodes: Int32Array,
  block: FirstLayerBlock,
  out: Float32Array,
  weighted = true,
  scratch?: { buf: Float32Array },
): void {
  const d = store.dim;
  const numDst = block.numDst;
  const weights = weighted && block.edgeWeight ? block.edgeWeight : null;
  if (out.length < numDst * 2 * d)
    throw new RangeError(`first-layer buffer holds ${out.length} floats, need ${numDst * 2 * d}`);
  if (store.dtype !== 'float32' || !(store.features instanceof Float32Array)) {
    const need = block.numSrc * d;
    const s = scratch ?? { buf: new Float32Array(0) };
    if (s.buf.length < need) s.buf = new Float32Array(Math.ceil(need * 1.25));
    store.gather(nodes, block.numSrc, s.buf, 0);
    copySelfRows(s.buf, d, numDst, out, 2 * d);
    csrAggregateRows(s.buf, d, block.indptr, block.indices, weights, numDst, true, out, 2 * d, d);
    return;
  }
  gatherMeanRows(store.features, d, nodes, block.indptr, block.indices, weights, numDst, out);
}

/** The fused loop: rows read by global id through `nodes`, 8 columns at a time in float64 locals. */
function gatherMeanRows(
  x: Float32Array,
  d: number,
  nodes: Int32Array,
  indptr: Int32Array,
  indices: Int32Array,
  weights: Float32Array | null,
  numDst: number,
  out: Float32Array,
): void {
  const stride = 2 * d;
  const d8 = d - (d % 8);
  for (let i = 0; i < numDst; i++) {
    const o = i * stride;
    const self = nodes[i] * d;
    for (let j = 0; j < d; j++) out[o + j] = x[self + j];
    const s = indptr[i];
    const e = indptr[i + 1];
    let scale = e > s ? 1 / (e - s) : 0;
    if (weights !== null) {
      let wsum = 0;
      for (let k = s; k < e; k++) wsum += weights[k];
      scale = wsum !== 0 ? 1 / wsum : 0;
    }
    const on = o + d;
    for (let j = 0; j < d8; j += 8) {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        a4 = 0,
        a5 = 0,
        a6 = 0,
        a7 = 0;
      for (let k = s; k < e; k++) {
        const r = nodes[indices[k]] * d + j;
        const w = weights === null ? 1 : weights[k];
        a0 += w * x[r];
        a1 += w * x[r + 1];
        a2 += w * x[r + 2];
        a3 += w * x[r + 3];
        a4 += w * x[r + 4];
        a5 += w * x[r + 5];
        a6 += w * x[r + 6];
        a7 += w * x[r + 7];
      }
      out[on + j] = a0 * scale;
      out[on + j + 1] = a1 * scale;
      out[on + j + 2] = a2 * scale;
      out[on + j + 3] = a3 * scale;
      out[on + j + 4] = a4 * scale;
      out[on + j + 5] = a5 * scale;
      out[on + j + 6] = a6 * scale;
      out[on + j + 7] = a7 * scale;
    }
    for (let j = d8; j < d; j++) {
      let a = 0;
      for (let k = s; k < e; k++)
        a += (weights === null ? 1 : weights[k]) * x[nodes[indices[k]] * d + j];
      out[on + j] = a * scale;
    }
  }
}
