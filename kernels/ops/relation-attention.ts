// relationAttention: per destination, its per-relation messages m_r combined with a softmax of their
// scores s_r over the relations it has in the block (HAN's semantic attention, per node); one kernel
// each way, float64 softmax, and a float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import {
  csrRelationMeanAttrs,
  relationDegrees,
  type CsrRelationMeanAttrs,
  type TypedCsrLike,
} from './csr-relation-mean.js';

export const RELATION_ATTENTION = 'WeftRelationAttention';
export const RELATION_ATTENTION_GRAD = 'WeftRelationAttentionGrad';

/**
 * Calls visit(v, alpha) for each destination v, alpha (length R) the softmax of s[r·N + v] over
 * the relations present at v and 0 for the others (all 0 when v has no neighbour).
 */
function forEachDestination(
  s: Float32Array,
  a: CsrRelationMeanAttrs,
  visit: (v: number, alpha: Float64Array) => void,
): void {
  const R = a.numRelations;
  const n = a.numDst;
  const counts = new Float64Array(R);
  const alpha = new Float64Array(R);
  for (let v = 0; v < n; v++) {
    relationDegrees(a, v, counts);
    let max = -Infinity;
    for (let r = 0; r < R; r++) if (counts[r] > 0) max = Math.max(max, s[r * n + v]);
    let z = 0;
    for (let r = 0; r < R; r++) {
      alpha[r] = counts[r] > 0 ? Math.exp(s[r * n + v] - max) : 0;
      z += alpha[r];
    }
    for (let r = 0; r < R; r++) alpha[r] = z > 0 ? alpha[r] / z : 0;
    visit(v, alpha);
  }
}

/** out [N × d] = Σ_r α_vr · m[r, v, :], m [R × N × d], s [R × N]. */
export function relationAttentionInto(
  m: Float32Array,
  s: Float32Array,
  d: number,
  a: CsrRelationMeanAttrs,
  out: Float32Array,
): void {
  const n = a.numDst;
  const acc = new Float64Array(d);
  forEachDestination(s, a, (v, alpha) => {
    acc.fill(0);
    for (let r = 0; r < alpha.length; r++) {
      if (alpha[r] === 0) continue;
      const o = (r * n + v) * d;
      for (let j = 0; j < d; j++) acc[j] += alpha[r] * m[o + j];
    }
    for (let j = 0; j < d; j++) out[v * d + j] = acc[j];
  });
}

/** dm [R × N × d] = α·dy, ds [R × N] = α(g − Σ α g) with g_r = ⟨dy_v, m_rv⟩; 0 off the relations present. */
export function relationAttentionGradInto(
  dy: Float32Array,
  m: Float32Array,
  s: Float32Array,
  d: number,
  a: CsrRelationMeanAttrs,
  dm: Float32Array,
  ds: Float32Array,
): void {
  const n = a.numDst;
  const g = new Float64Array(a.numRelations);
  forEachDestination(s, a, (v, alpha) => {
    let mean = 0;
    for (let r = 0; r < alpha.length; r++) {
      const o = (r * n + v) * d;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        dot += dy[v * d + j] * m[o + j];
        dm[o + j] = alpha[r] * dy[v * d + j];
      }
      g[r] = dot;
      mean += alpha[r] * dot;
    }
    for (let r = 0; r < alpha.length; r++) ds[r * n + v] = alpha[r] * (g[r] - mean);
  });
}

registerJsKernel<CsrRelationMeanAttrs>({
  kernelName: RELATION_ATTENTION,
  inputNames: ['m', 's'],
  outputs: ([m], a) => [{ shape: [a.numDst, m.shape[2]], dtype: 'float32', zeroed: false }],
  compute: ([m, s], [out], a, [mInfo]) =>
    timed('aggregate.relations.attention', () =>
      relationAttentionInto(
        m as Float32Array,
        s as Float32Array,
        mInfo.shape[2],
        a,
        out as Float32Array,
      ),
    ),
});

registerJsKernel<CsrRelationMeanAttrs>({
  kernelName: RELATION_ATTENTION_GRAD,
  inputNames: ['dy', 'm', 's'],
  outputs: ([, m, s]) => [
    { shape: m.shape, dtype: 'float32', zeroed: false },
    { shape: s.shape, dtype: 'float32', zeroed: false },
  ],
  compute: ([dy, m, s], [dm, ds], a, [, mInfo]) =>
    timed('aggregate.relations.attention.grad', () =>
      relationAttentionGradInto(
        dy as Float32Array,
        m as Float32Array,
        s as Float32Array,
        mInfo.shape[2],
        a,
        dm as Float32Array,
        ds as Float32Array,
      ),
    ),
});

tf.registerGradient({
  kernelName: RELATION_ATTENTION,
  inputsToSave: ['m', 's'],
  gradFunc: (dy, saved, attrs) => {
    const [dm, ds] = runKernel(
      RELATION_ATTENTION_GRAD,
      { dy: dy as tf.Tensor, m: saved[0], s: saved[1] },
      attrs as unknown as CsrRelationMeanAttrs,
    ) as tf.Tensor[];
    return { m: () => dm, s: () => ds };
  },
});

/**
 * Σ_r α_vr m_rv for the block's destinations v, α_v the softmax of s_·v over the relations v has
 * in the block (a relation without a sampled neighbour gets no weight; no relation at all: 0).
 * m [R × numDst × d] and s [R × numDst]; differentiable in both, the block is data.
 */
export function relationAttention(
  m: tf.Tensor3D,
  s: tf.Tensor2D,
  block: TypedCsrLike,
  numRelations: number,
): tf.Tensor2D {
  const [R, n] = [numRelations, block.numDst];
  if (m.rank !== 3 || m.shape[0] !== R || m.shape[1] !== n)
    throw new ShapeError('m', `shape ${m.shape.join('×')}, expected ${R}×${n}×d`);
  if (s.rank !== 2 || s.shape[0] !== R || s.shape[1] !== n)
    throw new ShapeError('s', `shape ${s.shape.join('×')}, expected ${R}×${n}`);
  const attrs = csrRelationMeanAttrs(block, numRelations, 'sum');
  return runKernel(RELATION_ATTENTION, { m, s }, attrs) as tf.Tensor2D;
}

/** relationAttention's gradients [dm, ds] for output gradient dy (for ops that hold m and s). */
export function relationAttentionGrad(
  dy: tf.Tensor2D,
  m: tf.Tensor3D,
  s: tf.Tensor2D,
  block: TypedCsrLike,
  numRelations: number,
): [tf.Tensor3D, tf.Tensor2D] {
  const attrs = csrRelationMeanAttrs(block, numRelations, 'sum');
  return runKernel(RELATION_ATTENTION_GRAD, { dy, m, s }, attrs) as [tf.Tensor3D, tf.Tensor2D];
}

/** float64 reference, straight from the definition. */
export function relationAttentionReference(
  m: ArrayLike<number>,
  s: ArrayLike<number>,
  d: number,
  block: TypedCsrLike,
): Float64Array {
  const n = block.numDst;
  const out = new Float64Array(n * d);
  for (let v = 0; v < n; v++) {
    const present = new Set<number>();
    for (let k = block.indptr[v]; k < block.indptr[v + 1]; k++) present.add(block.edgeType[k]);
    let z = 0;
    for (const r of present) z += Math.exp(s[r * n + v]);
    for (const r of present)
      for (let j = 0; j < d; j++)
        out[v * d + j] += (Math.exp(s[r * n + v]) / z) * m[(r * n + v) * d + j];
  }
  return out;
}
