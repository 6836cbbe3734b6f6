// The evaluation chunking of the temporal model's sequence encoder: the chunk the sizing rule picks
// for given shapes, that the estimate bounds what the encoder really holds, and that the member
// embeddings and pointer attention are the same whether the sequences are encoded in one chunk or many.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import {
  EVAL_SEQUENCE_BYTES,
  sequenceBytes,
  sequenceChunk,
  WASM_HEAP_BYTES,
} from '../../../kernels/nn/sequence-memory.js';
import {
  TemporalActivityModel,
  type TemporalConfig,
  type TemporalInputs,
} from '../../../kernels/nn/temporal-model.js';
import { initParams } from '../../../kernels/nn/params.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { randomArray } from '../fixtures/random-block.js';

/** The CollegeMsg job of issue #16: N = 100, d = 128, 4 heads, 1 layer, 8 input features. */
const COLLEGE = { sequenceLength: 100, dim: 128, heads: 4, layers: 1, inDim: 8 };

describe('sequence chunk sizing', () => {
  it('counts the attention and row tensors of one sequence', () => {
    // T = 101: (1 + 4) · 4 · 101² attention entries, (12 + 30) · 101 · 128 + 2 · 101 · 8 + 16 · 101
    // row entries, 4 bytes each.
    expect(sequenceBytes(COLLEGE)).toBe(4 * (5 * 4 * 101 * 101 + 42 * 101 * 128 + 1616 + 1616));
    expect(sequenceBytes({ ...COLLEGE, layers: 2 })).toBe(
      4 * (9 * 4 * 101 * 101 + 72 * 101 * 128 + 1616 + 1616),
    );
  });

  it('picks the chunk that fits the budget, whatever the batch', () => {
    expect(EVAL_SEQUENCE_BYTES).toBe(WASM_HEAP_BYTES / 4);
    // 2,048 pairs at N = 100 held ~4.6 GiB at once; chunks of 357 hold at most 1 GiB.
    expect(sequenceChunk(COLLEGE)).toBe(357);
    expect(357 * sequenceBytes(COLLEGE)).toBeLessThanOrEqual(2 ** 30);
    expect(358 * sequenceBytes(COLLEGE)).toBeGreaterThan(2 ** 30);
    // N = 32 (which ran at the default eval.batchSize, ~1.5 GiB for 2,048): two chunks now.
    expect(sequenceChunk({ ...COLLEGE, sequenceLength: 32 })).toBe(1340);
    expect(sequenceChunk({ ...COLLEGE, layers: 2 })).toBe(206);
    expect(sequenceChunk(COLLEGE, 10 * sequenceBytes(COLLEGE) + 1)).toBe(10);
  });

  it('refuses a sequence that alone exceeds the budget', () => {
    const huge = { ...COLLEGE, sequenceLength: 1000, heads: 64 };
    expect(() => sequenceChunk(huge)).toThrow(ShapeError);
    expect(() => sequenceChunk(huge)).toThrow(
      /1000 activities needs \d+\.\d MiB, over the 1024\.0/,
    );
    expect(() => sequenceChunk(COLLEGE, sequenceBytes(COLLEGE) - 1)).toThrow(ShapeError);
    expect(sequenceChunk(COLLEGE, sequenceBytes(COLLEGE))).toBe(1);
  });
});

function configOf(over: Partial<TemporalConfig>): TemporalConfig {
  return {
    inDim: 3,
    dim: 8,
    sequenceLength: 7,
    layers: 1,
    heads: 2,
    embeddings: 3,
    score: 'max',
    timeEncoding: 'sinusoidal',
    pointer: true,
    numRelations: 2,
    longTermWeights: [],
    cosine: true,
    loss: 'bce',
    ...over,
  };
}

function randomInputs(rng: Mulberry32, c: TemporalConfig, seqs: number): TemporalInputs {
  const n = c.sequenceLength;
  // Every length from none to full, so chunks cut across empty and full sequences.
  const count = Int32Array.from({ length: seqs }, (_, i) =>
    i % 3 === 0 ? i % (n + 1) : rng.int(n + 1),
  );
  return {
    x: randomArray(rng, seqs * n * c.inDim),
    logGap: Float32Array.from({ length: seqs * n }, () => 10 * rng.next()),
    rel: Int32Array.from({ length: seqs * n }, () => rng.int(c.numRelations)),
    count,
    pointer: {
      ids: Int32Array.from({ length: seqs * n }, () => rng.int(20)),
      seedIds: Int32Array.from({ length: 20 }, (_, i) => i),
    },
  };
}

