// The fused differentiable pieces of the models, each against a float64 reference: dense (with and
// without a data input), ReLU, dropout, L2 normalisation, LayerNorm; gradients via finite differences.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { dense, columnSum } from '../../../kernels/nn/dense.js';
import { relu } from '../../../kernels/nn/relu.js';
import { dropout, dropoutInto } from '../../../kernels/nn/dropout.js';
import { l2Normalize, l2NormalizeReference } from '../../../kernels/nn/l2-normalize.js';
import { layerNorm, layerNormReference } from '../../../kernels/nn/layer-norm.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';
import { numericVjp } from '../fixtures/numeric-vjp.js';

function denseRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
  act: boolean,
): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = b[j];
      for (let t = 0; t < k; t++) s += x[i * k + t] * w[t * m + j];
      y[i * m + j] = act ? Math.max(0, s) : s;
    }
  return y;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`layers on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('dense: forward and all three gradients match float64 references', () => {
      for (let seed = 1; seed <= 12; seed++) {
        const rng = new Mulberry32(seed);
        const [n, k, m] = [1 + rng.int(20), 1 + rng.int(12), 1 + rng.int(10)];
        const act = seed % 2 === 0;
        const x = randomArray(rng, n * k);
        const w = randomArray(rng, k * m);
        const b = randomArray(rng, m);
        const r = randomArray(rng, n * m);
        const [y, gx, gw, gb] = tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, k]);
          const wt = tf.tensor2d(w, [k, m]);
          const bt = tf.tensor1d(b);
          const out = dense(xt, wt, bt, { relu: act }).dataSync();
          const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
            dense(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D, { relu: act }),
          )([xt, wt, bt], tf.tensor2d(r, [n, m]));
          return [out, ...gs.map((g) => g.dataSync())];
        });
        expect(maxRelErr(y, denseRef(x, w, b, n, k, m, act))).toBeLessThan(1e-5);
        const f = (which: 0 | 1 | 2) => (v: Float64Array) =>
          denseRef(which === 0 ? v : x, which === 1 ? v : w, which === 2 ? v : b, n, k, m, act);
        expect(maxRelErr(gx, numericVjp(f(0), x, r))).toBeLessThan(1e-4);
        expect(maxRelErr(gw, numericVjp(f(1), w, r))).toBeLessThan(1e-4);
        expect(maxRelErr(gb, numericVjp(f(2), b, r))).toBeLessThan(1e-4);
      }
    });

    it('dense with a data input gives the same W and b gradients (transposed path, odd sizes, dropout)', () => {
      for (const [act, rate] of [
        [true, 0],
        [false, 0],
        [true, 0.3],
        [false, 0.3],
      ] as const) {
        const rng = new Mulberry32(rate > 0 ? 51 : 52);
        const [n, k, m] = [31, 6, 5]; // n·m odd: a dropout pair straddles rows
        const x = tf.tensor2d(randomArray(rng, n * k), [n, k]);
        const w = tf.tensor2d(randomArray(rng, k * m), [k, m]);
        const b = tf.tensor1d(randomArray(rng, m));
        const dy = tf.tensor2d(randomArray(rng, n * m), [n, m]);
        const opts = rate > 0 ? { relu: act, dropout: { rate, seed: 5 } } : { relu: act };
        const [a1, a2] = tf.grads((wt: tf.Tensor, bt: tf.Tensor) =>
          dense(x, wt as tf.Tensor2D, bt as tf.Tensor1D, opts),
        )([w, b], dy);
        const [b1, b2] = tf.grads((wt: tf.Tensor, bt: tf.Tensor) =>
          dense(x, wt as tf.Tensor2D, bt as tf.Tensor1D, { ...opts, xIsData: true }),
        )([w, b], dy);
        expect(maxRelErr(b1.dataSync(), a1.dataSync()), `relu ${act} rate ${rate}`).toBeLessThan(
          1e-5,
        );
        expect(maxRelErr(b2.dataSync(), a2.dataSync()), `relu ${act} rate ${rate}`).toBeLessThan(
          1e-5,
        );
        tf.dispose([x, w, b, dy, a1, a2, b1, b2]);
      }
    });

    it('dense with fused dropout: forward and gradients match a float64 reference with the same mask', () => {
      for (const act of [true, false]) {
        const rng = new Mulberry32(act ? 31 : 32);
        const [n, k, m] = [9, 5, 6];
        const x = randomArray(rng, n * k);
        const w = randomArray(rng, k * m);
        const b = randomArray(rng, m);
        const r = randomArray(rng, n * m);
        const mask = new Float32Array(n * m);
        dropoutInto(new Float32Array(n * m).fill(1), mask, 0.4, 77);
        const ref = (xv: ArrayLike<number>, wv: ArrayLike<number>, bv: ArrayLike<number>) =>
          denseRef(xv, wv, bv, n, k, m, act).map((v, i) => v * mask[i]);
        const opts = { relu: act, dropout: { rate: 0.4, seed: 77 } };
        const [y, gx, gw, gb] = tf.tidy(() => {
          const ts = [tf.tensor2d(x, [n, k]), tf.tensor2d(w, [k, m]), tf.tensor1d(b)] as const;
          const out = dense(ts[0], ts[1], ts[2], opts).dataSync();
          const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
            dense(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D, opts),
          )([...ts], tf.tensor2d(r, [n, m]));
          return [out, ...gs.map((g) => g.dataSync())];
        });
        expect(maxRelErr(y, ref(x, w, b))).toBeLessThan(1e-5);
        expect(
          maxRelErr(
            gx,
            numericVjp((v) => ref(v, w, b), x, r),
          ),
        ).toBeLessThan(1e-4);
        expect(
          maxRelErr(
            gw,
            numericVjp((v) => ref(x, v, b), w, r),
          ),
        ).toBeLessThan(1e-4);
        expect(
          maxRelErr(
            gb,
            numericVjp((v) => ref(x, w, v), b, r),
          ),
        ).toBeLessThan(1e-4);
      }
    });

    it('columnSum sums columns', () => {
      const s = tf.tidy(() => columnSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2])).arraySync());
      expect(s).toEqual([9, 12]);
    });

    it('relu passes gradient only where the output is positive', () => {
      const g = tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => relu(x))(tf.tensor1d([-1, 0, 2, 3]), tf.tensor1d([5, 6, 7, 8]))
          .arraySync(),
      );
      expect(g).toEqual([0, 0, 7, 8]);
    });

    it('dropout: deterministic per seed, right keep rate and scale, same mask in the gradient', () => {
      const n = 200_000;
      const x = new Float32Array(n).fill(1);
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      for (const rate of [0.1, 0.5, 0.8]) {
        dropoutInto(x, a, rate, 42);
        dropoutInto(x, b, rate, 42);
        expect(maxRelErr(a, b)).toBe(0);
        let kept = 0;
        let badScale = 0;
        for (let i = 0; i < n; i++) {
          if (a[i] === 0) continue;
          kept++;
          if (Math.abs(a[i] - 1 / (1 - rate)) > 1e-6) badScale++;
        }
        expect(badScale).toBe(0);
        // Binomial: 5 standard deviations.
        expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(
          5 * Math.sqrt((rate * (1 - rate)) / n),
        );
        dropoutInto(x, b, rate, 43);
        let same = 0;
        for (let i = 0; i < n; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
        expect(same / n).toBeLessThan(1 - rate * (1 - rate)); // another seed, another mask
      }
      const [y, g] = tf.tidy(() => {
        const xt = tf.tensor1d(randomArray(new Mulberry32(1), 1001));
        const out = dropout(xt, 0.3, 9);
        const grad = tf.grad((v: tf.Tensor) => dropout(v, 0.3, 9))(xt, tf.onesLike(xt));
        return [out.dataSync(), grad.dataSync()];
      });
      for (let i = 0; i < y.length; i++) expect(g[i] === 0).toBe(y[i] === 0);
      expect(() => dropout(tf.zeros([2]), 1, 0)).toThrow(/rate/);
    });

    it('l2Normalize: forward and gradient match the float64 reference', () => {
      for (let seed = 1; seed <= 10; seed++) {
        const rng = new Mulberry32(seed);
        const [n, d] = [1 + rng.int(10), 1 + rng.int(9)];
        const x = randomArray(rng, n * d);
        const r = randomArray(rng, n * d);
        const [y, g] = tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, d]);
          return [
            l2Normalize(xt).dataSync(),
            tf
              .grad((v: tf.Tensor) => l2Normalize(v as tf.Tensor2D))(xt, tf.tensor2d(r, [n, d]))
              .dataSync(),
          ];
        });
        expect(maxRelErr(y, l2NormalizeReference(x, n, d))).toBeLessThan(1e-6);
        expect(
          maxRelErr(
            g,
            numericVjp((v) => l2NormalizeReference(v, n, d), x, r),
          ),
        ).toBeLessThan(1e-4);
      }
    });

    it('layerNorm: forward and the gradients of x, gamma, beta match the float64 reference', () => {
      for (let seed = 1; seed <= 10; seed++) {
        const rng = new Mulberry32(seed);
        const [n, d] = [1 + rng.int(8), 2 + rng.int(9)];
        const x = randomArray(rng, n * d, 2);
        const gm = randomArray(rng, d);
        const bt = randomArray(rng, d);
        const r = randomArray(rng, n * d);
        const [y, gx, gg, gb] = tf.tidy(() => {
          const ts = [tf.tensor2d(x, [n, d]), tf.tensor1d(gm), tf.tensor1d(bt)] as const;
          const out = layerNorm(...ts).dataSync();
          const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            layerNorm(a as tf.Tensor2D, b as tf.Tensor1D, c as tf.Tensor1D),
          )([...ts], tf.tensor2d(r, [n, d]));
          return [out, ...gs.map((t) => t.dataSync())];
        });
        expect(maxRelErr(y, layerNormReference(x, n, d, gm, bt))).toBeLessThan(1e-5);
        expect(
          maxRelErr(
            gx,
            numericVjp((v) => layerNormReference(v, n, d, gm, bt), x, r),
          ),
        ).toBeLessThan(1e-3);
        expect(
          maxRelErr(
            gg,
            numericVjp((v) => layerNormReference(x, n, d, v, bt), gm, r),
          ),
        ).toBeLessThan(1e-4);
        expect(
          maxRelErr(
            gb,
            numericVjp((v) => layerNormReference(x, n, d, gm, v), bt, r),
          ),
        ).toBeLessThan(1e-4);
      }
    });
  });
}
