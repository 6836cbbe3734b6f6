// Encodings of the time between an activity and the query time, read on a log scale
// (log1p of the gap in the data's time units): fixed sinusoids with a learned projection, or a
// learned vector per log-scale bucket.

import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { smallTableRows } from './small-table.js';
import type { ParamSpec } from './params.js';

export type TimeEncodingKind = 'sinusoidal' | 'learned';

/** Sinusoid pairs: frequencies 2, 1, 1/2, ... 1/64 per unit of log1p(gap). */
const FREQUENCIES = 8;
/** Features per gap: sin and cos per frequency, plus the gap itself scaled by 1/8. */
export const SINUSOID_FEATURES = 2 * FREQUENCIES + 1;
/** Learned buckets of width 0.5 in log1p(gap); gaps beyond e^16 share the last. */
export const TIME_BUCKETS = 32;

export function timeEncodingSpecs(kind: TimeEncodingKind, d: number): ParamSpec[] {
  return kind === 'sinusoidal'
    ? [
        {
          name: 'temporal.time.weight',
          shape: [SINUSOID_FEATURES, d],
          init: { kind: 'glorot', fanIn: SINUSOID_FEATURES, fanOut: d },
        },
      ]
    : [
        {
          name: 'temporal.time.table',
          shape: [TIME_BUCKETS, d],
          init: { kind: 'glorot', fanIn: TIME_BUCKETS, fanOut: d },
        },
      ];
}

/** The fixed sinusoid features of each gap, row-major [n × SINUSOID_FEATURES]. */
export function sinusoidFeatures(logGap: Float32Array): Float32Array {
  const f = SINUSOID_FEATURES;
  const out = new Float32Array(logGap.length * f);
  for (let i = 0; i < logGap.length; i++) {
    const g = logGap[i];
    for (let k = 0; k < FREQUENCIES; k++) {
      const w = 2 ** (1 - k);
      out[i * f + 2 * k] = Math.sin(g * w);
      out[i * f + 2 * k + 1] = Math.cos(g * w);
    }
    out[i * f + 2 * FREQUENCIES] = g / 8;
  }
  return out;
}

/** The bucket of each gap for the learned encoding. */
export function timeBuckets(logGap: Float32Array): Int32Array {
  return Int32Array.from(logGap, (g) => Math.min(TIME_BUCKETS - 1, Math.max(0, Math.floor(2 * g))));
}

/** log1p(gap) per activity → [n × d]. */
export function encodeTime(
  kind: TimeEncodingKind,
  logGap: Float32Array,
  p: ReadonlyMap<string, tf.Tensor>,
): tf.Tensor2D {
  if (kind === 'learned') return smallTableRows(p.get('temporal.time.table')!, timeBuckets(logGap));
  const feats = tf.tensor2d(sinusoidFeatures(logGap), [logGap.length, SINUSOID_FEATURES]);
  return tf.matMul(feats, p.get('temporal.time.weight') as tf.Tensor2D);
}
