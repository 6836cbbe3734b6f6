// GCN's symmetric normalisation on a sampled block (Kipf & Welling 2017, DGL's norm='both'): with a
// self loop per destination, out_i = Σ_{j ∈ N(i) ∪ {i}} h_j / sqrt(deg_in(i) · deg_out(j)), degrees in the block.
import type * as tf from '@tensorflow/tfjs-core';
import { csrMean, type CsrLike } from './csr-mean.js';
import { checkCsrShape } from './csr-shape.js';
import { ShapeError } from '../tf/errors.js';

/**
 * The block with a self loop added to every destination (last in its row) and each edge's weight
 * 1/sqrt(deg_in(i) · deg_out(j)), both degrees counted in the block with the self loops.
 */
export function gcnBlock(block: CsrLike): Required<CsrLike> {
  checkCsrShape(block);
  const { numDst, numSrc } = block;
  const degOut = new Float64Array(numSrc);
  for (let j = 0; j < numDst; j++) degOut[j] = 1;
  for (const j of block.indices) degOut[j]++;
  const indptr = new Int32Array(numDst + 1);
  const indices = new Int32Array(block.indices.length + numDst);
  const edgeWeight = new Float32Array(indices.length);
  let e = 0;
  for (let i = 0; i < numDst; i++) {
    const lo = block.indptr[i];
    const hi = block.indptr[i + 1];
    const inv = 1 / Math.sqrt(1 + hi - lo);
    for (let k = lo; k <= hi; k++) {
      const j = k < hi ? block.indices[k] : i;
      indices[e] = j;
      edgeWeight[e++] = inv / Math.sqrt(degOut[j]);
    }
    indptr[i + 1] = e;
  }
  return { numDst, numSrc, indptr, indices, edgeWeight };
}

/**
 * D_in^{-1/2} (A + I) D_out^{-1/2} h for the block's destinations (edge weights of the block
 * ignored): one weighted sum along the self-looped block. Differentiable in h.
 */
export function gcnAggregate(h: tf.Tensor2D, block: CsrLike): tf.Tensor2D {
  if (h.rank !== 2 || h.shape[0] !== block.numSrc)
    throw new ShapeError('h', `shape ${h.shape.join('×')}, block has numSrc = ${block.numSrc}`);
  return csrMean(h, gcnBlock(block), { reduce: 'sum', weighted: true });
}

/** float64 reference straight from the definition: degrees counted, then edge by edge. */
export function gcnAggregateReference(
  h: ArrayLike<number>,
  d: number,
  block: CsrLike,
): Float64Array {
  const degOut = new Float64Array(block.numSrc);
  const degIn = new Float64Array(block.numDst);
  const edges: [number, number][] = [];
  for (let i = 0; i < block.numDst; i++) {
    edges.push([i, i]);
    for (let k = block.indptr[i]; k < block.indptr[i + 1]; k++) edges.push([i, block.indices[k]]);
  }
  for (const [i, j] of edges) {
    degIn[i]++;
    degOut[j]++;
  }
  const out = new Float64Array(block.numDst * d);
  for (const [i, j] of edges)
    for (let c = 0; c < d; c++) out[i * d + c] += h[j * d + c] / Math.sqrt(degIn[i] * degOut[j]);
  return out;
}
