// Layer normalisation over each row with a learned gain and bias, one kernel forward and one
// kernel producing all three gradients (dx, dgamma, dbeta) in a single pass; float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel, type JsArray } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

export const LAYER_NORM = 'WeftLayerNorm';
export const LAYER_NORM_GRAD = 'WeftLayerNormGrad';
export const LAYER_NORM_EPS = 1e-5;

/** Mean of x[o .. o+d). */
function rowMean(x: JsArray, o: number, d: number): number {
  let mean = 0;
  for (let j = o; j < o + d; j++) mean += x[j];
  return mean / d;
}

/** 1 / sqrt(variance + eps) of x[o .. o+d) about `mean`. */
function rowRstd(x: JsArray, o: number, d: number, mean: number): number {
  let v = 0;
  for (let j = o; j < o + d; j++) v += (x[j] - mean) ** 2;
  return 1 / Math.sqrt(v / d + LAYER_NORM_EPS);
}

/**
 * Calls `row(o, mean, rstd)` for each row of x [n × d]: its offset, mean and 1 / sqrt(variance + eps).
 * The forward and the gradient kernel recompute them per row the same way.
 */
function forEachRow(
  x: JsArray,
  n: number,
  d: number,
  row: (o: number, mean: number, rstd: number) => void,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const mean = rowMean(x, o, d);
    row(o, mean, rowRstd(x, o, d, mean));
  }
}

registerJsKernel<Record<string, never>>({
  kernelName: LAYER_NORM,
  inputNames: ['x', 'gamma', 'beta'],
  outputs: ([x]) => [{ shape: x.shape.slice(), dtype: 'float32', zeroed: false }],
  compute: ([x, g, b], [y], _a, [xi]) =>
    timed('layernorm', () => {
      const [n, d] = xi.shape;
      forEachRow(x, n, d, (o, mean, rstd) => {
        for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mean) * rstd * g[j] + b[j];
      });
    }),
});

registerJsKernel<Record<string, never>>({
  kernelName: LAYER_NORM_GRAD,
  inputNames: ['dy', 'x', 'gamma'],
  outputs: ([dy, , g]) => [
    { shape: dy.shape.slice(), dtype: 'float32', zeroed: false },
    { shape: g.shape.slice(), dtype: 'float32', zeroed: true },
    { shape: g.shape.slice(), dtype: 'float32', zeroed: true },
  ],
  compute: ([dy, x, g], [dx, dg, db], _a, [dyi]) =>
    timed('layernorm.grad', () => {
      const [n, d] = dyi.shape;
      forEachRow(x, n, d, (o, mean, rstd) => {
        // dxhat = dy·gamma; dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat·xhat)).
        let m1 = 0;
        let m2 = 0;
        for (let j = 0; j < d; j++) {
          const xhat = (x[o + j] - mean) * rstd;
          const dxhat = dy[o + j] * g[j];
          m1 += dxhat;
          m2 += dxhat * xhat;
          dg[j] += dy[o + j] * xhat;
          db[j] += dy[o + j];
        }
        m1 /= d;
        m2 /= d;
        for (let j = 0; j < d; j++) {
          const xhat = (x[o + j] - mean) * rstd;
          dx[o + j] = rstd * (dy[o + j] * g[j] - m1 - xhat * m2);
        }
      });
    }),
});

/** (x − mean) / sqrt(var + 1e-5) · gamma + beta per row of x [n × d]; differentiable in all three. */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || gamma.shape[0] !== x.shape[1] || beta.shape[0] !== x.shape[1])
    throw new ShapeError(
      'layerNorm',
      `x ${x.shape.join('×')}, gamma ${gamma.shape}, beta ${beta.shape}`,
    );
  // customGrad: all three gradients come out of one kernel call.
  const f = tf.customGrad((xt, gt, bt, save) => {
    const y = runKernel(
      LAYER_NORM,
      { x: xt as tf.Tensor, gamma: gt as tf.Tensor, beta: bt as tf.Tensor },
      {},
    );
    (save as tf.GradSaveFunc)([xt as tf.Tensor, gt as tf.Tensor]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runKernel(LAYER_NORM_GRAD, { dy, x: saved[0], gamma: saved[1] }, {}) as tf.Tensor[],
    };
  });
  return f(x, gamma, beta) as tf.Tensor2D;
}

/** float64 reference of layerNorm. */
export function layerNormReference(
  x: ArrayLike<number>,
  n: number,
  d: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[i * d + j] / d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j] - mean) ** 2 / d;
    for (let j = 0; j < d; j++)
      y[i * d + j] = ((x[i * d + j] - mean) / Math.sqrt(v + LAYER_NORM_EPS)) * gamma[j] + beta[j];
  }
  return y;
}
