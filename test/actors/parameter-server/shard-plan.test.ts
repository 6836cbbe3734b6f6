import { describe, expect, it } from 'vitest';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import { batchesOf, roundSchedule, samplerOf } from '../../../actors/plan/round-schedule.js';
import {
  assembleByPlan,
  planShards,
  splitByPlan,
} from '../../../actors/parameter-server/shard-plan.js';

describe('shard plan', () => {
  it('covers every element of every tensor exactly once and round-trips (random layouts)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Xoshiro128Float(seed, 1);
      const n = 1 + Math.floor(rng.next() * 8);
      const full = new Map<string, Float32Array>();
      for (let i = 0; i < n; i++) {
        const len = 1 + Math.floor(rng.next() * 5000);
        const t = new Float32Array(len);
        for (let k = 0; k < len; k++) t[k] = rng.next();
        full.set(`p${i}.w`, t);
      }
      const shards = 1 + Math.floor(rng.next() * 5);
      const plan = planShards(
        [...full].map(([k, v]) => [k, v.length]),
        shards,
      );
      const covered = new Map([...full].map(([k, v]) => [k, new Uint8Array(v.length)]));
      for (const list of plan.slices)
        for (const sl of list) for (let i = sl.start; i < sl.end; i++) covered.get(sl.name)![i]++;
      for (const c of covered.values()) expect(c.every((x) => x === 1)).toBe(true);
      const back = assembleByPlan(plan, splitByPlan(plan, full));
      for (const [k, v] of full) expect(back.get(k)).toEqual(v);
      // Balanced: no shard holds more than its fair share plus one largest piece.
      const total = [...full.values()].reduce((a, v) => a + v.length, 0);
      const loads = plan.slices.map((l) => l.reduce((a, s) => a + s.end - s.start, 0));
      expect(Math.max(...loads)).toBeLessThanOrEqual(2 * Math.ceil(total / shards));
      // The same plan from the same sizes in another order (every process computes it alone).
      const again = planShards(
        [...full].reverse().map(([k, v]) => [k, v.length]),
        shards,
      );
      expect(again.slices).toEqual(plan.slices);
    }
  });
});

describe('round schedule', () => {
  it('gives every batch to exactly one trainer and round, in plan order', () => {
    for (const [batches, trainers, local] of [
      [1, 1, 1],
      [7, 2, 1],
      [28, 2, 4],
      [100, 3, 16],
      [5, 4, 2],
    ]) {
      const s = roundSchedule(batches, trainers, local);
      const seen: number[] = [];
      for (let r = 0; r < s.numRounds; r++)
        for (let t = 0; t < trainers; t++) seen.push(...batchesOf(s, t, r));
      expect(seen).toEqual(Array.from({ length: batches }, (_, i) => i));
      for (let r = 0; r < s.numRounds; r++)
        for (let t = 0; t < trainers; t++)
          expect(batchesOf(s, t, r).length).toBeLessThanOrEqual(local);
    }
    expect([0, 1, 2, 3].map((b) => samplerOf(b, 2))).toEqual([0, 1, 0, 1]);
  });
});
