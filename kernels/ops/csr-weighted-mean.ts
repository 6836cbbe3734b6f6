// csrWeightedMean: for each destination row, the mean (or sum), optionally edge-weighted, of its CSR
// neighbours' feature rows, wherever those rows lie; the one loop behind every CSR aggregation.

import { nativeKernels } from '../native/addon.js';

/**
 * Sum of the weights of edges [s, e), or their count when unweighted: the mean's denominator.
 * Float64 accumulation in edge order, the order every aggregation and its transpose rely on.
 */
export function csrRowNorm(weights: Float32Array | null, s: number, e: number): number {
  if (weights === null) return e - s;
  let wsum = 0;
  for (let k = s; k < e; k++) wsum += weights[k];
  return wsum;
}

/**
 * out[outOffset + i*outStride + j] = (1/norm_i if mean) · Σ_e w_e · x_u[j] over the edges e of
 * destination i < numDst (u = indices[e], w_e = weights[e] or 1), for j < d; 0 for an empty row.
 *
 * Local node u's row starts at sources[sourceOf[u]][rowOffset[u]]; sourceOf null means every row is
 * in sources[0], rowOffset null means u's row starts at u·d. Rows may therefore lie in one matrix,
 * in a feature store indexed by global id, or across several arrays (a partition and its peers'
 * replies) without being copied first.
 *
 * Register-blocked over 8 columns with float64 locals: each neighbour row is read once per block
 * and the output row is written once, which is what makes this 3x faster than the naive loop. The
 * arithmetic (float64 sums in edge order, one multiply by the scale) is the same for every layout,
 * so a batch built from a partition is byte-identical to the whole graph's.
 */
export function csrWeightedMean(
  sources: readonly Float32Array[],
  sourceOf: Int32Array | null,
  rowOffset: Float64Array | null,
  d: number,
  indptr: Int32Array,
  indices: Int32Array,
  weights: Float32Array | null,
  numDst: number,
  mean: boolean,
  out: Float32Array,
  outStride: number,
  outOffset: number,
): void {
  const x0 = sources[0];
  const addon = nativeKernels();
  // One matrix: the native loop, same arithmetic and so the same bits (native/csr.cc).
  if (addon !== null && sourceOf === null && rowOffset === null) {
    addon.csrMean(indptr, indices, weights, numDst, d, mean, x0, out, outStride, outOffset);
    return;
  }
  const d8 = d - (d % 8);
  for (let i = 0; i < numDst; i++) {
    const s = indptr[i];
    const e = indptr[i + 1];
    let scale = 1;
    if (mean) {
      const norm = csrRowNorm(weights, s, e);
      scale = norm !== 0 ? 1 / norm : 0;
    }
    const o = outOffset + i * outStride;
    for (let j = 0; j < d8; j += 8) {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        a4 = 0,
        a5 = 0,
        a6 = 0,
        a7 = 0;
      // Unweighted rows skip the multiply: a separate loop, not a per-edge test (25% of the time).
      if (weights === null) {
        for (let k = s; k < e; k++) {
          const u = indices[k];
          const x = sourceOf === null ? x0 : sources[sourceOf[u]];
          const r = (rowOffset === null ? u * d : rowOffset[u]) + j;
          a0 += x[r];
          a1 += x[r + 1];
          a2 += x[r + 2];
          a3 += x[r + 3];
          a4 += x[r + 4];
          a5 += x[r + 5];
          a6 += x[r + 6];
          a7 += x[r + 7];
        }
      } else {
        for (let k = s; k < e; k++) {
          const u = indices[k];
          const x = sourceOf === null ? x0 : sources[sourceOf[u]];
          const r = (rowOffset === null ? u * d : rowOffset[u]) + j;
          const w = weights[k];
          a0 += w * x[r];
          a1 += w * x[r + 1];
          a2 += w * x[r + 2];
          a3 += w * x[r + 3];
          a4 += w * x[r + 4];
          a5 += w * x[r + 5];
          a6 += w * x[r + 6];
          a7 += w * x[r + 7];
        }
      }
      out[o + j] = a0 * scale;
      out[o + j + 1] = a1 * scale;
      out[o + j + 2] = a2 * scale;
      out[o + j + 3] = a3 * scale;
      out[o + j + 4] = a4 * scale;
      out[o + j + 5] = a5 * scale;
      out[o + j + 6] = a6 * scale;
      out[o + j + 7] = a7 * scale;
    }
    for (let j = d8; j < d; j++) {
      let a = 0;
      for (let k = s; k < e; k++) {
        const u = indices[k];
        const x = sourceOf === null ? x0 : sources[sourceOf[u]];
        const r = (rowOffset === null ? u * d : rowOffset[u]) + j;
        a += (weights === null ? 1 : weights[k]) * x[r];
      }
      out[o + j] = a * scale;
    }
  }
}

/**
 * out[i*outStride + j] = x_i[j] for i < numDst, j < d: the destinations' own rows beside their
 * neighbours' mean (GraphSAGE's [h_v | mean h_u]), addressed as in csrWeightedMean.
 */
export function copyDestinationRows(
  sources: readonly Float32Array[],
  sourceOf: Int32Array | null,
  rowOffset: Float64Array | null,
  d: number,
  numDst: number,
  out: Float32Array,
  outStride: number,
): void {
  for (let i = 0; i < numDst; i++) {
    const x = sourceOf === null ? sources[0] : sources[sourceOf[i]];
    const r = rowOffset === null ? i * d : rowOffset[i];
    const o = i * outStride;
    for (let j = 0; j < d; j++) out[o + j] = x[r + j];
  }
}
