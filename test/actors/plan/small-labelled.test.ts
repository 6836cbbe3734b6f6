// Defaults chosen by the data for a small labelled set: the Planetoid case gets them, a larger or
// densely labelled set does not, and fields the user set are kept.

import { describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import {
  describeChosen,
  smallLabelledDefaults,
  withDataDefaults,
} from '../../../actors/plan/small-labelled.js';

const cora = { trainNodes: 140, numNodes: 2708, numEdges: 10556 };

describe('small labelled set defaults', () => {
  it('give the Planetoid split smaller batches, more epochs, weight decay and exact evaluation', () => {
    const { spec, chosen } = smallLabelledDefaults(defaultJobSpec(), cora);
    expect(spec.sampling.batchSize).toBe(35);
    // 140 / 35 = 4 steps an epoch; 120 steps need 30 epochs.
    expect(spec.train.epochs).toBe(30);
    expect(spec.train.weightDecay).toBe(5e-4);
    expect(spec.eval.fullNeighbors).toBe(true);
    expect(spec.train.smallLabelled).toBe('applied');
    expect(chosen.map((c) => c.field)).toEqual([
      'sampling.batchSize',
      'train.epochs',
      'train.weightDecay',
      'eval.fullNeighbors',
    ]);
    expect(describeChosen(chosen)).toContain('sampling.batchSize 35, train.epochs 30');
    // Features: row normalisation only when every stored value is non-negative.
    expect(spec.model.featureNorm).toBe('none');
    const bow = smallLabelledDefaults(defaultJobSpec(), { ...cora, nonNegative: true });
    expect(bow.spec.model.featureNorm).toBe('row');
    expect(bow.chosen[0]).toEqual({ field: 'model.featureNorm', value: 'row' });
    // Partition-owning samplers read raw rows: auto keeps the stored features there.
    const parted = applyOverrides(defaultJobSpec(), { 'cluster.partitions': 'auto' });
    const kept = smallLabelledDefaults(parted, { ...cora, nonNegative: true });
    expect(kept.spec.model.featureNorm).toBe('none');
    expect(kept.spec.sampling.batchSize).toBe(35);
    // Applied once: a second pass (a resumed run) changes nothing.
    expect(smallLabelledDefaults(spec, cora).chosen).toEqual([]);
  });

  it('keep what the user set and stay off when asked', () => {
    const given = applyOverrides(defaultJobSpec(), {
      'sampling.batchSize': 140,
      'train.weightDecay': 0.001,
    });
    const { spec, chosen } = smallLabelledDefaults(given, cora);
    expect(spec.sampling.batchSize).toBe(140);
    expect(spec.train.epochs).toBe(120);
    expect(spec.train.weightDecay).toBe(0.001);
    expect(chosen.map((c) => c.field)).toEqual(['train.epochs', 'eval.fullNeighbors']);
    const off = applyOverrides(defaultJobSpec(), { 'train.smallLabelled': 'off' });
    const kept = smallLabelledDefaults(off, cora);
    expect(kept.chosen).toEqual([]);
    expect(kept.spec.sampling.batchSize).toBe(1024);
    // featureNorm auto settles to none outside a small labelled set.
    expect(kept.spec.model.featureNorm).toBe('none');
  });

  it('leave large, densely labelled and link jobs alone', () => {
    const d = defaultJobSpec();
    expect(
      smallLabelledDefaults(d, { ...cora, trainNodes: 5000, numNodes: 100000 }).chosen,
    ).toEqual([]);
    // 360 of 600 nodes: a small graph, not a small labelled set.
    expect(
      smallLabelledDefaults(d, { trainNodes: 360, numNodes: 600, numEdges: 3000 }).chosen,
    ).toEqual([]);
    const link = applyOverrides(d, { task: 'link' });
    expect(smallLabelledDefaults(link, cora).chosen).toEqual([]);
    // Without a graph on disk there is nothing to choose from.
    expect(withDataDefaults(applyOverrides(d, { graph: '/nonexistent/graph' })).chosen).toEqual([]);
  });
});
