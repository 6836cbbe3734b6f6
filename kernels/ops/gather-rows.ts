// Row gather with a gradient on every backend: registers GatherV2's gradient (a segment sum of dy
// into the gathered rows) when tfjs-core's gradient set is not loaded, which is the case in Node.

import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../tf/errors.js';
import './unsorted-segment-sum.js';

// tfjs-core's node bundle ships no gradients; the full tfjs package (or tfjs-node) registers its
// own, in which case we keep theirs.
if (tf.getGradient('GatherV2') === undefined) {
  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
      if ((axis !== 0 && axis !== -x.rank) || batchDims !== 0 || indices.rank !== 1)
        throw new ShapeError(
          'gather',
          'gradient implemented for axis 0, batchDims 0 and 1-D indices only',
        );
      return {
        x: () => tf.unsortedSegmentSum(dy as tf.Tensor, indices as tf.Tensor1D, x.shape[0]),
        indices: () => tf.cast(tf.zerosLike(indices), 'float32'),
      };
    },
  });
}

/** Rows `rows` of x (axis 0), differentiable in x: dx[r] = Σ of dy over the positions that read r. */
export function gatherRows(x: tf.Tensor, rows: Int32Array): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32'), 0));
}

/** float64 reference of the gather gradient: dx[rows[p]] += dy[p]. */
export function gatherRowsGradReference(
  dy: ArrayLike<number>,
  w: number,
  rows: ArrayLike<number>,
  numRows: number,
): Float64Array {
  const dx = new Float64Array(numRows * w);
  for (let p = 0; p < rows.length; p++)
    for (let j = 0; j < w; j++) dx[rows[p] * w + j] += dy[p * w + j];
  return dx;
}
