// One R-GCN layer whose relation messages are combined by attention (HAN's semantic attention, per
// node): the self term, the R messages, their scores and the softmax-weighted sum as one op.

import * as tf from '@tensorflow/tfjs-core';
import type { TypedCsrLike } from '../ops/csr-relation-mean.js';
import { relationAttention, relationAttentionGrad } from '../ops/relation-attention.js';
import { columnSum, matMulNT, matMulTN } from './dense.js';

/** The layer's parameters: stacked weights [W_self; W_0; …], bias, and the attention's W_a, b_a, a. */
export interface RelationAttentionParams {
  w: tf.Tensor2D;
  bias: tf.Tensor1D;
  attention: tf.Tensor2D;
  attentionBias: tf.Tensor1D;
  attentionQuery: tf.Tensor1D;
}

/** x [(1+R)·n × din] as [(1+R) × n × din] and w [(1+R)·din × dout] as [(1+R) × din × dout]. */
function stacks(x: tf.Tensor, w: tf.Tensor, R: number): [tf.Tensor3D, tf.Tensor3D] {
  const [din, dout] = [x.shape[1]!, w.shape[1]!];
  return [tf.reshape(x, [1 + R, x.shape[0] / (1 + R), din]), tf.reshape(w, [1 + R, din, dout])];
}

/** Scores and their tanh layer: t = tanh(m W_a + b_a) [R·n × k], s = t·a as [R × n]. */
function scores(m: tf.Tensor3D, wa: tf.Tensor, ba: tf.Tensor, q: tf.Tensor) {
  const [R, n, d] = m.shape;
  const t = tf.tanh(tf.add(tf.matMul(tf.reshape(m, [R * n, d]), wa as tf.Tensor2D), ba));
  const s = tf.reshape(tf.matMul(t, tf.reshape(q, [q.shape[0], 1])), [R, n]) as tf.Tensor2D;
  return { t: t as tf.Tensor2D, s };
}

/**
 * z_v = h_v·W_self + b + Σ_r α_vr m_vr, m_vr = mean_{u∈N_r(v)} h_u · W_r, α_v the softmax over the
 * relations v has of a·tanh(W_a m_vr + b_a). x is csrRelationMean's relation-major output (every h_v,
 * then every relation-0 mean, …; not averaged over relations), so the self term and the R messages
 * are one batched matmul with no transpose. Differentiable in x and every parameter.
 */
export function relationAttentionLayer(
  x: tf.Tensor2D,
  p: RelationAttentionParams,
  block: TypedCsrLike,
  R: number,
): tf.Tensor2D {
  const f = tf.customGrad((xt, w, b, wa, ba, q, save) => {
    const [x3, w3] = stacks(xt as tf.Tensor, w as tf.Tensor, R);
    const y = tf.matMul(x3, w3) as tf.Tensor3D; // [(1+R) × n × dout]: the self term, then one message per relation
    const [, n, dout] = y.shape;
    const m = tf.slice(y, [1, 0, 0], [R, n, dout]) as tf.Tensor3D;
    const { t, s } = scores(m, wa as tf.Tensor, ba as tf.Tensor, q as tf.Tensor);
    const root = tf.reshape(tf.slice(y, [0, 0, 0], [1, n, dout]), [n, dout]);
    (save as tf.GradSaveFunc)([x3, w3, m, t, s, wa as tf.Tensor, q as tf.Tensor]);
    return {
      value: tf.add(tf.add(root, b as tf.Tensor), relationAttention(m, s, block, R)),
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => backward(dz as tf.Tensor2D, saved),
    };
  });
  return f(x, p.w, p.bias, p.attention, p.attentionBias, p.attentionQuery) as tf.Tensor2D;

  /** Gradients of x, w, b, W_a, b_a, a: through the softmax kernel, the tanh layer, the matmuls. */
  function backward(dz: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] {
    const [x3, w3, m, t, s, wa, q] = saved as [
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
    ];
    const [, n, dout] = m.shape;
    const [dm, ds] = relationAttentionGrad(dz, m, s, block, R);
    const ds1 = tf.reshape(ds, [R * n, 1]) as tf.Tensor2D;
    const du = tf.mul(
      tf.matMul(ds1, tf.reshape(q, [1, q.shape[0]])),
      tf.sub(1, tf.square(t)),
    ) as tf.Tensor2D;
    const dmAll = tf.add(dm, tf.reshape(matMulNT(du, wa), [R, n, dout]));
    const dy = tf.concat([tf.reshape(dz, [1, n, dout]), dmAll], 0) as tf.Tensor3D;
    const din = x3.shape[2];
    const dx = tf.reshape(tf.matMul(dy, w3, false, true), [(1 + R) * n, din]);
    const dw = tf.reshape(tf.matMul(x3, dy, true, false), [(1 + R) * din, dout]);
    const m2 = tf.reshape(m, [R * n, dout]) as tf.Tensor2D;
    return [
      dx,
      dw,
      columnSum(dz),
      matMulTN(m2, du),
      columnSum(du),
      tf.reshape(matMulTN(t, ds1), [q.shape[0]]),
    ];
  }
}
