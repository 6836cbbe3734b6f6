import { describe, expect, it } from 'vitest';
import { batchSeed, batchSeeds, makeEpochPlan } from '../../../actors/plan/epoch-plan.js';

describe('epoch plan', () => {
  const seeds = Int32Array.from({ length: 1000 }, (_, i) => i * 3);

  it('is a permutation of the seeds cut into batches', () => {
    const plan = makeEpochPlan(seeds, 128, 7, 0);
    expect(plan.numBatches).toBe(8);
    const seen = [...plan.order].sort((a, b) => a - b);
    expect(seen).toEqual([...seeds]);
    expect(batchSeeds(plan, 7).length).toBe(1000 - 7 * 128);
  });

  it('is the same for the same (seed, epoch) and differs across epochs', () => {
    expect(makeEpochPlan(seeds, 64, 3, 2).order).toEqual(makeEpochPlan(seeds, 64, 3, 2).order);
    expect(makeEpochPlan(seeds, 64, 3, 2).order).not.toEqual(makeEpochPlan(seeds, 64, 3, 3).order);
    expect(makeEpochPlan(seeds, 64, 4, 2).order).not.toEqual(makeEpochPlan(seeds, 64, 3, 2).order);
  });

  it('caps batches per epoch', () => {
    expect(makeEpochPlan(seeds, 100, 1, 0, 3).numBatches).toBe(3);
  });

  it('spreads batch seeds over 32 bits', () => {
    const s = new Set<number>();
    for (let e = 0; e < 20; e++) for (let b = 0; b < 50; b++) s.add(batchSeed(1, e, b));
    expect(s.size).toBe(1000);
  });
});
