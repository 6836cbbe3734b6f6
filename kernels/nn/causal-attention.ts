// Multi-head causal self-attention over padded sequences: position i of a sequence attends to the
// positions j <= min(i, len) (earlier ones and itself, never padding); tfjs ops, float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { ShapeError } from '../tf/errors.js';

/** Added to the logits of a forbidden (future or padded) key: exp() of it is exactly 0 in float32. */
export const MASKED = -1e9;

/**
 * The additive mask [P·heads × T × T]: 0 where sequence p's query i may read key j (j <= i and
 * j <= lastValid[p]), MASKED elsewhere. Row 0 of every sequence always sees key 0.
 */
export function causalMask(lastValid: Int32Array, steps: number, heads: number): Float32Array {
  const p = lastValid.length;
  const out = new Float32Array(p * heads * steps * steps);
  for (let s = 0; s < p; s++) {
    const last = lastValid[s];
    if (!(last >= 0 && last < steps))
      throw new ShapeError('lastValid', `sequence ${s}: ${last} outside [0, ${steps})`);
    for (let h = 0; h < heads; h++) {
      const base = (s * heads + h) * steps * steps;
      for (let i = 0; i < steps; i++)
        for (let j = 0; j < steps; j++) if (j > i || j > last) out[base + i * steps + j] = MASKED;
    }
  }
  return out;
}

export interface AttentionWeights {
  /** [d × d] query, key, value and output projections. */
  wq: tf.Tensor2D;
  wk: tf.Tensor2D;
  wv: tf.Tensor2D;
  wo: tf.Tensor2D;
}

/**
 * x [P·T × d] (P sequences of T steps, row-major) → [P·T × d]: softmax(Q Kᵀ / √dk + mask) V per head,
 * heads concatenated and projected by Wo. `mask` from {@link causalMask}.
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  w: AttentionWeights,
  numSeqs: number,
  steps: number,
  heads: number,
  mask: tf.Tensor3D,
): tf.Tensor2D {
  const d = x.shape[1];
  if (d % heads !== 0 || x.shape[0] !== numSeqs * steps)
    throw new ShapeError(
      'attention',
      `x ${x.shape.join('×')}, ${numSeqs}×${steps} steps, ${heads} heads`,
    );
  const dk = d / heads;
  const split = (t: tf.Tensor2D): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(t, [numSeqs, steps, heads, dk]), [0, 2, 1, 3]), [
      numSeqs * heads,
      steps,
      dk,
    ]);
  const q = split(tf.matMul(x, w.wq));
  const k = split(tf.matMul(x, w.wk));
  const v = split(tf.matMul(x, w.wv));
  const logits = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)), mask);
  const ctx = tf.matMul(tf.softmax(logits), v);
  const merged = tf.reshape(
    tf.transpose(tf.reshape(ctx, [numSeqs, heads, steps, dk]), [0, 2, 1, 3]),
    [numSeqs * steps, d],
  ) as tf.Tensor2D;
  return tf.matMul(merged, w.wo);
}

/** float64 reference of {@link causalSelfAttention}; weights row-major [d × d]. */
export function causalSelfAttentionReference(
  x: ArrayLike<number>,
  w: { wq: ArrayLike<number>; wk: ArrayLike<number>; wv: ArrayLike<number>; wo: ArrayLike<number> },
  lastValid: Int32Array,
  steps: number,
  d: number,
  heads: number,
): Float64Array {
  const n = lastValid.length * steps;
  const mm = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const out = new Float64Array(n * d);
    for (let r = 0; r < n; r++)
      for (let k = 0; k < d; k++)
        for (let c = 0; c < d; c++) out[r * d + c] += a[r * d + k] * b[k * d + c];
    return out;
  };
  const [q, k, v] = [mm(x, w.wq), mm(x, w.wk), mm(x, w.wv)];
  const dk = d / heads;
  const ctx = new Float64Array(n * d);
  for (let s = 0; s < lastValid.length; s++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < steps; i++) {
        const keys = Math.min(i, lastValid[s]);
        const a = new Float64Array(keys + 1);
        for (let j = 0; j <= keys; j++) {
          let dot = 0;
          for (let c = 0; c < dk; c++)
            dot += q[(s * steps + i) * d + h * dk + c] * k[(s * steps + j) * d + h * dk + c];
          a[j] = dot / Math.sqrt(dk);
        }
        const m = Math.max(...a);
        let z = 0;
        for (let j = 0; j <= keys; j++) z += a[j] = Math.exp(a[j] - m);
        for (let j = 0; j <= keys; j++)
          for (let c = 0; c < dk; c++)
            ctx[(s * steps + i) * d + h * dk + c] +=
              (a[j] / z) * v[(s * steps + j) * d + h * dk + c];
      }
  return mm(ctx, w.wo);
}
