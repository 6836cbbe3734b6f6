// Test helper: checks every structural invariant of a SampledSubgraph against its graph and inputs
// (prefix layout, local/global consistency, edges exist, no repeated edges) and returns per-row facts.
import type { Csr } from '../../../graph-store/types.js';
import type { SampledSubgraph } from '../../../kernels/sampling/types.js';

export interface CheckOptions {
  fanouts: readonly number[];
  seeds: ArrayLike<number>;
  count?: number;
  /** Per input seed query time (temporal). */
  times?: Float64Array;
  /** PPR blocks are not graph edges: skip the edge-existence checks. */
  ppr?: boolean;
  /** The graph has no parallel edges, so neighbour ids within a row must be distinct too. */
  simpleGraph?: boolean;
}

export interface RowFact {
  local: number;
  global: number;
  hop: number;
  /** CSR positions of the sampled edges (when edgeIds are present). */
  edgeIds: number[];
  /** Global ids of the sampled sources. */
  sources: number[];
}

/** Local-node ranges per hop: hopEnd[h] = number of nodes reached within h hops. */
export function hopEnds(sub: SampledSubgraph): number[] {
  const L = sub.blocks.length;
  const ends: number[] = [];
  for (let h = 0; h < L; h++) ends.push(sub.blocks[L - 1 - h].numDst);
  ends.push(sub.nodes.length);
  return ends;
}

/** Cheap assertion for per-element checks (vitest's expect costs microseconds a call). */
export function check(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`invariant broken: ${msg}`);
}

export function checkSubgraph(csr: Csr, sub: SampledSubgraph, o: CheckOptions): RowFact[] {
  const L = o.fanouts.length;
  const count = o.count ?? o.seeds.length;
  const { nodes, blocks, numSeeds, seedLocal } = sub;
  check(blocks.length === L, 'blocks.length === L');
  check(blocks[L - 1].numDst === numSeeds, 'blocks[L - 1].numDst === numSeeds');
  check(blocks[0].numSrc === nodes.length, 'blocks[0].numSrc === nodes.length');
  for (let l = 0; l + 1 < L; l++)
    check(blocks[l].numDst === blocks[l + 1].numSrc, 'blocks[l].numDst === blocks[l + 1].numSrc');
  for (const b of blocks) check(b.numSrc >= b.numDst, 'b.numSrc >= b.numDst');

  // Seeds: first-appearance order, repeats share a local id.
  check(seedLocal.length === count, 'seedLocal.length === count');
  const key = (g: number, t: number | undefined): string =>
    t === undefined ? `${g}` : `${g}@${t}`;
  const firstSeen = new Map<string, number>();
  let next = 0;
  for (let i = 0; i < count; i++) {
    const k = key(o.seeds[i], o.times?.[i]);
    let l = firstSeen.get(k);
    if (l === undefined) {
      l = next++;
      firstSeen.set(k, l);
    }
    check(seedLocal[i] === l, 'seedLocal[i] === l');
    check(nodes[seedLocal[i]] === o.seeds[i], 'nodes[seedLocal[i]] === o.seeds[i]');
    if (o.times)
      check(
        sub.nodeTimes![seedLocal[i]] === o.times[i],
        'sub.nodeTimes![seedLocal[i]] === o.times[i]',
      );
  }
  check(numSeeds === next, 'numSeeds === next');

  // Local nodes are unique: by global id, or by (global id, time) for temporal samples.
  const keys = new Set<string>();
  for (let l = 0; l < nodes.length; l++) {
    check(nodes[l] >= 0, 'nodes[l] >= 0');
    check(nodes[l] < csr.numNodes, 'nodes[l] < csr.numNodes');
    keys.add(key(nodes[l], sub.nodeTimes?.[l]));
  }
  check(keys.size === nodes.length, 'keys.size === nodes.length');
  if (sub.nodeTimes)
    check(sub.nodeTimes.length === nodes.length, 'sub.nodeTimes.length === nodes.length');

  // Every block is a prefix of blocks[0].
  const top = blocks[0];
  for (const b of blocks) {
    check(b.indptr.length === b.numDst + 1, 'b.indptr.length === b.numDst + 1');
    check(b.indptr[0] === 0, 'b.indptr[0] === 0');
    check(b.indptr[b.numDst] === b.indices.length, 'b.indptr[b.numDst] === b.indices.length');
    for (let i = 0; i < b.numDst; i++) {
      check(b.indptr[i + 1] >= b.indptr[i], 'b.indptr[i + 1] >= b.indptr[i]');
      check(b.indptr[i + 1] === top.indptr[i + 1], 'b.indptr[i + 1] === top.indptr[i + 1]');
    }
    for (let j = 0; j < b.indices.length; j++) {
      check(b.indices[j] < b.numSrc, 'b.indices[j] < b.numSrc');
      check(b.indices[j] === top.indices[j], 'b.indices[j] === top.indices[j]');
    }
    if (top.edgeWeight)
      check(b.edgeWeight?.length === b.indices.length, 'b.edgeWeight?.length === b.indices.length');
    if (top.edgeIds)
      check(b.edgeIds?.length === b.indices.length, 'b.edgeIds?.length === b.indices.length');
  }

  const ends = hopEnds(sub);
  const facts: RowFact[] = [];
  const reached = new Uint8Array(nodes.length);
  for (let i = 0; i < numSeeds; i++) reached[i] = 1;
  for (let i = 0; i < top.numDst; i++) {
    let hop = 0;
    while (i >= ends[hop]) hop++;
    const g = nodes[i];
    const fact: RowFact = { local: i, global: g, hop, edgeIds: [], sources: [] };
    const a = csr.indptr[g];
    const z = csr.indptr[g + 1];
    for (let j = top.indptr[i]; j < top.indptr[i + 1]; j++) {
      const src = top.indices[j];
      // A row of hop h only reaches nodes within h + 1 hops.
      check(src < ends[hop + 1], 'src < ends[hop + 1]');
      reached[src] = 1;
      if (sub.nodeTimes)
        check(sub.nodeTimes[src] === sub.nodeTimes[i], 'sub.nodeTimes[src] === sub.nodeTimes[i]');
      const u = nodes[src];
      fact.sources.push(u);
      if (o.ppr) continue;
      if (top.edgeIds) {
        const p = top.edgeIds[j];
        check(p >= a, 'p >= a');
        check(p < z, 'p < z');
        check(csr.indices[p] === u, 'csr.indices[p] === u');
        fact.edgeIds.push(p);
      } else {
        let found = false;
        for (let p = a; p < z && !found; p++) found = csr.indices[p] === u;
        if (!found) check(false, `edge ${g} -> ${u} exists`);
      }
    }
    if (fact.edgeIds.length > 0)
      check(
        new Set(fact.edgeIds).size === fact.edgeIds.length,
        'new Set(fact.edgeIds).size === fact.edgeIds.length',
      );
    if (o.simpleGraph || o.ppr)
      check(
        new Set(fact.sources).size === fact.sources.length,
        'new Set(fact.sources).size === fact.sources.length',
      );
    facts.push(fact);
  }
  // Every non-seed node was reached as some row's source.
  for (let l = 0; l < nodes.length; l++) if (reached[l] !== 1) check(false, `local ${l} reached`);
  return facts;
}
