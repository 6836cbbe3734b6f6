// The temporal activity model's pieces against float64 references (causal attention, a transformer
// layer, multi-embedding scoring; values and gradients), and the two properties the sequence
// encoder must have: padding never changes an output, and a later activity never changes an earlier one.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  causalMask,
  causalSelfAttention,
  causalSelfAttentionReference,
} from '../../../kernels/nn/causal-attention.js';
import {
  transformerLayer,
  transformerLayerReference,
  transformerLayerSpecs,
} from '../../../kernels/nn/transformer-layer.js';
import {
  multiEmbeddingScore,
  multiEmbeddingScoreReference,
} from '../../../kernels/nn/multi-embedding-score.js';
import { TemporalActivityModel, type TemporalInputs } from '../../../kernels/nn/temporal-model.js';
import { initParams } from '../../../kernels/nn/params.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';
import { numericVjp } from '../fixtures/numeric-vjp.js';

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

/** The tfjs gradient of <f(x), r> with respect to x. */
function vjp(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, r: Float32Array): Float32Array {
  return tf.tidy(() => {
    const g = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(f(xt), tf.tensor(r, f(xt).shape))))(x);
    return g.dataSync() as Float32Array;
  });
}

function randomLastValid(rng: Mulberry32, seqs: number, steps: number): Int32Array {
  return Int32Array.from({ length: seqs }, () => rng.int(steps));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`temporal model pieces on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('causal self-attention: values and gradients of x and Wq match float64', () => {
      for (let seed = 1; seed <= 6; seed++) {
        const rng = new Mulberry32(seed);
        const [seqs, steps, heads] = [1 + rng.int(3), 2 + rng.int(4), 1 + rng.int(2)];
        const d = heads * (1 + rng.int(3));
        const last = randomLastValid(rng, seqs, steps);
        const x = randomArray(rng, seqs * steps * d);
        const w = {
          wq: randomArray(rng, d * d),
          wk: randomArray(rng, d * d),
          wv: randomArray(rng, d * d),
          wo: randomArray(rng, d * d),
        };
        const r = randomArray(rng, seqs * steps * d);
        const run = (xt: tf.Tensor, wq: tf.Tensor) =>
          causalSelfAttention(
            xt as tf.Tensor2D,
            {
              wq: wq as tf.Tensor2D,
              wk: tf.tensor2d(w.wk, [d, d]),
              wv: tf.tensor2d(w.wv, [d, d]),
              wo: tf.tensor2d(w.wo, [d, d]),
            },
            seqs,
            steps,
            heads,
            tf.tensor3d(causalMask(last, steps, heads), [seqs * heads, steps, steps]),
          );
        const y = tf.tidy(() =>
          run(tf.tensor2d(x, [seqs * steps, d]), tf.tensor2d(w.wq, [d, d])).dataSync(),
        );
        const ref = causalSelfAttentionReference(x, w, last, steps, d, heads);
        expect(maxRelErr(y, ref)).toBeLessThan(1e-4);
        const gx = vjp(
          (xt) => run(xt, tf.tensor2d(w.wq, [d, d])),
          tf.tensor2d(x, [seqs * steps, d]),
          r,
        );
        const gxRef = numericVjp(
          (xs) => causalSelfAttentionReference(xs, w, last, steps, d, heads),
          f64(x),
          r,
        );
        expect(maxRelErr(gx, gxRef)).toBeLessThan(2e-3);
        const gq = vjp(
          (wq) => run(tf.tensor2d(x, [seqs * steps, d]), wq),
          tf.tensor2d(w.wq, [d, d]),
          r,
        );
        const gqRef = numericVjp(
          (wq) => causalSelfAttentionReference(x, { ...w, wq }, last, steps, d, heads),
          f64(w.wq),
          r,
        );
        expect(maxRelErr(gq, gqRef)).toBeLessThan(2e-3);
      }
    });

    it('transformer layer: values and gradients of the input and every parameter match float64', () => {
      for (let seed = 1; seed <= 3; seed++) {
        const rng = new Mulberry32(100 + seed);
        const [seqs, steps, heads, d] = [2, 3 + rng.int(2), 2, 4];
        const last = randomLastValid(rng, seqs, steps);
        const specs = transformerLayerSpecs('t', d);
        const values = new Map(
          specs.map(
            (s) =>
              [
                s.name,
                randomArray(
                  rng,
                  s.shape.reduce((a, b) => a * b, 1),
                ),
              ] as const,
          ),
        );
        const z = randomArray(rng, seqs * steps * d);
        const r = randomArray(rng, seqs * steps * d);
        const mask = () =>
          tf.tensor3d(causalMask(last, steps, heads), [seqs * heads, steps, steps]);
        const layer = (zt: tf.Tensor, name?: string, v?: tf.Tensor) => {
          const p = new Map<string, tf.Tensor>(
            specs.map((s) => [s.name, tf.tensor(values.get(s.name)!, s.shape)]),
          );
          if (name !== undefined) p.set(name, v!);
          return transformerLayer(zt as tf.Tensor2D, p, 't', {
            numSeqs: seqs,
            steps,
            heads,
            mask: mask(),
          });
        };
        const refOf = (zs: ArrayLike<number>, vals = values as Map<string, ArrayLike<number>>) =>
          transformerLayerReference(zs, vals, 't', last, steps, d, heads);
        const y = tf.tidy(() => layer(tf.tensor2d(z, [seqs * steps, d])).dataSync());
        expect(maxRelErr(y, refOf(z))).toBeLessThan(1e-4);
        const gz = vjp((zt) => layer(zt), tf.tensor2d(z, [seqs * steps, d]), r);
        expect(
          maxRelErr(
            gz,
            numericVjp((zs) => refOf(zs), f64(z), r),
          ),
        ).toBeLessThan(3e-3);
        for (const s of specs) {
          const g = vjp(
            (v) => layer(tf.tensor2d(z, [seqs * steps, d]), s.name, v),
            tf.tensor(values.get(s.name)!, s.shape),
            r,
          );
          const gRef = numericVjp(
            (v) => refOf(z, new Map<string, ArrayLike<number>>([...values, [s.name, v]])),
            f64(values.get(s.name)!),
            r,
          );
          expect(maxRelErr(g, gRef), s.name).toBeLessThan(3e-3);
        }
      }
    });

    it('multi-embedding scores (max and attention, dot and cosine): values and gradients match float64', () => {
      for (const kind of ['max', 'attention'] as const)
        for (const cosine of [false, true]) {
          const rng = new Mulberry32(cosine ? 7 : 3);
          const [k, heads, d] = [5, 3, 4];
          const e = randomArray(rng, k * heads * d);
          const y = randomArray(rng, k * d);
          const r = randomArray(rng, k);
          const run = (et: tf.Tensor, yt: tf.Tensor) =>
            multiEmbeddingScore(et as tf.Tensor2D, yt as tf.Tensor2D, heads, kind, cosine);
          const s = tf.tidy(() =>
            run(tf.tensor2d(e, [k, heads * d]), tf.tensor2d(y, [k, d])).dataSync(),
          );
          expect(
            maxRelErr(s, multiEmbeddingScoreReference(e, y, k, heads, d, kind, cosine)),
          ).toBeLessThan(1e-4);
          const ge = vjp(
            (et) => run(et, tf.tensor2d(y, [k, d])),
            tf.tensor2d(e, [k, heads * d]),
            r,
          );
          const geRef = numericVjp(
            (es) => multiEmbeddingScoreReference(es, y, k, heads, d, kind, cosine),
            f64(e),
            r,
          );
          expect(maxRelErr(ge, geRef), `${kind} cosine=${cosine}`).toBeLessThan(2e-3);
          const gy = vjp(
            (yt) => run(tf.tensor2d(e, [k, heads * d]), yt),
            tf.tensor2d(y, [k, d]),
            r,
          );
          const gyRef = numericVjp(
            (ys) => multiEmbeddingScoreReference(e, ys, k, heads, d, kind, cosine),
            f64(y),
            r,
          );
          expect(maxRelErr(gy, gyRef), `${kind} cosine=${cosine}`).toBeLessThan(2e-3);
        }
    });

    it('multi-embedding scores broadcast each member over its run of targets: values and gradients', () => {
      for (const kind of ['max', 'attention'] as const)
        for (const cosine of [false, true]) {
          const rng = new Mulberry32(cosine ? 13 : 17);
          const [m, per, heads, d] = [3, 4, 2, 5];
          const k = m * per;
          const e = randomArray(rng, m * heads * d);
          // The reference scores entry j with its member's row repeated.
          const repeat = (es: ArrayLike<number>) =>
            Float64Array.from({ length: k * heads * d }, (_, i) => {
              const row = Math.floor(i / (heads * d));
              return es[Math.floor(row / per) * heads * d + (i % (heads * d))];
            });
          const y = randomArray(rng, k * d);
          const r = randomArray(rng, k);
          const run = (et: tf.Tensor) =>
            multiEmbeddingScore(et as tf.Tensor2D, tf.tensor2d(y, [k, d]), heads, kind, cosine);
          const s = tf.tidy(() => run(tf.tensor2d(e, [m, heads * d])).dataSync());
          const ref = (es: ArrayLike<number>) =>
            multiEmbeddingScoreReference(repeat(es), y, k, heads, d, kind, cosine);
          expect(maxRelErr(s, ref(e))).toBeLessThan(1e-4);
          const ge = vjp(run, tf.tensor2d(e, [m, heads * d]), r);
          expect(
            maxRelErr(ge, numericVjp(ref, f64(e), r)),
            `${kind} cosine=${cosine}`,
          ).toBeLessThan(2e-3);
        }
    });

    const cfg = {
      inDim: 3,
      dim: 8,
      sequenceLength: 5,
      layers: 2,
      heads: 2,
      embeddings: 3,
      score: 'attention' as const,
      timeEncoding: 'sinusoidal' as const,
      pointer: true,
      numRelations: 2,
      longTermWeights: [0.5],
      cosine: false,
      loss: 'bce' as const,
    };

    function randomInputs(
      rng: Mulberry32,
      seqs: number,
      n: number,
      count: Int32Array,
    ): TemporalInputs {
      return {
        x: randomArray(rng, seqs * n * cfg.inDim),
        logGap: Float32Array.from({ length: seqs * n }, () => 10 * rng.next()),
        rel: Int32Array.from({ length: seqs * n }, () => rng.int(2)),
        count,
        pointer: {
          ids: Int32Array.from({ length: seqs * n }, (_, i) =>
            i % n < count[Math.floor(i / n)] ? rng.int(10) : -1,
          ),
          seedIds: Int32Array.from({ length: 10 }, (_, i) => i),
        },
      };
    }

    it('padding past each sequence never changes its summary', () => {
      for (const timeEncoding of ['sinusoidal', 'learned'] as const) {
        const model = new TemporalActivityModel({ ...cfg, timeEncoding });
        const params = initParams(model.paramSpecs(), 4);
        const p = new Map(
          [...params].map(([k, v]) => [
            k,
            tf.tensor(v, model.paramSpecs().find((s) => s.name === k)!.shape),
          ]),
        );
        const rng = new Mulberry32(9);
        const count = Int32Array.from([0, 2, 5, 3]);
        const a = randomInputs(rng, 4, 5, count);
        const b = { ...a, x: a.x.slice(), logGap: a.logGap.slice(), rel: a.rel.slice() };
        for (let s = 0; s < 4; s++)
          for (let j = count[s]; j < 5; j++) {
            b.logGap[s * 5 + j] = 99 * rng.next();
            b.rel[s * 5 + j] = 1 - b.rel[s * 5 + j];
            for (let c = 0; c < cfg.inDim; c++) b.x[(s * 5 + j) * cfg.inDim + c] = 50 * rng.next();
          }
        const ya = tf.tidy(() => model.encodeSequences(a, p).summary.dataSync());
        const yb = tf.tidy(() => model.encodeSequences(b, p).summary.dataSync());
        expect(Array.from(yb)).toEqual(Array.from(ya));
        // The pointer's attention ignores padding too, and gives it no weight.
        const pa = tf.tidy(() => model.encodeSequences(a, p).pointer!.dataSync());
        const pb = tf.tidy(() => model.encodeSequences(b, p).pointer!.dataSync());
        expect(Array.from(pb)).toEqual(Array.from(pa));
        for (let s = 0; s < 4; s++)
          for (let j = 0; j < 6; j++) if (j === 0 || j > count[s]) expect(pa[s * 6 + j]).toBe(0);
        // An activity that is present does change it.
        const c2 = { ...a, x: a.x.slice() };
        c2.x[(2 * 5 + 1) * cfg.inDim] += 3;
        const yc = tf.tidy(() => model.encodeSequences(c2, p).summary.dataSync());
        expect(maxRelErr(yc.subarray(16, 24), ya.subarray(16, 24))).toBeGreaterThan(1e-3);
      }
    });

    it('causality: a later activity never changes an earlier position', () => {
      const rng = new Mulberry32(5);
      const [seqs, steps, heads, d] = [2, 6, 2, 8];
      const specs = transformerLayerSpecs('c', d);
      const params = initParams(specs, 1);
      const p = new Map(specs.map((s) => [s.name, tf.tensor(params.get(s.name)!, s.shape)]));
      const last = Int32Array.from([5, 5]);
      const z = randomArray(rng, seqs * steps * d);
      const later = z.slice();
      for (let c = 0; c < d; c++) later[(0 * steps + 4) * d + c] += 2 * rng.next() + 1;
      const run = (zs: Float32Array) =>
        tf.tidy(() => {
          const mask = tf.tensor3d(causalMask(last, steps, heads), [seqs * heads, steps, steps]);
          let h = tf.tensor2d(zs, [seqs * steps, d]);
          for (let l = 0; l < 2; l++)
            h = transformerLayer(h, p, 'c', { numSeqs: seqs, steps, heads, mask });
          return h.dataSync();
        });
      const a = run(z);
      const b = run(later);
      expect(Array.from(b.subarray(0, 4 * d))).toEqual(Array.from(a.subarray(0, 4 * d)));
      expect(maxRelErr(b.subarray(4 * d, 6 * d), a.subarray(4 * d, 6 * d))).toBeGreaterThan(1e-3);
      expect(Array.from(b.subarray(steps * d))).toEqual(Array.from(a.subarray(steps * d)));
    });

    it('the whole loss reaches every parameter, the long-term term included', () => {
      const model = new TemporalActivityModel(cfg);
      const specs = model.paramSpecs();
      const params = initParams(specs, 2);
      const rng = new Mulberry32(11);
      const pairs = 4;
      const inputs = randomInputs(rng, pairs, 5, Int32Array.from([1, 5, 3, 2]));
      // Every pair's target among its activities, and open gates: the pointer's attention and the
      // sequence encoder train.
      inputs.pointer!.ids.set([4], 0);
      inputs.pointer!.ids.set([5, 8], 5);
      inputs.pointer!.ids.set([9], 10);
      inputs.pointer!.ids.set([7], 15);
      params.set('temporal.pointer.gate', Float32Array.from([0.5]));
      params.set('temporal.heads.gate', Float32Array.from([0.5]));
      inputs.future = {
        windows: 1,
        cap: 2,
        x: randomArray(rng, pairs * 2 * cfg.inDim),
        count: Int32Array.from([2, 1, 0, 2]),
        ids: Int32Array.from([1, 2, 3, 0, 0, 0, 4, 5]),
      };
      const graph = randomArray(rng, 10 * cfg.dim);
      const target = {
        src: Int32Array.from([0, 1, 2, 3]),
        dst: Int32Array.from([4, 5, 6, 7]),
        negDst: Int32Array.from([8, 9, 8, 9, 5, 8, 9, 4]),
        temporal: inputs,
      };
      const names = specs.map((s) => s.name);
      const grads = tf.tidy(() => {
        const g = tf.grads((...ts: tf.Tensor[]) => {
          const p = new Map(names.map((n, i) => [n, ts[i]] as const));
          return model.loss(ts[names.length] as tf.Tensor2D, target, p);
        })([
          ...specs.map((s) => tf.tensor(params.get(s.name)!, s.shape)),
          tf.tensor2d(graph, [10, cfg.dim]),
        ]);
        return g.map((t) => Array.from(t.dataSync()));
      });
      names.forEach((n, i) => {
        expect(grads[i].every(Number.isFinite), n).toBe(true);
        expect(
          grads[i].some((v) => v !== 0),
          n,
        ).toBe(true);
      });
    });
  });
}
