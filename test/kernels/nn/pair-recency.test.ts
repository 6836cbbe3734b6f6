// The pair-recency term (model.temporal.pairRecency) against float64 references: each target's gap
// from its pair's newest activity that is the target, the term's values and its weights' gradient,
// and the temporal model's score and loss with it, gradient included.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { RECENCY_FEATURES } from '../../../kernels/nn/target-recency.js';
import {
  entryRanks,
  PAIR_RECENCY_PARAM,
  pairGaps,
  pairRanks,
  pairRecencyScore,
  RANK_FEATURES,
  rankBucket,
  type PairActivities,
} from '../../../kernels/nn/pair-recency.js';
import { TemporalActivityModel, POINTER_SCALE } from '../../../kernels/nn/temporal-model.js';
import { linkLossValues } from '../../../kernels/nn/link-loss.js';
import { initParams } from '../../../kernels/nn/params.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { maxRelErr, randomArray } from '../fixtures/random-block.js';
import { numericVjp } from '../fixtures/numeric-vjp.js';
import { expectTermMatchesRef, scoreRef, smallTemporalConfig } from '../fixtures/recency-ref.js';

const N = 6;
const NODES = 5;

/**
 * Sequences of `least`..N activities over NODES ids (repeats likely), gaps falling towards the
 * newest.
 */
function randomActivities(rng: Mulberry32, pairs: number, least = 0): PairActivities {
  const ids = new Int32Array(pairs * N).fill(-1);
  const logGap = new Float32Array(pairs * N);
  const count = Int32Array.from({ length: pairs }, () => least + rng.int(N + 1 - least));
  for (let p = 0; p < pairs; p++)
    for (let k = 0; k < count[p]; k++) {
      ids[p * N + k] = rng.int(NODES);
      logGap[p * N + k] = (N - k) * 2 * rng.next();
    }
  return { ids, logGap, count };
}

/** The gap of the newest (largest-index) present activity of pair `p` that is `y`, else -1. */
function gapRef(a: PairActivities, p: number, y: number): number {
  let g = -1;
  for (let k = 0; k < a.count[p]; k++) if (a.ids[p * N + k] === y) g = a.logGap[p * N + k];
  return g;
}

