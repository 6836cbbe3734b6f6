// segmentMean: rows of x averaged by segment id (empty segments give 0), as one kernel with its
// gradient (dx[i] = dy[seg[i]] / count[seg[i]]); segment ids are data, held as an attribute.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import { segmentSumReference, segmentSumRows } from './unsorted-segment-sum.js';

export const SEGMENT_MEAN = 'WeftSegmentMean';
export const SEGMENT_MEAN_GRAD = 'WeftSegmentMeanGrad';

interface SegmentMeanAttrs {
  segmentIds: Int32Array;
  numSegments: number;
}

function counts(ids: ArrayLike<number>, numSegments: number): Float64Array {
  const c = new Float64Array(numSegments);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s >= 0 && s < numSegments) c[s] += 1;
  }
  return c;
}

registerJsKernel<SegmentMeanAttrs>({
  kernelName: SEGMENT_MEAN,
  inputNames: ['x'],
  outputs: ([x], a) => [{ shape: [a.numSegments, x.shape[1]], dtype: 'float32', zeroed: true }],
  compute: ([x], [out], a, [xInfo]) =>
    timed('segmentMean', () => {
      const w = xInfo.shape[1];
      const xv = x as Float32Array;
      const ov = out as Float32Array;
      const ids = a.segmentIds;
      segmentSumRows(xv, w, ids, a.numSegments, ov);
      const c = counts(ids, a.numSegments);
      for (let s = 0; s < a.numSegments; s++) {
        if (c[s] <= 1) continue;
        const inv = 1 / c[s];
        for (let j = s * w; j < s * w + w; j++) ov[j] *= inv;
      }
    }),
});

registerJsKernel<SegmentMeanAttrs & { numRows: number }>({
  kernelName: SEGMENT_MEAN_GRAD,
  inputNames: ['dy'],
  outputs: ([dy], a) => [{ shape: [a.numRows, dy.shape[1]], dtype: 'float32', zeroed: true }],
  compute: ([dy], [dx], a, [dyInfo]) =>
    timed('segmentMean.grad', () => {
      const w = dyInfo.shape[1];
      const dyv = dy as Float32Array;
      const dxv = dx as Float32Array;
      const c = counts(a.segmentIds, a.numSegments);
      for (let i = 0; i < a.numRows; i++) {
        const s = a.segmentIds[i];
        if (s < 0 || s >= a.numSegments) continue;
        const inv = 1 / c[s];
        for (let j = 0; j < w; j++) dxv[i * w + j] = dyv[s * w + j] * inv;
      }
    }),
});

tf.registerGradient({
  kernelName: SEGMENT_MEAN,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => ({
    x: () =>
      runKernel1(
        SEGMENT_MEAN_GRAD,
        { dy: dy as tf.Tensor },
        {
          ...(attrs as unknown as SegmentMeanAttrs),
          numRows: saved[0].shape[0],
        },
      ),
  }),
});

/** Mean of the rows of x [n × w] per segment id (length n; ids outside [0, numSegments) dropped). */
export function segmentMean(
  x: tf.Tensor,
  segmentIds: Int32Array,
  numSegments: number,
): tf.Tensor2D {
  if (x.rank !== 2) throw new ShapeError('x', `rank ${x.rank}, expected 2`);
  if (segmentIds.length !== x.shape[0])
    throw new ShapeError('segmentIds', `length ${segmentIds.length}, x has ${x.shape[0]} rows`);
  return runKernel1(SEGMENT_MEAN, { x }, { segmentIds, numSegments }) as tf.Tensor2D;
}

/** float64 reference of segmentMean: the segment sums divided by the segment sizes. */
export function segmentMeanReference(
  x: ArrayLike<number>,
  w: number,
  ids: ArrayLike<number>,
  numSegments: number,
): Float64Array {
  const out = segmentSumReference(x, w, ids, numSegments);
  const c = counts(ids, numSegments);
  for (let s = 0; s < numSegments; s++)
    if (c[s] > 0) for (let j = 0; j < w; j++) out[s * w + j] /= c[s];
  return out;
}
