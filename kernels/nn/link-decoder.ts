// Link decoders that turn node embeddings into pair scores: dot product (a fused pair kernel, or one
// matmul for an in-batch score matrix), cosine similarity (LinkSAGE's: the dot product of L2-normalised
// embeddings, scaled by a fixed inverse temperature so a logit can reach a confident probability) and
// an MLP over the element-wise product of the two embeddings.

import * as tf from '@tensorflow/tfjs-core';
import { edgeDot } from '../ops/edge-dot.js';
import { gatherRows } from '../ops/gather-rows.js';
import { timed } from '../tf/op-timer.js';
import { dense, matMulNT, matMulTN } from './dense.js';
import { l2Normalize } from './l2-normalize.js';
import type { ParamSpec } from './params.js';

export type LinkDecoderKind = 'dot' | 'cosine' | 'mlp';

/** The cosine decoder's logit is COSINE_SCALE · cos(u, v): a temperature of 0.2, in [-5, 5]. */
export const COSINE_SCALE = 5;

/** Parameters of the decoder: none for 'dot' and 'cosine'; two dense layers (dim→hidden→1) for 'mlp'. */
export function decoderParamSpecs(kind: LinkDecoderKind, dim: number, hidden: number): ParamSpec[] {
  if (kind !== 'mlp') return [];
  return [
    {
      name: 'decoder.fc0.weight',
      shape: [dim, hidden],
      init: { kind: 'glorot', fanIn: dim, fanOut: hidden },
    },
    { name: 'decoder.fc0.bias', shape: [hidden], init: { kind: 'zeros' } },
    {
      name: 'decoder.fc1.weight',
      shape: [hidden, 1],
      init: { kind: 'glorot', fanIn: hidden, fanOut: 1 },
    },
    { name: 'decoder.fc1.bias', shape: [1], init: { kind: 'zeros' } },
  ];
}

/** a ⊙ b with its product-rule gradient. */
export function hadamard(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((at, bt, save) => {
    (save as tf.GradSaveFunc)([at as tf.Tensor, bt as tf.Tensor]);
    return {
      value: tf.mul(at as tf.Tensor, bt as tf.Tensor),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[1]), tf.mul(dy, saved[0])],
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** S = a · bᵀ ([B × d]·[d × B]) for in-batch scoring, with explicit-transpose gradients. */
export function scoreMatrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((at, bt, save) => {
    (save as tf.GradSaveFunc)([at as tf.Tensor, bt as tf.Tensor]);
    return {
      value: timed('matmul', () => matMulNT(at as tf.Tensor2D, bt as tf.Tensor2D)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        timed('matmul.gradX', () => tf.matMul(dy as tf.Tensor2D, saved[1] as tf.Tensor2D)),
        timed('matmul.gradX', () => matMulTN(dy as tf.Tensor2D, saved[0] as tf.Tensor2D)),
      ],
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** The embeddings a decoder takes dot products of: L2-normalised and scaled for 'cosine'. */
export function decoderEmbeddings(kind: LinkDecoderKind, emb: tf.Tensor2D): tf.Tensor2D {
  if (kind !== 'cosine') return emb;
  // Both sides carry sqrt(scale), so their dot product is scale · cos.
  return scaled(l2Normalize(emb), Math.sqrt(COSINE_SCALE));
}

/** c · x with its gradient c · dy. */
function scaled(x: tf.Tensor2D, c: number): tf.Tensor2D {
  const f = tf.customGrad((xt) => ({
    value: tf.mul(xt as tf.Tensor, c),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, c),
  }));
  return f(x) as tf.Tensor2D;
}

/**
 * Scores of pairs (u[p], v[p]) over the rows of the embeddings E [n × dim]: [P] for 'dot' and
 * 'cosine', [P × 1] for 'mlp'. `params` must hold the decoder's tensors for 'mlp'.
 */
export function scorePairs(
  kind: LinkDecoderKind,
  emb: tf.Tensor2D,
  u: Int32Array,
  v: Int32Array,
  params: ReadonlyMap<string, tf.Tensor>,
): tf.Tensor {
  if (kind !== 'mlp') return edgeDot(decoderEmbeddings(kind, emb), u, v);
  const z = hadamard(gatherRows(emb, u) as tf.Tensor2D, gatherRows(emb, v) as tf.Tensor2D);
  const get = (n: string) => {
    const t = params.get(n);
    if (t === undefined) throw new Error(`decoder parameter ${n} not set`);
    return t;
  };
  const h = dense(
    z,
    get('decoder.fc0.weight') as tf.Tensor2D,
    get('decoder.fc0.bias') as tf.Tensor1D,
    {
      relu: true,
    },
  );
  return dense(h, get('decoder.fc1.weight') as tf.Tensor2D, get('decoder.fc1.bias') as tf.Tensor1D);
}
