// GraphSAGE end to end on the wasm backend: parameter specs and init, output shapes, gradients of
// every parameter against finite differences, no tensor leaks, and learning toy node and link tasks.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage, type GraphSageConfig } from '../../../kernels/nn/graphsage.js';
import type { SubgraphBatch } from '../../../kernels/nn/block.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { Adam } from '../../../kernels/optim/adam.js';
import type { OptimizerState } from '../../../kernels/optim/optimizer.js';
import { accuracy, argmaxRows } from '../../../kernels/metrics/accuracy.js';
import { rocAuc } from '../../../kernels/metrics/roc-auc.js';
import { ShapeError } from '../../../kernels/tf/errors.js';
import { communityGraph, randomArray, randomBlock, sampleBatch } from '../fixtures/random-block.js';
import { checkModelGradients } from '../fixtures/gradient-check.js';

function tinyBatch(rng: Mulberry32, inDim: number, numSeeds: number): SubgraphBatch {
  const b1 = randomBlock(rng, { numDst: numSeeds, numSrc: numSeeds + 6, maxDeg: 4 });
  const b0 = randomBlock(rng, {
    numDst: b1.numSrc,
    numSrc: b1.numSrc + 9,
    maxDeg: 5,
    weighted: true,
  });
  return { blocks: [b0, b1], features: randomArray(rng, b0.numSrc * inDim), numSeeds };
}

