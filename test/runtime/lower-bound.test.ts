// lowerBound against a linear scan: sorted arrays with repeats, both array kinds it serves, the ends.
import { describe, expect, it } from 'vitest';
import { lowerBound } from '../../runtime/lower-bound.js';
import { Xoshiro128 } from '../../runtime/prng.js';

/** The reference: a linear scan for the first value not below x. */
function firstNotBelow(a: ArrayLike<number>, x: number): number {
  let i = 0;
  while (i < a.length && a[i] < x) i++;
  return i;
}

describe('lowerBound', () => {
  it('agrees with a linear scan on sorted arrays with repeats, over many seeds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rng = new Xoshiro128(seed);
      const n = rng.below(40);
      const values = Array.from({ length: n }, () => rng.below(20));
      const sorted = Float64Array.from(values).sort();
      const ids = Uint32Array.from(sorted);
      for (let x = -1; x <= 21; x += 0.5) {
        expect(lowerBound(sorted, x)).toBe(firstNotBelow(sorted, x));
        expect(lowerBound(ids, x)).toBe(firstNotBelow(ids, x));
      }
    }
  });

  it('is 0 and length at the ends, and 0 on an empty array', () => {
    const a = Float64Array.of(2, 4, 4, 9);
    expect(lowerBound(a, 4)).toBe(1);
    expect(lowerBound(a, 1)).toBe(0);
    expect(lowerBound(a, 10)).toBe(4);
    expect(lowerBound(new Float64Array(0), 3)).toBe(0);
  });
});
