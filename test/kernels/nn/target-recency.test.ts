// The target-recency term (model.temporal.targetRecency) against a float64 reference: its features,
// its values and its weights' gradient, and its place in the temporal model's score and loss.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import {
  RECENCY_FEATURES,
  RECENCY_PARAM,
  recencyFeatures,
  targetRecencyScore,
} from '../../../kernels/nn/target-recency.js';
import { TemporalActivityModel, POINTER_SCALE } from '../../../kernels/nn/temporal-model.js';
import { initParams } from '../../../kernels/nn/params.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';
import {
  expectTermMatchesRef,
  featuresRef,
  scoreRef,
  smallTemporalConfig,
} from '../fixtures/recency-ref.js';

/** Gaps as the sampler writes them: log1p of seconds up to a year, some targets without an edge. */
function randomGaps(rng: Mulberry32, n: number): Float32Array {
  return Float32Array.from({ length: n }, () =>
    rng.next() < 0.2 ? -1 : Math.log1p(3e7 * rng.next()),
  );
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`target recency on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('features: the sinusoids of the gap, or only the no-edge indicator', () => {
      const gaps = Float32Array.from([0, 3.5, 13.2, -1]);
      const f = recencyFeatures(gaps);
      expect(f.length).toBe(gaps.length * RECENCY_FEATURES);
      gaps.forEach((g, i) =>
        expect(
          maxRelErr(f.subarray(i * RECENCY_FEATURES, (i + 1) * RECENCY_FEATURES), featuresRef(g)),
        ).toBeLessThan(1e-5),
      );
    });

    it('values and the weights gradient match float64', () => {
      for (let seed = 1; seed <= 5; seed++) {
        const rng = new Mulberry32(seed);
        const gaps = randomGaps(rng, 3 + rng.int(20));
        expectTermMatchesRef((wt) => targetRecencyScore(gaps, wt, POINTER_SCALE), gaps, rng);
      }
    });

    it("adds the term to the model's score of each target, and the loss trains its weights", () => {
      const model = new TemporalActivityModel(smallTemporalConfig({ targetRecency: true }));
      const rng = new Mulberry32(9);
      const params = initParams(model.paramSpecs(), 3);
      const w = randomArray(rng, RECENCY_FEATURES);
      params.set(RECENCY_PARAM, w);
      const pairs = 3;
      const k = 2;
      const inputs = {
        x: randomArray(rng, pairs * 4 * 3),
        logGap: Float32Array.from({ length: pairs * 4 }, () => 10 * rng.next()),
        rel: new Int32Array(pairs * 4),
        count: Int32Array.from([4, 0, 2]),
        targetGap: randomGaps(rng, pairs * (1 + k)),
      };
      const graph = randomArray(rng, 8 * 8);
      const dst = Int32Array.from([3, 4, 5]);
      const negDst = Int32Array.from([6, 7, 7, 6, 0, 1]);
      const tensors = (over: Map<string, tf.Tensor>) =>
        new Map(
          model
            .paramSpecs()
            .map((s) => [s.name, over.get(s.name) ?? tf.tensor(params.get(s.name)!, s.shape)]),
        );
      const [withGap, without] = tf.tidy(() => {
        const p = tensors(new Map());
        const emb = tf.tensor2d(graph, [8, 8]);
        const members = model.memberEmbeddings(emb, Int32Array.from([0, 1, 2]), inputs, p);
        const seq = Int32Array.from([0, 1, 2]);
        const targets = tf.gather(emb, dst) as tf.Tensor2D;
        const gap = inputs.targetGap.subarray(0, pairs);
        return [
          model.score(members, seq, targets, dst, gap).dataSync(),
          model.score(members, seq, targets, dst).dataSync(),
        ];
      });
      const term = scoreRef(inputs.targetGap.subarray(0, pairs), w, POINTER_SCALE);
      for (let i = 0; i < pairs; i++) expect(withGap[i] - without[i]).toBeCloseTo(term[i], 4);
      const g = tf.tidy(() =>
        tf
          .grad((wt: tf.Tensor) =>
            model.loss(
              tf.tensor2d(graph, [8, 8]),
              {
                src: Int32Array.from([0, 1, 2]),
                dst,
                negDst,
                temporal: inputs,
                targetGap: inputs.targetGap,
              },
              tensors(new Map([[RECENCY_PARAM, wt]])),
            ),
          )(tf.tensor2d(w, [RECENCY_FEATURES, 1]))
          .dataSync(),
      );
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
      expect(Array.from(g).some((v) => v !== 0)).toBe(true);
    });
  });
}
