// The temporal model learns what only order and recency reveal: on planted sequences where a member's
// next contact is a fixed position of its history (its last contact, or the one before), it must rank
// the true next contact far above the static score, which sees the member and the target alone.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { TemporalActivityModel, type TemporalInputs } from '../../../kernels/nn/temporal-model.js';
import { linkLoss } from '../../../kernels/nn/link-loss.js';
import { initParams, type ParamSpec } from '../../../kernels/nn/params.js';
import { Mulberry32 } from '../../../runtime/prng.js';

const NODES = 40;
const IN_DIM = 8;
const DIM = 16;
const N = 6;
const PAIRS = 64;
/** Negatives per pair: half other activities of the same member, half any node. */
const NEGATIVES = 4;
const STEPS = 150;
/** `back` of the task whose target is told by its own recency alone. */
const RECENT = -1;

interface Planted {
  src: Int32Array;
  dst: Int32Array;
  negDst: Int32Array;
  temporal: TemporalInputs;
  targetGap?: Float32Array;
}

/**
 * PAIRS members with N distinct random contacts each, gaps shrinking towards the query time; the
 * next contact is the activity `back` places before the newest (0: repeat the last contact), or
 * with `back` RECENT any node, told apart from its negatives only by being active lately.
 */
function planted(rng: Mulberry32, features: Float32Array, back: number): Planted {
  const ids = new Int32Array(PAIRS * N);
  const x = new Float32Array(PAIRS * N * IN_DIM);
  const src = new Int32Array(PAIRS);
  const dst = new Int32Array(PAIRS);
  const negDst = new Int32Array(PAIRS * NEGATIVES);
  for (let p = 0; p < PAIRS; p++) {
    src[p] = rng.int(NODES);
    const seen = new Set<number>();
    for (let k = 0; k < N; k++) {
      let v = rng.int(NODES);
      while (seen.has(v)) v = rng.int(NODES);
      seen.add(v);
      ids[p * N + k] = v;
      x.set(features.subarray(v * IN_DIM, (v + 1) * IN_DIM), (p * N + k) * IN_DIM);
    }
    dst[p] = back === RECENT ? rng.int(NODES) : ids[p * N + N - 1 - back];
    for (let j = 0; j < NEGATIVES; j++) {
      let v = j % 2 === 0 ? ids[p * N + rng.int(N)] : rng.int(NODES);
      while (v === dst[p]) v = rng.int(NODES);
      negDst[p * NEGATIVES + j] = v;
    }
  }
  // Activity k of every sequence happened e^(N − k) − 1 time units before the pair.
  const logGap = Float32Array.from({ length: PAIRS * N }, (_, i) => N - (i % N));
  const seedIds = Int32Array.from({ length: NODES }, (_, i) => i);
  const temporal: TemporalInputs = {
    x,
    logGap,
    rel: new Int32Array(PAIRS * N),
    count: new Int32Array(PAIRS).fill(N),
    pointer: { ids, seedIds },
  };
  // Target gaps: the positive's last edge days before t; a negative's months before, or none.
  if (back !== RECENT) return { src, dst, negDst, temporal };
  const targetGap = Float32Array.from({ length: PAIRS * (1 + NEGATIVES) }, (_, i) =>
    i < PAIRS ? 11 + 2 * rng.next() : rng.next() < 0.25 ? -1 : 14 + 3 * rng.next(),
  );
  return { src, dst, negDst, temporal, targetGap };
}

function model(pointer: boolean, targetRecency = false): TemporalActivityModel {
  return new TemporalActivityModel({
    inDim: IN_DIM,
    dim: DIM,
    sequenceLength: N,
    layers: 1,
    heads: 2,
    embeddings: 2,
    score: 'max',
    timeEncoding: 'sinusoidal',
    pointer,
    targetRecency,
    numRelations: 1,
    longTermWeights: [],
    cosine: false,
    loss: 'bce',
  });
}

