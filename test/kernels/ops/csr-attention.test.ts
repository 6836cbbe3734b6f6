// csrAttention against its float64 reference on random blocks with odd shapes (empty rows, repeated
// neighbours, 1–3 heads, with and without self loops and attention dropout); its gradients against
// the float64 reference gradients, and those against finite differences of the float64 forward.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  csrAttention,
  csrAttentionAttrs,
  csrAttentionGradReference,
  csrAttentionReference,
  type CsrAttentionOptions,
} from '../../../kernels/ops/csr-attention.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';

function randomCase(seed: number) {
  const rng = new Mulberry32(seed);
  const numSrc = 1 + rng.int(40);
  const numDst = rng.int(numSrc + 1);
  const heads = 1 + rng.int(3);
  const F = 1 + rng.int(11);
  const block = randomBlock(rng, { numDst, numSrc, maxDeg: 9 });
  const opts: CsrAttentionOptions = {
    heads,
    selfLoop: seed % 4 !== 0,
    negativeSlope: seed % 2 === 0 ? 0.2 : 0.1,
    dropRate: seed % 3 === 0 ? 0.4 : 0,
    dropSeed: seed * 7,
  };
  return {
    block,
    opts,
    F,
    z: randomArray(rng, numSrc * heads * F, 2),
    el: randomArray(rng, numSrc * heads, 3),
    er: randomArray(rng, numDst * heads, 3),
    dy: randomArray(rng, numDst * heads * F, 1),
  };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`csrAttention on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('matches the float64 reference forward and backward on random blocks', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const c = randomCase(seed);
        const H = c.opts.heads;
        const { numSrc, numDst } = c.block;
        const a = csrAttentionAttrs(c.block, c.opts);
        const want = csrAttentionReference(c.z, c.el, c.er, c.F, a);
        const wantGrad = csrAttentionGradReference(c.z, c.el, c.er, c.dy, c.F, a);
        const [out, dz, del, der] = tf.tidy(() => {
          const z = tf.tensor2d(c.z, [numSrc, H * c.F]);
          const el = tf.tensor2d(c.el, [numSrc, H]);
          const er = tf.tensor2d(c.er, [numDst, H]);
          const dy = tf.tensor2d(c.dy, [numDst, H * c.F]);
          const f = (zz: tf.Tensor, ll: tf.Tensor, rr: tf.Tensor) =>
            csrAttention(zz as tf.Tensor2D, ll as tf.Tensor2D, rr as tf.Tensor2D, c.block, c.opts);
          const grads = tf.grads(f)([z, el, er], dy);
          const o = csrAttention(z, el, er, c.block, c.opts);
          return [o.dataSync(), ...grads.map((g) => g.dataSync())];
        });
        expect(maxRelErr(out, want), `seed ${seed} forward`).toBeLessThan(2e-6);
        expect(maxRelErr(dz, wantGrad.dz), `seed ${seed} dz`).toBeLessThan(2e-5);
        expect(maxRelErr(del, wantGrad.del), `seed ${seed} del`).toBeLessThan(2e-5);
        expect(maxRelErr(der, wantGrad.der), `seed ${seed} der`).toBeLessThan(2e-5);
      }
    });
  });
}

describe('csrAttention references', () => {
  it('the reference gradients equal finite differences of the reference forward', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const c = randomCase(seed);
      const a = csrAttentionAttrs(c.block, c.opts);
      const loss = (z: Float64Array, el: Float64Array, er: Float64Array) => {
        const o = csrAttentionReference(z, el, er, c.F, a);
        let s = 0;
        for (let i = 0; i < o.length; i++) s += o[i] * c.dy[i];
        return s;
      };
      const z = Float64Array.from(c.z);
      const el = Float64Array.from(c.el);
      const er = Float64Array.from(c.er);
      const g = csrAttentionGradReference(z, el, er, c.dy, c.F, a);
      const eps = 1e-6;
      for (const [x, gx] of [
        [z, g.dz],
        [el, g.del],
        [er, g.der],
      ] as const) {
        for (let i = 0; i < x.length; i++) {
          const v = x[i];
          x[i] = v + eps;
          const up = loss(z, el, er);
          x[i] = v - eps;
          const down = loss(z, el, er);
          x[i] = v;
          expect(Math.abs((up - down) / (2 * eps) - gx[i]), `seed ${seed} entry ${i}`).toBeLessThan(
            1e-5,
          );
        }
      }
    }
  });

  it('coefficients of a destination sum to one without dropout', () => {
    const block = {
      numDst: 2,
      numSrc: 3,
      indptr: new Int32Array([0, 2, 2]),
      indices: new Int32Array([1, 2]),
    };
    const a = csrAttentionAttrs(block, { heads: 1 });
    // z rows all ones: every output is Σ α = 1, including the self-loop-only destination 1.
    const out = csrAttentionReference([1, 1, 1], [0.3, -2, 5], [1, -1], 1, a);
    expect(Array.from(out)).toEqual([expect.closeTo(1, 12), expect.closeTo(1, 12)]);
    const noSelf = csrAttentionAttrs(block, { heads: 1, selfLoop: false });
    expect(csrAttentionReference([1, 1, 1], [0, 0, 0], [0, 0], 1, noSelf)[1]).toBe(0);
  });

  it('refuses mismatched shapes naming the input', async () => {
    await initBackend('cpu');
    const block = {
      numDst: 1,
      numSrc: 2,
      indptr: new Int32Array([0, 1]),
      indices: new Int32Array([1]),
    };
    expect(() =>
      tf.tidy(() =>
        csrAttention(tf.zeros([2, 4]), tf.zeros([2, 2]), tf.zeros([2, 2]), block, { heads: 2 }),
      ),
    ).toThrow(ShapeError);
    expect(() =>
      tf.tidy(() =>
        csrAttention(tf.zeros([2, 5]), tf.zeros([2, 2]), tf.zeros([1, 2]), block, { heads: 2 }),
      ),
    ).toThrow(/z/);
  });
});
