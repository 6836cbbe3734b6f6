// Weighted sampling: invariants over random graphs, each exact method against enumerated successive-
// sampling probabilities, long rows with and without dominant edges, and its input errors.
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import { Xoshiro128 } from '../../../runtime/prng.js';
import { WeightedPicker } from '../../../kernels/sampling/weighted-pick.js';
import { check, checkSubgraph } from './check-subgraph.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

/** Node 0 points at nodes 1..w.length with the given edge weights. */
function weightedStar(w: number[]): Csr {
  const deg = w.length;
  const indptr = new Uint32Array(deg + 2);
  for (let v = 1; v < indptr.length; v++) indptr[v] = deg;
  return {
    numNodes: deg + 1,
    numEdges: deg,
    indptr,
    indices: Uint32Array.from({ length: deg }, (_, j) => j + 1),
    weights: Float32Array.from(w),
  };
}

/** Exact inclusion probabilities of successive weighted sampling of k items (enumerates orders). */
function exactInclusion(w: number[], k: number): number[] {
  const p = new Array<number>(w.length).fill(0);
  const walk = (taken: number[], prob: number): void => {
    if (taken.length === k) {
      for (const i of taken) p[i] += prob;
      return;
    }
    let rest = 0;
    for (let i = 0; i < w.length; i++) if (!taken.includes(i)) rest += w[i];
    for (let i = 0; i < w.length; i++) {
      if (taken.includes(i)) continue;
      walk([...taken, i], (prob * w[i]) / rest);
    }
  };
  walk([], 1);
  return p;
}

function inclusionCounts(csr: Csr, k: number, trials: number, seed: number): Float64Array {
  const sampler = createSampler(csr, { strategy: 'weighted', fanouts: [k], seed });
  const hits = new Float64Array(csr.numNodes);
  for (let t = 0; t < trials; t++) {
    const sub = sampler.sample([0]);
    const b = sub.blocks[0];
    check(b.indices.length === Math.min(k, csr.numEdges), 'row size');
    for (let j = 0; j < b.indices.length; j++) hits[sub.nodes[b.indices[j]]]++;
  }
  return hits;
}

