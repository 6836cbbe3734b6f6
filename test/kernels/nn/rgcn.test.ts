// The relation-aware (R-GCN) encoder in the model: parameter layout with and without basis
// decomposition, every parameter's gradient against finite differences (relations summed, averaged
// or attended, up to 7 relations on bases), attention's values where it has one relation or none,
// blocks without edge types
// refused, and a toy graph where only one relation carries the label learned from that relation;
// the GCN encoder's gradients through the same checks (its normalisation is tested in gcn-norm.test.ts).

import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../kernels/tf/backend.js';
import { GraphSage, type GraphSageConfig } from '../../../kernels/nn/graphsage.js';
import type { BlockLike, SubgraphBatch } from '../../../kernels/nn/block.js';
import { Mulberry32 } from '../../../runtime/prng.js';
import { Adam } from '../../../kernels/optim/adam.js';
import type { OptimizerState } from '../../../kernels/optim/optimizer.js';
import { accuracy, argmaxRows } from '../../../kernels/metrics/accuracy.js';
import { maxRelErr, randomArray, randomBlock } from '../fixtures/random-block.js';
import { checkModelGradients } from '../fixtures/gradient-check.js';

function typed(rng: Mulberry32, b: BlockLike, R: number): BlockLike {
  return { ...b, edgeType: Uint8Array.from(b.indices, () => rng.int(R)) };
}

function tinyBatch(rng: Mulberry32, inDim: number, numSeeds: number, R: number): SubgraphBatch {
  const b1 = typed(rng, randomBlock(rng, { numDst: numSeeds, numSrc: numSeeds + 6, maxDeg: 5 }), R);
  const b0 = typed(
    rng,
    randomBlock(rng, { numDst: b1.numSrc, numSrc: b1.numSrc + 9, maxDeg: 6 }),
    R,
  );
  return { blocks: [b0, b1], features: randomArray(rng, b0.numSrc * inDim), numSeeds };
}

/** Labels of the six seeds of tinyBatch. */
const TARGET = { labels: new Int32Array([0, 1, 2, 0, 1, 2]) };

