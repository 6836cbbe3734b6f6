// csrAttention: GAT's multi-head attention over CSR segments (LeakyReLU scores, a softmax per
// destination and head, optional attention dropout), one fused kernel each way; float64 reference.

import * as tf from '@tensorflow/tfjs-core';
import { registerJsKernel, runKernel, runKernel1 } from '../tf/js-kernel.js';
import { timed } from '../tf/op-timer.js';
import { ShapeError } from '../tf/errors.js';
import { hash32 } from '../../runtime/prng.js';
import type { CsrLike } from './csr-mean.js';
import { checkCsrShape } from './csr-shape.js';

export interface CsrAttentionOptions {
  /** Number of heads H: z rows are H blocks of F values, el/er rows H scores. */
  heads: number;
  /** Destination i also attends to itself (source row i), as GAT's added self loops do. Default true. */
  selfLoop?: boolean;
  /** Slope of LeakyReLU on the raw scores. Default 0.2. */
  negativeSlope?: number;
  /** Dropout on the attention coefficients (after the softmax). Default 0. */
  dropRate?: number;
  /** Seed of that dropout's mask (a hash of seed, slot and head: nothing is stored). */
  dropSeed?: number;
}

export interface CsrAttentionAttrs {
  indptr: Int32Array;
  indices: Int32Array;
  numDst: number;
  numSrc: number;
  heads: number;
  selfLoop: boolean;
  negativeSlope: number;
  dropRate: number;
  dropKey: number;
}

export const CSR_ATTENTION = 'WeftCsrAttention';
export const CSR_ATTENTION_GRAD = 'WeftCsrAttentionGrad';

/**
 * Kept-and-scaled factor of an attention coefficient: 0 or 1/(1-rate). Slot s is edge s for a
 * CSR edge and numEdges + i for destination i's self loop, so the backward pass regenerates it.
 */
export function attentionMask(a: CsrAttentionAttrs, slot: number, head: number): number {
  if (a.dropRate === 0) return 1;
  const h = hash32(hash32(Math.imul(slot, a.heads) + head) ^ a.dropKey);
  return h / 4294967296 >= a.dropRate ? 1 / (1 - a.dropRate) : 0;
}

/** One destination's neighbour list with its self loop first: source rows and mask slots. */
function neighbours(a: CsrAttentionAttrs, i: number, src: Int32Array, slot: Int32Array): number {
  let n = 0;
  if (a.selfLoop) {
    src[n] = i;
    slot[n++] = a.indices.length + i;
  }
  for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
    src[n] = a.indices[k];
    slot[n++] = k;
  }
  return n;
}

/** Softmax of LeakyReLU(el[u,h] + er[i,h]) over the list into alpha; raw scores into raw. */
function softmaxInto(
  a: CsrAttentionAttrs,
  el: Float32Array,
  er: Float32Array,
  i: number,
  h: number,
  src: Int32Array,
  n: number,
  raw: Float64Array,
  alpha: Float64Array,
): void {
  const H = a.heads;
  const right = er[i * H + h];
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    const s = el[src[k] * H + h] + right;
    raw[k] = s;
    const e = s > 0 ? s : a.negativeSlope * s;
    alpha[k] = e;
    if (e > max) max = e;
  }
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const p = Math.exp(alpha[k] - max);
    alpha[k] = p;
    sum += p;
  }
  for (let k = 0; k < n; k++) alpha[k] /= sum;
}

interface Scratch {
  src: Int32Array;
  slot: Int32Array;
  raw: Float64Array;
  alpha: Float64Array;
  grad: Float64Array;
}

function scratchFor(a: CsrAttentionAttrs): Scratch {
  let maxDeg = 0;
  for (let i = 0; i < a.numDst; i++) maxDeg = Math.max(maxDeg, a.indptr[i + 1] - a.indptr[i]);
  const n = maxDeg + 1;
  return {
    src: new Int32Array(n),
    slot: new Int32Array(n),
    raw: new Float64Array(n),
    alpha: new Float64Array(n),
    grad: new Float64Array(n),
  };
}

/**
 * Calls `body(s, i, h, n)` for every destination i with neighbours and every head h, with the
 * i's n neighbours (s.src, s.slot) and their coefficients (s.raw, s.alpha) in the scratch.
 */
function eachDestinationHead(
  a: CsrAttentionAttrs,
  el: Float32Array,
  er: Float32Array,
  body: (s: Scratch, i: number, h: number, n: number) => void,
): void {
  const s = scratchFor(a);
  for (let i = 0; i < a.numDst; i++) {
    const n = neighbours(a, i, s.src, s.slot);
    if (n === 0) continue;
    for (let h = 0; h < a.heads; h++) {
      softmaxInto(a, el, er, i, h, s.src, n, s.raw, s.alpha);
      body(s, i, h, n);
    }
  }
}

