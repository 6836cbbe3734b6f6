// What an evaluation of a split reads, the same wherever its batches are made (the trainer inline,
// or the samplers that own the graph): the split's seeds, capped by eval.maxNodes, in batches.
import { Xoshiro128Float } from '../../runtime/prng.js';
import type { JobSpec } from '../job-spec.js';

export type EvalSplit = 'val' | 'test';

/** The epoch number evaluation batches are drawn under (no training batch shares a draw with them). */
export function evalEpoch(split: EvalSplit): number {
  return 1_000_000 + (split === 'val' ? 0 : 1);
}

/**
 * The seeds evaluated on a split: all of them, or a fixed random sample of eval.maxNodes (the first
 * ones would be the oldest edges, or the lowest node ids, which are ordered by type).
 */
export function evalSubset(spec: JobSpec, all: Int32Array, split: EvalSplit): Int32Array {
  const cap = spec.eval.maxNodes;
  if (cap <= 0 || all.length <= cap) return all;
  const shuffled = Int32Array.from(all);
  new Xoshiro128Float(spec.train.seed, split === 'val' ? 11 : 12).shuffle(shuffled);
  return shuffled.subarray(0, cap).sort();
}

/** Batches of an evaluation over `count` seeds. */
export function evalBatches(spec: JobSpec, count: number): number {
  return Math.ceil(count / spec.eval.batchSize);
}
