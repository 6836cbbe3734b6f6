// Synthetic sampled blocks shaped like a power-law graph's, for the step benchmarks: the batch shapes
// of a real run (seeds, fanouts, deduplicated sources) without building or sampling a graph.

import type { BlockLike, SubgraphBatch } from '../kernels/nn/block.js';
import { Mulberry32 } from '../runtime/prng.js';

export interface SyntheticBatchOptions {
  numSeeds: number;
  /** Per hop from the seeds outwards, as samplers take them. */
  fanouts: number[];
  featureDim: number;
  numNodes: number;
  /** Zipf-like exponent of neighbour popularity: larger = more hub sharing = fewer unique nodes. */
  skew: number;
  /** Fraction of destinations with fewer neighbours than the fanout. */
  lowDegreeFraction: number;
  seed: number;
}

/**
 * The blocks of a sample from `seeds` outwards: `neighbours(v, fanout)` gives a destination's drawn
 * neighbours (called in destination order, hop by hop); sources are numbered destinations first.
 * Blocks come back input layer first, with the input layer's nodes (frontier).
 */
export function sampleBlocks(
  seeds: number[],
  fanouts: number[],
  neighbours: (v: number, fanout: number) => number[],
): { blocks: BlockLike[]; frontier: number[] } {
  let frontier = seeds;
  const blocks: BlockLike[] = [];
  for (const fanout of fanouts) {
    const local = new Map<number, number>();
    const src: number[] = [];
    for (const v of frontier) {
      local.set(v, src.length);
      src.push(v);
    }
    const indptr = new Int32Array(frontier.length + 1);
    const indices: number[] = [];
    for (let i = 0; i < frontier.length; i++) {
      for (const g of neighbours(frontier[i], fanout)) {
        let id = local.get(g);
        if (id === undefined) {
          id = src.length;
          local.set(g, id);
          src.push(g);
        }
        indices.push(id);
      }
      indptr[i + 1] = indices.length;
    }
    blocks.push({
      numDst: frontier.length,
      numSrc: src.length,
      indptr,
      indices: Int32Array.from(indices),
    });
    frontier = src;
  }
  blocks.reverse();
  return { blocks, frontier };
}

/**
 * Sampled blocks shaped like a power-law graph's: every destination draws up to `fanout`
 * neighbours whose ids follow a power law (hubs recur across destinations and deduplicate),
 * mapped to local ids with destinations first; blocks returned input layer first.
 */
export function syntheticBatch(o: SyntheticBatchOptions): SubgraphBatch {
  const rng = new Mulberry32(o.seed);
  const a = 1 - o.skew;
  const draw = (): number => {
    const v = Math.pow(1 + rng.next() * (Math.pow(o.numNodes, a) - 1), 1 / a);
    return Math.min(o.numNodes - 1, Math.floor(v) - 1);
  };
  const frontier: number[] = [];
  const seen = new Set<number>();
  while (frontier.length < o.numSeeds) {
    const v = rng.int(o.numNodes);
    if (!seen.has(v)) {
      seen.add(v);
      frontier.push(v);
    }
  }
  const { blocks, frontier: inputs } = sampleBlocks(frontier, o.fanouts, (_v, fanout) => {
    const deg = rng.next() < o.lowDegreeFraction ? 1 + rng.int(fanout) : fanout;
    return Array.from({ length: deg }, draw);
  });
  const features = new Float32Array(inputs.length * o.featureDim);
  for (let i = 0; i < features.length; i++) features[i] = rng.next() * 2 - 1;
  return { blocks, features, numSeeds: o.numSeeds };
}
