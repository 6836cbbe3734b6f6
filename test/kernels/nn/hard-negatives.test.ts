// Hard negatives picked from a scored pool: the top-scored share first, the pool's earliest others
// after them, the positive's own destination (weight 0) only when nothing else is left.

import { describe, expect, it } from 'vitest';
import { pickHard } from '../../../kernels/nn/link-head.js';

describe('pickHard', () => {
  // Two positives, a pool of 4 candidates each (ids), with scores and weights (0: own destination).
  const pool = Int32Array.from([10, 11, 12, 13, 20, 21, 22, 23]);
  const scores = [0.1, 0.9, 0.5, 0.7, 5, 1, 2, 3];
  const weights = [1, 1, 1, 1, 0, 1, 1, 1];

  it('takes the top-scored share, then the earliest others', () => {
    // k 2, ratio 0.5: one hard (the best) and one uniform (the earliest not taken).
    expect(Array.from(pickHard(pool, scores, weights, 2, 2, 0.5))).toEqual([11, 10, 23, 21]);
  });

  it('is all hard at ratio 1 and the pool prefix at ratio 0', () => {
    // Candidate 20 scores highest but is the positive's own destination: never picked as hard.
    expect(Array.from(pickHard(pool, scores, weights, 2, 3, 1))).toEqual([11, 13, 12, 23, 22, 21]);
    expect(Array.from(pickHard(pool, scores, weights, 2, 3, 0))).toEqual([10, 11, 12, 21, 22, 23]);
  });

  it('fills up with weight-0 candidates only when nothing else is left', () => {
    expect(Array.from(pickHard(pool, scores, weights, 2, 4, 0.5))).toEqual([
      11, 13, 10, 12, 23, 22, 21, 20,
    ]);
  });
});
