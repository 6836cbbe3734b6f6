// GAT encoder (Veličković et al., ICLR 2018): per layer a shared projection, multi-head attention
// over each destination's sampled neighbours and itself; hidden heads concatenated, output heads averaged.

import * as tf from '@tensorflow/tfjs-core';
import { csrAttention } from '../ops/csr-attention.js';
import { ShapeError } from '../tf/errors.js';
import { timed } from '../tf/op-timer.js';
import { mixSeed } from '../../runtime/prng.js';
import type { SubgraphBatch } from './block.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import type { ParamSpec } from './params.js';

export interface GatConfig {
  kind: 'gat';
  /** Heads of every hidden layer; the hidden width is split evenly among them. Default 8. */
  heads: number;
  /** Heads of the output layer, averaged. Default 1. */
  outputHeads: number;
  /** Dropout on the attention coefficients during training. Default 0.6 as in GAT. */
  attentionDropout: number;
  /** LeakyReLU slope of the attention scores. Default 0.2. */
  negativeSlope: number;
}

/** The shapes a GAT stack needs from its model. */
export interface GatShape {
  inDim: number;
  hiddenDim: number;
  outDim: number;
  numLayers: number;
}

function layerDims(s: GatShape, g: GatConfig, l: number) {
  const last = l === s.numLayers - 1;
  const heads = last ? g.outputHeads : g.heads;
  const perHead = last ? s.outDim : s.hiddenDim / g.heads;
  return { din: l === 0 ? s.inDim : s.hiddenDim, heads, perHead, last };
}

/** Parameters of layer l: gat<l>.weight [din × H·F], gat<l>.attnSrc / attnDst [H × F], gat<l>.bias [H·F]. */
export function gatParamSpecs(s: GatShape, g: GatConfig): ParamSpec[] {
  if (!(Number.isInteger(g.heads) && g.heads >= 1 && s.hiddenDim % g.heads === 0))
    throw new ShapeError(
      'model.attention.heads',
      `${g.heads} must be a positive divisor of the hidden width ${s.hiddenDim}`,
    );
  if (!(Number.isInteger(g.outputHeads) && g.outputHeads >= 1))
    throw new ShapeError(
      'model.attention.outputHeads',
      `must be a positive integer, got ${g.outputHeads}`,
    );
  if (!(g.attentionDropout >= 0 && g.attentionDropout < 1))
    throw new ShapeError('model.attention.dropout', `must be in [0, 1), got ${g.attentionDropout}`);
  const specs: ParamSpec[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    const { din, heads, perHead } = layerDims(s, g, l);
    const width = heads * perHead;
    specs.push({
      name: `gat${l}.weight`,
      shape: [din, width],
      init: { kind: 'glorot', fanIn: din, fanOut: width },
    });
    for (const side of ['attnSrc', 'attnDst'])
      specs.push({
        name: `gat${l}.${side}`,
        shape: [heads, perHead],
        init: { kind: 'glorot', fanIn: perHead, fanOut: 1 },
      });
    specs.push({ name: `gat${l}.bias`, shape: [width], init: { kind: 'zeros' } });
  }
  return specs;
}

/** Per-head scores of the first `rows` rows of z [n × H·F]: out[i, h] = Σ_f z[i, h·F + f] · a[h, f]. */
export function headDot(z: tf.Tensor2D, a: tf.Tensor2D, rows: number): tf.Tensor2D {
  const [H, F] = a.shape;
  const n = z.shape[0];
  // Saves its inputs only: an intermediate (the reshaped rows) is freed before the backward pass.
  const rowsOf = (zt: tf.Tensor): tf.Tensor3D =>
    tf.reshape(rows === n ? zt : tf.slice(zt as tf.Tensor2D, [0, 0], [rows, H * F]), [rows, H, F]);
  const f = tf.customGrad((zt, at, save) => {
    (save as tf.GradSaveFunc)([zt as tf.Tensor, at as tf.Tensor]);
    return {
      value: tf.sum(tf.mul(rowsOf(zt as tf.Tensor), at as tf.Tensor), 2),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const d3 = tf.reshape(dy, [rows, H, 1]);
        let dz: tf.Tensor = tf.reshape(tf.mul(d3, saved[1]), [rows, H * F]);
        if (rows < n) dz = tf.concat([dz, tf.zeros([n - rows, H * F])], 0);
        return [dz, tf.sum(tf.mul(d3, rowsOf(saved[0])), 0)];
      },
    };
  });
  return timed('attention.scores', () => f(z, a) as tf.Tensor2D);
}

/** Mean over H heads of x [n × H·F] → [n × F]. */
export function headMean(x: tf.Tensor2D, heads: number): tf.Tensor2D {
  if (heads === 1) return x;
  const [n, width] = x.shape;
  const F = width / heads;
  const f = tf.customGrad((xt) => ({
    value: tf.mean(tf.reshape(xt as tf.Tensor, [n, heads, F]), 1),
    gradFunc: (dy: tf.Tensor) =>
      tf.reshape(tf.tile(tf.reshape(tf.div(dy, heads), [n, 1, F]), [1, heads, 1]), [n, width]),
  }));
  return f(x) as tf.Tensor2D;
}

/** ELU (GAT's hidden activation): x for x > 0, e^x − 1 otherwise; gradient 1 or y + 1. */
export function elu(x: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((xt, save) => {
    const y = tf.elu(xt as tf.Tensor);
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.where(tf.greater(saved[0], 0), tf.onesLike(dy), tf.add(saved[0], 1))),
    };
  });
  return f(x) as tf.Tensor2D;
}

export interface GatStepDropout {
  /** Seed of this step's masks; null: evaluation (no dropout). */
  seed: number | null;
  /** Dropout on each layer's input (features and hidden activations). */
  rate: number;
}

/** The seeds' outputs [numSeeds × outDim] of a GAT stack over the batch's blocks. */
export function gatEncode(
  batch: SubgraphBatch,
  p: ReadonlyMap<string, tf.Tensor>,
  s: GatShape,
  g: GatConfig,
  drop: GatStepDropout,
  input: tf.Tensor2D | null = null,
): tf.Tensor2D {
  if (batch.layer0 !== undefined)
    throw new ShapeError(
      'layer0',
      'the attention encoder needs the raw features of block 0 (sampling.fuseFirstLayer is for sage)',
    );
  let h = input ?? tf.tensor2d(batch.features, [batch.blocks[0].numSrc, s.inDim]);
  for (let l = 0; l < s.numLayers; l++) {
    const block = batch.blocks[l];
    const { heads, last } = layerDims(s, g, l);
    const training = drop.seed !== null;
    if (training && drop.rate > 0) h = dropout(h, drop.rate, mixSeed(drop.seed!, l));
    const z = dense(
      h,
      p.get(`gat${l}.weight`) as tf.Tensor2D,
      p.get(`gat${l}.bias`) as tf.Tensor1D,
      {
        xIsData: l === 0 && input === null,
      },
    );
    const el = headDot(z, p.get(`gat${l}.attnSrc`) as tf.Tensor2D, block.numSrc);
    const er = headDot(z, p.get(`gat${l}.attnDst`) as tf.Tensor2D, block.numDst);
    const out = csrAttention(z, el, er, block, {
      heads,
      negativeSlope: g.negativeSlope,
      dropRate: training ? g.attentionDropout : 0,
      dropSeed: training ? mixSeed(drop.seed!, 0x2000 + l) : 0,
    });
    h = last ? headMean(out, heads) : elu(out);
  }
  return h;
}
