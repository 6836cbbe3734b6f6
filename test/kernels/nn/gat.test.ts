// The GAT encoder end to end: parameter layout, gradients of every parameter against finite
// differences (with input and attention dropout on), no tensor leaks, and learning a toy graph.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage, type GraphSageConfig } from '../../../kernels/nn/graphsage.js';
import type { GatConfig } from '../../../kernels/nn/gat.js';
import type { SubgraphBatch } from '../../../kernels/nn/block.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { Adam } from '../../../kernels/optim/adam.js';
import type { OptimizerState } from '../../../kernels/optim/optimizer.js';
import { accuracy, argmaxRows } from '../../../kernels/metrics/accuracy.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { communityGraph, randomArray, randomBlock, sampleBatch } from '../fixtures/random-block.js';
import { checkModelGradients } from '../fixtures/gradient-check.js';

const gat = (o: Partial<GatConfig> = {}): GatConfig => ({
  kind: 'gat',
  heads: 2,
  outputHeads: 1,
  attentionDropout: 0,
  negativeSlope: 0.2,
  ...o,
});

function tinyBatch(rng: Mulberry32, inDim: number, numSeeds: number): SubgraphBatch {
  const b1 = randomBlock(rng, { numDst: numSeeds, numSrc: numSeeds + 6, maxDeg: 4 });
  const b0 = randomBlock(rng, { numDst: b1.numSrc, numSrc: b1.numSrc + 9, maxDeg: 5 });
  return { blocks: [b0, b1], features: randomArray(rng, b0.numSrc * inDim), numSeeds };
}

describe('GAT encoder', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('declares per-layer projection, attention vectors and bias', () => {
    const m = new GraphSage({
      inDim: 5,
      hiddenDim: 12,
      outDim: 3,
      numLayers: 2,
      encoder: gat({ heads: 4, outputHeads: 2 }),
      task: { kind: 'node' },
    });
    expect(m.paramSpecs().map((s) => [s.name, s.shape])).toEqual([
      ['gat0.weight', [5, 12]],
      ['gat0.attnSrc', [4, 3]],
      ['gat0.attnDst', [4, 3]],
      ['gat0.bias', [12]],
      ['gat1.weight', [12, 6]],
      ['gat1.attnSrc', [2, 3]],
      ['gat1.attnDst', [2, 3]],
      ['gat1.bias', [6]],
    ]);
    expect(
      () =>
        new GraphSage({
          inDim: 5,
          hiddenDim: 10,
          outDim: 3,
          encoder: gat({ heads: 4 }),
          task: { kind: 'node' },
        }),
    ).toThrow(/model\.attention\.heads/);
  });

  const configs: [string, Partial<GraphSageConfig>][] = [
    ['node, 2 heads, dropout', { encoder: gat({ attentionDropout: 0.3 }), dropout: 0.2 }],
    ['node, 3 output heads, 3 layers', { encoder: gat({ outputHeads: 3 }), numLayers: 3 }],
    [
      'link dot in-batch, l2 output',
      {
        encoder: gat({ heads: 3 }),
        outputNorm: 'l2',
        task: { kind: 'link', decoder: 'dot', negatives: 'in-batch', loss: 'bce' },
      },
    ],
  ];
  for (const [name, cfg] of configs) {
    it(`gradients match finite differences: ${name}`, () => {
      const rng = new Mulberry32(11);
      const numSeeds = 6;
      let batch = tinyBatch(rng, 4, numSeeds);
      if (cfg.numLayers === 3) {
        const b2 = randomBlock(rng, { numDst: numSeeds, numSrc: numSeeds + 3, maxDeg: 3 });
        const b1 = randomBlock(rng, { numDst: b2.numSrc, numSrc: b2.numSrc + 4, maxDeg: 3 });
        const b0 = randomBlock(rng, { numDst: b1.numSrc, numSrc: b1.numSrc + 5, maxDeg: 3 });
        batch = { blocks: [b0, b1, b2], features: randomArray(rng, b0.numSrc * 4) };
      }
      const m = new GraphSage({
        inDim: 4,
        hiddenDim: 6,
        outDim: 3,
        dropout: 0,
        task: { kind: 'node' },
        ...cfg,
      } as GraphSageConfig);
      const target =
        m.config.task.kind === 'node'
          ? // In the 3-layer batch only the last seed reaches gat1's one non-trivial softmax.
            { labels: new Int32Array([0, 1, 2, 0, 1, cfg.numLayers === 3 ? 2 : -1]) }
          : { src: new Int32Array([0, 1, 2]), dst: new Int32Array([3, 4, 5]) };
      checkModelGradients(m, m.init(4), batch, target, { dropoutSeed: 3, nonZero: true });
      m.dispose();
    });
  }

  it('is deterministic in evaluation, leaves no tensors behind, refuses a fused first layer', () => {
    const rng = new Mulberry32(5);
    const batch = tinyBatch(rng, 6, 5);
    const m = new GraphSage({
      inDim: 6,
      hiddenDim: 8,
      outDim: 4,
      encoder: gat({ attentionDropout: 0.5 }),
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    const target = { labels: new Int32Array([0, 1, 2, 3, 0]) };
    expect(Array.from(m.forward(batch))).toEqual(Array.from(m.forward(batch)));
    const a = m.forwardBackward(batch, target, { dropoutSeed: 1 }).loss;
    const b = m.forwardBackward(batch, target, { dropoutSeed: 2 }).loss;
    expect(a).not.toBe(b);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) {
      m.forwardBackward(batch, target);
      m.forward(batch);
      m.setParams(m.init(i));
    }
    expect(tf.memory().numTensors).toBe(before);
    const fused = { ...batch, features: new Float32Array(0), layer0: new Float32Array(5 * 2 * 6) };
    expect(() => m.forward(fused)).toThrow(ShapeError);
    m.dispose();
  });

  it('learns a toy community-labelled graph', () => {
    const rng = new Mulberry32(21);
    const g = communityGraph(rng, 600, 4, 8, 1.0);
    const m = new GraphSage({
      inDim: 8,
      hiddenDim: 16,
      outDim: 4,
      dropout: 0.1,
      encoder: gat({ heads: 4, attentionDropout: 0.1 }),
      task: { kind: 'node' },
    });
    const params = m.init(3);
    const opt = new Adam({ lr: 0.02 });
    const states = new Map<string, OptimizerState>(
      [...params].map(([k, v]) => [k, opt.createState(v.length)]),
    );
    for (let step = 0; step < 80; step++) {
      const seeds = Int32Array.from({ length: 64 }, () => rng.int(500));
      m.setParams(params);
      const r = m.forwardBackward(sampleBatch(rng, g, seeds, [10, 10]), {
        labels: seeds.map((s) => g.labels[s]),
      });
      for (const [k, p] of params) opt.step(p, r.grads.get(k)!, states.get(k)!);
    }
    const test = Int32Array.from({ length: 100 }, (_, i) => 500 + i);
    m.setParams(params);
    const logits = m.forward(sampleBatch(rng, g, test, [25, 25]));
    const acc = accuracy(
      argmaxRows(logits, 4),
      test.map((s) => g.labels[s]),
    );
    expect(acc).toBeGreaterThan(0.9);
    m.dispose();
  });
});
