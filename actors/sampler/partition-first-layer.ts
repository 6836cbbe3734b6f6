// The fused first-layer input of a partitioned batch, read where the rows lie: owned rows in the part's
// float32 features, the others in the owners' replies, so no row is copied into a staging buffer first.
import type { FirstLayerBlock } from '../../kernels/gather/first-layer-input.js';

/**
 * Writes numDst rows of 2·d floats into out: node i's own row, then the (weighted) mean of its
 * sampled neighbours' rows, with exactly the arithmetic of firstLayerInput's float32 path (8 columns
 * at a time in float64 locals, in edge order), so the record is byte-identical to the whole graph's.
 * Local node l's row is rows[src[l]] from offset off[l].
 */
export function fusedMeanFromSources(
  rows: readonly Float32Array[],
  src: Int32Array,
  off: Float64Array,
  d: number,
  block: FirstLayerBlock,
  out: Float32Array,
): void {
  const { numDst, indptr, indices } = block;
  const weights = block.edgeWeight ?? null;
  if (out.length < numDst * 2 * d)
    throw new RangeError(`first-layer buffer holds ${out.length} floats, need ${numDst * 2 * d}`);
  const stride = 2 * d;
  const d8 = d - (d % 8);
  for (let i = 0; i < numDst; i++) {
    const o = i * stride;
    const xs = rows[src[i]];
    const self = off[i];
    for (let j = 0; j < d; j++) out[o + j] = xs[self + j];
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
        const u = indices[k];
        const x = rows[src[u]];
        const r = off[u] + j;
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
      for (let k = s; k < e; k++) {
        const u = indices[k];
        a += (weights === null ? 1 : weights[k]) * rows[src[u]][off[u] + j];
      }
      out[on + j] = a * scale;
    }
  }
}
