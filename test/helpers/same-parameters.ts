// Test helper: two runs that must have made the same updates end with the same parameters and
// optimizer slots, compared tensor by tensor in their latest checkpoints.
import { join } from 'node:path';
import { expect } from 'vitest';
import { latestCheckpoint, type Checkpoint } from '../../actors/parameter-server/checkpoint.js';

/**
 * Expects `b` to hold `a`'s step and tensor names, each tensor within `tolerance` of `a`'s largest
 * absolute difference (0: equal, NaN equal to NaN).
 */
export function expectSameTensors(a: Checkpoint, b: Checkpoint, tolerance = 1e-5): void {
  expect(b.step).toBe(a.step);
  expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
  for (const [name, x] of a.tensors) {
    const y = b.tensors.get(name)!;
    if (tolerance === 0) {
      expect(y, name).toEqual(x);
      continue;
    }
    expect(y.length, name).toBe(x.length);
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
    expect(d, name).toBeLessThan(tolerance);
  }
}

/** `expectSameTensors` on the latest checkpoints of run folders `a` and `b`; gives `b`'s. */
export function expectSameParameters(a: string, b: string, tolerance = 1e-5): Checkpoint {
  const [x, y] = [a, b].map((out) => latestCheckpoint(join(out, 'checkpoints')));
  expect(x, `a checkpoint in ${a}`).toBeDefined();
  expect(y, `a checkpoint in ${b}`).toBeDefined();
  expectSameTensors(x!, y!, tolerance);
  return y!;
}
