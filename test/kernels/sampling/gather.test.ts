// The sampling-side gather: features of a SampledSubgraph into a reused caller buffer in local-id
// order, a too-small buffer refused, seed labels in local order.
import { describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../graph-store/types.js';
import { gatherSeedLabels, gatherSubgraphFeatures } from '../../../kernels/sampling/gather.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

/** Feature of node v, dimension k: a value that names both. */
const feature = (v: number, k: number): number => v * 100 + k;

function arrayStore(numNodes: number, dim: number): FeatureStore {
  return {
    dim,
    dtype: 'float32',
    numNodes,
    gather(ids, count, out, outOffset = 0) {
      for (let i = 0; i < count; i++)
        for (let k = 0; k < dim; k++) out[outOffset + i * dim + k] = feature(ids[i], k);
    },
  };
}

describe('gather for a sampled subgraph', () => {
  const rng = new TestRng(91);
  const csr = randomCsr(rng, { numNodes: 200, numEdges: 2000 });
  const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [5, 5] });

  it('writes row l with the features of local node l, at an offset, into one reused buffer', () => {
    const store = arrayStore(200, 3);
    const buffer = new Float32Array(200 * 3 + 7).fill(-1);
    for (let b = 0; b < 5; b++) {
      const sub = sampler.sample(randomSeeds(rng, 200, 10));
      const rows = gatherSubgraphFeatures(store, sub, buffer, 7);
      expect(rows.length).toBe(sub.nodes.length * 3);
      expect(rows.buffer).toBe(buffer.buffer);
      expect(buffer[6]).toBe(-1);
      for (let l = 0; l < sub.nodes.length; l++) {
        for (let k = 0; k < 3; k++) expect(rows[l * 3 + k]).toBe(feature(sub.nodes[l], k));
      }
    }
  });

  it('refuses a buffer that is too small', () => {
    const sub = sampler.sample([1, 2, 3]);
    const small = new Float32Array(sub.nodes.length * 4 - 1);
    expect(() => gatherSubgraphFeatures(arrayStore(200, 4), sub, small)).toThrow(/cannot hold/);
  });

  it('gathers seed labels in local order', () => {
    const labels = Int32Array.from({ length: 200 }, (_, v) => v % 7);
    const sub = sampler.sample([9, 4, 9, 11]);
    const out = gatherSeedLabels(labels, sub, new Int32Array(10));
    expect(Array.from(out)).toEqual([9 % 7, 4 % 7, 11 % 7]);
  });
});
