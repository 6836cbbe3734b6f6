// One pre-norm transformer encoder layer over padded sequences: z + attention(LN(z)), then
// z + FFN(LN(z)) with a ReLU hidden layer of twice the width; parameters named `<prefix>.*`.

import * as tf from '@tensorflow/tfjs-core';
import '../tf/core-gradients.js';
import { causalSelfAttention, causalSelfAttentionReference } from './causal-attention.js';
import { layerNorm, layerNormReference } from './layer-norm.js';
import type { ParamSpec } from './params.js';

/** Width of the feed-forward hidden layer, in multiples of the model width (as in the original 4×, halved). */
export const FFN_MULTIPLE = 2;

/** Parameters of one layer of width d, named `<prefix>.attn.{wq,wk,wv,wo}`, `<prefix>.ln{1,2}.*`, `<prefix>.ffn.*`. */
export function transformerLayerSpecs(prefix: string, d: number): ParamSpec[] {
  const h = FFN_MULTIPLE * d;
  const square = (n: string): ParamSpec => ({
    name: `${prefix}.attn.${n}`,
    shape: [d, d],
    init: { kind: 'glorot', fanIn: d, fanOut: d },
  });
  return [
    square('wq'),
    square('wk'),
    square('wv'),
    square('wo'),
    { name: `${prefix}.ln1.gamma`, shape: [d], init: { kind: 'ones' } },
    { name: `${prefix}.ln1.beta`, shape: [d], init: { kind: 'zeros' } },
    { name: `${prefix}.ln2.gamma`, shape: [d], init: { kind: 'ones' } },
    { name: `${prefix}.ln2.beta`, shape: [d], init: { kind: 'zeros' } },
    { name: `${prefix}.ffn0.weight`, shape: [d, h], init: { kind: 'glorot', fanIn: d, fanOut: h } },
    { name: `${prefix}.ffn0.bias`, shape: [h], init: { kind: 'zeros' } },
    { name: `${prefix}.ffn1.weight`, shape: [h, d], init: { kind: 'glorot', fanIn: h, fanOut: d } },
    { name: `${prefix}.ffn1.bias`, shape: [d], init: { kind: 'zeros' } },
  ];
}

/** The layer's shape: P sequences of T steps, `heads` attention heads, and the mask of causalMask(). */
export interface SequenceShape {
  numSeqs: number;
  steps: number;
  heads: number;
  mask: tf.Tensor3D;
}

/** z [P·T × d] → [P·T × d]. */
export function transformerLayer(
  z: tf.Tensor2D,
  p: ReadonlyMap<string, tf.Tensor>,
  prefix: string,
  shape: SequenceShape,
): tf.Tensor2D {
  const get = <T extends tf.Tensor>(n: string) => {
    const t = p.get(`${prefix}.${n}`);
    if (t === undefined) throw new Error(`parameter ${prefix}.${n} not set`);
    return t as T;
  };
  const u = layerNorm(z, get('ln1.gamma'), get('ln1.beta'));
  const w = {
    wq: get<tf.Tensor2D>('attn.wq'),
    wk: get<tf.Tensor2D>('attn.wk'),
    wv: get<tf.Tensor2D>('attn.wv'),
    wo: get<tf.Tensor2D>('attn.wo'),
  };
  const z1 = tf.add(
    z,
    causalSelfAttention(u, w, shape.numSeqs, shape.steps, shape.heads, shape.mask),
  ) as tf.Tensor2D;
  const u2 = layerNorm(z1, get('ln2.gamma'), get('ln2.beta'));
  const hidden = tf.relu(tf.add(tf.matMul(u2, get<tf.Tensor2D>('ffn0.weight')), get('ffn0.bias')));
  const ffn = tf.add(tf.matMul(hidden, get<tf.Tensor2D>('ffn1.weight')), get('ffn1.bias'));
  return tf.add(z1, ffn) as tf.Tensor2D;
}

/** float64 reference of {@link transformerLayer}; `p` maps the same names to row-major values. */
export function transformerLayerReference(
  z: ArrayLike<number>,
  p: ReadonlyMap<string, ArrayLike<number>>,
  prefix: string,
  lastValid: Int32Array,
  steps: number,
  d: number,
  heads: number,
): Float64Array {
  const g = (n: string) => p.get(`${prefix}.${n}`)!;
  const n = lastValid.length * steps;
  const u = layerNormReference(z, n, d, g('ln1.gamma'), g('ln1.beta'));
  const a = causalSelfAttentionReference(
    u,
    { wq: g('attn.wq'), wk: g('attn.wk'), wv: g('attn.wv'), wo: g('attn.wo') },
    lastValid,
    steps,
    d,
    heads,
  );
  const z1 = Float64Array.from(a, (v, i) => v + z[i]);
  const u2 = layerNormReference(z1, n, d, g('ln2.gamma'), g('ln2.beta'));
  const h = FFN_MULTIPLE * d;
  const out = Float64Array.from(z1);
  const [w0, b0, w1, b1] = [g('ffn0.weight'), g('ffn0.bias'), g('ffn1.weight'), g('ffn1.bias')];
  const hid = new Float64Array(h);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < h; c++) {
      let s = b0[c];
      for (let k = 0; k < d; k++) s += u2[r * d + k] * w0[k * h + c];
      hid[c] = Math.max(0, s);
    }
    for (let c = 0; c < d; c++) {
      let s = b1[c];
      for (let k = 0; k < h; k++) s += hid[k] * w1[k * d + c];
      out[r * d + c] += s;
    }
  }
  return out;
}