/** The model's parameters as tensors, with the gates open so every part reaches the outputs. */
function paramsOf(model: TemporalActivityModel, seed: number): Map<string, tf.Tensor> {
  const rng = new Mulberry32(seed);
  const specs = model.paramSpecs();
  const values = initParams(specs, seed);
  for (const name of ['temporal.heads.gate', 'temporal.pointer.gate', 'temporal.pointer.recency'])
    values.set(name, Float32Array.of(0.5 + rng.next()));
  values.set('temporal.pointer.query', randomArray(rng, model.config.dim * model.config.dim));
  return new Map(specs.map((s) => [s.name, tf.tensor(values.get(s.name)!, s.shape)]));
}

for (const backend of ['wasm', 'cpu'] as const)
  describe(`chunked sequence encoding on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('the estimate bounds the bytes the encoder holds, and is not far above them', () => {
      const shapes: Partial<TemporalConfig>[] = [
        {},
        { layers: 2 },
        { heads: 1, dim: 16, sequenceLength: 20 },
        { heads: 4, dim: 16, sequenceLength: 12, layers: 2, timeEncoding: 'learned' },
        { pointer: false, sequenceLength: 30 },
      ];
      for (const over of shapes) {
        const c = configOf(over);
        const model = new TemporalActivityModel(c);
        const p = paramsOf(model, 3);
        const seqs = 6;
        const inputs = randomInputs(new Mulberry32(4), c, seqs);
        const before = tf.memory().numBytes;
        // Nothing is freed inside a tidy: numBytes at its end is the encoder's peak.
        const held = tf.tidy(() => {
          model.encodeSequences(inputs, p);
          return tf.memory().numBytes - before;
        });
        const estimate = seqs * sequenceBytes(c);
        expect(held, JSON.stringify(over)).toBeLessThanOrEqual(estimate);
        expect(held, JSON.stringify(over)).toBeGreaterThan(estimate / 2);
        for (const t of p.values()) t.dispose();
      }
    });

    it('member embeddings and pointer attention do not depend on the chunking', () => {
      for (const over of [{}, { layers: 2, heads: 4, timeEncoding: 'learned' as const }]) {
        const c = configOf(over);
        const model = new TemporalActivityModel(c);
        const p = paramsOf(model, 5);
        const seqs = 11;
        const rng = new Mulberry32(6);
        const inputs = randomInputs(rng, c, seqs);
        const graph = tf.tensor2d(randomArray(rng, 20 * c.dim), [20, c.dim]);
        const rows = Int32Array.from({ length: seqs }, () => rng.int(20));
        const targets = Int32Array.from({ length: seqs * 4 }, () => rng.int(20));
        const seq = Int32Array.from(targets, (_, j) => Math.floor(j / 4));
        const run = (chunk?: number) =>
          tf.tidy(() => {
            const m = model.memberEmbeddings(graph, rows, inputs, p, chunk);
            const scores = model.score(m, seq, tf.gather(graph, targets) as tf.Tensor2D, targets);
            return {
              // Nothing is freed inside this tidy but what the chunks' own tidies free.
              held: tf.memory().numBytes - before,
              embeddings: m.embeddings.dataSync() as Float32Array,
              pointer: m.pointer!.weights.dataSync() as Float32Array,
              scores: scores.dataSync() as Float32Array,
            };
          });
        const before = tf.memory().numBytes;
        const whole = run();
        expect(Array.from(run(seqs).embeddings)).toEqual(Array.from(whole.embeddings));
        for (const chunk of [1, 3, 4, 10]) {
          const got = run(chunk);
          const worst = (a: Float32Array, b: Float32Array) =>
            a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
          expect(got.embeddings.length).toBe(whole.embeddings.length);
          expect(worst(got.embeddings, whole.embeddings), `chunk ${chunk}`).toBeLessThan(1e-6);
          expect(worst(got.pointer, whole.pointer), `chunk ${chunk}`).toBeLessThan(1e-6);
          expect(worst(got.scores, whole.scores), `chunk ${chunk}`).toBeLessThan(1e-6);
        }
        // Each chunk's intermediates are freed before the next: one sequence at a time holds a
        // fraction of what all eleven at once do.
        expect(run(1).held).toBeLessThan(whole.held / 3);
        graph.dispose();
        for (const t of p.values()) t.dispose();
      }
    });
  });