describe('GraphSAGE on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('declares its parameters and initialises them deterministically', () => {
    const m = new GraphSage({
      inDim: 5,
      hiddenDim: 8,
      outDim: 3,
      norm: 'layer',
      task: { kind: 'node' },
    });
    expect(m.paramSpecs().map((s) => `${s.name}:${s.shape.join('x')}`)).toEqual([
      'sage0.weight:10x8',
      'sage0.bias:8',
      'sage0.norm.gamma:8',
      'sage0.norm.beta:8',
      'sage1.weight:16x3',
      'sage1.bias:3',
    ]);
    const a = m.init(7);
    const b = m.init(7);
    const c = m.init(8);
    expect(Array.from(a.get('sage0.weight')!)).toEqual(Array.from(b.get('sage0.weight')!));
    expect(Array.from(a.get('sage0.weight')!)).not.toEqual(Array.from(c.get('sage0.weight')!));
    const limit = Math.sqrt(6 / (5 + 8));
    expect(Math.max(...a.get('sage0.weight')!.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(a.get('sage0.bias')!)).toEqual(new Array(8).fill(0));
    expect(Array.from(a.get('sage0.norm.gamma')!)).toEqual(new Array(8).fill(1));
    expect(m.numParams()).toBe(10 * 8 + 8 + 8 + 8 + 16 * 3 + 3);
    const link = new GraphSage({
      inDim: 5,
      hiddenDim: 8,
      outDim: 6,
      task: { kind: 'link', decoder: 'mlp', decoderHidden: 4 },
    });
    expect(
      link
        .paramSpecs()
        .slice(-4)
        .map((s) => s.shape),
    ).toEqual([[6, 4], [4], [4, 1], [1]]);
  });

  it('produces [numSeeds × outDim] outputs and a gradient for every parameter', () => {
    const rng = new Mulberry32(2);
    const batch = tinyBatch(rng, 6, 5);
    const m = new GraphSage({ inDim: 6, hiddenDim: 8, outDim: 4, task: { kind: 'node' } });
    m.setParams(m.init(1));
    expect(m.forward(batch).length).toBe(5 * 4);
    const labels = new Int32Array([0, 1, 2, 3, -1]);
    const r = m.forwardBackward(batch, { labels });
    expect(r.logits?.length).toBe(20);
    expect(Number.isFinite(r.loss)).toBe(true);
    for (const s of m.paramSpecs())
      expect(r.grads.get(s.name)!.length).toBe(s.shape.reduce((a, b) => a * b, 1));
    m.dispose();
  });

  it('evaluation is deterministic and free of dropout; training steps differ by dropout seed', () => {
    const rng = new Mulberry32(3);
    const batch = tinyBatch(rng, 6, 5);
    const m = new GraphSage({
      inDim: 6,
      hiddenDim: 8,
      outDim: 4,
      dropout: 0.5,
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    expect(Array.from(m.forward(batch))).toEqual(Array.from(m.forward(batch)));
    const labels = new Int32Array([0, 1, 2, 3, 0]);
    const a = m.forwardBackward(batch, { labels }, { dropoutSeed: 5 }).loss;
    expect(m.forwardBackward(batch, { labels }, { dropoutSeed: 5 }).loss).toBe(a);
    expect(m.forwardBackward(batch, { labels }, { dropoutSeed: 6 }).loss).not.toBe(a);
    m.dispose();
  });

  const configs: [string, Partial<GraphSageConfig>][] = [
    ['node, no norm', { task: { kind: 'node' } }],
    ['node, l2 norm', { norm: 'l2', task: { kind: 'node' } }],
    [
      'node, fused ReLU + dropout and input dropout',
      { dropout: 0.3, inputDropout: 0.2, task: { kind: 'node' } },
    ],
    ['node, l2 norm + separate dropout', { norm: 'l2', dropout: 0.3, task: { kind: 'node' } }],
    ['node, layer norm, 3 layers', { norm: 'layer', numLayers: 3, task: { kind: 'node' } }],
    [
      'link dot uniform bce',
      {
        outputNorm: 'l2',
        task: { kind: 'link', decoder: 'dot', negatives: 'uniform', loss: 'bce' },
      },
    ],
    [
      'link dot in-batch bpr',
      { task: { kind: 'link', decoder: 'dot', negatives: 'in-batch', loss: 'bpr' } },
    ],
    [
      'link mlp in-batch bce',
      {
        task: { kind: 'link', decoder: 'mlp', negatives: 'in-batch', loss: 'bce', numNegatives: 2 },
      },
    ],
    [
      'link mlp uniform bpr',
      { task: { kind: 'link', decoder: 'mlp', negatives: 'uniform', loss: 'bpr' } },
    ],
    [
      'link dot hard bce (1 of a pool of 2)',
      { task: { kind: 'link', decoder: 'dot', negatives: 'hard', numNegatives: 1, hardRatio: 1 } },
    ],
  ];
  for (const [name, cfg] of configs) {
    it(`gradients match finite differences: ${name}`, () => {
      const rng = new Mulberry32(11);
      const layers = cfg.numLayers ?? 2;
      const numSeeds = 6;
      let batch = tinyBatch(rng, 4, numSeeds);
      if (layers === 3) {
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
        ...cfg,
      } as GraphSageConfig);
      const target =
        cfg.task!.kind === 'node'
          ? { labels: new Int32Array([0, 1, 2, 0, 1, -1]) }
          : {
              src: new Int32Array([0, 1, 2]),
              dst: new Int32Array([3, 4, 3]),
              negDst: new Int32Array([5, 4, 1, 0, 2, 5]),
            };
      checkModelGradients(m, m.init(4), batch, target, { dropoutSeed: 1, nonZero: false });
      m.dispose();
    });
  }

  it('leaves no tensors behind across steps, evaluation and new parameters', () => {
    const rng = new Mulberry32(5);
    const batch = tinyBatch(rng, 6, 5);
    for (const task of [
      { kind: 'node' as const },
      { kind: 'link' as const, decoder: 'mlp' as const, negatives: 'in-batch' as const },
    ]) {
      const m = new GraphSage({ inDim: 6, hiddenDim: 8, outDim: 4, norm: 'layer', task });
      m.setParams(m.init(1));
      const target =
        task.kind === 'node'
          ? { labels: new Int32Array([0, 1, 2, 3, 0]) }
          : { src: new Int32Array([0, 1]), dst: new Int32Array([2, 3]) };
      m.forwardBackward(batch, target);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        m.forwardBackward(batch, target);
        m.forward(batch);
        m.setParams(m.init(i));
      }
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    }
  });

  it('rejects malformed batches, naming the field', () => {
    const rng = new Mulberry32(6);
    const batch = tinyBatch(rng, 6, 5);
    const m = new GraphSage({ inDim: 6, hiddenDim: 8, outDim: 4, task: { kind: 'node' } });
    m.setParams(m.init(1));
    expect(() => m.forward({ ...batch, features: new Float32Array(3) })).toThrow(/features/);
    const bad = { ...batch.blocks[1], indices: batch.blocks[1].indices.map(() => 999) };
    expect(() => m.forward({ ...batch, blocks: [batch.blocks[0], bad] })).toThrow(
      /blocks\[1\]\.indices/,
    );
    expect(() => m.forward({ ...batch, blocks: [batch.blocks[0]] })).toThrow(ShapeError);
    expect(() => m.setParams(new Map())).toThrow(/params\.sage0\.weight/);
    m.dispose();
  });

  it('learns a toy community-labelled graph with Adam on Map<string, Float32Array>', () => {
    const rng = new Mulberry32(21);
    const g = communityGraph(rng, 600, 4, 8, 1.0);
    const m = new GraphSage({
      inDim: 8,
      hiddenDim: 16,
      outDim: 4,
      dropout: 0.2,
      task: { kind: 'node' },
    });
    const params = m.init(3);
    const opt = new Adam({ lr: 0.02 });
    const states = new Map<string, OptimizerState>(
      [...params].map(([k, v]) => [k, opt.createState(v.length)]),
    );
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      const seeds = Int32Array.from({ length: 64 }, () => rng.int(500));
      const batch = sampleBatch(rng, g, seeds, [10, 10]);
      m.setParams(params);
      const r = m.forwardBackward(batch, { labels: seeds.map((s) => g.labels[s]) });
      losses.push(r.loss);
      for (const [k, p] of params) opt.step(p, r.grads.get(k)!, states.get(k)!);
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(0.25 * first);
    // Held-out nodes 500..599.
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

  it('learns link prediction on the same kind of graph (dot decoder, in-batch negatives, BPR)', () => {
    const rng = new Mulberry32(22);
    const g = communityGraph(rng, 400, 4, 8, 1.5);
    const m = new GraphSage({
      inDim: 8,
      hiddenDim: 16,
      outDim: 16,
      dropout: 0,
      task: { kind: 'link', decoder: 'dot', negatives: 'in-batch', loss: 'bpr' },
    });
    const params = m.init(5);
    const opt = new Adam({ lr: 0.01 });
    const states = new Map<string, OptimizerState>(
      [...params].map(([k, v]) => [k, opt.createState(v.length)]),
    );
    const edgeBatch = (n: number) => {
      const u: number[] = [];
      const v: number[] = [];
      while (u.length < n) {
        const a = rng.int(g.numNodes);
        const deg = g.indptr[a + 1] - g.indptr[a];
        if (deg === 0) continue;
        u.push(a);
        v.push(g.indices[g.indptr[a] + rng.int(deg)]);
      }
      // Seeds: the distinct endpoints; pairs refer to seed rows.
      const seeds = Int32Array.from(new Set([...u, ...v]));
      const row = new Map(Array.from(seeds, (s, i) => [s, i] as const));
      return {
        seeds,
        src: Int32Array.from(u, (x) => row.get(x)!),
        dst: Int32Array.from(v, (x) => row.get(x)!),
      };
    };
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const e = edgeBatch(48);
      m.setParams(params);
      const r = m.forwardBackward(sampleBatch(rng, g, e.seeds, [8, 8]), { src: e.src, dst: e.dst });
      losses.push(r.loss);
      for (const [k, p] of params) opt.step(p, r.grads.get(k)!, states.get(k)!);
    }
    expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(
      0.7 * (losses.slice(0, 5).reduce((a, b) => a + b) / 5),
    );
    // Edges should now outscore random pairs.
    const e = edgeBatch(100);
    m.setParams(params);
    const batch = sampleBatch(rng, g, e.seeds, [8, 8]);
    const negDst = Int32Array.from(e.dst, () => rng.int(e.seeds.length));
    const pos = m.scoreLinks(batch, e.src, e.dst);
    const neg = m.scoreLinks(batch, e.src, negDst);
    const labels = new Uint8Array(200).fill(1, 0, 100);
    expect(rocAuc(Float32Array.from([...pos, ...neg]), labels)).toBeGreaterThan(0.75);
    m.dispose();
  });
});
