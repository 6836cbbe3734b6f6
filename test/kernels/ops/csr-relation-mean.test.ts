// csrRelationMean against its float64 reference on random typed blocks (empty rows, relations
// missing from a row, repeated neighbours, odd widths), summed and averaged over relations, row by
// row and relation-major; its gradient against finite differences of the reference, on wasm and
// cpu; malformed relation ids refused naming the field.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  csrRelationMean,
  csrRelationMeanReference,
  type TypedCsrLike,
} from '../../../kernels/ops/csr-relation-mean.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import {
  centralDifferences,
  maxRelErr,
  randomArray,
  randomBlock,
} from '../fixtures/random-block.js';

function randomTyped(seed: number) {
  const rng = new Mulberry32(seed);
  const numSrc = 1 + rng.int(40);
  const numDst = rng.int(numSrc + 1);
  const R = 1 + rng.int(5);
  const d = 1 + rng.int(13);
  const b = randomBlock(rng, { numDst, numSrc, maxDeg: 10 });
  const edgeType = new Uint8Array(b.indices.length);
  for (let k = 0; k < edgeType.length; k++) edgeType[k] = rng.int(R);
  const block: TypedCsrLike = { ...b, edgeType };
  return {
    block,
    R,
    d,
    h: randomArray(rng, numSrc * d, 2),
    dy: randomArray(rng, numDst * (1 + R) * d, 1),
  };
}

/** The reference's [numDst × (1+R)·d] rows as the relation-major kernel lays them out. */
function relationMajor(rows: Float64Array, numDst: number, R: number, d: number): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < numDst; i++)
    for (let p = 0; p <= R; p++)
      for (let j = 0; j < d; j++) out[(p * numDst + i) * d + j] = rows[(i * (1 + R) + p) * d + j];
  return out;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`csrRelationMean on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('matches the float64 reference forward, and its gradient finite differences', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const c = randomTyped(seed);
        const across = seed % 2 === 0 ? 'mean' : 'sum';
        const byPart = seed % 3 === 0;
        const { numSrc, numDst } = c.block;
        const reference = (x: ArrayLike<number>) => {
          const rows = csrRelationMeanReference(x, c.d, c.block, c.R, across);
          return byPart ? relationMajor(rows, numDst, c.R, c.d) : rows;
        };
        const want = reference(c.h);
        const [out, dh] = tf.tidy(() => {
          const h = tf.tensor2d(c.h, [numSrc, c.d]);
          const shape = byPart ? [(1 + c.R) * numDst, c.d] : [numDst, (1 + c.R) * c.d];
          const dy = tf.tensor2d(c.dy, shape as [number, number]);
          const f = (x: tf.Tensor) =>
            csrRelationMean(x as tf.Tensor2D, c.block, c.R, across, byPart);
          const g = tf.grad(f)(h, dy);
          const o = f(h);
          expect(o.shape).toEqual(shape);
          return [o.dataSync(), g.dataSync()];
        });
        expect(maxRelErr(out, want), `seed ${seed} forward`).toBeLessThan(2e-6);
        // The map is linear: the gradient is exactly the finite difference of the reference.
        const h = Float64Array.from(c.h);
        const loss = () => {
          const o = reference(h);
          let s = 0;
          for (let i = 0; i < o.length; i++) s += o[i] * c.dy[i];
          return s;
        };
        const want2 = centralDifferences(h, loss, 1);
        expect(maxRelErr(dh, want2), `seed ${seed} gradient`).toBeLessThan(2e-5);
      }
    });
  });
}

describe('csrRelationMean input checks', () => {
  it('keeps relations apart and refuses relation ids out of range', async () => {
    await initBackend('cpu');
    // Destination 0: relation 0 from sources 1 and 2, relation 1 from source 2; destination 1: none.
    const block: TypedCsrLike = {
      numDst: 2,
      numSrc: 3,
      indptr: new Int32Array([0, 3, 3]),
      indices: new Int32Array([1, 2, 2]),
      edgeType: new Uint8Array([0, 0, 1]),
    };
    const out = tf.tidy(() =>
      Array.from(csrRelationMean(tf.tensor2d([1, 10, 100], [3, 1]), block, 3).dataSync()),
    );
    expect(out).toEqual([1, 55, 100, 0, 10, 0, 0, 0]);
    // Averaged over relations: destination 0 has two (0 and 1), destination 1 none.
    const mean = tf.tidy(() =>
      Array.from(csrRelationMean(tf.tensor2d([1, 10, 100], [3, 1]), block, 3, 'mean').dataSync()),
    );
    expect(mean).toEqual([1, 27.5, 50, 0, 10, 0, 0, 0]);
    const bad = { ...block, edgeType: new Uint8Array([0, 3, 1]) };
    expect(() => tf.tidy(() => csrRelationMean(tf.zeros([3, 1]), bad, 3))).toThrow(ShapeError);
    expect(() => tf.tidy(() => csrRelationMean(tf.zeros([3, 1]), bad, 3))).toThrow(
      /block\.edgeType/,
    );
  });
});
