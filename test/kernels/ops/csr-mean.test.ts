// csrMean against its float64 reference on random blocks (empty rows, weights, both layouts), its
// gradient against the transposed aggregation and finite differences, on wasm and cpu.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  csrMean,
  csrMeanReference,
  csrMeanStats,
  csrMeanTransposeReference,
  type CsrMeanOptions,
} from '../../../kernels/ops/csr-mean.js';
import { csrMeanFromData } from '../../../kernels/ops/csr-mean-data.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { dense } from '../../../kernels/nn/dense.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';

const variants: CsrMeanOptions[] = [
  { reduce: 'mean' },
  { reduce: 'sum' },
  { reduce: 'mean', selfConcat: true },
  { reduce: 'sum', selfConcat: true },
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`csrMean on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('matches the float64 reference on random blocks', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const rng = new Mulberry32(seed);
        const numSrc = 1 + rng.int(60);
        const numDst = rng.int(numSrc + 1);
        const d = 1 + rng.int(37); // covers d % 8 != 0 remainders
        const block = randomBlock(rng, {
          numDst,
          numSrc,
          maxDeg: 12,
          weighted: seed % 3 === 0,
          zeroWeightRows: seed % 6 === 0,
        });
        const hv = randomArray(rng, numSrc * d, 3);
        const opts = variants[seed % variants.length];
        const got = tf.tidy(() => csrMean(tf.tensor2d(hv, [numSrc, d]), block, opts).dataSync());
        const want = csrMeanReference(hv, d, block, opts);
        expect(maxRelErr(got, want), `seed ${seed}`).toBeLessThan(2e-6);
        const fromData = tf.tidy(() => csrMeanFromData(hv, d, block, opts).dataSync());
        expect(maxRelErr(fromData, want), `seed ${seed} (data)`).toBeLessThan(2e-6);
      }
    });

    it('gives zero rows for destinations without neighbours', () => {
      const block = {
        numDst: 3,
        numSrc: 4,
        indptr: new Int32Array([0, 0, 2, 2]),
        indices: new Int32Array([1, 3]),
      };
      const out = tf.tidy(() =>
        csrMean(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), block).arraySync(),
      );
      expect(out).toEqual([
        [0, 0],
        [5, 6],
        [0, 0],
      ]);
    });

    it('has the transposed aggregation as its gradient', () => {
      for (let seed = 100; seed < 130; seed++) {
        const rng = new Mulberry32(seed);
        const numSrc = 1 + rng.int(50);
        const numDst = rng.int(numSrc + 1);
        const d = 1 + rng.int(20);
        const block = randomBlock(rng, {
          numDst,
          numSrc,
          maxDeg: 9,
          weighted: seed % 2 === 0,
          zeroWeightRows: true,
        });
        const opts = variants[seed % variants.length];
        const width = opts.selfConcat ? 2 * d : d;
        const hv = randomArray(rng, numSrc * d);
        const dy = randomArray(rng, numDst * width);
        const g = tf.tidy(() =>
          tf
            .grad((h: tf.Tensor) => csrMean(h, block, opts))(
              tf.tensor2d(hv, [numSrc, d]),
              tf.tensor2d(dy, [numDst, width]),
            )
            .dataSync(),
        );
        expect(
          maxRelErr(g, csrMeanTransposeReference(dy, d, block, opts)),
          `seed ${seed}`,
        ).toBeLessThan(2e-6);
      }
    });

    it('agrees with finite differences on a tiny weighted case', () => {
      const rng = new Mulberry32(7);
      const block = randomBlock(rng, { numDst: 4, numSrc: 6, maxDeg: 4, weighted: true });
      const d = 3;
      const hv = randomArray(rng, 6 * d);
      const r = randomArray(rng, 4 * 2 * d);
      // f(h) = <csrMean(h), r>; its gradient is the vector-Jacobian product with r.
      const f = (h: Float32Array) => {
        const y = tf.tidy(() =>
          csrMean(tf.tensor2d(h, [6, d]), block, { selfConcat: true }).dataSync(),
        );
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i] * r[i];
        return s;
      };
      const g = tf.tidy(() =>
        tf
          .grad((h: tf.Tensor) => csrMean(h, block, { selfConcat: true }))(
            tf.tensor2d(hv, [6, d]),
            tf.tensor2d(r, [4, 2 * d]),
          )
          .dataSync(),
      );
      const eps = 1e-2;
      for (let i = 0; i < hv.length; i++) {
        const p = hv.slice();
        const m = hv.slice();
        p[i] += eps;
        m[i] -= eps;
        expect(Math.abs((f(p) - f(m)) / (2 * eps) - g[i])).toBeLessThan(1e-3);
      }
    });

    it('never runs the transposed aggregation for an input that is data', () => {
      const rng = new Mulberry32(3);
      const block = randomBlock(rng, { numDst: 20, numSrc: 40, maxDeg: 6 });
      const data = tf.tensor2d(randomArray(rng, 40 * 8), [40, 8]);
      const w = tf.tensor2d(randomArray(rng, 16 * 4), [16, 4]);
      const b = tf.zeros([4]) as tf.Tensor1D;
      const dy = tf.ones([20, 4]);
      const before = csrMeanStats.transposeCalls;
      const head = (h: tf.Tensor, wt: tf.Tensor) =>
        dense(csrMean(h, block, { selfConcat: true }), wt as tf.Tensor2D, b);
      tf.tidy(() => tf.grad((wt: tf.Tensor) => head(data, wt))(w, dy));
      expect(csrMeanStats.transposeCalls).toBe(before);
      // ... while differentiating with respect to the input does run it once.
      tf.tidy(() => tf.grad((h: tf.Tensor) => head(h, w))(data, dy));
      expect(csrMeanStats.transposeCalls).toBe(before + 1);
      tf.dispose([data, w, b, dy]);
    });

    it('rejects inputs that do not fit the block', () => {
      const block = {
        numDst: 2,
        numSrc: 3,
        indptr: new Int32Array([0, 1, 2]),
        indices: new Int32Array([0, 2]),
      };
      expect(() => tf.tidy(() => csrMean(tf.zeros([4, 2]), block))).toThrow(ShapeError);
      expect(() =>
        tf.tidy(() => csrMean(tf.zeros([3, 2]), { ...block, indptr: new Int32Array([0, 1]) })),
      ).toThrow(/indptr/);
      expect(() => csrMeanFromData(new Float32Array(5), 2, block)).toThrow(/features/);
    });

    it('leaves no tensors behind', () => {
      const rng = new Mulberry32(9);
      const block = randomBlock(rng, { numDst: 10, numSrc: 30, maxDeg: 5 });
      const h = tf.tensor2d(randomArray(rng, 30 * 4), [30, 4]);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++)
        tf.tidy(() => {
          tf.grad((x: tf.Tensor) => csrMean(x, block, { selfConcat: true }))(h, tf.ones([10, 8]));
        });
      expect(tf.memory().numTensors).toBe(before);
      h.dispose();
    });
  });
}
