// csrMean: each destination row = mean (or sum, optionally edge-weighted) of its CSR neighbours' rows,
// one fused kernel forward and one for the gradient (the transposed aggregation); float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import { copyDestinationRows, csrRowNorm, csrWeightedMean } from './csr-weighted-mean.js';
import { nativeKernels } from '../native/addon.js';

/** The CSR part of a sampled block: dst i's neighbours are indices[indptr[i] .. indptr[i+1]). */
export interface CsrLike {
  numDst: number;
  numSrc: number;
  indptr: Int32Array;
  indices: Int32Array;
  edgeWeight?: Float32Array;
}

export interface CsrMeanOptions {
  /** 'mean' divides by the degree (or by the sum of edge weights); 'sum' does not. Default 'mean'. */
  reduce?: 'mean' | 'sum';
  /** Use block.edgeWeight when present. Default true. */
  weighted?: boolean;
  /**
   * Emit [h_dst | aggregate] (numDst × 2d) instead of the aggregate alone: GraphSAGE's self and
   * neighbour inputs side by side for one matmul, saving a slice and a concat and their gradients.
   * Relies on the block convention that destination nodes are the first numDst sources.
   */
  selfConcat?: boolean;
}

/** Attributes of the WeftCsrMean kernels (typed arrays ride along untouched). */
export interface CsrMeanAttrs {
  indptr: Int32Array;
  indices: Int32Array;
  edgeWeight: Float32Array | null;
  numDst: number;
  numSrc: number;
  mean: boolean;
  selfConcat: boolean;
}

export const CSR_MEAN = 'WeftCsrMean';
export const CSR_MEAN_GRAD = 'WeftCsrMeanGrad';

/** Calls of the transposed aggregation since start: lets tests prove data inputs get no gradient. */
export const csrMeanStats = { forwardCalls: 0, transposeCalls: 0 };

/**
 * Writes the aggregation of h (rows of width d, numSrc of them) into out: [h_dst | agg] rows of
 * width 2d with selfConcat, agg rows of width d otherwise. Shared by the tensor and the data kernels.
 */
export function csrMeanInto(h: Float32Array, d: number, a: CsrMeanAttrs, out: Float32Array): void {
  const rows = [h];
  const { indptr, indices, edgeWeight, numDst, mean } = a;
  if (a.selfConcat) {
    copyDestinationRows(rows, null, null, d, numDst, out, 2 * d);
    csrWeightedMean(rows, null, null, d, indptr, indices, edgeWeight, numDst, mean, out, 2 * d, d);
  } else {
    csrWeightedMean(rows, null, null, d, indptr, indices, edgeWeight, numDst, mean, out, d, 0);
  }
}

/**
 * The transpose of csrWeightedMean over one matrix: dh[indices[e]*d + j] += w_e * scale_i * dout[inOffset + i*inStride + j].
 * `dh` must be zeroed (or hold what should be added to). Blocked like the forward: the dst row's
 * 8 scaled gradient values stay in locals while they are added into each neighbour row.
 */
