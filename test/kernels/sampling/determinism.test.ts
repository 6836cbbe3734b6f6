// Determinism of every strategy: same seed and calls give identical samples, batch seeds detach a batch
// from its history, and returned arrays (or, with copy: false, views) behave as documented.
import { describe, expect, it } from 'vitest';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type {
  SampledSubgraph,
  SamplerOptions,
  SamplingStrategy,
} from '../../../kernels/sampling/types.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

function flat(sub: SampledSubgraph): number[] {
  const b = sub.blocks[0];
  return [...sub.nodes, -1, ...b.indptr, -1, ...b.indices, -1, ...(b.edgeWeight ?? [])];
}

const STRATEGIES: SamplingStrategy[] = ['uniform', 'weighted', 'temporal', 'ppr'];

describe('determinism', () => {
  const rng = new TestRng(71);
  const csr = randomCsr(rng, {
    numNodes: 400,
    numEdges: 6000,
    timestamps: true,
    weights: true,
    skew: 1,
  });
  const batches = Array.from({ length: 5 }, () => randomSeeds(rng, 400, 40));
  const times = batches.map(() => Float64Array.from({ length: 40 }, () => rng.int(60)));
  const options = (strategy: SamplingStrategy, seed: number): SamplerOptions => ({
    strategy,
    fanouts: [6, 4],
    seed,
    ppr: { epsilon: 1e-4 },
  });
  const run = (strategy: SamplingStrategy, seed: number): number[][] => {
    const s = createSampler(csr, options(strategy, seed));
    return batches.map((b, i) =>
      flat(s.sample(b, 40, strategy === 'temporal' ? { times: times[i] } : {})),
    );
  };

  it.each(STRATEGIES)('same seed, same calls: identical outputs (%s)', (strategy) => {
    expect(run(strategy, 5)).toEqual(run(strategy, 5));
  });

  it.each(['uniform', 'weighted'] as SamplingStrategy[])(
    'a different seed changes the sample (%s)',
    (strategy) => {
      expect(run(strategy, 5)).not.toEqual(run(strategy, 6));
    },
  );

  it('a batch seed makes a batch independent of the calls before it', () => {
    const a = createSampler(csr, options('uniform', 5));
    const b = createSampler(csr, options('uniform', 5));
    a.sample(batches[0]);
    a.sample(batches[1]);
    const x = a.sample(batches[2], 40, { batchSeed: 1234 });
    const y = b.sample(batches[2], 40, { batchSeed: 1234 });
    expect(flat(x)).toEqual(flat(y));
    expect(flat(b.sample(batches[2], 40, { batchSeed: 1235 }))).not.toEqual(flat(y));
  });

  it('copy: false returns the same sample as views of the scratch', () => {
    const a = createSampler(csr, options('weighted', 3));
    const b = createSampler(csr, options('weighted', 3));
    for (let i = 0; i < 5; i++) {
      const owned = a.sample(batches[i]);
      const view = b.sample(batches[i], 40, { copy: false });
      expect(flat(view)).toEqual(flat(owned));
      expect(view.nodes.buffer.byteLength).toBeGreaterThan(view.nodes.byteLength);
    }
  });

  it('returned arrays are owned by the caller: later calls do not change them', () => {
    const s = createSampler(csr, options('uniform', 1));
    const first = s.sample(batches[0]);
    const copy = flat(first);
    for (let i = 0; i < 20; i++) s.sample(batches[i % 5]);
    expect(flat(first)).toEqual(copy);
  });
});
