// csrMeanFromData: the first layer's aggregation straight from the sampled feature array (plain JS
// memory, e.g. a shared-memory queue record) into backend memory; no gradient, the features are data.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import {
  csrMeanAttrs,
  csrMeanInto,
  type CsrLike,
  type CsrMeanAttrs,
  type CsrMeanOptions,
} from './csr-mean.js';

export const CSR_MEAN_DATA = 'WeftCsrMeanData';

interface CsrMeanDataAttrs extends CsrMeanAttrs {
  features: Float32Array;
  dim: number;
}

// No tensor inputs: the features never enter the tape, so no gradient can be asked of them, and
// they are read where they lie instead of being copied into backend memory first.
registerJsKernel<CsrMeanDataAttrs>({
  kernelName: CSR_MEAN_DATA,
  inputNames: [],
  outputs: (_inputs, a) => [
    { shape: [a.numDst, (a.selfConcat ? 2 : 1) * a.dim], dtype: 'float32', zeroed: false },
  ],
  compute: (_ins, [out], a) =>
    timed('aggregate.input', () => csrMeanInto(a.features, a.dim, a, out as Float32Array)),
});

/**
 * Same result as csrMean(tf.tensor2d(features, [numSrc, dim]), block, opts) without uploading the
 * numSrc × dim features: only the numDst rows of the result are written to the backend.
 */
export function csrMeanFromData(
  features: Float32Array,
  dim: number,
  block: CsrLike,
  opts: CsrMeanOptions = {},
): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim <= 0)
    throw new ShapeError('featureDim', `must be a positive integer, got ${dim}`);
  if (features.length < block.numSrc * dim)
    throw new ShapeError(
      'features',
      `length ${features.length} < numSrc × dim = ${block.numSrc * dim}`,
    );
  const attrs: CsrMeanDataAttrs = { ...csrMeanAttrs(block, opts), features, dim };
  return runKernel1(CSR_MEAN_DATA, {}, attrs) as tf.Tensor2D;
}
