// PPR neighbours as a relation of sampled rows: each row's drawn edges, then its top-k PPR nodes as a
// float64 power iteration ranks them; under temporal sampling the walk ignores every edge at or after
// the row's time (an added later edge never changes the result, an earlier one does).
import { describe, expect, it } from 'vitest';
import type { Csr } from '../../../graph-store/types.js';
import { createSampler } from '../../../kernels/sampling/neighbor-sampler.js';
import { PPR_EDGE_ID } from '../../../kernels/sampling/ppr-relation.js';
import type { SampledSubgraph, SamplerOptions } from '../../../kernels/sampling/types.js';
import { ConfigError } from '../../../runtime/errors.js';
import { randomCsr, TestRng } from './random-graph.js';
import { referencePpr, referenceTopK } from './reference-ppr.js';

const ALPHA = 0.25;
const EXACT = { alpha: ALPHA, epsilon: 1e-12 };

/** A Csr from undirected timed edges (both directions), rows in time order. */
function timedGraph(numNodes: number, edges: [number, number, number][]): Csr {
  const both = edges.flatMap(([a, b, t]) => [
    [a, b, t],
    [b, a, t],
  ]);
  both.sort((x, y) => x[0] - y[0] || x[2] - y[2] || x[1] - y[1]);
  const indptr = new Uint32Array(numNodes + 1);
  for (const [a] of both) indptr[a + 1]++;
  for (let v = 0; v < numNodes; v++) indptr[v + 1] += indptr[v];
  return {
    numNodes,
    numEdges: both.length,
    indptr,
    indices: Uint32Array.from(both, (e) => e[1]),
    timestamps: Float64Array.from(both, (e) => e[2]),
  };
}

/** Global ids of local row i of the seeds' block, and its edge ids. */
function seedRow(sub: SampledSubgraph, i: number): { nodes: number[]; ids: number[] } {
  const b = sub.blocks[sub.blocks.length - 1];
  const nodes: number[] = [];
  const ids: number[] = [];
  for (let p = b.indptr[i]; p < b.indptr[i + 1]; p++) {
    nodes.push(sub.nodes[b.indices[p]]);
    ids.push(b.edgeIds![p]);
  }
  return { nodes, ids };
}

/** The PPR tail of seed row i (edges with the PPR edge id). */
function pprTail(sub: SampledSubgraph, i: number): number[] {
  const { nodes, ids } = seedRow(sub, i);
  return nodes.filter((_, q) => ids[q] === PPR_EDGE_ID);
}

const BASE: [number, number, number][] = [
  [0, 1, 1],
  [1, 2, 2],
  [2, 3, 3],
  [0, 4, 4],
  [3, 5, 6],
];

function temporalTail(csr: Csr, seed: number, t: number, topK = 2): number[] {
  const s = createSampler(csr, {
    strategy: 'temporal',
    fanouts: [10],
    returnEdgeIds: true,
    pprRelation: { topK, ...EXACT },
  });
  return pprTail(s.sample([seed], 1, { times: new Float64Array([t]) }), 0);
}