/** out[i, h·F + f] = Σ_k α_k(h) · mask_k(h) · z[u_k, h·F + f]; out must be zeroed. */
export function csrAttentionInto(
  z: Float32Array,
  el: Float32Array,
  er: Float32Array,
  F: number,
  a: CsrAttentionAttrs,
  out: Float32Array,
): void {
  const W = a.heads * F;
  eachDestinationHead(a, el, er, (s, i, h, n) => {
    const o = i * W + h * F;
    for (let k = 0; k < n; k++) {
      const w = s.alpha[k] * attentionMask(a, s.slot[k], h);
      if (w === 0) continue;
      const r = s.src[k] * W + h * F;
      for (let f = 0; f < F; f++) out[o + f] += w * z[r + f];
    }
  });
}

/** Gradients of csrAttentionInto with respect to z, el and er (all three zeroed on entry). */
export function csrAttentionGradInto(
  z: Float32Array,
  el: Float32Array,
  er: Float32Array,
  dy: Float32Array,
  F: number,
  a: CsrAttentionAttrs,
  dz: Float32Array,
  del: Float32Array,
  der: Float32Array,
): void {
  const H = a.heads;
  const W = H * F;
  eachDestinationHead(a, el, er, (s, i, h, n) => {
    const o = i * W + h * F;
    // g_k = ∂L/∂α_k = mask_k · <dy_i, z_u>; z_u gets α_k · mask_k · dy_i.
    let dot = 0;
    for (let k = 0; k < n; k++) {
      const m = attentionMask(a, s.slot[k], h);
      const r = s.src[k] * W + h * F;
      let g = 0;
      if (m !== 0) {
        const w = s.alpha[k] * m;
        for (let f = 0; f < F; f++) {
          g += dy[o + f] * z[r + f];
          dz[r + f] += w * dy[o + f];
        }
      }
      s.grad[k] = g * m;
      dot += s.alpha[k] * s.grad[k];
    }
    // Softmax: ∂L/∂e_k = α_k (g_k − Σ_j α_j g_j); LeakyReLU: × 1 or slope by the raw score's sign.
    for (let k = 0; k < n; k++) {
      const de = s.alpha[k] * (s.grad[k] - dot);
      const ds = s.raw[k] > 0 ? de : a.negativeSlope * de;
      del[s.src[k] * H + h] += ds;
      der[i * H + h] += ds;
    }
  });
}

registerJsKernel<CsrAttentionAttrs>({
  kernelName: CSR_ATTENTION,
  inputNames: ['z', 'el', 'er'],
  outputs: ([z], a) => [{ shape: [a.numDst, z.shape[1]], dtype: 'float32', zeroed: true }],
  compute: ([z, el, er], [out], a, [zInfo]) =>
    timed('attention', () =>
      csrAttentionInto(
        z as Float32Array,
        el as Float32Array,
        er as Float32Array,
        zInfo.shape[1] / a.heads,
        a,
        out as Float32Array,
      ),
    ),
});

registerJsKernel<CsrAttentionAttrs>({
  kernelName: CSR_ATTENTION_GRAD,
  inputNames: ['z', 'el', 'er', 'dy'],
  outputs: ([z, el, er]) => [
    { shape: z.shape.slice(), dtype: 'float32', zeroed: true },
    { shape: el.shape.slice(), dtype: 'float32', zeroed: true },
    { shape: er.shape.slice(), dtype: 'float32', zeroed: true },
  ],
  compute: ([z, el, er, dy], [dz, del, der], a, [zInfo]) =>
    timed('attention.backward', () =>
      csrAttentionGradInto(
        z as Float32Array,
        el as Float32Array,
        er as Float32Array,
        dy as Float32Array,
        zInfo.shape[1] / a.heads,
        a,
        dz as Float32Array,
        del as Float32Array,
        der as Float32Array,
      ),
    ),
});

tf.registerGradient({
  kernelName: CSR_ATTENTION,
  inputsToSave: ['z', 'el', 'er'],
  gradFunc: (dy, saved, attrs) => {
    // One backward pass yields all three gradients. It runs here, not in the per-input closures:
    // the tape runs each closure in its own tidy, which would free the other two outputs.
    const [dz, del, der] = runKernel(
      CSR_ATTENTION_GRAD,
      { z: saved[0], el: saved[1], er: saved[2], dy: dy as tf.Tensor },
      attrs as unknown as CsrAttentionAttrs,
    ) as tf.Tensor[];
    return { z: () => dz, el: () => del, er: () => der };
  },
});

export function csrAttentionAttrs(block: CsrLike, opts: CsrAttentionOptions): CsrAttentionAttrs {
  const { numDst, numSrc, indptr, indices } = block;
  if (!Number.isInteger(opts.heads) || opts.heads < 1)
    throw new ShapeError('heads', `must be a positive integer, got ${opts.heads}`);
  checkCsrShape(block);
  const dropRate = opts.dropRate ?? 0;
  if (!(dropRate >= 0 && dropRate < 1))
    throw new ShapeError('dropRate', `must be in [0, 1), got ${dropRate}`);
  return {
    indptr,
    indices,
    numDst,
    numSrc,
    heads: opts.heads,
    selfLoop: opts.selfLoop ?? true,
    negativeSlope: opts.negativeSlope ?? 0.2,
    dropRate,
    dropKey: hash32((opts.dropSeed ?? 0) ^ 0x2545f491) | 0,
  };
}