export function csrScatterRows(
  dout: Float32Array,
  inStride: number,
  inOffset: number,
  d: number,
  indptr: Int32Array,
  indices: Int32Array,
  weights: Float32Array | null,
  numDst: number,
  mean: boolean,
  dh: Float32Array,
): void {
  const addon = nativeKernels();
  if (addon !== null) {
    // Same order of additions and the same float64 arithmetic: the same bits (native/csr.cc).
    addon.csrScatter(indptr, indices, weights, numDst, d, mean, dout, dh, inStride, inOffset);
    return;
  }
  const d8 = d - (d % 8);
  for (let i = 0; i < numDst; i++) {
    const s = indptr[i];
    const e = indptr[i + 1];
    if (e === s) continue;
    let scale = 1;
    if (mean) {
      const norm = csrRowNorm(weights, s, e);
      if (norm === 0) continue;
      scale = 1 / norm;
    }
    const o = inOffset + i * inStride;
    for (let j = 0; j < d8; j += 8) {
      const g0 = dout[o + j] * scale,
        g1 = dout[o + j + 1] * scale;
      const g2 = dout[o + j + 2] * scale,
        g3 = dout[o + j + 3] * scale;
      const g4 = dout[o + j + 4] * scale,
        g5 = dout[o + j + 5] * scale;
      const g6 = dout[o + j + 6] * scale,
        g7 = dout[o + j + 7] * scale;
      if (weights === null) {
        for (let k = s; k < e; k++) {
          const r = indices[k] * d + j;
          dh[r] += g0;
          dh[r + 1] += g1;
          dh[r + 2] += g2;
          dh[r + 3] += g3;
          dh[r + 4] += g4;
          dh[r + 5] += g5;
          dh[r + 6] += g6;
          dh[r + 7] += g7;
        }
      } else {
        for (let k = s; k < e; k++) {
          const r = indices[k] * d + j;
          const w = weights[k];
          dh[r] += w * g0;
          dh[r + 1] += w * g1;
          dh[r + 2] += w * g2;
          dh[r + 3] += w * g3;
          dh[r + 4] += w * g4;
          dh[r + 5] += w * g5;
          dh[r + 6] += w * g6;
          dh[r + 7] += w * g7;
        }
      }
    }
    for (let j = d8; j < d; j++) {
      const g = dout[o + j] * scale;
      if (weights === null) for (let k = s; k < e; k++) dh[indices[k] * d + j] += g;
      else for (let k = s; k < e; k++) dh[indices[k] * d + j] += weights[k] * g;
    }
  }
}

registerJsKernel<CsrMeanAttrs>({
  kernelName: CSR_MEAN,
  inputNames: ['h'],
  outputs: ([h], a) => [
    { shape: [a.numDst, (a.selfConcat ? 2 : 1) * h.shape[1]], dtype: 'float32', zeroed: false },
  ],
  compute: ([h], [out], a, [hInfo]) =>
    timed('aggregate', () => {
      csrMeanStats.forwardCalls++;
      csrMeanInto(h as Float32Array, hInfo.shape[1], a, out as Float32Array);
    }),
});

registerJsKernel<CsrMeanAttrs>({
  kernelName: CSR_MEAN_GRAD,
  inputNames: ['dy'],
  outputs: ([dy], a) => [
    {
      shape: [a.numSrc, a.selfConcat ? dy.shape[1] / 2 : dy.shape[1]],
      dtype: 'float32',
      zeroed: true,
    },
  ],
  compute: ([dy], [dh], a, [dyInfo]) =>
    timed('aggregate.transpose', () => {
      csrMeanStats.transposeCalls++;
      const dyv = dy as Float32Array;
      const dhv = dh as Float32Array;
      if (a.selfConcat) {
        const d = dyInfo.shape[1] / 2;
        for (let i = 0; i < a.numDst; i++) {
          const o = i * 2 * d;
          const r = i * d;
          for (let j = 0; j < d; j++) dhv[r + j] = dyv[o + j];
        }
        csrScatterRows(dyv, 2 * d, d, d, a.indptr, a.indices, a.edgeWeight, a.numDst, a.mean, dhv);
      } else {
        const d = dyInfo.shape[1];
        csrScatterRows(dyv, d, 0, d, a.indptr, a.indices, a.edgeWeight, a.numDst, a.mean, dhv);
      }
    }),
});

tf.registerGradient({
  kernelName: CSR_MEAN,
  gradFunc: (dy, _saved, attrs) => ({
    h: () => runKernel1(CSR_MEAN_GRAD, { dy: dy as tf.Tensor }, attrs as unknown as CsrMeanAttrs),
  }),
});

