// The cosine decoder against a hand-computed case: scale · cos(u, v) whatever the embedding norms,
// and its gradient against central differences.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { COSINE_SCALE, scorePairs } from '../../../kernels/nn/link-decoder.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('cosine decoder', () => {
  it('scores scale · cos, not the dot product', () => {
    // Rows: (3, 4), (6, 8) (same direction, twice the norm), (4, -3) (orthogonal), (-1, 0).
    const emb = tf.tensor2d([3, 4, 6, 8, 4, -3, -1, 0], [4, 2]);
    const u = Int32Array.from([0, 0, 0, 1]);
    const v = Int32Array.from([1, 2, 3, 3]);
    const s = scorePairs('cosine', emb, u, v, new Map()).dataSync();
    expect(s[0]).toBeCloseTo(COSINE_SCALE * 1, 5);
    expect(s[1]).toBeCloseTo(0, 5);
    expect(s[2]).toBeCloseTo(COSINE_SCALE * -0.6, 5);
    expect(s[3]).toBeCloseTo(COSINE_SCALE * -0.6, 5);
    const dot = scorePairs('dot', emb, u, v, new Map()).dataSync();
    expect(dot[0]).toBeCloseTo(50, 4);
  });

  it('has the gradient of scale · cos', () => {
    const x = [0.3, -1.2, 0.8, 2.0, 0.5, -0.4];
    const u = Int32Array.from([0, 1]);
    const v = Int32Array.from([1, 2]);
    const f = (e: number[]) => {
      const cos = (a: number, b: number) => {
        const [a0, a1, b0, b1] = [e[2 * a], e[2 * a + 1], e[2 * b], e[2 * b + 1]];
        return (a0 * b0 + a1 * b1) / Math.hypot(a0, a1) / Math.hypot(b0, b1);
      };
      return COSINE_SCALE * (cos(0, 1) + cos(1, 2));
    };
    // dy = 1 for every pair: the gradient of the sum of the scores.
    const g = tf
      .grad((e: tf.Tensor) => scorePairs('cosine', e as tf.Tensor2D, u, v, new Map()))(
        tf.tensor2d(x, [3, 2]),
        tf.ones([2]),
      )
      .dataSync();
    for (let i = 0; i < x.length; i++) {
      const xp = [...x];
      const xm = [...x];
      xp[i] += 1e-5;
      xm[i] -= 1e-5;
      expect(g[i]).toBeCloseTo((f(xp) - f(xm)) / 2e-5, 3);
    }
  });
});
