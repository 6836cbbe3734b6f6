// Row-wise L2 normalisation y = x / max(||x||, eps) (GraphSAGE's embedding normalisation) as a
// kernel with its gradient dx = (dy - y·<y, dy>) / ||x||; float64 reference for the tests.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

export const L2_NORMALIZE = 'WeftL2Normalize';
export const L2_NORMALIZE_GRAD = 'WeftL2NormalizeGrad';
const EPS = 1e-12;

registerJsKernel<Record<string, never>>({
  kernelName: L2_NORMALIZE,
  inputNames: ['x'],
  outputs: ([x]) => [{ shape: x.shape.slice(), dtype: 'float32', zeroed: false }],
  compute: ([x], [y], _a, [xi]) =>
    timed('l2norm', () => {
      const [n, d] = xi.shape;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = i * d; j < i * d + d; j++) s += x[j] * x[j];
        const inv = 1 / Math.max(Math.sqrt(s), EPS);
        for (let j = i * d; j < i * d + d; j++) y[j] = x[j] * inv;
      }
    }),
});

registerJsKernel<Record<string, never>>({
  kernelName: L2_NORMALIZE_GRAD,
  inputNames: ['dy', 'x'],
  outputs: ([dy]) => [{ shape: dy.shape.slice(), dtype: 'float32', zeroed: false }],
  compute: ([dy, x], [dx], _a, [dyi]) =>
    timed('l2norm.grad', () => {
      const [n, d] = dyi.shape;
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let s = 0;
        for (let j = o; j < o + d; j++) s += x[j] * x[j];
        const norm = Math.sqrt(s);
        if (norm <= EPS) {
          // Below eps the op is x / eps: a plain scaling.
          for (let j = o; j < o + d; j++) dx[j] = dy[j] / EPS;
          continue;
        }
        const inv = 1 / norm;
        let ydy = 0;
        for (let j = o; j < o + d; j++) ydy += x[j] * inv * dy[j];
        for (let j = o; j < o + d; j++) dx[j] = (dy[j] - x[j] * inv * ydy) * inv;
      }
    }),
});

tf.registerGradient({
  kernelName: L2_NORMALIZE,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({
    x: () => runKernel1(L2_NORMALIZE_GRAD, { dy: dy as tf.Tensor, x: saved[0] }, {}),
  }),
});

/** Each row of x [n × d] divided by its L2 norm (rows of norm < 1e-12 are divided by 1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2) throw new ShapeError('x', `rank ${x.rank}, expected 2`);
  return runKernel1(L2_NORMALIZE, { x }, {}) as tf.Tensor2D;
}

/** float64 reference of l2Normalize. */
export function l2NormalizeReference(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    const m = Math.max(Math.sqrt(s), EPS);
    for (let j = 0; j < d; j++) y[i * d + j] = x[i * d + j] / m;
  }
  return y;
}