export function csrMeanAttrs(block: CsrLike, opts: CsrMeanOptions = {}): CsrMeanAttrs {
  const { numDst, numSrc, indptr, indices } = block;
  if (indptr.length !== numDst + 1)
    throw new ShapeError(
      'block.indptr',
      `length ${indptr.length}, expected numDst+1 = ${numDst + 1}`,
    );
  if (indptr[numDst] !== indices.length)
    throw new ShapeError(
      'block.indices',
      `length ${indices.length}, indptr ends at ${indptr[numDst]}`,
    );
  const weighted = (opts.weighted ?? true) && block.edgeWeight !== undefined;
  if (weighted && block.edgeWeight!.length !== indices.length)
    throw new ShapeError(
      'block.edgeWeight',
      `length ${block.edgeWeight!.length}, expected ${indices.length}`,
    );
  if (opts.selfConcat && numDst > numSrc)
    throw new ShapeError('block.numDst', `${numDst} destinations but only ${numSrc} sources`);
  return {
    indptr,
    indices,
    edgeWeight: weighted ? block.edgeWeight! : null,
    numDst,
    numSrc,
    mean: (opts.reduce ?? 'mean') === 'mean',
    selfConcat: opts.selfConcat ?? false,
  };
}

/**
 * Aggregates the rows of h [numSrc × d] over the block's edges into [numDst × d] (or
 * [numDst × 2d] with selfConcat). Differentiable with respect to h; the block is data.
 */
export function csrMean(h: tf.Tensor, block: CsrLike, opts: CsrMeanOptions = {}): tf.Tensor2D {
  if (h.rank !== 2) throw new ShapeError('h', `rank ${h.rank}, expected 2`);
  if (h.shape[0] !== block.numSrc)
    throw new ShapeError('h', `${h.shape[0]} rows, block has numSrc = ${block.numSrc}`);
  return runKernel1(CSR_MEAN, { h }, csrMeanAttrs(block, opts)) as tf.Tensor2D;
}

/** The references' attributes and output row layout: `width` values per row, aggregate from `off`. */
function referenceLayout(block: CsrLike, opts: CsrMeanOptions, d: number) {
  const a = csrMeanAttrs(block, opts);
  return { a, width: a.selfConcat ? 2 * d : d, off: a.selfConcat ? d : 0 };
}

/** float64 reference of csrMean (with selfConcat support), straight from the definition. */
export function csrMeanReference(
  h: ArrayLike<number>,
  d: number,
  block: CsrLike,
  opts: CsrMeanOptions = {},
): Float64Array {
  const { a, width, off } = referenceLayout(block, opts, d);
  const out = new Float64Array(a.numDst * width);
  for (let i = 0; i < a.numDst; i++) {
    if (a.selfConcat) for (let j = 0; j < d; j++) out[i * width + j] = h[i * d + j];
    let norm = 0;
    for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
      const w = a.edgeWeight === null ? 1 : a.edgeWeight[k];
      norm += w;
      for (let j = 0; j < d; j++) out[i * width + off + j] += w * h[a.indices[k] * d + j];
    }
    if (a.mean)
      for (let j = 0; j < d; j++)
        out[i * width + off + j] = norm !== 0 ? out[i * width + off + j] / norm : 0;
  }
  return out;
}

/** float64 reference of the gradient: dh = A^T dout, where A is the (normalised) aggregation matrix. */
export function csrMeanTransposeReference(
  dout: ArrayLike<number>,
  d: number,
  block: CsrLike,
  opts: CsrMeanOptions = {},
): Float64Array {
  const { a, width, off } = referenceLayout(block, opts, d);
  const dh = new Float64Array(a.numSrc * d);
  for (let i = 0; i < a.numDst; i++) {
    if (a.selfConcat) for (let j = 0; j < d; j++) dh[i * d + j] += dout[i * width + j];
    let norm = 0;
    for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++)
      norm += a.edgeWeight === null ? 1 : a.edgeWeight[k];
    if (norm === 0 && a.mean) continue;
    for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
      const w = (a.edgeWeight === null ? 1 : a.edgeWeight[k]) / (a.mean ? norm : 1);
      for (let j = 0; j < d; j++) dh[a.indices[k] * d + j] += w * dout[i * width + off + j];
    }
  }
  return dh;
}
