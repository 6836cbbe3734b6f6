// Relation-aware encoder (R-GCN, Schlichtkrull et al. 2018): per layer a self weight plus one weight
// per relation over that relation's neighbour mean, the relation weights a combination of shared bases;
// the relation messages summed, averaged, or weighted by a per-node attention over relations.

import * as tf from '@tensorflow/tfjs-core';
import { csrRelationMean, type RelationAggregate } from '../ops/csr-relation-mean.js';
import {
  relationAttentionLayer,
  type RelationAttentionParams,
} from './relation-attention-layer.js';
import { relu } from './relu.js';
import { ShapeError } from '../tf/errors.js';
import { mixSeed } from '../../runtime/prng.js';
import type { SubgraphBatch } from './block.js';
import { dense, matMulNT, matMulTN } from './dense.js';
import { dropout } from './dropout.js';
import type { ParamSpec } from './params.js';

export interface RgcnConfig {
  kind: 'rgcn';
  /** Number of relations R: every block edge carries an edgeType < R. */
  numRelations: number;
  /** Bases B shared by the relations (W_r = Σ_b a_rb V_b); 0 = one full weight per relation. */
  numBases: number;
  /**
   * Relation messages summed (R-GCN, the default), averaged over the relations a node has, or
   * weighted by a softmax over them of a · tanh(W_a m_r + b_a) (HAN's semantic attention, per node).
   */
  aggregate?: RelationAggregate | 'attention';
  /** Width k of W_a [d_out × k], b_a and a [k]; needed with aggregate 'attention'. */
  attentionDim?: number;
}

export interface RgcnShape {
  inDim: number;
  hiddenDim: number;
  outDim: number;
  numLayers: number;
}

function dims(s: RgcnShape, l: number) {
  return {
    din: l === 0 ? s.inDim : s.hiddenDim,
    dout: l === s.numLayers - 1 ? s.outDim : s.hiddenDim,
  };
}

/** With aggregate 'attention': rgcn<l>.attention [dout × k], .attentionBias [k], .attentionQuery [k]. */
function attentionSpecs(l: number, dout: number, g: RgcnConfig): ParamSpec[] {
  if (g.aggregate !== 'attention') return [];
  const k = g.attentionDim;
  if (!(Number.isInteger(k) && k! >= 1))
    throw new ShapeError('attentionDim', `must be a positive integer, got ${String(k)}`);
  return [
    {
      name: `rgcn${l}.attention`,
      shape: [dout, k!],
      init: { kind: 'glorot', fanIn: dout, fanOut: k! },
    },
    { name: `rgcn${l}.attentionBias`, shape: [k!], init: { kind: 'zeros' } },
    {
      name: `rgcn${l}.attentionQuery`,
      shape: [k!],
      init: { kind: 'glorot', fanIn: k!, fanOut: 1 },
    },
  ];
}

/**
 * Layer l: rgcn<l>.self [din × dout], rgcn<l>.bias [dout], and either rgcn<l>.relations
 * [R·din × dout] or rgcn<l>.bases [B × din·dout] with rgcn<l>.coefficients [R × B]; then the
 * attention's parameters when relations are combined by attention.
 */
export function rgcnParamSpecs(s: RgcnShape, g: RgcnConfig): ParamSpec[] {
  if (!(Number.isInteger(g.numRelations) && g.numRelations >= 1))
    throw new ShapeError('numRelations', `must be a positive integer, got ${g.numRelations}`);
  if (!(Number.isInteger(g.numBases) && g.numBases >= 0))
    throw new ShapeError('numBases', `must be a non-negative integer, got ${g.numBases}`);
  const R = g.numRelations;
  const specs: ParamSpec[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    const { din, dout } = dims(s, l);
    const glorot = { kind: 'glorot' as const, fanIn: din, fanOut: dout };
    specs.push({ name: `rgcn${l}.self`, shape: [din, dout], init: glorot });
    if (g.numBases === 0)
      specs.push({ name: `rgcn${l}.relations`, shape: [R * din, dout], init: glorot });
    else {
      specs.push({ name: `rgcn${l}.bases`, shape: [g.numBases, din * dout], init: glorot });
      specs.push({
        name: `rgcn${l}.coefficients`,
        shape: [R, g.numBases],
        init: { kind: 'glorot', fanIn: g.numBases, fanOut: 1 },
      });
    }
    specs.push({ name: `rgcn${l}.bias`, shape: [dout], init: { kind: 'zeros' } });
    specs.push(...attentionSpecs(l, dout, g));
  }
  return specs;
}

/**
 * [W_self; W_0; …; W_{R−1}] as one [(1+R)·din × dout] matrix, W_r = Σ_b coef[r,b] · bases[b]
 * (bases null: relations is already [R·din × dout]). Differentiable in every input.
 */
