// The target-recency term: a learned function of how long ago a target was last active before the
// pair's time, added to its score — on a marketplace, applications go to jobs that are being applied
// to now (docs/temporal.md). The temporal model and the static link head add the same term.
import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { ShapeError } from '../tf/errors.js';
import type { ParamSpec } from './params.js';
import { SINUSOID_FEATURES, sinusoidFeatures } from './time-encoding.js';

/** Features per target: the time encoding's fixed sinusoids of its log gap, and "no edge before". */
export const RECENCY_FEATURES = SINUSOID_FEATURES + 1;

export const RECENCY_PARAM = 'temporal.recency.weight';

/** Zero: the term starts at 0, so the model starts from the scores without it. */
export function targetRecencySpecs(): ParamSpec[] {
  return [{ name: RECENCY_PARAM, shape: [RECENCY_FEATURES, 1], init: { kind: 'zeros' } }];
}

/**
 * [n × RECENCY_FEATURES] per log gap (log1p of the seconds since the target's newest edge before the
 * pair's time; negative: it had none): the sinusoid features and a 0 indicator, or zeros and a 1.
 */
export function recencyFeatures(logGap: Float32Array): Float32Array {
  const f = RECENCY_FEATURES;
  const sin = sinusoidFeatures(logGap);
  const out = new Float32Array(logGap.length * f);
  for (let i = 0; i < logGap.length; i++) {
    if (logGap[i] < 0) out[i * f + SINUSOID_FEATURES] = 1;
    else out.set(sin.subarray(i * SINUSOID_FEATURES, (i + 1) * SINUSOID_FEATURES), i * f);
  }
  return out;
}

/** The term of each target [n]: scale · ⟨features(gap), w⟩ (scale: score units per unit of w). */
export function targetRecencyScore(logGap: Float32Array, w: tf.Tensor, scale: number): tf.Tensor1D {
  const feats = tf.tensor2d(recencyFeatures(logGap), [logGap.length, RECENCY_FEATURES]);
  return tf.reshape(tf.mul(tf.matMul(feats, w as tf.Tensor2D), scale), [logGap.length]);
}

/** `scores` [n] plus each target's term, `logGap` [n] one gap per scored target (checked). */
export function withTargetRecency(
  scores: tf.Tensor1D,
  logGap: Float32Array,
  w: tf.Tensor,
  scale: number,
): tf.Tensor1D {
  if (logGap.length !== scores.shape[0])
    throw new ShapeError('targetGap', `${logGap.length} gaps for ${scores.shape[0]} targets`);
  return tf.add(scores, targetRecencyScore(logGap, w, scale)) as tf.Tensor1D;
}
