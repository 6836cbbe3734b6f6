// PPR push against power-iteration PageRank (from below, within the push error, top-k order), and
// the PPR sampler's blocks: reachable, descending, normalised, the same nodes as a direct top-k call.
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import { PprPush } from '../../../kernels/sampling/ppr-push.js';
import { check, checkSubgraph } from './check-subgraph.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';
import { referencePpr } from './reference-ppr.js';

function reachable(csr: Csr, s: number): Set<number> {
  const seen = new Set([s]);
  const stack = [s];
  while (stack.length > 0) {
    const u = stack.pop()!;
    for (let p = csr.indptr[u]; p < csr.indptr[u + 1]; p++) {
      const v = csr.indices[p];
      if (!seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen;
}

describe('PPR push', () => {
  it('approximates power-iteration PPR from below and returns its top-k in order', () => {
    const rng = new TestRng(41);
    for (let trial = 0; trial < 25; trial++) {
      const n = 2 + rng.int(120);
      const csr = randomCsr(rng, { numNodes: n, numEdges: rng.int(n * 6), skew: 0.8 });
      const alpha = 0.1 + rng.next() * 0.4;
      const epsilon = 1e-7;
      const push = new PprPush(csr, alpha, epsilon);
      const s = rng.int(n);
      const ref = referencePpr(csr, s, alpha);
      const nodes = new Int32Array(n);
      const scores = new Float64Array(n);
      const c = push.topK(s, n, nodes, scores);
      let total = 0;
      for (let q = 0; q < c; q++) {
        const v = nodes[q];
        expect(v).not.toBe(s);
        if (q > 0) {
          check(
            scores[q] < scores[q - 1] || (scores[q] === scores[q - 1] && v > nodes[q - 1]),
            'order',
          );
        }
        expect(scores[q]).toBeLessThanOrEqual(ref[v] + 1e-12);
        expect(ref[v] - scores[q]).toBeLessThan(1e-4);
        total += scores[q];
      }
      expect(total).toBeLessThanOrEqual(1 + 1e-9);
      // Every node with real PPR mass was found.
      const found = new Set(nodes.subarray(0, c));
      for (let v = 0; v < n; v++) if (v !== s && ref[v] > 1e-4) expect(found.has(v)).toBe(true);
      // A second run from the same state gives the same answer (scratch fully reset).
      const nodes2 = new Int32Array(n);
      const scores2 = new Float64Array(n);
      expect(push.topK(s, n, nodes2, scores2)).toBe(c);
      expect(Array.from(nodes2.subarray(0, c))).toEqual(Array.from(nodes.subarray(0, c)));
    }
  });

  it('keeps only the k best and stops pushing at a coarse epsilon', () => {
    const rng = new TestRng(42);
    const csr = randomCsr(rng, { numNodes: 300, numEdges: 3000, skew: 1 });
    const fine = new PprPush(csr, 0.2, 1e-8);
    const coarse = new PprPush(csr, 0.2, 1e-2);
    const all = new Int32Array(300);
    const allScores = new Float64Array(300);
    const top = new Int32Array(5);
    const topScores = new Float64Array(5);
    const c = fine.topK(7, 300, all, allScores);
    expect(fine.topK(7, 5, top, topScores)).toBe(Math.min(5, c));
    expect(Array.from(top)).toEqual(Array.from(all.subarray(0, 5)));
    coarse.topK(7, 5, top, topScores);
    expect(coarse.lastPushes).toBeLessThan(fine.lastPushes);
  });
});

describe('PPR sampler', () => {
  it('gives each node its top-k PPR nodes, reachable, scores descending and normalised', () => {
    const rng = new TestRng(43);
    let rows = 0;
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + rng.int(150);
      const csr = randomCsr(rng, { numNodes: n, numEdges: rng.int(n * 8), skew: 1 });
      const fanouts = [1 + rng.int(8), 1 + rng.int(5)];
      const sampler = createSampler(csr, {
        strategy: 'ppr',
        fanouts,
        ppr: { alpha: 0.25, epsilon: 1e-5 },
      });
      const seeds = randomSeeds(rng, n, 1 + rng.int(Math.min(n, 12)), true);
      const sub = sampler.sample(seeds);
      const facts = checkSubgraph(csr, sub, { fanouts, seeds, ppr: true });
      const top = sub.blocks[0];
      const push = new PprPush(csr, 0.25, 1e-5);
      for (const f of facts) {
        const reach = reachable(csr, f.global);
        const a = top.indptr[f.local];
        const z = top.indptr[f.local + 1];
        let sum = 0;
        for (let j = a; j < z; j++) {
          const w = top.edgeWeight![j];
          sum += w;
          if (j > a) check(w <= top.edgeWeight![j - 1], 'descending weights');
          check(w > 0, 'positive weight');
        }
        if (z > a) expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        for (const u of f.sources) check(reach.has(u) && u !== f.global, 'reachable, not itself');
        // Same nodes as a direct top-k call.
        const k = fanouts[f.hop];
        const nodes = new Int32Array(k);
        const c = push.topK(f.global, k, nodes, new Float64Array(k));
        expect(f.sources).toEqual(Array.from(nodes.subarray(0, c)));
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(100);
  });

  it('rejects fanout -1, bad alpha or epsilon, and edge ids', () => {
    const csr = randomCsr(new TestRng(1), { numNodes: 10, numEdges: 20 });
    expect(() => createSampler(csr, { strategy: 'ppr', fanouts: [-1] })).toThrow(/fanouts\[0\]/);
    expect(() => createSampler(csr, { strategy: 'ppr', fanouts: [2], ppr: { alpha: 1 } })).toThrow(
      /ppr.alpha/,
    );
    expect(() =>
      createSampler(csr, { strategy: 'ppr', fanouts: [2], ppr: { epsilon: 0 } }),
    ).toThrow(/ppr.epsilon/);
    expect(() =>
      createSampler(csr, { strategy: 'ppr', fanouts: [2], returnEdgeIds: true }),
    ).toThrow(/returnEdgeIds/);
  });
});
