// GCN (Kipf & Welling 2017) over sampled blocks: each layer the symmetric-normalised sum over the
// neighbours and the node itself, then one weight; the homogeneous encoder with GCN's normalisation.
import * as tf from '@tensorflow/tfjs-core';
import { gcnAggregate } from '../ops/gcn-norm.js';
import { ShapeError } from '../tf/errors.js';
import { mixSeed } from '../../runtime/prng.js';
import type { SubgraphBatch } from './block.js';
import { dense } from './dense.js';
import type { ParamSpec } from './params.js';

export interface GcnConfig {
  kind: 'gcn';
}

interface GcnShape {
  inDim: number;
  hiddenDim: number;
  outDim: number;
  numLayers: number;
}

/** Layer l: gcn<l>.weight [din × dout], gcn<l>.bias [dout]. */
export function gcnParamSpecs(s: GcnShape): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    const din = l === 0 ? s.inDim : s.hiddenDim;
    const dout = l === s.numLayers - 1 ? s.outDim : s.hiddenDim;
    const init = { kind: 'glorot' as const, fanIn: din, fanOut: dout };
    specs.push({ name: `gcn${l}.weight`, shape: [din, dout], init });
    specs.push({ name: `gcn${l}.bias`, shape: [dout], init: { kind: 'zeros' } });
  }
  return specs;
}

/** The seeds' outputs of a GCN stack; hidden layers ReLU, dropout on hidden inputs. */
export function gcnEncode(
  batch: SubgraphBatch,
  p: ReadonlyMap<string, tf.Tensor>,
  s: GcnShape,
  drop: { seed: number | null; rate: number },
  input: tf.Tensor2D | null = null,
): tf.Tensor2D {
  if (batch.layer0 !== undefined)
    throw new ShapeError('layer0', 'GCN normalisation needs the raw features of block 0');
  let h = input ?? tf.tensor2d(batch.features, [batch.blocks[0].numSrc, s.inDim]);
  for (let l = 0; l < s.numLayers; l++) {
    const last = l === s.numLayers - 1;
    const x = gcnAggregate(h, batch.blocks[l]);
    const rate = !last && drop.seed !== null ? drop.rate : 0;
    h = dense(x, p.get(`gcn${l}.weight`) as tf.Tensor2D, p.get(`gcn${l}.bias`) as tf.Tensor1D, {
      relu: !last,
      ...(rate > 0 ? { dropout: { rate, seed: mixSeed(drop.seed!, l) } } : {}),
    });
  }
  return h;
}
