// Temporal sampling: never an edge at or after the query time, exactly the newest N ('last'), (node,
// time) nodes with inherited seed times, equal-time edges excluded, and its input errors.
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import type { TemporalPick } from '../../../kernels/sampling/types.js';
import { check, checkSubgraph } from './check-subgraph.js';
import { randomCsr, randomSeeds, TestRng } from './random-graph.js';

/** Reference: the positions of row v with timestamp strictly below t. */
function pastWindow(csr: Csr, v: number, t: number): [number, number] {
  const a = csr.indptr[v];
  let p = a;
  while (p < csr.indptr[v + 1] && csr.timestamps![p] < t) p++;
  return [a, p];
}

function randomTimes(rng: TestRng, count: number, range: number, oneTime: boolean): Float64Array {
  const t = new Float64Array(count);
  const shared = rng.int(range);
  for (let i = 0; i < count; i++) t[i] = oneTime ? shared : rng.int(range);
  return t;
}

describe('temporal sampler', () => {
  it.each(['last', 'uniform'] as TemporalPick[])(
    'never uses an edge at or after the query time; picks as specified (%s)',
    (pick) => {
      const rng = new TestRng(pick === 'last' ? 31 : 32);
      let rows = 0;
      let keyedBatches = 0;
      for (let trial = 0; trial < 45; trial++) {
        const n = 1 + rng.int(200);
        const timeRange = 5 + rng.int(60);
        const csr = randomCsr(rng, {
          numNodes: n,
          numEdges: rng.int(n * 12),
          timestamps: true,
          timeRange,
          offsets64: rng.next() < 0.3,
          skew: 1.05,
        });
        const fanouts = Array.from({ length: 1 + rng.int(3) }, () =>
          rng.next() < 0.1 ? -1 : 1 + rng.int(12),
        );
        const sampler = createSampler(csr, {
          strategy: 'temporal',
          fanouts,
          seed: trial,
          temporalPick: pick,
          returnEdgeIds: true,
        });
        for (let b = 0; b < 4; b++) {
          const count = 1 + rng.int(Math.min(n, 30));
          const seeds = randomSeeds(rng, n, count, rng.next() < 0.4);
          const oneTime = rng.next() < 0.3;
          const times = randomTimes(rng, count, timeRange + 5, oneTime);
          // Some repeated (seed, time) pairs, which must share a local node.
          if (count > 2) {
            seeds[count - 1] = seeds[0];
            times[count - 1] = times[0];
          }
          if (!oneTime && new Set(times).size > 1) keyedBatches++;
          const sub = sampler.sample(seeds, count, { times });
          const facts = checkSubgraph(csr, sub, { fanouts, seeds, times });
          for (const f of facts) {
            const t = sub.nodeTimes![f.local];
            const [a, p] = pastWindow(csr, f.global, t);
            const k = fanouts[f.hop];
            const want = k < 0 ? p - a : Math.min(p - a, k);
            check(
              f.edgeIds.length === want,
              `row ${f.global} at ${t}: ${f.edgeIds.length} != ${want}`,
            );
            for (const e of f.edgeIds)
              check(csr.timestamps![e] < t, `edge ${e} is not from the future`);
            if (pick === 'last') {
              // Exactly the newest `want` edges before t.
              const sorted = [...f.edgeIds].sort((x, y) => x - y);
              for (let q = 0; q < want; q++) check(sorted[q] === p - want + q, 'most recent edges');
            }
            rows++;
          }
        }
      }
      expect(rows).toBeGreaterThan(1000);
      expect(keyedBatches).toBeGreaterThan(20);
    },
  );

  it('treats one node under two query times as two nodes, and hop-2 nodes inherit the seed time', () => {
    // 0 -> 1 at t=1, 0 -> 2 at t=5; 1 -> 3 at t=2, 1 -> 4 at t=8; 2 -> 3 at t=0.
    const csr: Csr = {
      numNodes: 5,
      numEdges: 5,
      indptr: new Uint32Array([0, 2, 4, 5, 5, 5]),
      indices: new Uint32Array([1, 2, 3, 4, 3]),
      timestamps: new Float64Array([1, 5, 2, 8, 0]),
    };
    const sampler = createSampler(csr, { strategy: 'temporal', fanouts: [5, 5] });
    const sub = sampler.sample(new Int32Array([0, 0]), 2, { times: new Float64Array([3, 10]) });
    expect(sub.numSeeds).toBe(2);
    const pairs = Array.from(sub.nodes, (g, l) => `${g}@${sub.nodeTimes![l]}`);
    // Seed 0@3 reaches 1@3 (edge at 1), then 3@3 (edge at 2; the edge to 4 at 8 is in the future).
    // Seed 0@10 reaches 1@10 and 2@10, then 3@10 and 4@10 via 1, and 3@10 via 2.
    expect(new Set(pairs)).toEqual(
      new Set(['0@3', '0@10', '1@3', '1@10', '2@10', '3@3', '3@10', '4@10']),
    );
    expect(sub.blocks[0].indices.length).toBe(1 + 2 + 1 + 2 + 1);
  });

  it('never admits an edge whose timestamp equals the query time', () => {
    const csr: Csr = {
      numNodes: 3,
      numEdges: 3,
      indptr: new Uint32Array([0, 3, 3, 3]),
      indices: new Uint32Array([1, 2, 1]),
      timestamps: new Float64Array([4, 7, 7]),
    };
    const sampler = createSampler(csr, {
      strategy: 'temporal',
      fanouts: [10],
      returnEdgeIds: true,
    });
    expect(
      Array.from(sampler.sample([0], 1, { times: new Float64Array([7]) }).blocks[0].edgeIds!),
    ).toEqual([0]);
    expect(sampler.sample([0], 1, { times: new Float64Array([4]) }).blocks[0].indices.length).toBe(
      0,
    );
    expect(
      sampler.sample([0], 1, { times: new Float64Array([Infinity]) }).blocks[0].indices.length,
    ).toBe(3);
  });

  it('rejects missing, short or NaN times, times for other strategies, and unsorted rows', () => {
    const rng = new TestRng(5);
    const csr = randomCsr(rng, { numNodes: 20, numEdges: 80, timestamps: true });
    const sampler = createSampler(csr, { strategy: 'temporal', fanouts: [2] });
    expect(() => sampler.sample([1, 2])).toThrow(/query time/);
    expect(() => sampler.sample([1, 2], 2, { times: new Float64Array(1) })).toThrow(
      /1 times for 2 seeds/,
    );
    expect(() => sampler.sample([1], 1, { times: new Float64Array([NaN]) })).toThrow(/times\[0\]/);
    const uniform = createSampler(csr, { strategy: 'uniform', fanouts: [2] });
    expect(() => uniform.sample([1], 1, { times: new Float64Array([1]) })).toThrow(
      /strategy is 'uniform'/,
    );
    const v = Array.from({ length: 20 }, (_, i) => i).find(
      (i) => csr.indptr[i + 1] - csr.indptr[i] >= 2,
    )!;
    const p = csr.indptr[v];
    csr.timestamps![p] = csr.timestamps![p + 1] + 1;
    expect(() => createSampler(csr, { strategy: 'temporal', fanouts: [2] })).toThrow(`row ${v}`);
    const noTs = randomCsr(rng, { numNodes: 5, numEdges: 5 });
    expect(() => createSampler(noTs, { strategy: 'temporal', fanouts: [2] })).toThrow(/timestamps/);
  });
});
