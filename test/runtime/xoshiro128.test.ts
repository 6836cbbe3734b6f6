// The sampler PRNG: deterministic per (seed, stream, lane), distinct across them, bounded draws in
// range and uniform (chi-square) on both sides of the 2^21 switch, open-interval floats.
import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../runtime/prng.js';

describe('Xoshiro128', () => {
  it('is deterministic per (seed, stream, lane) and distinct across them', () => {
    const seq = (r: Xoshiro128): number[] => Array.from({ length: 8 }, () => r.nextU32());
    expect(seq(new Xoshiro128(42))).toEqual(seq(new Xoshiro128(42)));
    expect(seq(new Xoshiro128(42))).not.toEqual(seq(new Xoshiro128(43)));
    expect(seq(new Xoshiro128(42, 1))).not.toEqual(seq(new Xoshiro128(42, 2)));
    expect(seq(new Xoshiro128(42, 1))).not.toEqual(seq(new Xoshiro128(42, 1, 1)));
    // Seeds beyond 32 bits still matter.
    expect(seq(new Xoshiro128(2 ** 40))).not.toEqual(seq(new Xoshiro128(0)));
    const r = new Xoshiro128(7);
    const first = seq(r);
    r.reseed(7);
    expect(seq(r)).toEqual(first);
  });

  it.each([1, 2, 3, 7, 10, 1000, 2 ** 21 + 3, 2 ** 31 + 11])(
    'below(%i) stays in range and is uniform',
    (bound) => {
      const r = new Xoshiro128(bound);
      const cells = Math.min(bound, 16);
      const counts = new Float64Array(cells);
      const draws = 64000;
      for (let i = 0; i < draws; i++) {
        const x = r.below(bound);
        if (!(Number.isInteger(x) && x >= 0 && x < bound)) throw new Error(`out of range: ${x}`);
        counts[Math.floor((x * cells) / bound)]++;
      }
      // Cells of (nearly) equal width: chi-square against equal counts.
      let chi2 = 0;
      for (let c = 0; c < cells; c++) {
        const lo = Math.ceil((c * bound) / cells);
        const hi = Math.ceil(((c + 1) * bound) / cells);
        const expected = (draws * (hi - lo)) / bound;
        chi2 += (counts[c] - expected) ** 2 / expected;
      }
      expect(chi2).toBeLessThan(cells + 8 * Math.sqrt(2 * Math.max(cells, 1)) + 10);
    },
  );

  it('nextOpen01 never returns 0 or 1 and has mean 1/2', () => {
    const r = new Xoshiro128(3);
    let sum = 0;
    for (let i = 0; i < 100000; i++) {
      const u = r.nextOpen01();
      if (!(u > 0 && u < 1)) throw new Error(`${u}`);
      sum += u;
    }
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.005);
  });
});
