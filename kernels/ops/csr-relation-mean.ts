// csrRelationMean: per destination, [h_v | mean over relation 0 | … | mean over relation R−1] of its
// CSR neighbours' rows (R-GCN's c_{v,r} = |N_r(v)| normalisation), optionally each divided by the
// number of relations the destination has (mean over relations); one kernel each way; float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import type { CsrLike } from './csr-mean.js';
import { checkCsrShape } from './csr-shape.js';

/** A block whose edges carry their relation (edge type) ids. */
export interface TypedCsrLike extends CsrLike {
  /** Relation id of each edge, < numRelations. */
  edgeType: Uint8Array | Int32Array;
}

export interface CsrRelationMeanAttrs {
  indptr: Int32Array;
  indices: Int32Array;
  edgeType: Uint8Array | Int32Array;
  numDst: number;
  numSrc: number;
  numRelations: number;
  /** 'mean': every relation's mean divided by the relations present at the destination; 'sum': not. */
  across: RelationAggregate;
  /**
   * Output [(1+R)·numDst × d], part by part (all own rows, then every node's relation-0 mean, …)
   * instead of [numDst × (1+R)·d] row by row: ready for one batched matmul per part.
   */
  relationMajor: boolean;
}

/** Offset of destination i's part p (0: its own row, 1+r: relation r) in the output. */
function partAt(a: CsrRelationMeanAttrs, d: number, i: number, p: number): number {
  return a.relationMajor ? (p * a.numDst + i) * d : (i * (1 + a.numRelations) + p) * d;
}

/** How the per-relation messages of a destination combine: summed, or averaged over its relations. */
export type RelationAggregate = 'sum' | 'mean';

export const CSR_RELATION_MEAN = 'WeftCsrRelationMean';
export const CSR_RELATION_MEAN_GRAD = 'WeftCsrRelationMeanGrad';

/**
 * Per-relation degree of destination i into counts (length R); returns the factor of each relation's
 * mean: 1, or one over the number of relations present ('mean'; 0 when none is).
 */
export function relationDegrees(a: CsrRelationMeanAttrs, i: number, counts: Float64Array): number {
  counts.fill(0);
  for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) counts[a.edgeType[k]]++;
  if (a.across === 'sum') return 1;
  let present = 0;
  for (let t = 0; t < counts.length; t++) if (counts[t] > 0) present++;
  return present > 0 ? 1 / present : 0;
}

/** out: the destination's own row, then one mean per relation (0 when none), laid out as attrs say. */
export function csrRelationMeanInto(
  h: Float32Array,
  d: number,
  a: CsrRelationMeanAttrs,
  out: Float32Array,
): void {
  const R = a.numRelations;
  const width = (1 + R) * d;
  const counts = new Float64Array(R);
  const acc = new Float64Array(width);
  for (let i = 0; i < a.numDst; i++) {
    const across = relationDegrees(a, i, counts);
    acc.fill(0);
    for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
      const o = (1 + a.edgeType[k]) * d;
      const r = a.indices[k] * d;
      for (let j = 0; j < d; j++) acc[o + j] += h[r + j];
    }
    const self = partAt(a, d, i, 0);
    for (let j = 0; j < d; j++) out[self + j] = h[i * d + j];
    for (let t = 0; t < R; t++) {
      const scale = counts[t] > 0 ? across / counts[t] : 0;
      const o = (1 + t) * d;
      const at = partAt(a, d, i, 1 + t);
      for (let j = 0; j < d; j++) out[at + j] = acc[o + j] * scale;
    }
  }
}

/** The transpose: dh [numSrc × d] (zeroed) from dout in the forward's layout. */
export function csrRelationMeanGradInto(
  dout: Float32Array,
  d: number,
  a: CsrRelationMeanAttrs,
  dh: Float32Array,
): void {
  const counts = new Float64Array(a.numRelations);
  for (let i = 0; i < a.numDst; i++) {
    const self = partAt(a, d, i, 0);
    for (let j = 0; j < d; j++) dh[i * d + j] += dout[self + j];
    const across = relationDegrees(a, i, counts);
    for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
      const t = a.edgeType[k];
      const scale = across / counts[t];
      const o = partAt(a, d, i, 1 + t);
      const r = a.indices[k] * d;
      for (let j = 0; j < d; j++) dh[r + j] += dout[o + j] * scale;
    }
  }
}

registerJsKernel<CsrRelationMeanAttrs>({
  kernelName: CSR_RELATION_MEAN,
  inputNames: ['h'],
  outputs: ([h], a) => [
    {
      shape: a.relationMajor
        ? [(1 + a.numRelations) * a.numDst, h.shape[1]]
        : [a.numDst, (1 + a.numRelations) * h.shape[1]],
      dtype: 'float32',
      zeroed: false,
    },
  ],
  compute: ([h], [out], a, [hInfo]) =>
    timed('aggregate.relations', () =>
      csrRelationMeanInto(h as Float32Array, hInfo.shape[1], a, out as Float32Array),
    ),
});