describe('R-GCN encoder', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('declares self, relation (or basis) weights and bias per layer', () => {
    const base = { inDim: 5, hiddenDim: 8, outDim: 3, task: { kind: 'node' as const } };
    const full = new GraphSage({
      ...base,
      encoder: { kind: 'rgcn', numRelations: 4, numBases: 0 },
    });
    expect(full.paramSpecs().map((s) => [s.name, s.shape])).toEqual([
      ['rgcn0.self', [5, 8]],
      ['rgcn0.relations', [20, 8]],
      ['rgcn0.bias', [8]],
      ['rgcn1.self', [8, 3]],
      ['rgcn1.relations', [32, 3]],
      ['rgcn1.bias', [3]],
    ]);
    const basis = new GraphSage({
      ...base,
      encoder: { kind: 'rgcn', numRelations: 4, numBases: 2 },
    });
    expect(basis.paramSpecs().map((s) => [s.name, s.shape])).toEqual([
      ['rgcn0.self', [5, 8]],
      ['rgcn0.bases', [2, 40]],
      ['rgcn0.coefficients', [4, 2]],
      ['rgcn0.bias', [8]],
      ['rgcn1.self', [8, 3]],
      ['rgcn1.bases', [2, 24]],
      ['rgcn1.coefficients', [4, 2]],
      ['rgcn1.bias', [3]],
    ]);
  });

  for (const [numBases, aggregate, R] of [
    [0, 'sum', 3],
    [2, 'mean', 3],
    [0, 'attention', 3],
    [3, 'attention', 7],
  ] as const) {
    it(`gradients match finite differences (${numBases === 0 ? 'full' : 'basis'} weights, ${aggregate}, ${R} relations)`, () => {
      const rng = new Mulberry32(11 + numBases);
      const batch = tinyBatch(rng, 4, 6, R);
      const m = new GraphSage({
        inDim: 4,
        hiddenDim: 6,
        outDim: 3,
        dropout: 0.2,
        encoder: { kind: 'rgcn', numRelations: R, numBases, aggregate, attentionDim: 5 },
        task: { kind: 'node' },
      } as GraphSageConfig);
      checkModelGradients(m, m.init(4), batch, TARGET, { dropoutSeed: 3, nonZero: true });
      m.dispose();
    });
  }

  it('attention over relations: one relation gets its whole message, none leaves the self term', () => {
    // Destinations 0 and 2 draw from one relation each, 1 from none: there the softmax is 1 (or
    // empty), so attention must equal the plain sum whatever its own parameters are.
    const block: BlockLike = {
      numDst: 3,
      numSrc: 7,
      indptr: new Int32Array([0, 2, 2, 5]),
      indices: new Int32Array([3, 4, 5, 6, 0]),
      edgeType: new Uint8Array([1, 1, 2, 2, 2]),
    };
    const rng = new Mulberry32(4);
    const batch: SubgraphBatch = {
      blocks: [block],
      features: randomArray(rng, 7 * 4),
      numSeeds: 3,
    };
    const base = {
      inDim: 4,
      hiddenDim: 6,
      outDim: 5,
      numLayers: 1,
      task: { kind: 'node' as const },
    };
    const sum = new GraphSage({ ...base, encoder: { kind: 'rgcn', numRelations: 3, numBases: 0 } });
    const att = new GraphSage({
      ...base,
      encoder: {
        kind: 'rgcn',
        numRelations: 3,
        numBases: 0,
        aggregate: 'attention',
        attentionDim: 2,
      },
    });
    const params = att.init(9);
    att.setParams(params);
    sum.setParams(new Map(sum.paramSpecs().map((p) => [p.name, params.get(p.name)!])));
    const [a, b] = [att.forward(batch), sum.forward(batch)];
    expect(maxRelErr(a, b)).toBeLessThan(1e-6);
    // With two relations the coefficients are a proper mixture: not the sum any more.
    const mixed = { ...block, edgeType: new Uint8Array([0, 1, 2, 2, 2]) };
    const c = att.forward({ ...batch, blocks: [mixed] });
    const d = sum.forward({ ...batch, blocks: [mixed] });
    expect(maxRelErr(c.subarray(0, 5), d.subarray(0, 5))).toBeGreaterThan(1e-3);
    expect(maxRelErr(c.subarray(5), d.subarray(5))).toBeLessThan(1e-6);
    att.dispose();
    sum.dispose();
  });

  it('GCN encoder: weight and bias per layer, gradients match finite differences', () => {
    const rng = new Mulberry32(21);
    const batch = tinyBatch(rng, 4, 6, 1);
    const m = new GraphSage({
      inDim: 4,
      hiddenDim: 6,
      outDim: 3,
      dropout: 0.2,
      encoder: { kind: 'gcn' },
      task: { kind: 'node' },
    } as GraphSageConfig);
    expect(m.paramSpecs().map((p) => [p.name, p.shape])).toEqual([
      ['gcn0.weight', [4, 6]],
      ['gcn0.bias', [6]],
      ['gcn1.weight', [6, 3]],
      ['gcn1.bias', [3]],
    ]);
    checkModelGradients(m, m.init(5), batch, TARGET, { dropoutSeed: 3, nonZero: true });
    m.dispose();
  });

  it('refuses blocks without edge types, naming the block', () => {
    const rng = new Mulberry32(5);
    const batch = tinyBatch(rng, 4, 5, 2);
    const m = new GraphSage({
      inDim: 4,
      hiddenDim: 6,
      outDim: 3,
      encoder: { kind: 'rgcn', numRelations: 2, numBases: 0 },
      task: { kind: 'node' },
    });
    m.setParams(m.init(1));
    const untyped = {
      ...batch,
      blocks: [batch.blocks[0], { ...batch.blocks[1], edgeType: undefined }],
    };
    expect(() => m.forward(untyped)).toThrow(/blocks\[1\]\.edgeType/);
    m.dispose();
  });

  it('learns labels that only one of two relations carries', () => {
    // A seed's label is its relation-0 neighbours' label; as many relation-1 neighbours share one
    // other label. The neighbour mean is symmetric in the two, so GraphSAGE, which pools relations,
    // can do no better than a coin toss between them; R-GCN separates them.
    const rng = new Mulberry32(21);
    const n = 600;
    const C = 3;
    const d = 4;
    const labels = Int32Array.from({ length: n }, () => rng.int(C));
    const byClass = [0, 1, 2].map((c) => [...labels.keys()].filter((i) => labels[i] === c));
    const features = new Float32Array(n * d);
    for (let i = 0; i < n; i++) features[i * d + labels[i]] = 1;
    const batchOf = (seeds: Int32Array): SubgraphBatch => {
      const ptr = [0];
      const idx: number[] = [];
      const types: number[] = [];
      const nodes = [...seeds];
      for (const s of seeds) {
        for (let k = 0; k < 3; k++) {
          const pool = byClass[labels[s]];
          nodes.push(pool[rng.int(pool.length)]);
          idx.push(nodes.length - 1);
          types.push(0);
        }
        const other = byClass[(labels[s] + 1 + rng.int(C - 1)) % C];
        for (let k = 0; k < 3; k++) {
          nodes.push(other[rng.int(other.length)]);
          idx.push(nodes.length - 1);
          types.push(1);
        }
        ptr.push(idx.length);
      }
      const x = new Float32Array(nodes.length * d);
      // The seeds' own features are hidden: the label must come from the neighbours.
      nodes.forEach((u, i) => {
        if (i >= seeds.length) x.set(features.subarray(u * d, u * d + d), i * d);
      });
      const m = seeds.length;
      const block: BlockLike = {
        numDst: m,
        numSrc: nodes.length,
        indptr: Int32Array.from(ptr),
        indices: Int32Array.from(idx),
        edgeType: Uint8Array.from(types),
      };
      return { blocks: [block], features: x, numSeeds: m };
    };
    const trainAndTest = (encoder: GraphSageConfig['encoder']): number => {
      const model = new GraphSage({
        inDim: d,
        hiddenDim: 8,
        outDim: C,
        numLayers: 1,
        dropout: 0,
        encoder,
        task: { kind: 'node' },
      });
      const params = model.init(3);
      const opt = new Adam({ lr: 0.05 });
      const states = new Map<string, OptimizerState>(
        [...params].map(([k, v]) => [k, opt.createState(v.length)]),
      );
      for (let step = 0; step < 60; step++) {
        const seeds = Int32Array.from({ length: 64 }, () => rng.int(500));
        model.setParams(params);
        const r = model.forwardBackward(batchOf(seeds), { labels: seeds.map((s) => labels[s]) });
        for (const [k, p] of params) opt.step(p, r.grads.get(k)!, states.get(k)!);
      }
      const test = Int32Array.from({ length: 100 }, (_, i) => 500 + i);
      model.setParams(params);
      const logits = model.forward(batchOf(test));
      model.dispose();
      return accuracy(
        argmaxRows(logits, C),
        test.map((s) => labels[s]),
      );
    };
    expect(trainAndTest({ kind: 'rgcn', numRelations: 2, numBases: 0 })).toBeGreaterThan(0.95);
    expect(
      trainAndTest({
        kind: 'rgcn',
        numRelations: 2,
        numBases: 0,
        aggregate: 'attention',
        attentionDim: 4,
      }),
    ).toBeGreaterThan(0.95);
    expect(trainAndTest({ kind: 'sage' })).toBeLessThan(0.75);
  });
});
