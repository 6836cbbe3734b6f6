// GCN's symmetric normalisation on sampled blocks against its float64 reference (random blocks with
// empty rows, repeated neighbours, sources never used, odd widths) and its gradient against finite
// differences of the reference, on wasm and cpu; a hand-computed block.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { gcnAggregate, gcnAggregateReference } from '../../../kernels/ops/gcn-norm.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`gcnAggregate on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('matches the float64 reference forward, and its gradient finite differences', () => {
      for (let seed = 1; seed <= 30; seed++) {
        const rng = new Mulberry32(seed);
        const numSrc = 1 + rng.int(40);
        const block = randomBlock(rng, { numDst: rng.int(numSrc + 1), numSrc, maxDeg: 9 });
        const d = 1 + rng.int(11);
        const h = randomArray(rng, numSrc * d, 2);
        const dy = randomArray(rng, block.numDst * d, 1);
        const [out, dh] = tf.tidy(() => {
          const x = tf.tensor2d(h, [numSrc, d]);
          const g = tf.grad((v: tf.Tensor) => gcnAggregate(v as tf.Tensor2D, block))(
            x,
            tf.tensor2d(dy, [block.numDst, d]),
          );
          return [gcnAggregate(x, block).dataSync(), g.dataSync()];
        });
        expect(maxRelErr(out, gcnAggregateReference(h, d, block)), `seed ${seed}`).toBeLessThan(
          2e-6,
        );
        // Linear in h: the gradient is the finite difference of the reference, exactly.
        const x = Float64Array.from(h);
        const loss = () => {
          const o = gcnAggregateReference(x, d, block);
          let s = 0;
          for (let i = 0; i < o.length; i++) s += o[i] * dy[i];
          return s;
        };
        const want = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const v = x[i];
          x[i] = v + 1;
          const up = loss();
          x[i] = v - 1;
          const down = loss();
          x[i] = v;
          want[i] = (up - down) / 2;
        }
        expect(maxRelErr(dh, want), `seed ${seed} gradient`).toBeLessThan(2e-5);
      }
    });
  });
}

describe('gcnAggregate by hand', () => {
  it('weights each edge by 1/sqrt(in-degree of the destination · out-degree of the source)', async () => {
    await initBackend('cpu');
    // Destination 0 ← sources 1, 2; destination 1 ← source 2. With self loops: in-degrees 3, 2;
    // out-degrees: 0 → 1 (self), 1 → 2 (self, to 0), 2 → 2 (to 0 and 1).
    const block = {
      numDst: 2,
      numSrc: 3,
      indptr: new Int32Array([0, 2, 3]),
      indices: new Int32Array([1, 2, 2]),
    };
    const out = tf.tidy(() =>
      Array.from(gcnAggregate(tf.tensor2d([1, 10, 100], [3, 1]), block).dataSync()),
    );
    const want0 = 1 / Math.sqrt(3 * 1) + 10 / Math.sqrt(3 * 2) + 100 / Math.sqrt(3 * 2);
    const want1 = 10 / Math.sqrt(2 * 2) + 100 / Math.sqrt(2 * 2);
    expect(out[0]).toBeCloseTo(want0, 4);
    expect(out[1]).toBeCloseTo(want1, 4);
  });
});