function modelWith(pointer: boolean): TemporalActivityModel {
  return new TemporalActivityModel(
    smallTemporalConfig({ sequenceLength: N, pointer, pairRecency: true }),
  );
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`pair recency on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it("reads each target's newest activity of its own pair, none when it is not among them", () => {
      const acts: PairActivities = {
        ids: Int32Array.from([3, 1, 3, 2, 4, -1, 1, 1, 0, 9, -1, -1]),
        logGap: Float32Array.from([9, 8, 7, 6, 5, 0, 4, 3, 2, 1, 0, 0]),
        count: Int32Array.from([5, 3]),
      };
      // Node 9 sits past pair 1's count (never read); node 4 is pair 0's, not pair 1's.
      const seq = Int32Array.from([0, 0, 0, 1, 1, 1, 1]);
      const ids = Int32Array.from([3, 1, 0, 1, 9, 4, 0]);
      expect(Array.from(pairGaps(acts, seq, ids))).toEqual([7, 8, -1, 3, -1, -1, 2]);
    });

    it('ranks each target among the partners after its newest activity; the rank buckets', () => {
      // Pair 0, newest first: 4, 2, 3, 1, 3 — so 4 is rank 0, 2 rank 1, 3 rank 2, 1 rank 3.
      const acts: PairActivities = {
        ids: Int32Array.from([3, 1, 3, 2, 4, -1, 1, 1, 0, 9, -1, -1]),
        logGap: new Float32Array(12),
        count: Int32Array.from([5, 3]),
      };
      const seq = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1]);
      const ids = Int32Array.from([4, 2, 3, 1, 0, 0, 1, 9]);
      expect(Array.from(pairRanks(acts, seq, ids))).toEqual([0, 1, 2, 3, -1, 0, 1, -1]);
      // Per entry, as exact ranking reads a list (padding -1): the newest entry of each node
      // gets its rank, older repeats and padding -1.
      const lists = Int32Array.from([3, 1, 3, 2, 4, -1, 1, 1, 0, -1, -1, -1]);
      expect(Array.from(entryRanks(lists, 6))).toEqual([-1, 3, 2, 1, 0, -1, -1, 1, 0, -1, -1, -1]);
      expect([0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 900, -1].map(rankBucket)).toEqual([
        0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8,
      ]);
    });

    it("adds the rank bucket's weight to the gap term, and its gradient counts the entries per bucket", () => {
      const rng = new Mulberry32(7);
      const pairs = 4;
      const acts = randomActivities(rng, pairs, 2);
      const entries = 24;
      const seq = Int32Array.from({ length: entries }, () => rng.int(pairs));
      const ids = Int32Array.from({ length: entries }, () => rng.int(NODES + 1));
      const w = tf.tensor2d(randomArray(rng, RECENCY_FEATURES), [RECENCY_FEATURES, 1]);
      const rw = randomArray(rng, RANK_FEATURES);
      const ranks = pairRanks(acts, seq, ids);
      expect(new Set(ranks).size).toBeGreaterThan(2);
      const gapOnly = pairRecencyScore(acts, seq, ids, w, POINTER_SCALE).dataSync();
      const run = (r: tf.Tensor) => pairRecencyScore(acts, seq, ids, w, POINTER_SCALE, r);
      const withRank = run(tf.tensor2d(rw, [RANK_FEATURES, 1])).dataSync();
      for (let k = 0; k < entries; k++)
        expect(withRank[k]).toBeCloseTo(gapOnly[k] + POINTER_SCALE * rw[rankBucket(ranks[k])], 4);
      // d(Σ_k c_k · score_k)/d rw_b = scale · Σ of c_k over the entries in bucket b.
      const c = randomArray(rng, entries);
      const g = tf
        .grad((r: tf.Tensor) => tf.sum(tf.mul(run(r), tf.tensor1d(c))))(
          tf.tensor2d(rw, [RANK_FEATURES, 1]),
        )
        .dataSync();
      const gRef = new Float64Array(RANK_FEATURES);
      ranks.forEach((r, k) => (gRef[rankBucket(r)] += POINTER_SCALE * c[k]));
      expect(maxRelErr(g, gRef)).toBeLessThan(1e-5);
    });

    it('values and the weights gradient match float64', () => {
      for (let seed = 1; seed <= 5; seed++) {
        const rng = new Mulberry32(seed);
        const pairs = 2 + rng.int(4);
        const acts = randomActivities(rng, pairs);
        const entries = 3 + rng.int(20);
        const seq = Int32Array.from({ length: entries }, () => rng.int(pairs));
        const ids = Int32Array.from({ length: entries }, () => rng.int(NODES + 1));
        const gaps = Float64Array.from(seq, (p, k) => gapRef(acts, p, ids[k]));
        expect(gaps.some((g) => g < 0) || entries < 5).toBe(true);
        const run = (wt: tf.Tensor) => pairRecencyScore(acts, seq, ids, wt, POINTER_SCALE);
        expectTermMatchesRef(run, gaps, rng);
      }
    });

    for (const pointer of [false, true])
      it(`adds the term to every target's score and trains its weights as float64 does (pointer ${pointer})`, () => {
        const model = modelWith(pointer);
        const rng = new Mulberry32(pointer ? 21 : 20);
        const params = initParams(model.paramSpecs(), 3);
        const w = randomArray(rng, RECENCY_FEATURES);
        if (pointer) params.set('temporal.pointer.gate', Float32Array.of(0.4));
        const pairs = 4;
        const k = 3;
        const acts = randomActivities(rng, pairs, 2);
        // Graph rows 0..7 are the nodes 0..7 (the activities' ids are among them).
        const seedIds = Int32Array.from({ length: 8 }, (_, i) => i);
        const inputs = {
          x: randomArray(rng, pairs * N * 3),
          logGap: acts.logGap,
          rel: new Int32Array(pairs * N),
          count: acts.count,
          pointer: { ids: acts.ids, seedIds },
        };
        const graph = randomArray(rng, 8 * 8);
        const src = Int32Array.from([5, 6, 7, 5]);
        // Targets: each pair's first activity's node, so the term takes part.
        const dst = Int32Array.from({ length: pairs }, (_, p) => acts.ids[p * N]);
        const negDst = Int32Array.from({ length: pairs * k }, () => rng.int(NODES + 1));
        const tensors = (over: Map<string, tf.Tensor>) =>
          new Map(
            model
              .paramSpecs()
              .map((s) => [s.name, over.get(s.name) ?? tf.tensor(params.get(s.name)!, s.shape)]),
          );
        const target = { src, dst, negDst, temporal: inputs };
        // The scores without the term (its weights at 0, as initialised): the float64 loss adds it.
        const [pos0, neg0] = tf.tidy(() => {
          const p = tensors(new Map());
          const emb = tf.tensor2d(graph, [8, 8]);
          const members = model.memberEmbeddings(emb, src, inputs, p);
          const all = Int32Array.from({ length: pairs }, (_, i) => i);
          const negSeq = Int32Array.from(negDst, (_, j) => Math.floor(j / k));
          return [
            model.score(members, all, tf.gather(emb, dst) as tf.Tensor2D, dst).dataSync(),
            model.score(members, negSeq, tf.gather(emb, negDst) as tf.Tensor2D, negDst).dataSync(),
          ];
        });
        const posGap = Float64Array.from(dst, (y, p) => gapRef(acts, p, y));
        const negGap = Float64Array.from(negDst, (y, j) => gapRef(acts, Math.floor(j / k), y));
        expect(posGap.filter((g) => g >= 0).length).toBeGreaterThan(1);
        const weights = Float64Array.from(negDst, (y, j) => (y === dst[Math.floor(j / k)] ? 0 : 1));
        const lossRef = (ws: Float64Array) => {
          const pos = scoreRef(posGap, ws, POINTER_SCALE).map((t, i) => t + pos0[i]);
          const neg = scoreRef(negGap, ws, POINTER_SCALE).map((t, j) => t + neg0[j]);
          return Float64Array.of(linkLossValues('bce', pos, neg, weights, null, null));
        };
        const at = (wt: tf.Tensor) =>
          model.loss(
            tf.tensor2d(graph, [8, 8]),
            target,
            tensors(new Map([[PAIR_RECENCY_PARAM, wt]])),
          );
        const loss = tf.tidy(() => at(tf.tensor2d(w, [RECENCY_FEATURES, 1])).dataSync()[0]);
        expect(loss).toBeCloseTo(lossRef(Float64Array.from(w))[0], 4);
        const g = tf.tidy(() =>
          tf
            .grad(at)(tf.tensor2d(w, [RECENCY_FEATURES, 1]))
            .dataSync(),
        );
        const gRef = numericVjp(lossRef, Float64Array.from(w), [1]);
        expect(maxRelErr(g, gRef)).toBeLessThan(2e-3);
      });

    it('refuses sequences without their ids', () => {
      const model = modelWith(false);
      const params = initParams(model.paramSpecs(), 3);
      const p = new Map(
        model.paramSpecs().map((s) => [s.name, tf.tensor(params.get(s.name)!, s.shape)]),
      );
      const inputs = {
        x: new Float32Array(N * 3),
        logGap: new Float32Array(N),
        rel: new Int32Array(N),
        count: Int32Array.of(0),
      };
      expect(() =>
        model.memberEmbeddings(tf.zeros([2, 8]) as tf.Tensor2D, Int32Array.of(0), inputs, p),
      ).toThrow(/pair-recency term needs the activities' ids/);
    });
  });
}