describe('PPR relation', () => {
  it("appends each row's top-k PPR nodes after its own edges, as power iteration ranks them", () => {
    const csr = timedGraph(6, BASE);
    const s = createSampler(csr, {
      strategy: 'uniform',
      fanouts: [-1],
      returnEdgeIds: true,
      pprRelation: { topK: 3, ...EXACT },
    });
    const seeds = [0, 1, 2, 3, 4, 5];
    const sub = s.sample(seeds);
    for (const v of seeds) {
      const { nodes, ids } = seedRow(sub, v);
      const deg = csr.indptr[v + 1] - csr.indptr[v];
      const own = Array.from(csr.indices.subarray(csr.indptr[v], csr.indptr[v + 1]));
      expect(nodes.slice(0, deg).sort()).toEqual(own.sort());
      expect(ids.slice(0, deg).every((id) => id >= 0)).toBe(true);
      expect(ids.slice(deg)).toEqual([PPR_EDGE_ID, PPR_EDGE_ID, PPR_EDGE_ID]);
      expect(nodes.slice(deg)).toEqual(referenceTopK(referencePpr(csr, v, ALPHA), v, 3));
    }
    // By hand for node 4 (a leaf on 0): its walk goes 4 → 0 → {1, 4}, so 0 first, then 1.
    expect(pprTail(sub, 4).slice(0, 2)).toEqual([0, 1]);
  });

  it('finds top-k nodes whose reference scores are the best on random graphs', () => {
    const rng = new TestRng(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + rng.int(60);
      const csr = randomCsr(rng, { numNodes: n, numEdges: rng.int(n * 4), skew: 0.7 });
      const k = 1 + rng.int(4);
      const s = createSampler(csr, {
        strategy: 'uniform',
        fanouts: [2],
        seed: trial,
        returnEdgeIds: true,
        pprRelation: { topK: k, ...EXACT },
      });
      const v = rng.int(n);
      const tail = pprTail(s.sample([v]), 0);
      const ref = referencePpr(csr, v, ALPHA);
      const best = referenceTopK(ref, v, k);
      expect(tail.length).toBe(best.length);
      tail.forEach((u, q) => expect(ref[u]).toBeCloseTo(ref[best[q]], 9));
    }
  });

  it('walks only edges before the query time: a later edge never changes the result', () => {
    const t = 4.5;
    const base = timedGraph(6, BASE);
    const expected = referenceTopK(referencePpr(base, 0, ALPHA, t), 0, 2);
    expect(temporalTail(base, 0, t)).toEqual(expected);
    // Edges at t (the pair's own) and after it, touching the seed and its walk.
    const later = timedGraph(6, [...BASE, [0, 3, t], [1, 5, 7], [2, 5, 4.5], [4, 2, 9]]);
    expect(temporalTail(later, 0, t)).toEqual(expected);
    // An earlier edge does change it: 4 gains a path to 3 and 5 before t.
    const earlier = timedGraph(6, [...BASE, [4, 3, 0.5], [4, 5, 0.5]]);
    const moved = temporalTail(earlier, 0, t, 3);
    expect(moved).toEqual(referenceTopK(referencePpr(earlier, 0, ALPHA, t), 0, 3));
    expect(moved).not.toEqual(temporalTail(base, 0, t, 3));
  });

  it('gives the same node at two times the walk of each time', () => {
    const csr = timedGraph(6, BASE);
    const s = createSampler(csr, {
      strategy: 'temporal',
      fanouts: [10],
      returnEdgeIds: true,
      pprRelation: { topK: 3, ...EXACT },
    });
    const sub = s.sample([0, 0], 2, { times: new Float64Array([1.5, 10]) });
    expect(sub.numSeeds).toBe(2);
    expect(pprTail(sub, 0)).toEqual(referenceTopK(referencePpr(csr, 0, ALPHA, 1.5), 0, 3));
    expect(pprTail(sub, 1)).toEqual(referenceTopK(referencePpr(csr, 0, ALPHA, 10), 0, 3));
    expect(pprTail(sub, 0)).not.toEqual(pprTail(sub, 1));
  });

  it('leaves the seed edge out of a link pair’s walk under temporal sampling', () => {
    const csr = timedGraph(6, [...BASE, [0, 5, 8]]);
    const s = createSampler(csr, {
      strategy: 'temporal',
      fanouts: [10],
      returnEdgeIds: true,
      pprRelation: { topK: 3, ...EXACT },
    });
    const sub = s.sampleEdges([0], [5], 1, { times: new Float64Array([8]) });
    expect(pprTail(sub, sub.srcLocal[0])).toEqual(
      referenceTopK(referencePpr(csr, 0, ALPHA, 8), 0, 3),
    );
  });

  it('adds PPR nodes at the first `hops` hops only', () => {
    const csr = timedGraph(6, BASE);
    const pprEdges = (hops: number) => {
      const s = createSampler(csr, {
        strategy: 'uniform',
        fanouts: [2, 2],
        returnEdgeIds: true,
        pprRelation: { topK: 2, hops, ...EXACT },
      });
      const sub = s.sample([0]);
      const b = sub.blocks[0];
      const ids = Array.from(b.edgeIds!);
      const atSeeds = b.indptr[sub.numSeeds];
      return [ids.slice(0, atSeeds), ids.slice(atSeeds)].map(
        (part) => part.filter((id) => id === PPR_EDGE_ID).length,
      );
    };
    expect(pprEdges(1)).toEqual([2, 0]);
    const [seeds, hop2] = pprEdges(2);
    expect(seeds).toBe(2);
    expect(hop2).toBeGreaterThan(0);
  });

  it('refuses settings it cannot serve, naming the field', () => {
    const csr = timedGraph(6, BASE);
    const build = (o: Partial<SamplerOptions>) => () =>
      createSampler(csr, {
        strategy: 'uniform',
        fanouts: [2],
        pprRelation: { topK: 2 },
        ...o,
      } as SamplerOptions);
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).field;
      }
      return 'no error';
    };
    expect(field(build({ strategy: 'ppr' }))).toBe('pprRelation');
    expect(field(build({ pprRelation: { topK: 0 } }))).toBe('pprRelation.topK');
    expect(field(build({ pprRelation: { topK: 2, hops: 2 } }))).toBe('pprRelation.hops');
    expect(field(build({ pprRelation: { topK: 2, alpha: 1 } }))).toBe('pprRelation.alpha');
    const s = build({})();
    expect(field(() => s.sampleEdges([0], [1], 1))).toBe('pprRelation');
  });
});
