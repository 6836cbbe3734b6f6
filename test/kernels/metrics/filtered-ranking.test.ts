// Filtered ranking, recall@k and pooled AUC against small cases worked out by hand.

import { describe, expect, it } from 'vitest';
import { hitsAtK, mrr, rankBounds, recallAtK } from '../../../kernels/metrics/ranking.js';
import { pairAuc } from '../../../kernels/metrics/roc-auc.js';

describe('filtered ranking', () => {
  // Two positives with three negatives each; negative 1 of positive 0 (score 0.9) is a known positive.
  const pos = [0.5, 0.2];
  const neg = [0.1, 0.9, 0.7, 0.3, 0.1, 0.0];
  const skip = [0, 1, 0, 0, 0, 0];

  it('leaves flagged negatives out of the rank', () => {
    // Unfiltered: 0.5 is beaten by 0.9 and 0.7 (rank 3); filtered only by 0.7 (rank 2).
    expect(Array.from(rankBounds(pos, neg).best)).toEqual([3, 2]);
    expect(Array.from(rankBounds(pos, neg, skip).best)).toEqual([2, 2]);
    expect(mrr(pos, neg)).toBeCloseTo((1 / 3 + 1 / 2) / 2, 12);
    expect(mrr(pos, neg, 'average', skip)).toBeCloseTo((1 / 2 + 1 / 2) / 2, 12);
    expect(hitsAtK(pos, neg, 2)).toBeCloseTo(0.5, 12);
    expect(hitsAtK(pos, neg, 2, 'average', skip)).toBeCloseTo(1, 12);
    expect(() => rankBounds(pos, neg, [0, 1])).toThrow(/filter flags/);
  });

  it('counts ties among the remaining negatives only', () => {
    // Positive 1.0 tied with two negatives, one of them filtered: ranks 1..2, E[1/r] = 3/4.
    expect(mrr([1], [1, 1, 0], 'average', [1, 0, 0])).toBeCloseTo(0.75, 12);
    expect(hitsAtK([1], [1, 1, 0], 1, 'average', [1, 0, 0])).toBeCloseTo(0.5, 12);
  });

  it('recall@k averages per source, hits@k per positive', () => {
    // Source 7 has three positives (ranks 1, 4, 5 of 4 negatives each), source 8 one (rank 1).
    const p = [0.9, 0.5, 0.4, 0.9];
    const n = [
      ...[0.1, 0.1, 0.1, 0.1],
      ...[0.6, 0.7, 0.8, 0.1],
      ...[0.6, 0.7, 0.8, 0.5],
      ...[0.1, 0.2, 0.3, 0.4],
    ];
    expect(hitsAtK(p, n, 2)).toBeCloseTo(2 / 4, 12);
    // Source 7: 1 of 3 in the top 2; source 8: 1 of 1 → (1/3 + 1) / 2.
    expect(recallAtK(p, n, [7, 7, 7, 8], 2)).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(() => recallAtK(p, n, [7], 2)).toThrow(/sources/);
  });

  it('pooled AUC skips flagged negatives', () => {
    // Pairs (pos > neg): 0.5 beats 0.1, 0.3, 0.1, 0.0 (and not 0.7) = 4 of 5; 0.2 beats 0.1, 0.1, 0.0 = 3 of 5.
    expect(pairAuc(pos, neg, skip)).toBeCloseTo(7 / 10, 12);
    // Unfiltered: 0.9 counts against both → 7 of 12.
    expect(pairAuc(pos, neg)).toBeCloseTo(7 / 12, 12);
  });
});
