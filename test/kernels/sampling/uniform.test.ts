// Uniform sampling over many random graphs: all invariants, exactly min(degree, fanout) per row,
// inclusion and joint-inclusion rates, huge rows, fanout -1, empty and repeated seeds.
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import { check, checkSubgraph } from './check-subgraph.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

function starGraph(deg: number): Csr {
  const n = deg + 1;
  const indptr = new Uint32Array(n + 1);
  const indices = new Uint32Array(deg);
  for (let j = 0; j < deg; j++) indices[j] = j + 1;
  for (let v = 1; v <= n; v++) indptr[v] = deg;
  return { numNodes: n, numEdges: deg, indptr, indices };
}

describe('uniform sampler', () => {
  it('keeps every invariant and takes exactly min(degree, fanout) over random graphs', () => {
    const rng = new TestRng(101);
    let rowsChecked = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + rng.int(300);
      const dedupe = rng.next() < 0.5;
      const csr = randomCsr(rng, {
        numNodes: n,
        numEdges: rng.int(n * 12),
        dedupe,
        offsets64: rng.next() < 0.3,
        skew: rng.next() < 0.5 ? 1.1 : 0,
      });
      const hops = 1 + rng.int(3);
      const fanouts = Array.from({ length: hops }, () =>
        rng.next() < 0.15 ? -1 : 1 + rng.int(45),
      );
      const sampler = createSampler(csr, {
        strategy: 'uniform',
        fanouts,
        seed: trial,
        returnEdgeIds: rng.next() < 0.7,
      });
      for (let b = 0; b < 4; b++) {
        const seeds = randomSeeds(rng, n, 1 + rng.int(Math.min(n, 40)), rng.next() < 0.3);
        const sub = sampler.sample(seeds);
        const facts = checkSubgraph(csr, sub, { fanouts, seeds, simpleGraph: dedupe });
        for (const f of facts) {
          const deg = csr.indptr[f.global + 1] - csr.indptr[f.global];
          const k = fanouts[f.hop];
          const want = k < 0 ? deg : Math.min(deg, k);
          check(f.sources.length === want, `row of ${f.global}: ${f.sources.length} != ${want}`);
          rowsChecked++;
        }
      }
    }
    expect(rowsChecked).toBeGreaterThan(1000);
  });

  it.each([
    { deg: 50, k: 7 },
    { deg: 120, k: 40 },
    { deg: 9, k: 8 },
  ])('includes each of $deg neighbours with probability k/deg (k = $k)', ({ deg, k }) => {
    const csr = starGraph(deg);
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [k], seed: 5 });
    const trials = 4000;
    const hits = new Float64Array(deg + 1);
    for (let t = 0; t < trials; t++) {
      const sub = sampler.sample(new Int32Array([0]));
      const b = sub.blocks[0];
      expect(b.indices.length).toBe(k);
      for (let j = 0; j < b.indices.length; j++) hits[sub.nodes[b.indices[j]]]++;
    }
    const p = k / deg;
    const sigma = Math.sqrt(trials * p * (1 - p));
    let chi2 = 0;
    for (let u = 1; u <= deg; u++) {
      expect(Math.abs(hits[u] - trials * p)).toBeLessThan(5 * sigma);
      chi2 += (hits[u] - trials * p) ** 2 / (trials * p * (1 - p));
    }
    // chi2 over deg cells has mean ~deg; a broken sampler lands far above.
    expect(chi2).toBeLessThan(deg + 6 * Math.sqrt(2 * deg));
  });

  it('gives every pair of neighbours the same joint inclusion rate (no positional bias)', () => {
    const deg = 6;
    const k = 3;
    const sampler = createSampler(starGraph(deg), { strategy: 'uniform', fanouts: [k], seed: 9 });
    const counts = new Map<string, number>();
    const trials = 6000;
    for (let t = 0; t < trials; t++) {
      const sub = sampler.sample([0]);
      const ids = Array.from(sub.blocks[0].indices, (l) => sub.nodes[l]).sort((a, b) => a - b);
      counts.set(ids.join(','), (counts.get(ids.join(',')) ?? 0) + 1);
    }
    // All C(6,3) = 20 subsets, each with probability 1/20.
    expect(counts.size).toBe(20);
    const expected = trials / 20;
    for (const c of counts.values())
      expect(Math.abs(c - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it('samples rows past 2^21 edges (where the inline draw hands over to the exact 53-bit one)', () => {
    const deg = 2 ** 21 + 1000;
    const indices = new Uint32Array(deg);
    for (let j = 0; j < deg; j++) indices[j] = 1 + (j % 5000);
    const indptr = new Uint32Array(5002);
    indptr.fill(deg, 1);
    const csr: Csr = { numNodes: 5001, numEdges: deg, indptr, indices };
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [20], returnEdgeIds: true });
    let upperHalf = 0;
    for (let t = 0; t < 200; t++) {
      const ids = sampler.sample([0]).blocks[0].edgeIds!;
      expect(new Set(ids).size).toBe(20);
      for (const p of ids) {
        expect(p >= 0 && p < deg).toBe(true);
        if (p >= deg / 2) upperHalf++;
      }
    }
    // 4000 positions, half expected in the upper half of the row.
    expect(Math.abs(upperHalf - 2000)).toBeLessThan(5 * Math.sqrt(1000));
  });

  it('fanout -1 takes every neighbour, in CSR order', () => {
    const rng = new TestRng(7);
    const csr = randomCsr(rng, { numNodes: 80, numEdges: 600, skew: 1 });
    const sampler = createSampler(csr, {
      strategy: 'uniform',
      fanouts: [-1, -1],
      returnEdgeIds: true,
    });
    const seeds = randomSeeds(rng, 80, 10);
    const facts = checkSubgraph(csr, sampler.sample(seeds), { fanouts: [-1, -1], seeds });
    for (const f of facts) {
      const a = csr.indptr[f.global];
      expect(f.edgeIds).toEqual(
        Array.from({ length: csr.indptr[f.global + 1] - a }, (_, j) => a + j),
      );
    }
  });

  it('handles an empty seed list and nodes without edges', () => {
    const csr: Csr = {
      numNodes: 3,
      numEdges: 1,
      indptr: new Uint32Array([0, 0, 1, 1]),
      indices: new Uint32Array([0]),
    };
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [2, 2] });
    const empty = sampler.sample(new Int32Array(0));
    expect(empty.nodes.length).toBe(0);
    expect(empty.blocks.map((b) => [b.numDst, b.numSrc, b.indices.length])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const sub = sampler.sample(new Int32Array([0, 1, 2]));
    expect(Array.from(sub.nodes)).toEqual([0, 1, 2]);
    expect(Array.from(sub.blocks[1].indptr)).toEqual([0, 0, 1, 1]);
    expect(Array.from(sub.blocks[1].indices)).toEqual([0]);
    expect(sub.blocks[0].numDst).toBe(3);
  });

  it('deduplicates repeated seeds and maps every input position to its local id', () => {
    const rng = new TestRng(3);
    const csr = randomCsr(rng, { numNodes: 50, numEdges: 300 });
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [3] });
    const seeds = new Int32Array([7, 3, 7, 7, 9, 3]);
    const sub = sampler.sample(seeds);
    expect(sub.numSeeds).toBe(3);
    expect(Array.from(sub.nodes.subarray(0, 3))).toEqual([7, 3, 9]);
    expect(Array.from(sub.seedLocal)).toEqual([0, 1, 0, 0, 2, 1]);
  });

  it('samples only the first `count` seeds and accepts plain arrays', () => {
    const rng = new TestRng(4);
    const csr = randomCsr(rng, { numNodes: 40, numEdges: 200 });
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [2] });
    const sub = sampler.sample([5, 6, 7, 8], 2);
    expect(sub.numSeeds).toBe(2);
    expect(Array.from(sub.nodes.subarray(0, 2))).toEqual([5, 6]);
    checkSubgraph(csr, sub, { fanouts: [2], seeds: [5, 6] });
  });
});
