// sampleEdges: pairs and negatives map back to local ids under every strategy, seed edges are hidden
// from their endpoints without shrinking fanouts or biasing the rest, negatives follow the batch seed.
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SamplingStrategy } from '../../../kernels/sampling/types.js';
import { check, checkSubgraph } from './check-subgraph.js';
import { randomCsr, TestRng } from './random-graph.js';

/** Existing edges of the graph, picked at random, as seed pairs. */
function edgePairs(rng: TestRng, csr: Csr, count: number): { src: Int32Array; dst: Int32Array } {
  const src = new Int32Array(count);
  const dst = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const p = rng.int(csr.numEdges);
    let v = 0;
    while (csr.indptr[v + 1] <= p) v++;
    src[i] = v;
    dst[i] = csr.indices[p];
  }
  return { src, dst };
}

describe('sampleEdges (link prediction)', () => {
  it.each(['uniform', 'weighted', 'temporal', 'ppr'] as SamplingStrategy[])(
    'maps every pair and negative back to its local ids (%s)',
    (strategy) => {
      const rng = new TestRng(51);
      for (let trial = 0; trial < 15; trial++) {
        const n = 2 + rng.int(150);
        const csr = randomCsr(rng, {
          numNodes: n,
          numEdges: 1 + rng.int(n * 8),
          timestamps: true,
          weights: true,
          timeRange: 40,
        });
        const count = 1 + rng.int(20);
        const { src, dst } = edgePairs(rng, csr, count);
        const numNegatives = rng.int(4);
        const fanouts = [1 + rng.int(6), 1 + rng.int(4)];
        const times =
          strategy === 'temporal'
            ? Float64Array.from({ length: count }, () => rng.int(45))
            : undefined;
        const sampler = createSampler(csr, { strategy, fanouts, seed: trial });
        const sub = sampler.sampleEdges(src, dst, count, {
          negatives: 'uniform',
          numNegatives,
          times,
        });
        expect(sub.numNegatives).toBe(numNegatives);
        expect(sub.negGlobal.length).toBe(count * numNegatives);
        expect(sub.negLocal.length).toBe(count * numNegatives);
        const allSeeds = [...src, ...dst, ...sub.negGlobal];
        const allTimes = times
          ? Float64Array.from([
              ...times,
              ...times,
              ...Array.from(times).flatMap((t) => Array(numNegatives).fill(t)),
            ])
          : undefined;
        checkSubgraph(csr, sub, {
          fanouts,
          seeds: allSeeds,
          times: allTimes,
          ppr: strategy === 'ppr',
        });
        for (let i = 0; i < count; i++) {
          expect(sub.nodes[sub.srcLocal[i]]).toBe(src[i]);
          expect(sub.nodes[sub.dstLocal[i]]).toBe(dst[i]);
          if (times) {
            expect(sub.nodeTimes![sub.srcLocal[i]]).toBe(times[i]);
            expect(sub.nodeTimes![sub.dstLocal[i]]).toBe(times[i]);
          }
          for (let j = 0; j < numNegatives; j++) {
            const q = i * numNegatives + j;
            expect(sub.negGlobal[q]).toBeGreaterThanOrEqual(0);
            expect(sub.negGlobal[q]).toBeLessThan(n);
            expect(sub.nodes[sub.negLocal[q]]).toBe(sub.negGlobal[q]);
            expect(sub.srcLocal[i]).toBeLessThan(sub.numSeeds);
          }
        }
      }
    },
  );

  it.each(['uniform', 'weighted'] as SamplingStrategy[])(
    'hides the seed edges from their endpoints and still fills the fanout (%s)',
    (strategy) => {
      const rng = new TestRng(52);
      let hiddenSomething = 0;
      for (let trial = 0; trial < 30; trial++) {
        const n = 5 + rng.int(60);
        const csr = randomCsr(rng, { numNodes: n, numEdges: n * 6, weights: true, skew: 0.8 });
        const count = 1 + rng.int(8);
        const { src, dst } = edgePairs(rng, csr, count);
        const fanouts = [1 + rng.int(8), 2];
        const sampler = createSampler(csr, { strategy, fanouts, seed: trial, returnEdgeIds: true });
        const sub = sampler.sampleEdges(src, dst, count);
        const hidden = new Set<string>();
        for (let i = 0; i < count; i++) {
          hidden.add(`${src[i]},${dst[i]}`);
          hidden.add(`${dst[i]},${src[i]}`);
        }
        const facts = checkSubgraph(csr, sub, { fanouts, seeds: [...src, ...dst] });
        const endpoints = new Set([...sub.srcLocal, ...sub.dstLocal]);
        for (const f of facts) {
          const a = csr.indptr[f.global];
          const z = csr.indptr[f.global + 1];
          let visible = 0;
          let hiddenHere = 0;
          for (let p = a; p < z; p++) {
            if (endpoints.has(f.local) && hidden.has(`${f.global},${csr.indices[p]}`)) hiddenHere++;
            else visible++;
          }
          if (endpoints.has(f.local)) {
            for (const u of f.sources) check(!hidden.has(`${f.global},${u}`), 'seed edge hidden');
          }
          const k = fanouts[f.hop];
          check(
            f.sources.length === Math.min(k, visible),
            `row size ${f.sources.length} vs ${k}/${visible}`,
          );
          hiddenSomething += hiddenHere;
        }
      }
      expect(hiddenSomething).toBeGreaterThan(30);
    },
  );

  it('samples uniformly among the visible edges when some are hidden', () => {
    // Node 0 -> 1..8; the pair (0, 1) hides edge 0 -> 1; fanout 3 of the 7 visible.
    const deg = 8;
    const indptr = new Uint32Array(deg + 2);
    for (let v = 1; v < indptr.length; v++) indptr[v] = deg;
    const csr: Csr = {
      numNodes: deg + 1,
      numEdges: deg,
      indptr,
      indices: Uint32Array.from({ length: deg }, (_, j) => j + 1),
    };
    const sampler = createSampler(csr, { strategy: 'uniform', fanouts: [3], seed: 2 });
    const hits = new Float64Array(deg + 1);
    const trials = 7000;
    for (let t = 0; t < trials; t++) {
      const sub = sampler.sampleEdges([0], [1], 1, { excludeSeedEdges: true });
      const b = sub.blocks[0];
      for (let j = b.indptr[0]; j < b.indptr[1]; j++) hits[sub.nodes[b.indices[j]]]++;
    }
    expect(hits[1]).toBe(0);
    const expected = (trials * 3) / 7;
    for (let u = 2; u <= deg; u++)
      expect(Math.abs(hits[u] - expected)).toBeLessThan(5 * Math.sqrt(expected));
    // With the filter off the seed edge is a candidate again.
    const open = sampler.sampleEdges([0], [1], 1, { excludeSeedEdges: false });
    expect(open.blocks[0].indptr[1]).toBe(3);
  });

  it('draws negatives reproducibly from the batch seed and rejects bad options', () => {
    const csr = randomCsr(new TestRng(3), { numNodes: 1000, numEdges: 4000 });
    const a = createSampler(csr, { strategy: 'uniform', fanouts: [2], seed: 4 });
    const b = createSampler(csr, { strategy: 'uniform', fanouts: [2], seed: 4 });
    b.sample([1, 2, 3]);
    const opts = { negatives: 'uniform' as const, numNegatives: 5, batchSeed: 77 };
    const x = a.sampleEdges([1, 2], [3, 4], 2, opts);
    const y = b.sampleEdges([1, 2], [3, 4], 2, opts);
    expect(Array.from(x.negGlobal)).toEqual(Array.from(y.negGlobal));
    expect(Array.from(x.nodes)).toEqual(Array.from(y.nodes));
    expect(new Set(x.negGlobal).size).toBeGreaterThan(5);
    expect(() => a.sampleEdges([1], [2], 1, { negatives: 'uniform', numNegatives: -1 })).toThrow(
      /numNegatives/,
    );
    expect(() => a.sampleEdges([1], [5000], 1)).toThrow(/dst\[0\]/);
  });
});

