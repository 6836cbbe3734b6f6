// Softmax cross-entropy over the seeds' logits with integer labels (-1 = unlabelled, skipped), one
// fused pass computing the loss and its gradient (softmax − onehot) / #labelled in float64.

import * as tf from '@tensorflow/tfjs-core';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

/**
 * Mean cross-entropy of rows of logits [n × c] (row-major) against labels; writes the gradient of
 * that mean into `grad` when given. Returns { loss, count } with count = number of labelled rows.
 */
export function softmaxCrossEntropyValues(
  logits: ArrayLike<number>,
  n: number,
  c: number,
  labels: Int32Array,
  grad: Float32Array | null,
): { loss: number; count: number } {
  let count = 0;
  for (let i = 0; i < n; i++) if (labels[i] >= 0) count++;
  let total = 0;
  const inv = count > 0 ? 1 / count : 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    const y = labels[i];
    if (y < 0) {
      if (grad !== null) grad.fill(0, o, o + c);
      continue;
    }
    let m = -Infinity;
    for (let j = 0; j < c; j++) if (logits[o + j] > m) m = logits[o + j];
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(logits[o + j] - m);
    const lse = m + Math.log(s);
    total += lse - logits[o + y];
    if (grad !== null) {
      for (let j = 0; j < c; j++) grad[o + j] = Math.exp(logits[o + j] - lse) * inv;
      grad[o + y] -= inv;
    }
  }
  return { loss: total * inv, count };
}

/** Optional out-parameter: receives a copy of the logits read for the loss (saves a second read). */
export interface LogitsCapture {
  logits?: Float32Array;
}

/** Scalar mean cross-entropy of logits [n × c] against labels (length n, -1 = skip); differentiable in logits. */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  labels: Int32Array,
  capture?: LogitsCapture,
): tf.Scalar {
  const [n, c] = logits.shape;
  if (labels.length !== n)
    throw new ShapeError('labels', `length ${labels.length}, logits have ${n} rows`);
  for (let i = 0; i < n; i++)
    if (labels[i] >= c)
      throw new ShapeError('labels', `label ${labels[i]} at row ${i} >= ${c} classes`);
  const f = tf.customGrad((lt) => {
    const { loss, grad } = timed('loss', () => {
      const values = (lt as tf.Tensor).dataSync() as Float32Array;
      if (capture !== undefined) capture.logits = values;
      const g = new Float32Array(n * c);
      return { loss: softmaxCrossEntropyValues(values, n, c, labels, g).loss, grad: g };
    });
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        const scale = dy.dataSync()[0];
        if (scale !== 1) for (let i = 0; i < grad.length; i++) grad[i] *= scale;
        return [tf.tensor2d(grad, [n, c])];
      },
    };
  });
  return f(logits) as tf.Scalar;
}
