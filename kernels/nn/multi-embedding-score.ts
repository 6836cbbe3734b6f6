// Scores of a member's H embeddings against target embeddings (LiGNN's multiple member embeddings):
// one dot product (or scaled cosine) per head, combined by the maximum or by attention over the heads.

import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { ShapeError } from '../tf/errors.js';
import { l2Normalize } from './l2-normalize.js';
import { COSINE_SCALE } from './link-decoder.js';

/**
 * 'max': the best head's score. 'attention': Σ_h softmax_h(s)·s_h, a soft maximum that lets every
 * head learn from every target (max sends the gradient to one head only).
 */
export type MultiScoreKind = 'max' | 'attention';

/**
 * e [M × H·d] (the H embeddings of M members), y [K × d] with K = M·per (targets, member-major:
 * target k belongs to member ⌊k / per⌋) → scores [K]. Broadcasting the members over their targets
 * instead of repeating their rows saves a gather of K × H·d and its segment-sum gradient. With
 * `cosine`, both sides are L2-normalised and the dot product is scaled by COSINE_SCALE, as the cosine
 * decoder does.
 */
export function multiEmbeddingScore(
  e: tf.Tensor2D,
  y: tf.Tensor2D,
  heads: number,
  kind: MultiScoreKind,
  cosine: boolean,
): tf.Tensor1D {
  const [m, hd] = e.shape;
  const [k, d] = y.shape;
  const per = m > 0 ? k / m : 0;
  if (hd !== heads * d || !Number.isInteger(per) || (m === 0 && k !== 0))
    throw new ShapeError(
      'multiEmbeddingScore',
      `e ${e.shape.join('×')}, y ${y.shape.join('×')}, ${heads} heads`,
    );
  let eh = tf.reshape(e, [m * heads, d]) as tf.Tensor2D;
  let yt = y;
  if (cosine) {
    eh = l2Normalize(eh);
    yt = tf.mul(l2Normalize(y), COSINE_SCALE) as tf.Tensor2D;
  }
  const s = tf.reshape(
    tf.sum(tf.mul(tf.reshape(eh, [m, 1, heads, d]), tf.reshape(yt, [m, per, 1, d])), 3),
    [k, heads],
  ) as tf.Tensor2D;
  if (kind === 'max') return tf.max(s, 1) as tf.Tensor1D;
  return tf.sum(tf.mul(tf.softmax(s), s), 1) as tf.Tensor1D;
}

/** float64 reference of {@link multiEmbeddingScore}. */
export function multiEmbeddingScoreReference(
  e: ArrayLike<number>,
  y: ArrayLike<number>,
  k: number,
  heads: number,
  d: number,
  kind: MultiScoreKind,
  cosine: boolean,
): Float64Array {
  const out = new Float64Array(k);
  const norm = (a: ArrayLike<number>, off: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += a[off + c] ** 2;
    return cosine ? Math.max(Math.sqrt(s), 1e-12) : 1;
  };
  for (let r = 0; r < k; r++) {
    const s = new Float64Array(heads);
    const ny = norm(y, r * d);
    for (let h = 0; h < heads; h++) {
      const off = (r * heads + h) * d;
      const ne = norm(e, off);
      let dot = 0;
      for (let c = 0; c < d; c++) dot += e[off + c] * y[r * d + c];
      s[h] = (dot / (ne * ny)) * (cosine ? COSINE_SCALE : 1);
    }
    if (kind === 'max') out[r] = Math.max(...s);
    else {
      const m = Math.max(...s);
      const w = Array.from(s, (v) => Math.exp(v - m));
      const z = w.reduce((a, b) => a + b, 0);
      out[r] = w.reduce((a, wi, h) => a + (wi / z) * s[h], 0);
    }
  }
  return out;
}
