// Per-relation fanouts: each listed relation draws its own count from its own edges of the row (newest
// first for temporal 'last'), unlisted relations share the hop's fanout, seed edges stay hidden, and a
// sampler given none (or only nulls) samples byte for byte as before.

import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { SamplerOptions } from '../../../kernels/sampling/types.js';
import { ConfigError } from '../../../runtime/errors.js';
import { randomCsr, TestRng } from './random-graph.js';

/** A random graph whose edges carry one of R types, with timestamps ascending per row. */
function typedGraph(seed: number, R: number): Csr & { edgeType: Uint8Array } {
  const rng = new TestRng(seed);
  const g = randomCsr(rng, { numNodes: 60, numEdges: 900, timestamps: true, timeRange: 50 });
  const edgeType = new Uint8Array(g.numEdges);
  for (let p = 0; p < edgeType.length; p++) edgeType[p] = rng.int(R);
  return { ...g, edgeType };
}

/** Per local row of block 0: the CSR positions it sampled. */
function rowsOf(sub: ReturnType<ReturnType<typeof createSampler>['sample']>): number[][] {
  const b = sub.blocks[0];
  const out: number[][] = [];
  for (let i = 0; i < b.numDst; i++)
    out.push(Array.from(b.edgeIds!.subarray(b.indptr[i], b.indptr[i + 1])));
  return out;
}