/**
 * Attention-weighted sum of z's rows [numSrc × H·F] over the block's edges into [numDst × H·F],
 * with el [numSrc × H] and er [numDst × H] the per-node halves of the scores. Differentiable in
 * z, el and er; the block is data.
 */
export function csrAttention(
  z: tf.Tensor2D,
  el: tf.Tensor2D,
  er: tf.Tensor2D,
  block: CsrLike,
  opts: CsrAttentionOptions,
): tf.Tensor2D {
  const a = csrAttentionAttrs(block, opts);
  const H = a.heads;
  if (z.shape[0] !== block.numSrc || z.shape[1] % H !== 0)
    throw new ShapeError('z', `shape ${z.shape.join('×')}, expected ${block.numSrc} × (${H}·F)`);
  if (el.shape[0] !== block.numSrc || el.shape[1] !== H)
    throw new ShapeError('el', `shape ${el.shape.join('×')}, expected ${block.numSrc} × ${H}`);
  if (er.shape[0] !== block.numDst || er.shape[1] !== H)
    throw new ShapeError('er', `shape ${er.shape.join('×')}, expected ${block.numDst} × ${H}`);
  return runKernel1(CSR_ATTENTION, { z, el, er }, a) as tf.Tensor2D;
}

/** A destination's attention in float64, straight from the definition: sources, slots, α. */
function referenceAlpha(
  a: CsrAttentionAttrs,
  el: ArrayLike<number>,
  er: ArrayLike<number>,
  i: number,
  h: number,
) {
  const H = a.heads;
  const src: number[] = [];
  const slots: number[] = [];
  if (a.selfLoop) {
    src.push(i);
    slots.push(a.indices.length + i);
  }
  for (let k = a.indptr[i]; k < a.indptr[i + 1]; k++) {
    src.push(a.indices[k]);
    slots.push(k);
  }
  const raw = src.map((u) => el[u * H + h] + er[i * H + h]);
  const e = raw.map((s) => (s > 0 ? s : a.negativeSlope * s));
  const max = Math.max(...e);
  const p = e.map((x) => Math.exp(x - max));
  const sum = p.reduce((x, y) => x + y, 0);
  return { src, slots, raw, alpha: p.map((x) => x / sum) };
}

/** float64 reference of csrAttention's forward. */
export function csrAttentionReference(
  z: ArrayLike<number>,
  el: ArrayLike<number>,
  er: ArrayLike<number>,
  F: number,
  a: CsrAttentionAttrs,
): Float64Array {
  const W = a.heads * F;
  const out = new Float64Array(a.numDst * W);
  for (let i = 0; i < a.numDst; i++)
    for (let h = 0; h < a.heads; h++) {
      const { src, slots, alpha } = referenceAlpha(a, el, er, i, h);
      src.forEach((u, k) => {
        const w = alpha[k] * attentionMask(a, slots[k], h);
        for (let f = 0; f < F; f++) out[i * W + h * F + f] += w * z[u * W + h * F + f];
      });
    }
  return out;
}

/** float64 reference of the gradients (dz, del, der) for an upstream gradient dy. */
export function csrAttentionGradReference(
  z: ArrayLike<number>,
  el: ArrayLike<number>,
  er: ArrayLike<number>,
  dy: ArrayLike<number>,
  F: number,
  a: CsrAttentionAttrs,
): { dz: Float64Array; del: Float64Array; der: Float64Array } {
  const H = a.heads;
  const W = H * F;
  const dz = new Float64Array(a.numSrc * W);
  const del = new Float64Array(a.numSrc * H);
  const der = new Float64Array(a.numDst * H);
  for (let i = 0; i < a.numDst; i++)
    for (let h = 0; h < H; h++) {
      const { src, slots, raw, alpha } = referenceAlpha(a, el, er, i, h);
      const m = slots.map((s) => attentionMask(a, s, h));
      // Full softmax Jacobian: ∂α_k/∂e_j = α_k (δ_kj − α_j).
      const g = src.map((u, k) => {
        let d = 0;
        for (let f = 0; f < F; f++) {
          d += dy[i * W + h * F + f] * z[u * W + h * F + f];
          dz[u * W + h * F + f] += alpha[k] * m[k] * dy[i * W + h * F + f];
        }
        return d * m[k];
      });
      for (let j = 0; j < src.length; j++) {
        let de = 0;
        for (let k = 0; k < src.length; k++) de += g[k] * alpha[k] * ((k === j ? 1 : 0) - alpha[j]);
        const ds = raw[j] > 0 ? de : a.negativeSlope * de;
        del[src[j] * H + h] += ds;
        der[i * H + h] += ds;
      }
    }
  return { dz, del, der };
}
