// Losses and link decoders against float64 references: softmax cross-entropy (unlabelled rows),
// BCE and BPR with explicit and in-batch negatives, and the dot / MLP pair scorers' gradients.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  softmaxCrossEntropy,
  softmaxCrossEntropyValues,
} from '../../../kernels/nn/softmax-cross-entropy.js';
import {
  inBatchLinkLoss,
  linkLoss,
  linkLossValues,
  type LinkLossKind,
} from '../../../kernels/nn/link-loss.js';
import { scoreMatrix, scorePairs, hadamard } from '../../../kernels/nn/link-decoder.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';
import { numericGrad } from '../fixtures/numeric-vjp.js';

/** Cross-entropy straight from the definition, in float64. */
function ceRef(logits: ArrayLike<number>, n: number, c: number, labels: Int32Array): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) continue;
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(logits[i * c + j]);
    s += -Math.log(Math.exp(logits[i * c + labels[i]]) / z);
    k++;
  }
  return s / k;
}

function bceRef(pos: ArrayLike<number>, neg: ArrayLike<number>, w: ArrayLike<number>): number {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  let a = 0;
  for (let i = 0; i < pos.length; i++) a -= Math.log(sig(pos[i])) / pos.length;
  let b = 0;
  let ws = 0;
  for (let i = 0; i < neg.length; i++) {
    b -= w[i] * Math.log(1 - sig(neg[i]));
    ws += w[i];
  }
  return a + b / ws;
}

function bprRef(pos: ArrayLike<number>, neg: ArrayLike<number>, w: ArrayLike<number>): number {
  const k = neg.length / pos.length;
  let s = 0;
  let ws = 0;
  for (let i = 0; i < pos.length; i++)
    for (let j = 0; j < k; j++) {
      s -= w[i * k + j] * Math.log(1 / (1 + Math.exp(-(pos[i] - neg[i * k + j]))));
      ws += w[i * k + j];
    }
  return s / ws;
}

