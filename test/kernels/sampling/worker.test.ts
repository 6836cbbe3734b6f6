// A sampler built in a worker thread from SharedArrayBuffer-backed Csr arrays reproduces the main
// thread's batch exactly.
import { describe, expect, it } from 'vitest';
import { spawnWorker } from '../../../runtime/worker-spawn.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SampledSubgraph, SamplerOptions } from '../../../kernels/sampling/types.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

describe('sampler in a worker thread', () => {
  it('builds from SharedArrayBuffer views and reproduces the main thread batch exactly', async () => {
    const rng = new TestRng(61);
    const csr = randomCsr(rng, {
      numNodes: 500,
      numEdges: 5000,
      timestamps: true,
      weights: true,
      skew: 1,
      shared: true,
    });
    const seeds = randomSeeds(rng, 500, 64);
    const times = Float64Array.from({ length: 64 }, () => rng.int(60));
    for (const options of [
      { strategy: 'uniform', fanouts: [5, 3], seed: 9, returnEdgeIds: true },
      { strategy: 'temporal', fanouts: [4, 2], seed: 9 },
    ] as SamplerOptions[]) {
      const t = options.strategy === 'temporal' ? times : undefined;
      const local = createSampler(csr, options).sample(seeds, 64, { times: t, batchSeed: 3 });
      const worker = spawnWorker(new URL('./fixtures/sample-worker.ts', import.meta.url), {
        workerData: { csr, options, seeds, times: t, batchSeed: 3 },
      });
      const reply = await new Promise<{ shared: boolean; sub: SampledSubgraph }>(
        (resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        },
      );
      await worker.terminate();
      expect(reply.shared).toBe(true);
      expect(Array.from(reply.sub.nodes)).toEqual(Array.from(local.nodes));
      expect(Array.from(reply.sub.blocks[0].indices)).toEqual(Array.from(local.blocks[0].indices));
      expect(Array.from(reply.sub.blocks[0].indptr)).toEqual(Array.from(local.blocks[0].indptr));
      expect(reply.sub.blocks.map((b) => b.numDst)).toEqual(local.blocks.map((b) => b.numDst));
    }
  });
});
