// The exact size sums behind budget scores: independent of order and of how the nodes are split into
// parts, equal to the correctly rounded total, and to the plain sum wherever that one is exact.
import { describe, expect, it } from 'vitest';
import { meanOfSizeSums, sizeSum } from '../../../kernels/sampling/fanout-budget.js';
import { InputError } from '../../../runtime/errors.js';
import { TestRng } from './random-graph.js';

/** The exact total of the sizes as an integer count of 2^-52, rounded once: the reference mean. */
function exactMean(sizes: Float64Array): number {
  let total = 0n;
  let count = 0;
  for (const x of sizes) {
    if (x === 0) continue;
    total += BigInt(x * 2 ** 52);
    count++;
  }
  return count > 0 ? Number(total) / 2 ** 52 / count : 1;
}

function shuffled(a: Float64Array, rng: TestRng): Float64Array {
  const b = Float64Array.from(a);
  for (let i = b.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b;
}

describe('sizeSum and meanOfSizeSums', () => {
  it('give the correctly rounded mean for any order and any split into parts (many seeds)', () => {
    let plainDiffers = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new TestRng(seed);
      const n = 200 + rng.int(3000);
      const sizes = new Float64Array(n);
      for (let v = 0; v < n; v++) {
        const r = rng.int(10);
        // Rows without neighbours, whole degrees, and effective neighbours of every magnitude.
        sizes[v] = r === 0 ? 0 : r < 4 ? 1 + rng.int(500) : 1 + rng.next() * 10 ** rng.int(6);
      }
      const want = exactMean(sizes);
      expect(meanOfSizeSums([sizeSum(sizes)])).toBe(want);
      const other = shuffled(sizes, rng);
      expect(meanOfSizeSums([sizeSum(other)])).toBe(want);
      // Parts by a hash-like rule, combined in either order.
      const parts = 2 + rng.int(4);
      const byPart: number[][] = Array.from({ length: parts }, () => []);
      for (let v = 0; v < n; v++) byPart[(v * 7 + 3) % parts].push(sizes[v]);
      const sums = byPart.map((p) => sizeSum(Float64Array.from(p)));
      expect(meanOfSizeSums(sums)).toBe(want);
      expect(meanOfSizeSums([...sums].reverse())).toBe(want);
      // Plain left-to-right sums of the two orders do not always agree: the reason for exact sums.
      let a = 0;
      let b = 0;
      let c = 0;
      for (let v = 0; v < n; v++) {
        a += sizes[v];
        b += other[v];
        if (sizes[v] > 0) c++;
      }
      if (a / c !== b / c) plainDiffers++;
    }
    expect(plainDiffers).toBeGreaterThan(5);
  });

  it('equals the plain sum for whole degrees, carries past 2^24 sizes, and rejects sizes below 1', () => {
    const rng = new TestRng(3);
    const degrees = new Float64Array(5000);
    let total = 0;
    let count = 0;
    for (let v = 0; v < degrees.length; v++) {
      degrees[v] = rng.int(4) === 0 ? 0 : 1 + rng.int(100_000);
      total += degrees[v];
      if (degrees[v] > 0) count++;
    }
    expect(meanOfSizeSums([sizeSum(degrees)])).toBe(total / count);
    const many = new Float64Array((1 << 24) + 5).fill(1 + 2 ** -52);
    many[7] = 3.75;
    expect(meanOfSizeSums([sizeSum(many)])).toBe(exactMean(many));
    expect(meanOfSizeSums([])).toBe(1);
    expect(() => sizeSum(Float64Array.of(2, 0.5))).toThrow(InputError);
  });
});