describe('weighted sampler', () => {
  it('keeps every invariant and takes exactly min(degree, fanout) over random graphs', () => {
    const rng = new TestRng(202);
    let rows = 0;
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.int(250);
      const csr = randomCsr(rng, {
        numNodes: n,
        numEdges: rng.int(n * 10),
        weights: true,
        dedupe: true,
        offsets64: rng.next() < 0.3,
        skew: 1.1,
      });
      const fanouts = Array.from({ length: 1 + rng.int(2) }, () =>
        rng.next() < 0.1 ? -1 : 1 + rng.int(20),
      );
      const sampler = createSampler(csr, {
        strategy: 'weighted',
        fanouts,
        seed: trial,
        returnEdgeIds: true,
      });
      for (let b = 0; b < 3; b++) {
        const seeds = randomSeeds(rng, n, 1 + rng.int(Math.min(n, 30)), rng.next() < 0.3);
        const sub = sampler.sample(seeds);
        const facts = checkSubgraph(csr, sub, { fanouts, seeds, simpleGraph: true });
        const top = sub.blocks[0];
        for (let j = 0; j < top.indices.length; j++) {
          check(
            top.edgeWeight![j] === csr.weights![top.edgeIds![j]],
            'edge weight is the graph weight',
          );
        }
        for (const f of facts) {
          const deg = csr.indptr[f.global + 1] - csr.indptr[f.global];
          const k = fanouts[f.hop];
          check(f.sources.length === (k < 0 ? deg : Math.min(deg, k)), 'row size');
          rows++;
        }
      }
    }
    expect(rows).toBeGreaterThan(500);
  });

  it.each([
    { w: [1, 2, 3, 4, 10, 0.5, 7], k: 1 },
    { w: [1, 2, 3, 4, 10, 0.5, 7], k: 2 },
    { w: [5, 0.2, 0.2, 9, 1, 3], k: 3 },
    { w: [100, 1, 1, 1, 1], k: 2 },
  ])('matches the exact inclusion probabilities of successive sampling (k = $k)', ({ w, k }) => {
    const trials = 20000;
    const hits = inclusionCounts(weightedStar(w), k, trials, 17);
    const exact = exactInclusion(w, k);
    for (let i = 0; i < w.length; i++) {
      const p = exact[i];
      const sigma = Math.sqrt(trials * p * (1 - p)) + 1;
      expect(Math.abs(hits[i + 1] - trials * p)).toBeLessThan(5 * sigma);
    }
  });

  // Each of the three exact methods on its own, against the enumerated probabilities.
  const methods: Record<string, (csr: Csr, rng: Xoshiro128, k: number, out: Int32Array) => void> = {
    'exponential-jump keyed scan': (csr, rng, k, out) =>
      new WeightedPicker(csr.weights!).pickByKeys(rng, 0, csr.numEdges, k, out),
    'per-draw walk': (csr, rng, k, out) =>
      new WeightedPicker(csr.weights!).pickByWalk(rng, 0, csr.numEdges, k, out),
    'block-prefix rejection': (csr, rng, k, out) =>
      new WeightedPicker(csr.weights!).pickByIndex(rng, 0, csr.numEdges, k, out),
  };
  it.each(Object.keys(methods))('%s matches exact successive-sampling probabilities', (name) => {
    // Row 0 spans three 64-edge blocks so the index's search and scan both run.
    const base = [1, 2, 3, 4, 10, 0.5, 7];
    const w = Array.from({ length: 140 }, (_, i) => base[i % 7] * (i < 70 ? 1 : 0.5));
    for (const k of [1, 2]) {
      const csr = weightedStar(w);
      const rng = new Xoshiro128(k);
      const out = new Int32Array(k);
      const trials = 20000;
      const hits = new Float64Array(w.length);
      for (let t = 0; t < trials; t++) {
        methods[name](csr, rng, k, out);
        if (k === 2) check(out[0] !== out[1], 'distinct');
        for (let q = 0; q < k; q++) hits[out[q]]++;
      }
      // Group the 140 edges by weight class so each cell has enough mass.
      const exact = k === 1 ? w.map((x) => x / w.reduce((a, b) => a + b, 0)) : null;
      if (exact) {
        for (let c = 0; c < 14; c++) {
          let p = 0;
          let h = 0;
          for (let i = c * 10; i < (c + 1) * 10; i++) {
            p += exact[i];
            h += hits[i];
          }
          expect(Math.abs(h - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p * (1 - p)) + 1);
        }
      } else {
        // k = 2: first draw by weight, second by weight among the rest; inclusion of edge i is
        // p_i + sum_j p_j * w_i / (W - w_j).
        const W = w.reduce((a, b) => a + b, 0);
        let c2 = 0;
        for (const i of [0, 13, 26, 39, 52, 65, 78, 91, 104, 117, 130, 139]) {
          let p = w[i] / W;
          for (let j = 0; j < w.length; j++) if (j !== i) p += (w[j] / W) * (w[i] / (W - w[j]));
          expect(Math.abs(hits[i] - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p) + 2);
          c2++;
        }
        expect(c2).toBeGreaterThan(5);
      }
    }
  });

  it('favours heavy edges on a long row as a naive successive-sampling reference does', () => {
    const rng = new TestRng(8);
    const deg = 300;
    const k = 6;
    // One edge in ten is twenty times heavier.
    const w = Array.from({ length: deg }, (_, i) => (i % 10 === 3 ? 20 : 1) * (0.5 + rng.next()));
    const trials = 6000;
    const hits = inclusionCounts(weightedStar(w), k, trials, 23);
    // Reference: draw proportional to weight among the rest, k times.
    const ref = new Float64Array(deg);
    for (let t = 0; t < trials; t++) {
      const taken = new Set<number>();
      while (taken.size < k) {
        let rest = 0;
        for (let i = 0; i < deg; i++) if (!taken.has(i)) rest += w[i];
        let u = rng.next() * rest;
        let pick = deg - 1;
        for (let i = 0; i < deg; i++) {
          if (taken.has(i)) continue;
          u -= w[i];
          if (u < 0) {
            pick = i;
            break;
          }
        }
        taken.add(pick);
      }
      for (const i of taken) ref[i]++;
    }
    let heavy = 0;
    let heavyRef = 0;
    let light = 0;
    for (let i = 0; i < deg; i++) {
      if (i % 10 === 3) {
        heavy += hits[i + 1];
        heavyRef += ref[i];
      } else {
        light += hits[i + 1];
      }
    }
    // Heavy edges are 10% of the row but about two thirds of the draws.
    expect(heavy / (trials * k)).toBeGreaterThan(0.55);
    expect(light).toBeGreaterThan(0);
    expect(Math.abs(heavy - heavyRef) / (trials * k)).toBeLessThan(0.03);
  });

  it.each([
    { name: 'no few edges dominate', heavy: 3 },
    { name: 'five edges hold most of the weight', heavy: 5000 },
  ])('draws long rows by weight when $name', ({ heavy }) => {
    const rng = new TestRng(heavy);
    const deg = 1500;
    const w = Array.from({ length: deg }, (_, i) => (i % 300 === 7 ? heavy : 0.2 + rng.next()));
    const csr = weightedStar(w);
    // k = 1: each edge with probability w / W; test it over 15 groups of 100 edges.
    const trials = 30000;
    const hits = inclusionCounts(csr, 1, trials, 99);
    const total = w.reduce((a, b) => a + b, 0);
    for (let g = 0; g < 15; g++) {
      let p = 0;
      let h = 0;
      for (let i = g * 100; i < (g + 1) * 100; i++) {
        p += w[i] / total;
        h += hits[i + 1];
      }
      const sigma = Math.sqrt(trials * p * (1 - p)) + 1;
      expect(Math.abs(h - trials * p)).toBeLessThan(5 * sigma);
    }
    // k = 6: the heavy edges' inclusion rates against a Monte Carlo of the definition.
    const k = 6;
    const hits6 = inclusionCounts(csr, k, 6000, 5);
    const ref = new Float64Array(deg);
    for (let t = 0; t < 6000; t++) {
      const taken = new Set<number>();
      while (taken.size < k) {
        let rest = 0;
        for (let i = 0; i < deg; i++) if (!taken.has(i)) rest += w[i];
        let u = rng.next() * rest;
        let pick = deg - 1;
        for (let i = 0; i < deg; i++) {
          if (taken.has(i)) continue;
          u -= w[i];
          if (u < 0) {
            pick = i;
            break;
          }
        }
        taken.add(pick);
      }
      for (const i of taken) ref[i]++;
    }
    let light = 0;
    let lightRef = 0;
    for (let i = 0; i < deg; i++) {
      if (i % 300 === 7) {
        expect(Math.abs(hits6[i + 1] - ref[i])).toBeLessThan(6 * Math.sqrt(ref[i] + 1) + 10);
      } else {
        light += hits6[i + 1];
        lightRef += ref[i];
      }
    }
    expect(Math.abs(light - lightRef)).toBeLessThan(6 * Math.sqrt(lightRef + 1) + 10);
  });

  it('rejects graphs without weights and non-positive weights', () => {
    const rng = new TestRng(1);
    const csr = randomCsr(rng, { numNodes: 10, numEdges: 30 });
    expect(() => createSampler(csr, { strategy: 'weighted', fanouts: [2] })).toThrow(
      /edge weights/,
    );
    const bad = randomCsr(rng, { numNodes: 10, numEdges: 30, weights: true });
    bad.weights![4] = 0;
    expect(() => createSampler(bad, { strategy: 'weighted', fanouts: [2] })).toThrow(/edge 4/);
  });
});
