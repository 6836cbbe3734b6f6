// UnsortedSegmentSum for the wasm backend (which lacks it) and its gradient where none is registered:
// out[segmentIds[i]] += x[i]; ids outside [0, numSegments) are dropped. float64 reference included.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';

export const GATHER_ROWS_MASKED = 'WeftGatherRowsMasked';

/** out[ids[i]*w .. +w] += x[i*w .. +w] for valid ids; `out` must be zeroed. */
export function segmentSumRows(
  x: Float32Array,
  w: number,
  ids: Int32Array,
  numSegments: number,
  out: Float32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * w;
    const r = i * w;
    for (let j = 0; j < w; j++) out[o + j] += x[r + j];
  }
}

/** out[i] = x[ids[i]] row-wise, zero for ids outside [0, numRows): the gradient of segmentSumRows. */
export function gatherRowsMasked(
  x: Float32Array,
  w: number,
  numRows: number,
  ids: Int32Array,
  out: Float32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    const o = i * w;
    if (s < 0 || s >= numRows) {
      out.fill(0, o, o + w);
      continue;
    }
    out.set(x.subarray(s * w, s * w + w), o);
  }
}

function rowWidth(shape: readonly number[]): number {
  let w = 1;
  for (let i = 1; i < shape.length; i++) w *= shape[i];
  return w;
}

// wasm only: cpu and tensorflow ship their own UnsortedSegmentSum.
registerJsKernel<{ numSegments: number }>({
  kernelName: 'UnsortedSegmentSum',
  backends: ['wasm'],
  inputNames: ['x', 'segmentIds'],
  outputs: ([x], a) => [
    { shape: [a.numSegments, ...x.shape.slice(1)], dtype: 'float32', zeroed: true },
  ],
  compute: ([x, ids], [out], a, [xInfo]) =>
    timed('segmentSum', () =>
      segmentSumRows(
        x as Float32Array,
        rowWidth(xInfo.shape),
        ids as Int32Array,
        a.numSegments,
        out as Float32Array,
      ),
    ),
});

registerJsKernel<Record<string, never>>({
  kernelName: GATHER_ROWS_MASKED,
  inputNames: ['x', 'indices'],
  outputs: ([x, ids]) => [
    { shape: [ids.shape[0], ...x.shape.slice(1)], dtype: 'float32', zeroed: false },
  ],
  compute: ([x, ids], [out], _a, [xInfo]) =>
    timed('segmentSum.grad', () =>
      gatherRowsMasked(
        x as Float32Array,
        rowWidth(xInfo.shape),
        xInfo.shape[0],
        ids as Int32Array,
        out as Float32Array,
      ),
    ),
});

// Only when nothing else (e.g. the full tfjs package) registered core's gradient already.
if (tf.getGradient('UnsortedSegmentSum') === undefined) {
  tf.registerGradient({
    kernelName: 'UnsortedSegmentSum',
    inputsToSave: ['segmentIds'],
    gradFunc: (dy, saved) => {
      const [segmentIds] = saved;
      return {
        x: () => runKernel1(GATHER_ROWS_MASKED, { x: dy as tf.Tensor, indices: segmentIds }, {}),
      };
    },
  });
}

/**
 * Sums the rows of x into numSegments rows by segmentIds (length x.shape[0]); differentiable in x
 * on every backend (wasm through the kernel above).
 */
export function segmentSum(x: tf.Tensor, segmentIds: Int32Array, numSegments: number): tf.Tensor {
  if (segmentIds.length !== x.shape[0])
    throw new ShapeError('segmentIds', `length ${segmentIds.length}, x has ${x.shape[0]} rows`);
  return tf.tidy(() => tf.unsortedSegmentSum(x, tf.tensor1d(segmentIds, 'int32'), numSegments));
}

/** float64 reference: out[s] = Σ_{i: ids[i] = s} x[i], rows of width w. */
export function segmentSumReference(
  x: ArrayLike<number>,
  w: number,
  ids: ArrayLike<number>,
  numSegments: number,
): Float64Array {
  const out = new Float64Array(numSegments * w);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < w; j++) out[s * w + j] += x[i * w + j];
  }
  return out;
}
