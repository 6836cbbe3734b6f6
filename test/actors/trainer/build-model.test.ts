// buildModel, the one place every actor builds its model from a job spec: sage keeps GraphSAGE's
// parameter layout, gat gives the attention layout, and samplers fuse the first layer only for sage.

import { describe, expect, it } from 'vitest';
import { firstLayerFused, parseJobSpec } from '../../../actors/job-spec.js';
import { buildModel } from '../../../actors/trainer/trainer-core.js';
import { maxBatchBytes } from '../../../actors/batch/batch-producer.js';

describe('buildModel', () => {
  it('keeps the GraphSAGE layout for sage and builds GAT from model.attention', () => {
    const sage = buildModel(parseJobSpec('model:\n  hidden: 16\n'), 10, 3);
    expect(sage.paramSpecs().map((s) => [s.name, s.shape])).toEqual([
      ['sage0.weight', [20, 16]],
      ['sage0.bias', [16]],
      ['sage1.weight', [32, 3]],
      ['sage1.bias', [3]],
    ]);
    expect(sage.config.encoder).toEqual({ kind: 'sage' });
    const spec = parseJobSpec(
      'model:\n  encoder: gat\n  hidden: 16\n  attention:\n    heads: 4\n    outputHeads: 2\n    dropout: 0.3\n',
    );
    const gat = buildModel(spec, 10, 3);
    expect(gat.config.encoder).toEqual({
      kind: 'gat',
      heads: 4,
      outputHeads: 2,
      attentionDropout: 0.3,
      negativeSlope: 0.2,
    });
    expect(gat.paramSpecs().map((s) => [s.name, s.shape])).toEqual([
      ['gat0.weight', [10, 16]],
      ['gat0.attnSrc', [4, 4]],
      ['gat0.attnDst', [4, 4]],
      ['gat0.bias', [16]],
      ['gat1.weight', [16, 6]],
      ['gat1.attnSrc', [2, 3]],
      ['gat1.attnDst', [2, 3]],
      ['gat1.bias', [6]],
    ]);
  });

  it('gives the relation-aware encoder one weight (or basis combination) per relation of the graph', () => {
    const rgcn = buildModel(
      parseJobSpec(
        'model:\n  encoder: rgcn\n  hidden: 16\n  relations:\n    bases: 3\n    aggregate: mean\n',
      ),
      10,
      3,
      7,
    );
    expect(rgcn.config.encoder).toEqual({
      kind: 'rgcn',
      numRelations: 7,
      numBases: 3,
      aggregate: 'mean',
      attentionDim: 32,
    });
    expect(rgcn.paramSpecs().find((s) => s.name === 'rgcn0.coefficients')?.shape).toEqual([7, 3]);
  });

  it('declares the attention over relations by name, so the shards hold it', () => {
    const rgcn = buildModel(
      parseJobSpec(
        'model:\n  encoder: rgcn\n  hidden: 16\n  relations:\n    aggregate: attention\n    attentionDim: 5\n',
      ),
      10,
      3,
      4,
    );
    const layout = rgcn.paramSpecs().map((s) => [s.name, s.shape]);
    for (const [l, dout] of [
      [0, 16],
      [1, 3],
    ])
      expect(layout).toEqual(
        expect.arrayContaining([
          [`rgcn${l}.attention`, [dout, 5]],
          [`rgcn${l}.attentionBias`, [5]],
          [`rgcn${l}.attentionQuery`, [5]],
        ]),
      );
    expect(new Set(layout.map(([n]) => n)).size).toBe(layout.length);
  });

  it('fuses the first layer in samplers only for sage, and sizes batch records to match', () => {
    const sage = parseJobSpec('sampling:\n  fuseFirstLayer: true\n');
    const gat = parseJobSpec('model:\n  encoder: gat\nsampling:\n  fuseFirstLayer: true\n');
    expect(firstLayerFused(sage)).toBe(true);
    expect(firstLayerFused(gat)).toBe(false);
    const graph = { dim: 100, numNodes: 1_000_000 };
    // Unfused records carry every input node's features: more than [x_v | mean x_u] rows.
    expect(maxBatchBytes(gat, graph, 0)).toBeGreaterThan(maxBatchBytes(sage, graph, 0));
  });

  it("sizes a link record for the targets' gaps of the target-recency term, with or without sequences", () => {
    const link = parseJobSpec('task: link\nmodel:\n  temporal:\n    targetRecency: true\n');
    const graph = { dim: 16, numNodes: 1000 };
    const plain = maxBatchBytes(link, graph, 5);
    // One float32 per target: the destination and its 5 negatives, for every pair of the batch.
    const perPair = 4 * (1 + 5);
    const gaps = maxBatchBytes(link, graph, 5, { targetRecency: true });
    expect(gaps - plain).toBe(link.sampling.batchSize * perPair + 64 * 8);
    const activities = { sequenceLength: 4 };
    const both = maxBatchBytes(link, graph, 5, { activities, targetRecency: true });
    const sequences = maxBatchBytes(link, graph, 5, { activities });
    expect(both - sequences).toBe(link.sampling.batchSize * perPair);
  });
});