describe('sampleEdges negatives', () => {
  it('draws negatives only from the given id range (the destination node type)', () => {
    const rng = new TestRng(77);
    for (let trial = 0; trial < 10; trial++) {
      const csr = randomCsr(rng, { numNodes: 200, numEdges: 1500 });
      const { src, dst } = edgePairs(rng, csr, 30);
      const lo = 50 + rng.int(50);
      const hi = lo + 1 + rng.int(60);
      const sub = createSampler(csr, {
        strategy: 'uniform',
        fanouts: [3],
        seed: trial,
      }).sampleEdges(src, dst, 30, {
        negatives: 'uniform',
        numNegatives: 5,
        negativeRange: [lo, hi],
        batchSeed: trial,
      });
      expect(sub.negGlobal.length).toBe(150);
      for (const g of sub.negGlobal) {
        expect(g).toBeGreaterThanOrEqual(lo);
        expect(g).toBeLessThan(hi);
      }
      for (let i = 0; i < sub.negLocal.length; i++)
        expect(sub.nodes[sub.negLocal[i]]).toBe(sub.negGlobal[i]);
    }
  });

  it('rejects an empty or out-of-graph range', () => {
    const csr = randomCsr(new TestRng(1), { numNodes: 20, numEdges: 40 });
    const s = createSampler(csr, { strategy: 'uniform', fanouts: [2] });
    const one = Int32Array.of(0);
    expect(() =>
      s.sampleEdges(one, one, 1, { negatives: 'uniform', negativeRange: [5, 5] }),
    ).toThrow(/negativeRange/);
    expect(() =>
      s.sampleEdges(one, one, 1, { negatives: 'uniform', negativeRange: [0, 21] }),
    ).toThrow(/negativeRange/);
  });
});
