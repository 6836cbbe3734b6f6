// relationAttention against its float64 reference on random typed blocks (one destination, rows
// with no neighbour, rows with one relation only, up to 6 relations, odd widths), its gradients in
// both inputs against finite differences of the reference, on wasm and cpu; hand-computed values.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  relationAttention,
  relationAttentionReference,
} from '../../../kernels/ops/relation-attention.js';
import type { TypedCsrLike } from '../../../kernels/ops/csr-relation-mean.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import {
  centralDifferences,
  maxRelErr,
  randomArray,
  randomBlock,
} from '../fixtures/random-block.js';

function randomCase(seed: number) {
  const rng = new Mulberry32(seed);
  const numDst = seed % 5 === 0 ? 1 : 1 + rng.int(20);
  const numSrc = numDst + rng.int(20);
  const R = 1 + rng.int(6);
  const d = 1 + rng.int(9);
  const b = randomBlock(rng, { numDst, numSrc, maxDeg: 8 });
  // Every third row draws from one relation only.
  const edgeType = new Uint8Array(b.indices.length);
  for (let i = 0; i < numDst; i++) {
    const only = i % 3 === 0 ? rng.int(R) : -1;
    for (let k = b.indptr[i]; k < b.indptr[i + 1]; k++) edgeType[k] = only >= 0 ? only : rng.int(R);
  }
  const block: TypedCsrLike = { ...b, edgeType };
  return {
    block,
    R,
    d,
    m: randomArray(rng, R * numDst * d, 2),
    s: randomArray(rng, R * numDst, 3),
    dy: randomArray(rng, numDst * d, 1),
  };
}

/** Central differences of Σ dy·reference(m, s) in every entry of m and s, in float64. */
function referenceGradients(c: ReturnType<typeof randomCase>): [Float64Array, Float64Array] {
  const m = Float64Array.from(c.m);
  const s = Float64Array.from(c.s);
  const loss = () => {
    const o = relationAttentionReference(m, s, c.d, c.block);
    let t = 0;
    for (let i = 0; i < o.length; i++) t += o[i] * c.dy[i];
    return t;
  };
  return [centralDifferences(m, loss, 1e-6), centralDifferences(s, loss, 1e-6)];
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`relationAttention on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('matches the float64 reference forward, and its gradients finite differences', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const c = randomCase(seed);
        const n = c.block.numDst;
        const [out, dm, ds] = tf.tidy(() => {
          const m = tf.tensor3d(c.m, [c.R, n, c.d]);
          const s = tf.tensor2d(c.s, [c.R, n]);
          const dy = tf.tensor2d(c.dy, [n, c.d]);
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            relationAttention(a as tf.Tensor3D, b as tf.Tensor2D, c.block, c.R);
          const [gm, gs] = tf.grads(f)([m, s], dy);
          return [f(m, s).dataSync(), gm.dataSync(), gs.dataSync()];
        });
        const want = relationAttentionReference(c.m, c.s, c.d, c.block);
        expect(maxRelErr(out, want), `seed ${seed} forward`).toBeLessThan(2e-6);
        const [wantM, wantS] = referenceGradients(c);
        expect(maxRelErr(dm, wantM), `seed ${seed} dm`).toBeLessThan(1e-5);
        expect(maxRelErr(ds, wantS), `seed ${seed} ds`).toBeLessThan(1e-5);
      }
    });
  });
}

describe('relationAttention values and checks', () => {
  it('weights the relations a row has by the softmax of their scores, ignoring the others', async () => {
    await initBackend('cpu');
    // Row 0: relations 0 and 2; row 1: relation 1 only; row 2: no neighbour.
    const block: TypedCsrLike = {
      numDst: 3,
      numSrc: 4,
      indptr: new Int32Array([0, 3, 4, 4]),
      indices: new Int32Array([1, 2, 3, 0]),
      edgeType: new Uint8Array([0, 2, 2, 1]),
    };
    // m[r, v] = 10^r (one feature); row 0 scores ln 1 and ln 3 on its relations, a huge one on 1.
    const m = [1, 1, 1, 10, 10, 10, 100, 100, 100];
    const s = [0, 5, 5, 50, 0.3, 7, Math.log(3), 9, 9];
    const out = tf.tidy(() =>
      Array.from(
        relationAttention(tf.tensor3d(m, [3, 3, 1]), tf.tensor2d(s, [3, 3]), block, 3).dataSync(),
      ),
    );
    expect(out[0]).toBeCloseTo(0.25 * 1 + 0.75 * 100, 4);
    expect(out[1]).toBeCloseTo(10, 5);
    expect(out[2]).toBe(0);
    expect(() =>
      tf.tidy(() => relationAttention(tf.zeros([2, 3, 1]), tf.zeros([3, 3]), block, 3)),
    ).toThrow(ShapeError);
  });
});