export function relationWeights(
  self: tf.Tensor2D,
  relations: tf.Tensor2D | null,
  bases: { coefficients: tf.Tensor2D; bases: tf.Tensor2D } | null,
): tf.Tensor2D {
  const [din, dout] = self.shape;
  if (relations !== null) {
    const f = tf.customGrad((s, r) => ({
      value: tf.concat([s as tf.Tensor2D, r as tf.Tensor2D], 0),
      gradFunc: (dy: tf.Tensor) => [
        tf.slice(dy as tf.Tensor2D, [0, 0], [din, dout]),
        tf.slice(dy as tf.Tensor2D, [din, 0], [dy.shape[0] - din, dout]),
      ],
    }));
    return f(self, relations) as tf.Tensor2D;
  }
  const { coefficients, bases: v } = bases!;
  const R = coefficients.shape[0];
  const f = tf.customGrad((s, a, b, save) => {
    (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
    const w = tf.reshape(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), [R * din, dout]);
    return {
      value: tf.concat([s as tf.Tensor2D, w], 0),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dw = tf.reshape(tf.slice(dy as tf.Tensor2D, [din, 0], [R * din, dout]), [
          R,
          din * dout,
        ]) as tf.Tensor2D;
        return [
          tf.slice(dy as tf.Tensor2D, [0, 0], [din, dout]),
          matMulNT(dw, saved[1] as tf.Tensor2D),
          matMulTN(saved[0] as tf.Tensor2D, dw),
        ];
      },
    };
  });
  return f(self, coefficients, v) as tf.Tensor2D;
}

/** Layer l's [W_self; W_0; …; W_{R−1}], from full relation weights or from the bases. */
function layerWeights(p: ReadonlyMap<string, tf.Tensor>, l: number, g: RgcnConfig): tf.Tensor2D {
  return relationWeights(
    p.get(`rgcn${l}.self`) as tf.Tensor2D,
    g.numBases === 0 ? (p.get(`rgcn${l}.relations`) as tf.Tensor2D) : null,
    g.numBases === 0
      ? null
      : {
          coefficients: p.get(`rgcn${l}.coefficients`) as tf.Tensor2D,
          bases: p.get(`rgcn${l}.bases`) as tf.Tensor2D,
        },
  );
}

function attentionParams(
  p: ReadonlyMap<string, tf.Tensor>,
  l: number,
  w: tf.Tensor2D,
): RelationAttentionParams {
  return {
    w,
    bias: p.get(`rgcn${l}.bias`) as tf.Tensor1D,
    attention: p.get(`rgcn${l}.attention`) as tf.Tensor2D,
    attentionBias: p.get(`rgcn${l}.attentionBias`) as tf.Tensor1D,
    attentionQuery: p.get(`rgcn${l}.attentionQuery`) as tf.Tensor1D,
  };
}

/** The seeds' outputs of an R-GCN stack; hidden layers ReLU, dropout on hidden inputs. */
export function rgcnEncode(
  batch: SubgraphBatch,
  p: ReadonlyMap<string, tf.Tensor>,
  s: RgcnShape,
  g: RgcnConfig,
  drop: { seed: number | null; rate: number },
  input: tf.Tensor2D | null = null,
): tf.Tensor2D {
  if (batch.layer0 !== undefined)
    throw new ShapeError('layer0', 'the relation-aware encoder needs the raw features of block 0');
  const aggregate = g.aggregate ?? 'sum';
  let h = input ?? tf.tensor2d(batch.features, [batch.blocks[0].numSrc, s.inDim]);
  for (let l = 0; l < s.numLayers; l++) {
    const block = batch.blocks[l];
    if (block.edgeType === undefined)
      throw new ShapeError(`blocks[${l}].edgeType`, 'the relation-aware encoder needs edge types');
    const last = l === s.numLayers - 1;
    const typed = { ...block, edgeType: block.edgeType };
    const byPart = aggregate === 'attention';
    const x = csrRelationMean(h, typed, g.numRelations, byPart ? 'sum' : aggregate, byPart);
    const w = layerWeights(p, l, g);
    const rate = !last && drop.seed !== null ? drop.rate : 0;
    const dropout0 = rate > 0 ? { rate, seed: mixSeed(drop.seed!, l) } : null;
    if (aggregate !== 'attention') {
      h = dense(x, w, p.get(`rgcn${l}.bias`) as tf.Tensor1D, {
        relu: !last,
        ...(dropout0 !== null ? { dropout: dropout0 } : {}),
      });
      continue;
    }
    h = relationAttentionLayer(x, attentionParams(p, l, w), typed, g.numRelations);
    if (!last) h = relu(h);
    if (dropout0 !== null) h = dropout(h, dropout0.rate, dropout0.seed);
  }
  return h;
}
