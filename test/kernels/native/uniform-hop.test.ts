// Uniform sampling hops in the addon give the bytes of the JavaScript sampler: same draws from the
// same xoshiro128** stream, same local ids, over odd graphs (zero-degree rows, fanouts above every
// degree, a row past 2^21 edges, float64 offsets) and batch after batch; bad arguments are refused.
import { afterEach, describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { nativeKernels, setNativeEnabled } from '../../../kernels/native/addon.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SampledSubgraph, SamplerOptions } from '../../../kernels/sampling/types.js';
import { randomCsr, TestRng } from '../sampling/random-graph.js';

const addon = nativeKernels();

/** Every array of a sample, as plain numbers, so two samples compare field by field. */
function flat(s: SampledSubgraph): Record<string, number[]> {
  const out: Record<string, number[]> = {
    nodes: Array.from(s.nodes),
    seedLocal: Array.from(s.seedLocal),
    numSeeds: [s.numSeeds],
  };
  s.blocks.forEach((b, l) => {
    out[`ptr${l}`] = Array.from(b.indptr);
    out[`idx${l}`] = Array.from(b.indices);
    if (b.edgeIds) out[`ids${l}`] = Array.from(b.edgeIds);
  });
  return out;
}

/** The same batches through one sampler per path: native hops, then the JavaScript loops. */
function bothPaths(csr: Csr, options: SamplerOptions, batches: Int32Array[], batchSeed = true) {
  const run = () => {
    const sampler = createSampler(csr, options);
    return batches.map((seeds, b) =>
      flat(sampler.sample(seeds, seeds.length, batchSeed ? { batchSeed: b } : {})),
    );
  };
  const native = run();
  setNativeEnabled(false);
  const js = run();
  setNativeEnabled(true);
  return { native, js };
}

function seedBatches(rng: TestRng, numNodes: number, count: number, size: number): Int32Array[] {
  return Array.from({ length: count }, () =>
    Int32Array.from({ length: size }, () => rng.int(numNodes)),
  );
}

describe.skipIf(addon === null)('native uniform hops', () => {
  afterEach(() => setNativeEnabled(true));

  it('sample the bytes of the JavaScript sampler on random skewed graphs, batch after batch', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new TestRng(seed);
      const numNodes = 1 + rng.int(300);
      const csr = randomCsr(rng, {
        numNodes,
        numEdges: rng.int(4000),
        skew: rng.next() * 1.5,
        offsets64: seed % 3 === 0,
      });
      const fanouts = [1 + rng.int(12), 1 + rng.int(6), ...(seed % 2 ? [3] : [])];
      const batches = seedBatches(rng, numNodes, 5, 1 + rng.int(40));
      const options = {
        strategy: 'uniform' as const,
        fanouts,
        seed,
        returnEdgeIds: seed % 4 === 1,
      };
      const { native, js } = bothPaths(csr, options, batches, seed % 5 !== 0);
      expect(native, `seed ${seed}`).toEqual(js);
    }
  });

  it('agree on zero-degree rows, one row, and fanouts above every degree', () => {
    const rng = new TestRng(99);
    const csr = randomCsr(rng, { numNodes: 40, numEdges: 25 });
    const batches = [
      Int32Array.of(0),
      Int32Array.from({ length: 40 }, (_, i) => i),
      Int32Array.of(),
    ];
    const { native, js } = bothPaths(
      csr,
      { strategy: 'uniform', fanouts: [50, 50], seed: 3 },
      batches,
    );
    expect(native).toEqual(js);
    expect(native[2].nodes).toEqual([]);
  });

  it('draw as the JavaScript sampler does in a row past 2^21 edges (53-bit draws)', () => {
    const deg = (1 << 21) + 5;
    const indptr = Uint32Array.of(0, deg, deg + 2, deg + 2);
    const indices = new Uint32Array(deg + 2);
    for (let p = 0; p < deg; p++) indices[p] = 1 + (p % 2);
    indices[deg] = 0;
    indices[deg + 1] = 2;
    const csr: Csr = { numNodes: 3, numEdges: deg + 2, indptr, indices };
    const opts = { strategy: 'uniform' as const, fanouts: [7, 2], seed: 5, returnEdgeIds: true };
    const { native, js } = bothPaths(csr, opts, [Int32Array.of(0, 1), Int32Array.of(0)]);
    expect(native).toEqual(js);
    expect(new Set(native[0].ids1.slice(0, 7)).size).toBe(7);
  });

  it('hide seed edges in the first hop as the JavaScript sampler does, then sample natively', () => {
    const rng = new TestRng(7);
    const csr = randomCsr(rng, { numNodes: 200, numEdges: 3000, skew: 1 });
    const run = () => {
      const s = createSampler(csr, { strategy: 'uniform', fanouts: [4, 3], seed: 1 });
      const src = Int32Array.from({ length: 30 }, (_, i) => i);
      const dst = Int32Array.from({ length: 30 }, (_, i) => 199 - i);
      const out = s.sampleEdges(src, dst, 30, {
        negatives: 'uniform',
        numNegatives: 2,
        batchSeed: 4,
      });
      return { ...flat(out), neg: Array.from(out.negGlobal) };
    };
    const native = run();
    setNativeEnabled(false);
    const js = run();
    expect(native).toEqual(js);
  });

  it('refuses arguments that would read or write outside the arrays, naming them', () => {
    const indptr = Uint32Array.of(0, 2, 3);
    const indices = Uint32Array.of(1, 1, 0);
    const nodes = new Int32Array(8);
    const state = Int32Array.of(1, 2, 3, 4);
    const slot = new Int32Array(2).fill(-1);
    const rowPtr = new Int32Array(4);
    const hop = (o: { nodes?: Int32Array; edges?: Int32Array; ind?: Uint32Array; k?: number }) =>
      addon!.uniformHop(
        ...[indptr, o.ind ?? indices, o.nodes ?? nodes, 0, 1, o.k ?? 2, state, slot, 0],
        ...[rowPtr, o.edges ?? new Int32Array(8), new Float64Array(8), 1],
      );
    expect(() => hop({ nodes: Int32Array.of(5, 0, 0) })).toThrow(/nodes\[0\] is not a node/);
    expect(() => hop({ edges: new Int32Array(1) })).toThrow(/edges or pos too short/);
    expect(() => hop({ k: 0 })).toThrow(/k must be at least 1/);
    expect(() => hop({ ind: Uint32Array.of(1) })).toThrow(/outside indices/);
    expect(() => hop({ ind: Uint32Array.of(7, 7, 7) })).toThrow(/not a node of the graph/);
    expect(Array.from(slot)).toEqual([-1, -1]);
    expect(hop({})).toBe(2);
  });
});