/** d, the feature width, from the output gradient's shape. */
function widthOf(dy: { shape: number[] }, a: CsrRelationMeanAttrs): number {
  return a.relationMajor ? dy.shape[1] : dy.shape[1] / (1 + a.numRelations);
}

registerJsKernel<CsrRelationMeanAttrs>({
  kernelName: CSR_RELATION_MEAN_GRAD,
  inputNames: ['dy'],
  outputs: ([dy], a) => [{ shape: [a.numSrc, widthOf(dy, a)], dtype: 'float32', zeroed: true }],
  compute: ([dy], [dh], a, [dyInfo]) =>
    timed('aggregate.relations.transpose', () =>
      csrRelationMeanGradInto(dy as Float32Array, widthOf(dyInfo, a), a, dh as Float32Array),
    ),
});

tf.registerGradient({
  kernelName: CSR_RELATION_MEAN,
  gradFunc: (dy, _saved, attrs) => ({
    h: () =>
      runKernel1(
        CSR_RELATION_MEAN_GRAD,
        { dy: dy as tf.Tensor },
        attrs as unknown as CsrRelationMeanAttrs,
      ),
  }),
});

export function csrRelationMeanAttrs(
  block: TypedCsrLike,
  numRelations: number,
  across: RelationAggregate = 'sum',
  relationMajor = false,
): CsrRelationMeanAttrs {
  const { numDst, numSrc, indptr, indices, edgeType } = block;
  if (!Number.isInteger(numRelations) || numRelations < 1)
    throw new ShapeError('numRelations', `must be a positive integer, got ${numRelations}`);
  checkCsrShape(block);
  if (edgeType.length !== indices.length)
    throw new ShapeError('block.edgeType', `length ${edgeType.length}, expected ${indices.length}`);
  for (let k = 0; k < edgeType.length; k++)
    if (!(edgeType[k] >= 0 && edgeType[k] < numRelations))
      throw new ShapeError(
        'block.edgeType',
        `entry ${k} = ${edgeType[k]} outside [0, ${numRelations})`,
      );
  if (across !== 'sum' && across !== 'mean')
    throw new ShapeError('across', `must be 'sum' or 'mean', got ${String(across)}`);
  return { indptr, indices, edgeType, numDst, numSrc, numRelations, across, relationMajor };
}

/**
 * [h_v | mean_{u ∈ N_0(v)} h_u | … | mean_{u ∈ N_{R−1}(v)} h_u] for the block's destinations, so one
 * matmul with [W_self; W_0; …; W_{R−1}] is an R-GCN layer; with `across` 'mean' the relation parts
 * are divided by |R_v|, the relations v has. With relationMajor the parts come one after the other
 * ([(1+R)·numDst × d]). Differentiable in h; the block is data.
 */
export function csrRelationMean(
  h: tf.Tensor2D,
  block: TypedCsrLike,
  numRelations: number,
  across: RelationAggregate = 'sum',
  relationMajor = false,
): tf.Tensor2D {
  if (h.rank !== 2 || h.shape[0] !== block.numSrc)
    throw new ShapeError('h', `shape ${h.shape.join('×')}, block has numSrc = ${block.numSrc}`);
  return runKernel1(
    CSR_RELATION_MEAN,
    { h },
    csrRelationMeanAttrs(block, numRelations, across, relationMajor),
  ) as tf.Tensor2D;
}

/** float64 reference, straight from the definition: relation by relation, neighbour by neighbour. */
export function csrRelationMeanReference(
  h: ArrayLike<number>,
  d: number,
  block: TypedCsrLike,
  numRelations: number,
  across: RelationAggregate = 'sum',
): Float64Array {
  const width = (1 + numRelations) * d;
  const out = new Float64Array(block.numDst * width);
  for (let i = 0; i < block.numDst; i++) {
    for (let j = 0; j < d; j++) out[i * width + j] = h[i * d + j];
    const present = new Set<number>();
    for (let k = block.indptr[i]; k < block.indptr[i + 1]; k++) present.add(block.edgeType[k]);
    const share = across === 'mean' ? 1 / present.size : 1;
    for (let t = 0; t < numRelations; t++) {
      const us: number[] = [];
      for (let k = block.indptr[i]; k < block.indptr[i + 1]; k++)
        if (block.edgeType[k] === t) us.push(block.indices[k]);
      for (const u of us)
        for (let j = 0; j < d; j++)
          out[i * width + (1 + t) * d + j] += (share * h[u * d + j]) / us.length;
    }
  }
  return out;
}
