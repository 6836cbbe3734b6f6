// Epoch plans: the coordinator's deterministic order of training seeds for each epoch, cut into
// batches. Same (seed, epoch) → same plan, which is what makes --resume reproduce a run exactly.
import { Xoshiro128Float } from '../../runtime/prng.js';

export interface EpochPlan {
  readonly epoch: number;
  /** Seeds in training order; batch b is order[b*batchSize, min((b+1)*batchSize, length)). */
  readonly order: Int32Array;
  readonly batchSize: number;
  readonly numBatches: number;
}

/** Random streams of one job, kept apart so adding draws in one never shifts another. */
export const STREAM_EPOCH = 1;
export const STREAM_SAMPLER = 2;
export const STREAM_DROPOUT = 3;
export const STREAM_NEGATIVES = 4;
export const STREAM_INIT = 5;

/** Mixes (seed, epoch, batch) into one 32-bit seed for a per-batch random stream. */
export function batchSeed(seed: number, epoch: number, batch: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (epoch + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ (batch + 0x165667b1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function makeEpochPlan(
  seeds: Int32Array,
  batchSize: number,
  seed: number,
  epoch: number,
  maxBatches = 0,
): EpochPlan {
  const order = Int32Array.from(seeds);
  new Xoshiro128Float(batchSeed(seed, epoch, 0), STREAM_EPOCH).shuffle(order);
  let numBatches = Math.ceil(order.length / batchSize);
  if (maxBatches > 0) numBatches = Math.min(numBatches, maxBatches);
  return { epoch, order, batchSize, numBatches };
}

/** The seeds of batch `b` as a view into the plan (no copy). */
export function batchSeeds(plan: EpochPlan, b: number): Int32Array {
  const start = b * plan.batchSize;
  return plan.order.subarray(start, Math.min(start + plan.batchSize, plan.order.length));
}
