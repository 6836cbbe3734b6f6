// edgeDot: score[p] = <h[u[p]], h[v[p]]> for a list of node pairs (link prediction's dot decoder),
// one kernel forward and one for the gradient (scatter of the partner rows); float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

export const EDGE_DOT = 'WeftEdgeDot';
export const EDGE_DOT_GRAD = 'WeftEdgeDotGrad';

interface EdgeDotAttrs {
  u: Int32Array;
  v: Int32Array;
}

registerJsKernel<EdgeDotAttrs>({
  kernelName: EDGE_DOT,
  inputNames: ['h'],
  outputs: (_in, a) => [{ shape: [a.u.length], dtype: 'float32', zeroed: false }],
  compute: ([h], [out], a, [hInfo]) =>
    timed('edgeDot', () => {
      const d = hInfo.shape[1];
      const hv = h as Float32Array;
      const ov = out as Float32Array;
      for (let p = 0; p < a.u.length; p++) {
        const x = a.u[p] * d;
        const y = a.v[p] * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += hv[x + j] * hv[y + j];
        ov[p] = s;
      }
    }),
});

registerJsKernel<EdgeDotAttrs>({
  kernelName: EDGE_DOT_GRAD,
  inputNames: ['dy', 'h'],
  outputs: ([, h]) => [{ shape: h.shape.slice(), dtype: 'float32', zeroed: true }],
  compute: ([dy, h], [dh], a, [, hInfo]) =>
    timed('edgeDot.grad', () => {
      const d = hInfo.shape[1];
      const hv = h as Float32Array;
      const dyv = dy as Float32Array;
      const dhv = dh as Float32Array;
      for (let p = 0; p < a.u.length; p++) {
        const g = dyv[p];
        if (g === 0) continue;
        const x = a.u[p] * d;
        const y = a.v[p] * d;
        for (let j = 0; j < d; j++) {
          dhv[x + j] += g * hv[y + j];
          dhv[y + j] += g * hv[x + j];
        }
      }
    }),
});

tf.registerGradient({
  kernelName: EDGE_DOT,
  inputsToSave: ['h'],
  gradFunc: (dy, saved, attrs) => ({
    h: () =>
      runKernel1(
        EDGE_DOT_GRAD,
        { dy: dy as tf.Tensor, h: saved[0] },
        attrs as unknown as EdgeDotAttrs,
      ),
  }),
});

/** Dot products of row pairs (u[p], v[p]) of h [n × d] → [P]; differentiable in h. */
export function edgeDot(h: tf.Tensor, u: Int32Array, v: Int32Array): tf.Tensor1D {
  if (h.rank !== 2) throw new ShapeError('h', `rank ${h.rank}, expected 2`);
  if (u.length !== v.length)
    throw new ShapeError('pairs', `u has ${u.length} entries, v has ${v.length}`);
  const n = h.shape[0];
  for (let p = 0; p < u.length; p++)
    if (u[p] < 0 || u[p] >= n || v[p] < 0 || v[p] >= n)
      throw new ShapeError('pairs', `pair ${p} (${u[p]}, ${v[p]}) outside [0, ${n})`);
  return runKernel1(EDGE_DOT, { h }, { u, v }) as tf.Tensor1D;
}

/** float64 reference scores. */
export function edgeDotReference(
  h: ArrayLike<number>,
  d: number,
  u: ArrayLike<number>,
  v: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(u.length);
  for (let p = 0; p < u.length; p++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += h[u[p] * d + j] * h[v[p] * d + j];
    out[p] = s;
  }
  return out;
}

/** float64 reference gradient with respect to h. */
export function edgeDotGradReference(
  dy: ArrayLike<number>,
  h: ArrayLike<number>,
  n: number,
  d: number,
  u: ArrayLike<number>,
  v: ArrayLike<number>,
): Float64Array {
  const dh = new Float64Array(n * d);
  for (let p = 0; p < u.length; p++)
    for (let j = 0; j < d; j++) {
      dh[u[p] * d + j] += dy[p] * h[v[p] * d + j];
      dh[v[p] * d + j] += dy[p] * h[u[p] * d + j];
    }
  return dh;
}