describe('losses and decoders on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('softmax cross-entropy: value and gradient, unlabelled rows skipped', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const rng = new Mulberry32(seed);
      const [n, c] = [1 + rng.int(20), 2 + rng.int(6)];
      const logits = randomArray(rng, n * c, 4);
      const labels = new Int32Array(n).map(() => (rng.next() < 0.2 ? -1 : rng.int(c)));
      labels[0] = rng.int(c);
      const capture: { logits?: Float32Array } = {};
      const [l, g] = tf.tidy(() => {
        const t = tf.tensor2d(logits, [n, c]);
        const value = softmaxCrossEntropy(t, labels, capture).dataSync()[0];
        return [
          value,
          tf
            .grad((x: tf.Tensor) => softmaxCrossEntropy(x as tf.Tensor2D, labels))(t)
            .dataSync(),
        ] as const;
      });
      expect(Math.abs(l - ceRef(logits, n, c, labels))).toBeLessThan(1e-6);
      expect(
        maxRelErr(
          g,
          numericGrad((x) => ceRef(x, n, c, labels), logits),
        ),
      ).toBeLessThan(1e-5);
      expect(capture.logits?.length).toBe(n * c);
      for (let i = 0; i < n; i++)
        if (labels[i] < 0) for (let j = 0; j < c; j++) expect(g[i * c + j]).toBe(0);
    }
    expect(
      softmaxCrossEntropyValues(new Float32Array([1000, 0]), 1, 2, new Int32Array([0]), null).loss,
    ).toBeCloseTo(0, 10);
    expect(() =>
      softmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, new Int32Array([0, 3])),
    ).toThrow(ShapeError);
  });

  for (const kind of ['bce', 'bpr'] as LinkLossKind[]) {
    it(`${kind}: value and gradients with weighted negatives`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const rng = new Mulberry32(seed);
        const b = 1 + rng.int(10);
        const k = 1 + rng.int(5);
        const pos = randomArray(rng, b, 5);
        const neg = randomArray(rng, b * k, 5);
        const w = new Float32Array(b * k).map(() => (rng.next() < 0.2 ? 0 : 1));
        w[0] = 1;
        const ref = kind === 'bce' ? bceRef : bprRef;
        const [l, gp, gn] = tf.tidy(() => {
          const p = tf.tensor1d(pos);
          const q = tf.tensor2d(neg, [b, k]);
          const value = linkLoss(kind, p, q, w).dataSync()[0];
          const [a, c] = tf.grads((x: tf.Tensor, y: tf.Tensor) => linkLoss(kind, x, y, w))([p, q]);
          return [value, a.dataSync(), c.dataSync()] as const;
        });
        expect(Math.abs(l - ref(pos, neg, w))).toBeLessThan(1e-6);
        expect(
          maxRelErr(
            gp,
            numericGrad((x) => ref(x, neg, w), pos),
          ),
        ).toBeLessThan(1e-5);
        expect(
          maxRelErr(
            gn,
            numericGrad((x) => ref(pos, x, w), neg),
          ),
        ).toBeLessThan(1e-5);
      }
      expect(linkLossValues(kind, [50], [-50], null, null, null)).toBeLessThan(1e-10);
    });

    it(`${kind}: in-batch loss equals the explicit form on the off-diagonal, same-dst columns dropped`, () => {
      const rng = new Mulberry32(11);
      const b = 6;
      const s = randomArray(rng, b * b, 3);
      const dst = new Int32Array([0, 1, 2, 2, 3, 4]);
      const pos = new Float64Array(b);
      const neg = new Float64Array(b * (b - 1));
      const w = new Float64Array(b * (b - 1));
      for (let i = 0; i < b; i++) {
        pos[i] = s[i * b + i];
        for (let j = 0, c = 0; j < b; j++)
          if (j !== i) {
            neg[i * (b - 1) + c] = s[i * b + j];
            w[i * (b - 1) + c] = dst[i] === dst[j] ? 0 : 1;
            c++;
          }
      }
      const ref = kind === 'bce' ? bceRef : bprRef;
      const [l, g] = tf.tidy(() => {
        const t = tf.tensor2d(s, [b, b]);
        return [
          inBatchLinkLoss(kind, t, dst).dataSync()[0],
          tf
            .grad((x: tf.Tensor) => inBatchLinkLoss(kind, x as tf.Tensor2D, dst))(t)
            .dataSync(),
        ] as const;
      });
      expect(Math.abs(l - ref(pos, neg, w))).toBeLessThan(1e-6);
      const full = (x: Float64Array) => {
        const p = new Float64Array(b);
        const q = new Float64Array(b * (b - 1));
        for (let i = 0; i < b; i++) {
          p[i] = x[i * b + i];
          for (let j = 0, c = 0; j < b; j++) if (j !== i) q[i * (b - 1) + c++] = x[i * b + j];
        }
        return ref(p, q, w);
      };
      expect(maxRelErr(g, numericGrad(full, s))).toBeLessThan(1e-5);
    });
  }

  it('dot and MLP pair scores, the score matrix and the hadamard product have correct gradients', () => {
    const rng = new Mulberry32(3);
    const [n, d, h] = [7, 5, 4];
    const e = randomArray(rng, n * d);
    const u = new Int32Array([0, 1, 2, 6, 6]);
    const v = new Int32Array([3, 3, 2, 0, 5]);
    const params = new Map<string, tf.Tensor>([
      ['decoder.fc0.weight', tf.tensor2d(randomArray(rng, d * h), [d, h])],
      ['decoder.fc0.bias', tf.tensor1d(randomArray(rng, h))],
      ['decoder.fc1.weight', tf.tensor2d(randomArray(rng, h), [h, 1])],
      ['decoder.fc1.bias', tf.tensor1d([0.1])],
    ]);
    const w0 = params.get('decoder.fc0.weight')!.dataSync();
    const b0 = params.get('decoder.fc0.bias')!.dataSync();
    const w1 = params.get('decoder.fc1.weight')!.dataSync();
    const mlpRef = (x: ArrayLike<number>) => {
      const out = new Float64Array(u.length);
      for (let p = 0; p < u.length; p++) {
        let s = 0.1;
        for (let j = 0; j < h; j++) {
          let a = b0[j];
          for (let t = 0; t < d; t++) a += x[u[p] * d + t] * x[v[p] * d + t] * w0[t * h + j];
          s += Math.max(0, a) * w1[j];
        }
        out[p] = s;
      }
      return out;
    };
    const dotRef = (x: ArrayLike<number>) => {
      const out = new Float64Array(u.length);
      for (let p = 0; p < u.length; p++)
        for (let t = 0; t < d; t++) out[p] += x[u[p] * d + t] * x[v[p] * d + t];
      return out;
    };
    for (const [kind, ref] of [
      ['mlp', mlpRef],
      ['dot', dotRef],
    ] as const) {
      const r = randomArray(rng, u.length);
      const [y, g] = tf.tidy(() => {
        const et = tf.tensor2d(e, [n, d]);
        const shape = kind === 'mlp' ? [u.length, 1] : [u.length];
        return [
          scorePairs(kind, et, u, v, params).dataSync(),
          tf
            .grad((x: tf.Tensor) => scorePairs(kind, x as tf.Tensor2D, u, v, params))(
              et,
              tf.tensor(r, shape),
            )
            .dataSync(),
        ];
      });
      expect(maxRelErr(y, ref(e)), kind).toBeLessThan(1e-5);
      const num = numericGrad((x) => {
        const o = ref(x);
        let s = 0;
        for (let p = 0; p < o.length; p++) s += o[p] * r[p];
        return s;
      }, e);
      expect(maxRelErr(g, num), kind).toBeLessThan(1e-4);
    }
    const [ga, gb] = tf.tidy(() => {
      const a = tf.tensor2d(e.subarray(0, 15), [3, 5]);
      const b = tf.tensor2d(e.subarray(15, 35), [4, 5]);
      const dy = tf.tensor2d(randomArray(rng, 12), [3, 4]);
      const gs = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        scoreMatrix(x as tf.Tensor2D, y as tf.Tensor2D),
      )([a, b], dy);
      const want = [tf.matMul(dy, b), tf.matMul(tf.transpose(dy), a)];
      return [
        maxRelErr(gs[0].dataSync(), want[0].dataSync()),
        maxRelErr(gs[1].dataSync(), want[1].dataSync()),
      ];
    });
    expect(ga).toBeLessThan(1e-6);
    expect(gb).toBeLessThan(1e-6);
    const gh = tf.tidy(() =>
      tf
        .grads((x: tf.Tensor, y: tf.Tensor) => hadamard(x as tf.Tensor2D, y as tf.Tensor2D))([
          tf.tensor2d([[1, 2]]),
          tf.tensor2d([[3, 4]]),
        ])
        .map((t) => t.arraySync()),
    );
    expect(gh).toEqual([[[3, 4]], [[1, 2]]]);
    tf.dispose([...params.values()]);
  });
});
