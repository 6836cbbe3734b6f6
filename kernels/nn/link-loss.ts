// Link-prediction losses on positive and negative scores: binary cross-entropy with logits and BPR,
// for explicit negatives (K per positive) or an in-batch score matrix; loss and gradient in one pass.

import * as tf from '@tensorflow/tfjs-core';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

export type LinkLossKind = 'bce' | 'bpr';

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * Loss over B positives and B×K negatives (neg row-major: neg[i*K + k] pairs with pos[i]); weights
 * (0 or 1 per negative, default all 1) drop false negatives.
 *   bce: mean_i softplus(−pos_i) + Σ w·softplus(neg) / Σ w
 *   bpr: Σ w·softplus(neg_ik − pos_i) / Σ w     (= −log σ(pos − neg))
 * Fills dPos/dNeg with the gradient when given.
 */
export function linkLossValues(
  kind: LinkLossKind,
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  weights: ArrayLike<number> | null,
  dPos: Float32Array | null,
  dNeg: Float32Array | null,
): number {
  const b = pos.length;
  const k = b > 0 ? neg.length / b : 0;
  let wsum = 0;
  if (weights === null) wsum = neg.length;
  else for (let i = 0; i < neg.length; i++) wsum += weights[i];
  const invW = wsum > 0 ? 1 / wsum : 0;
  let loss = 0;
  if (kind === 'bce') {
    for (let i = 0; i < b; i++) {
      loss += softplus(-pos[i]) / b;
      if (dPos !== null) dPos[i] = -sigmoid(-pos[i]) / b;
    }
    for (let e = 0; e < neg.length; e++) {
      const w = weights === null ? 1 : weights[e];
      loss += w * softplus(neg[e]) * invW;
      if (dNeg !== null) dNeg[e] = w * sigmoid(neg[e]) * invW;
    }
  } else {
    for (let i = 0; i < b; i++) {
      let dp = 0;
      for (let j = 0; j < k; j++) {
        const e = i * k + j;
        const w = weights === null ? 1 : weights[e];
        const t = neg[e] - pos[i];
        loss += w * softplus(t) * invW;
        const g = w * sigmoid(t) * invW;
        if (dNeg !== null) dNeg[e] = g;
        dp -= g;
      }
      if (dPos !== null) dPos[i] = dp;
    }
  }
  return loss;
}

function scaleBy(dy: tf.Tensor, arrays: Float32Array[]): void {
  const s = dy.dataSync()[0];
  if (s === 1) return;
  for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] *= s;
}

/** Scalar loss of pos [B] / [B,1] against neg [B·K] / [B·K,1] / [B,K]; differentiable in both. */
export function linkLoss(
  kind: LinkLossKind,
  pos: tf.Tensor,
  neg: tf.Tensor,
  weights?: Float32Array,
): tf.Scalar {
  const b = pos.size;
  if (b === 0 || neg.size % b !== 0)
    throw new ShapeError(
      'negatives',
      `${neg.size} negative scores for ${b} positives (need a multiple)`,
    );
  if (weights !== undefined && weights.length !== neg.size)
    throw new ShapeError('negatives', `${weights.length} weights for ${neg.size} negatives`);
  const f = tf.customGrad((pt, nt) => {
    const { loss, dPos, dNeg } = timed('loss', () => {
      const dp = new Float32Array(b);
      const dn = new Float32Array(neg.size);
      const l = linkLossValues(
        kind,
        (pt as tf.Tensor).dataSync(),
        (nt as tf.Tensor).dataSync(),
        weights ?? null,
        dp,
        dn,
      );
      return { loss: l, dPos: dp, dNeg: dn };
    });
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        scaleBy(dy, [dPos, dNeg]);
        return [tf.tensor(dPos, pos.shape), tf.tensor(dNeg, neg.shape)];
      },
    };
  });
  return f(pos, neg) as tf.Scalar;
}

/**
 * In-batch loss on S [B × B], S[i][j] = score(src_i, dst_j): the diagonal holds the positives and
 * every other column of a row is a negative, except columns whose dst is the same node as dst_i.
 */
export function inBatchLinkLoss(
  kind: LinkLossKind,
  scores: tf.Tensor2D,
  dstRows: Int32Array,
): tf.Scalar {
  const [b, b2] = scores.shape;
  if (b !== b2 || dstRows.length !== b)
    throw new ShapeError('scores', `in-batch scores ${b}×${b2} for ${dstRows.length} pairs`);
  const k = b - 1;
  const f = tf.customGrad((st) => {
    const { loss, dS } = timed('loss', () => {
      const s = (st as tf.Tensor).dataSync();
      const pos = new Float64Array(b);
      const neg = new Float64Array(b * k);
      const w = new Float32Array(b * k);
      for (let i = 0; i < b; i++) {
        pos[i] = s[i * b + i];
        for (let j = 0, c = 0; j < b; j++) {
          if (j === i) continue;
          neg[i * k + c] = s[i * b + j];
          w[i * k + c] = dstRows[j] === dstRows[i] ? 0 : 1;
          c++;
        }
      }
      const dPos = new Float32Array(b);
      const dNeg = new Float32Array(b * k);
      const l = linkLossValues(kind, pos, neg, w, dPos, dNeg);
      const g = new Float32Array(b * b);
      for (let i = 0; i < b; i++) {
        g[i * b + i] = dPos[i];
        for (let j = 0, c = 0; j < b; j++) {
          if (j === i) continue;
          g[i * b + j] = dNeg[i * k + c];
          c++;
        }
      }
      return { loss: l, dS: g };
    });
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        scaleBy(dy, [dS]);
        return [tf.tensor2d(dS, [b, b])];
      },
    };
  });
  return f(scores) as tf.Scalar;
}
