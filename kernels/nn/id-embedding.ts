// Free per-node ID embeddings combined with the GNN output: the seeds' rows (pulled from a sparse
// table) are added to the final layer's output, through a learned projection when widths differ.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../tf/errors.js';
import { matMulNT, matMulTN } from './dense.js';
import type { ParamSpec } from './params.js';

export interface IdEmbeddingConfig {
  /** Width of a table row; equal to the model's output width means no projection. */
  dim: number;
}

export const ID_PROJECTION = 'idEmbedding.proj';

/** The dense parameters the combination needs: a [dim × outDim] projection when the widths differ. */
export function idEmbeddingParamSpecs(c: IdEmbeddingConfig, outDim: number): ParamSpec[] {
  if (!Number.isInteger(c.dim) || c.dim < 1)
    throw new ShapeError('model.idEmbedding.dim', `must be a positive integer, got ${c.dim}`);
  if (c.dim === outDim) return [];
  return [
    {
      name: ID_PROJECTION,
      shape: [c.dim, outDim],
      init: { kind: 'glorot', fanIn: c.dim, fanOut: outDim },
    },
  ];
}

/**
 * h + rows (or h + rows·proj): [numSeeds × outDim], with explicit gradients (the core build has no
 * Add/MatMul gradients registered): dh = dy, drows = dy (·projᵀ), dproj = rowsᵀ·dy. The rows'
 * gradient is what the table's optimizer receives.
 */
export function addIdEmbedding(
  h: tf.Tensor2D,
  rows: tf.Tensor2D,
  proj: tf.Tensor2D | undefined,
): tf.Tensor2D {
  if (rows.shape[0] !== h.shape[0])
    throw new ShapeError('idRows', `${rows.shape[0]} rows for ${h.shape[0]} seeds`);
  const width = proj === undefined ? rows.shape[1] : proj.shape[1];
  if (width !== h.shape[1] || (proj !== undefined && proj.shape[0] !== rows.shape[1]))
    throw new ShapeError('idRows', `width ${width}, model output width ${h.shape[1]}`);
  if (proj === undefined) {
    const add = tf.customGrad((ht, rt) => ({
      value: tf.add(ht as tf.Tensor, rt as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => [dy.clone(), dy.clone()],
    }));
    return add(h, rows) as tf.Tensor2D;
  }
  const addProjected = tf.customGrad((ht, rt, pt, save) => {
    (save as tf.GradSaveFunc)([rt as tf.Tensor, pt as tf.Tensor]);
    return {
      value: tf.add(ht as tf.Tensor, tf.matMul(rt as tf.Tensor2D, pt as tf.Tensor2D)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        dy.clone(),
        matMulNT(dy as tf.Tensor2D, saved[1] as tf.Tensor2D),
        matMulTN(saved[0] as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return addProjected(h, rows, proj) as tf.Tensor2D;
}