/** Mean reciprocal rank of each pair's positive among its negatives (ties count against it). */
function mrr(pos: Float32Array, neg: Float32Array): number {
  let sum = 0;
  for (let p = 0; p < pos.length; p++) {
    let rank = 1;
    for (let j = 0; j < NEGATIVES; j++) if (neg[p * NEGATIVES + j] >= pos[p]) rank++;
    sum += 1 / rank;
  }
  return sum / pos.length;
}

/**
 * Trains graph embeddings (a free table, the static model's only parameters) and, unless `temporal`
 * is null, the temporal model on fresh planted batches; returns test MRR on a held-out batch.
 */
function trainAndTest(temporal: TemporalActivityModel | null, back: number, seed: number): number {
  const rng = new Mulberry32(seed);
  const features = Float32Array.from({ length: NODES * IN_DIM }, () => rng.next() - 0.5);
  const specs: ParamSpec[] = [
    { name: 'graph', shape: [NODES, DIM], init: { kind: 'glorot', fanIn: 1, fanOut: DIM } },
    ...(temporal ? temporal.paramSpecs() : []),
  ];
  const init = initParams(specs, seed);
  const vars = new Map(
    specs.map((s) => [s.name, tf.variable(tf.tensor(init.get(s.name)!, s.shape))]),
  );
  const graph = () => vars.get('graph') as unknown as tf.Tensor2D;
  const scores = (b: Planted) => {
    if (!temporal) {
      const dot = (rows: Int32Array, of: Int32Array) =>
        tf.sum(tf.mul(tf.gather(graph(), of), tf.gather(graph(), rows)), 1);
      const srcRep = Int32Array.from(b.negDst, (_, j) => b.src[Math.floor(j / NEGATIVES)]);
      return { pos: dot(b.dst, b.src), neg: dot(b.negDst, srcRep) };
    }
    const members = temporal.memberEmbeddings(graph(), b.src, b.temporal, vars);
    const all = Int32Array.from(b.src, (_, i) => i);
    const negSeq = Int32Array.from(b.negDst, (_, j) => Math.floor(j / NEGATIVES));
    const gap = b.targetGap;
    const pos = temporal.score(
      members,
      all,
      tf.gather(graph(), b.dst),
      b.dst,
      gap?.subarray(0, PAIRS),
    );
    const negEmb = tf.gather(graph(), b.negDst);
    const neg = temporal.score(members, negSeq, negEmb, b.negDst, gap?.subarray(PAIRS));
    return { pos, neg };
  };
  const opt = tf.train.adam(0.01);
  for (let step = 0; step < STEPS; step++) {
    const b = planted(rng, features, back);
    tf.tidy(() => {
      opt.minimize(() => {
        const { pos, neg } = scores(b);
        return linkLoss('bce', pos, neg);
      });
    });
  }
  const test = planted(rng, features, back);
  const result = tf.tidy(() => {
    const { pos, neg } = scores(test);
    return mrr(pos.dataSync() as Float32Array, neg.dataSync() as Float32Array);
  });
  opt.dispose();
  for (const v of vars.values()) v.dispose();
  return result;
}

describe('temporal model on planted sequences', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // Chance MRR with 4 negatives is (1 + 1/2 + 1/3 + 1/4 + 1/5) / 5 ≈ 0.46.
  for (const back of [0, 1]) {
    const task = back === 0 ? 'repeats its last contact' : 'returns to the contact before last';
    it(`beats the static score when the member ${task}`, () => {
      const statics = trainAndTest(null, back, 1);
      const withPointer = trainAndTest(model(true), back, 1);
      const transformerOnly = trainAndTest(model(false), back, 1);
      expect(statics).toBeLessThan(0.6);
      expect(withPointer).toBeGreaterThan(0.9);
      expect(transformerOnly).toBeGreaterThan(0.85);
    }, 120_000);
  }

  it('ranks a target active lately above stale ones with the target-recency term', () => {
    const statics = trainAndTest(null, RECENT, 2);
    const withRecency = trainAndTest(model(true, true), RECENT, 2);
    expect(statics).toBeLessThan(0.6);
    expect(withRecency).toBeGreaterThan(0.9);
  }, 120_000);
});
