// Segment sum (the kernel wasm lacks), segment mean, gather's gradient and edgeDot against their
// float64 references on random inputs, including dropped ids and repeated rows.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  segmentSum,
  segmentSumReference,
  gatherRowsMasked,
} from '../../../kernels/ops/unsorted-segment-sum.js';
import { segmentMean, segmentMeanReference } from '../../../kernels/ops/segment-mean.js';
import { gatherRows, gatherRowsGradReference } from '../../../kernels/ops/gather-rows.js';
import { edgeDot, edgeDotGradReference, edgeDotReference } from '../../../kernels/ops/edge-dot.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';

function randomIds(rng: Mulberry32, n: number, lo: number, hi: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + rng.int(hi - lo);
  return a;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`segment and gather ops on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('unsortedSegmentSum matches the reference (out-of-range ids dropped) and has a gradient', () => {
      for (let seed = 1; seed <= 25; seed++) {
        const rng = new Mulberry32(seed);
        const n = 1 + rng.int(40);
        const w = 1 + rng.int(9);
        const k = 1 + rng.int(12);
        // On wasm ids outside the range are dropped; cpu's kernel does not accept them.
        const ids = backend === 'wasm' ? randomIds(rng, n, -2, k + 2) : randomIds(rng, n, 0, k);
        const x = randomArray(rng, n * w);
        const got = tf.tidy(() => segmentSum(tf.tensor2d(x, [n, w]), ids, k).dataSync());
        expect(maxRelErr(got, segmentSumReference(x, w, ids, k)), `seed ${seed}`).toBeLessThan(
          1e-6,
        );
        const dy = randomArray(rng, k * w);
        const dx = tf.tidy(() =>
          tf
            .grad((xt: tf.Tensor) => segmentSum(xt, ids, k))(
              tf.tensor2d(x, [n, w]),
              tf.tensor2d(dy, [k, w]),
            )
            .dataSync(),
        );
        const want = new Float32Array(n * w);
        gatherRowsMasked(dy, w, k, ids, want);
        expect(maxRelErr(dx, want), `seed ${seed} grad`).toBeLessThan(1e-6);
      }
    });

    it('segmentMean matches the reference and its gradient is dy[seg]/count', () => {
      for (let seed = 1; seed <= 25; seed++) {
        const rng = new Mulberry32(seed);
        const n = 1 + rng.int(40);
        const w = 1 + rng.int(9);
        const k = 1 + rng.int(12);
        const ids = randomIds(rng, n, -1, k + 1);
        const x = randomArray(rng, n * w);
        const got = tf.tidy(() => segmentMean(tf.tensor2d(x, [n, w]), ids, k).dataSync());
        expect(maxRelErr(got, segmentMeanReference(x, w, ids, k)), `seed ${seed}`).toBeLessThan(
          1e-6,
        );
        const dy = randomArray(rng, k * w);
        const dx = tf.tidy(() =>
          tf
            .grad((xt: tf.Tensor) => segmentMean(xt, ids, k))(
              tf.tensor2d(x, [n, w]),
              tf.tensor2d(dy, [k, w]),
            )
            .dataSync(),
        );
        const count = new Float64Array(k);
        for (const s of ids) if (s >= 0 && s < k) count[s]++;
        const want = new Float64Array(n * w);
        for (let i = 0; i < n; i++)
          if (ids[i] >= 0 && ids[i] < k)
            for (let j = 0; j < w; j++) want[i * w + j] = dy[ids[i] * w + j] / count[ids[i]];
        expect(maxRelErr(dx, want), `seed ${seed} grad`).toBeLessThan(1e-6);
      }
    });

    it("gather's gradient sums dy into repeated rows", () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rng = new Mulberry32(seed);
        const n = 1 + rng.int(20);
        const w = 1 + rng.int(7);
        const rows = randomIds(rng, 1 + rng.int(40), 0, n);
        const x = randomArray(rng, n * w);
        const y = tf.tidy(() => gatherRows(tf.tensor2d(x, [n, w]), rows).dataSync());
        for (let p = 0; p < rows.length; p++)
          for (let j = 0; j < w; j++) expect(y[p * w + j]).toBe(x[rows[p] * w + j]);
        const dy = randomArray(rng, rows.length * w);
        const dx = tf.tidy(() =>
          tf
            .grad((xt: tf.Tensor) => gatherRows(xt, rows))(
              tf.tensor2d(x, [n, w]),
              tf.tensor2d(dy, [rows.length, w]),
            )
            .dataSync(),
        );
        expect(maxRelErr(dx, gatherRowsGradReference(dy, w, rows, n)), `seed ${seed}`).toBeLessThan(
          1e-6,
        );
      }
    });

    it('edgeDot matches the reference, gradient included (pairs with u = v too)', () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rng = new Mulberry32(seed);
        const n = 2 + rng.int(20);
        const d = 1 + rng.int(17);
        const p = 1 + rng.int(50);
        const u = randomIds(rng, p, 0, n);
        const v = randomIds(rng, p, 0, n);
        v[0] = u[0];
        const h = randomArray(rng, n * d);
        const s = tf.tidy(() => edgeDot(tf.tensor2d(h, [n, d]), u, v).dataSync());
        expect(maxRelErr(s, edgeDotReference(h, d, u, v)), `seed ${seed}`).toBeLessThan(2e-6);
        const dy = randomArray(rng, p);
        const dh = tf.tidy(() =>
          tf
            .grad((ht: tf.Tensor) => edgeDot(ht, u, v))(tf.tensor2d(h, [n, d]), tf.tensor1d(dy))
            .dataSync(),
        );
        expect(
          maxRelErr(dh, edgeDotGradReference(dy, h, n, d, u, v)),
          `seed ${seed} grad`,
        ).toBeLessThan(2e-6);
      }
      expect(() =>
        tf.tidy(() => edgeDot(tf.zeros([3, 2]), new Int32Array([0]), new Int32Array([3]))),
      ).toThrow(/outside/);
    });
  });
}
