// Rows of a small learned table (a vector per relation, per time bucket) for many positions, as a
// one-hot matmul: its gradient is one matmul too, where a row gather costs a gather per element and a
// segment sum back on the wasm backend.

import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../tf/errors.js';

/**
 * table [r × d], idx (each in [0, r)) → [idx.length × d]: row idx[i] of the table at row i. A
 * one-row table comes back as that row, [1 × d], for an add to broadcast (no copy per position).
 */
export function smallTableRows(table: tf.Tensor, idx: Int32Array): tf.Tensor2D {
  const r = table.shape[0];
  const d = table.shape[1] ?? 1;
  if (r === 1) return tf.reshape(table, [1, d]);
  const oneHot = new Float32Array(idx.length * r);
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < r))
      throw new ShapeError('smallTableRows', `index ${idx[i]} at ${i} outside [0, ${r})`);
    oneHot[i * r + idx[i]] = 1;
  }
  return tf.matMul(tf.tensor2d(oneHot, [idx.length, r]), tf.reshape(table, [r, d]) as tf.Tensor2D);
}