describe('per-relation fanouts', () => {
  const R = 4;
  // Relation 0: 3 then 1; relation 2: none at hop 1, 2 at hop 2; 1 and 3 share the hop's fanout.
  const byType = [[3, 1], null, [0, 2], null];

  it('gives each listed relation its own count and the others the shared fanout (uniform)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const g = typedGraph(seed, R);
      const s = createSampler(g, {
        strategy: 'uniform',
        fanouts: [2, 1],
        seed,
        returnEdgeIds: true,
        relationFanouts: byType,
      });
      const seeds = Int32Array.from({ length: 8 }, (_, i) => (i * 7 + seed) % g.numNodes);
      const sub = s.sample(seeds, seeds.length, { batchSeed: seed });
      const hop1 = sub.blocks[1].numDst;
      rowsOf(sub).forEach((positions, i) => {
        const v = sub.nodes[i];
        const h = i < hop1 ? 0 : 1;
        const have = new Array<number>(R + 1).fill(0);
        const took = new Array<number>(R + 1).fill(0);
        for (let p = g.indptr[v]; p < g.indptr[v + 1]; p++)
          have[byType[g.edgeType[p]] ? g.edgeType[p] : R]++;
        for (const p of positions) {
          expect(p).toBeGreaterThanOrEqual(g.indptr[v]);
          expect(p).toBeLessThan(g.indptr[v + 1]);
          took[byType[g.edgeType[p]] ? g.edgeType[p] : R]++;
        }
        expect(new Set(positions).size).toBe(positions.length);
        for (const t of [0, 2]) expect(took[t]).toBe(Math.min(have[t], byType[t]![h]));
        expect(took[R]).toBe(Math.min(have[R], [2, 1][h]));
      });
    }
  });

  it('keeps the newest edges of each relation before the query time (temporal last)', () => {
    const g = typedGraph(7, R);
    const s = createSampler(g, {
      strategy: 'temporal',
      temporalPick: 'last',
      fanouts: [2, 1],
      seed: 7,
      returnEdgeIds: true,
      relationFanouts: byType,
    });
    const seeds = Int32Array.from([3, 9, 14, 22, 40]);
    const times = Float64Array.from([30, 45, 20, 50, 10]);
    const sub = s.sample(seeds, seeds.length, { times, batchSeed: 1 });
    const rows = rowsOf(sub);
    for (let i = 0; i < seeds.length; i++) {
      const v = seeds[i];
      const expected: number[] = [];
      for (const [group, k] of [
        [[0], 3],
        [[2], 0],
        [[1, 3], 2],
      ] as const) {
        const cands: number[] = [];
        for (let p = g.indptr[v]; p < g.indptr[v + 1]; p++)
          if (g.timestamps![p] < times[i] && (group as readonly number[]).includes(g.edgeType[p]))
            cands.push(p);
        expected.push(...cands.slice(Math.max(0, cands.length - k)));
      }
      expect([...rows[i]].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    }
  });

  it('draws every edge of a relation with equal chance (uniform)', () => {
    const g = typedGraph(3, R);
    let v = 0;
    for (let u = 0; u < g.numNodes; u++)
      if (g.indptr[u + 1] - g.indptr[u] > g.indptr[v + 1] - g.indptr[v]) v = u;
    const own: number[] = [];
    for (let p = g.indptr[v]; p < g.indptr[v + 1]; p++) if (g.edgeType[p] === 0) own.push(p);
    expect(own.length).toBeGreaterThan(3);
    const hits = new Map<number, number>();
    const s = createSampler(g, {
      strategy: 'uniform',
      fanouts: [1],
      seed: 3,
      returnEdgeIds: true,
      relationFanouts: [[1], [0], [0], [0]],
    });
    const draws = 4000;
    for (let b = 0; b < draws; b++) {
      const [positions] = rowsOf(s.sample(Int32Array.from([v]), 1, { batchSeed: b }));
      expect(positions.length).toBe(1);
      hits.set(positions[0], (hits.get(positions[0]) ?? 0) + 1);
    }
    expect([...hits.keys()].sort((a, b) => a - b)).toEqual(own);
    for (const n of hits.values()) expect(Math.abs(n / draws - 1 / own.length)).toBeLessThan(0.05);
  });

  it('hides the seed edges of link pairs from relation-drawn rows', () => {
    const g = typedGraph(11, R);
    const s = createSampler(g, {
      strategy: 'uniform',
      fanouts: [-1],
      seed: 1,
      returnEdgeIds: true,
      relationFanouts: [[-1], null, [-1], null],
    });
    const v = 5;
    const u = g.indices[g.indptr[v]];
    const sub = s.sampleEdges(Int32Array.from([v]), Int32Array.from([u]), 1, { batchSeed: 2 });
    const local = sub.srcLocal[0];
    const positions = rowsOf(sub)[local];
    for (const p of positions) expect(g.indices[p]).not.toBe(u);
    let visible = 0;
    for (let p = g.indptr[v]; p < g.indptr[v + 1]; p++) if (g.indices[p] !== u) visible++;
    expect(positions.length).toBe(visible);
  });

  it('samples as before when no relation is listed', () => {
    const g = typedGraph(5, R);
    const base: SamplerOptions = {
      strategy: 'uniform',
      fanouts: [3, 2],
      seed: 9,
      returnEdgeIds: true,
    };
    const a = createSampler(g, base);
    const b = createSampler(g, { ...base, relationFanouts: [null, null, null, null] });
    const seeds = Int32Array.from([1, 2, 3, 50, 51]);
    const x = a.sample(seeds, seeds.length, { batchSeed: 4 });
    const y = b.sample(seeds, seeds.length, { batchSeed: 4 });
    expect(y.nodes).toEqual(x.nodes);
    expect(y.blocks[0].indices).toEqual(x.blocks[0].indices);
    expect(y.blocks[0].edgeIds).toEqual(x.blocks[0].edgeIds);
  });

  it('refuses what it cannot honour, naming the field', () => {
    const g = typedGraph(1, R);
    const opts = (o: Partial<SamplerOptions>): SamplerOptions => ({
      strategy: 'uniform',
      fanouts: [2, 2],
      relationFanouts: byType,
      ...o,
    });
    expect(() => createSampler(g, opts({ strategy: 'ppr' }))).toThrow(/per-relation fanouts/);
    expect(() => createSampler(g, opts({ budget: { mode: 'degree', alpha: 0.5 } }))).toThrow(
      ConfigError,
    );
    expect(() => createSampler(g, opts({ relationFanouts: [[1]] }))).toThrow(
      /1 fanouts for 2 hops/,
    );
    expect(() => createSampler(g, opts({ relationFanouts: [[1, 1.5]] }))).toThrow(
      /relationFanouts\[0\]\[1\]|must be an integer/,
    );
  });
});
