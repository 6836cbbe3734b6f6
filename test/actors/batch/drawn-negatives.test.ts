// Negatives drawn before sampling: only from the destination type, never a true destination of the
// pair's source, with frequencies ∝ (in-degree + 1)^0.75 (degree) or uniform (the hard pool) within
// sampling error, the same for a seed.

import { describe, expect, it } from 'vitest';
import { DEGREE_POWER, DrawnNegatives } from '../../../actors/batch/drawn-negatives.js';
import type { Csr } from '../../../graph-store/types.js';

/** Users 0..3 send to items 4..9; item v receives (v − 3)·2 messages from user 0 and 1 alternately. */
function graph(): Csr {
  const rows: number[][] = [[], [], [], [], [], [], [], [], [], []];
  for (let item = 4; item < 10; item++)
    for (let m = 0; m < (item - 3) * 2; m++) rows[m % 2].push(item);
  rows[2].push(4, 5); // user 2 knows items 4 and 5
  const indptr = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
  return {
    numNodes: rows.length,
    numEdges: indptr[rows.length],
    indptr,
    indices: Uint32Array.from(rows.flat()),
  };
}

describe('degree-biased negatives', () => {
  it('draws only destinations, never a true one of the source', () => {
    const neg = new DrawnNegatives(graph(), 4, 10, 3, DEGREE_POWER);
    const src = new Int32Array(500).fill(2);
    const dst = new Int32Array(500).fill(6);
    const out = neg.draw(src, dst, 4, 11);
    for (const c of out) {
      expect(c).toBeGreaterThanOrEqual(4);
      expect(c).toBeLessThan(10);
      expect([4, 5, 6]).not.toContain(c);
    }
  });

  it('follows (in-degree + 1)^0.75 within sampling error', () => {
    const neg = new DrawnNegatives(graph(), 4, 10, 5, DEGREE_POWER);
    // User 3 has no edges; its positive is item 4, so items 5..9 share the draws.
    const n = 40000;
    const out = neg.draw(new Int32Array(n).fill(3), new Int32Array(n).fill(4), 1, 1);
    // In-degree: (v − 3)·2 from users 0 and 1, and one more for item 5 from user 2.
    const inDegree = (v: number) => (v - 3) * 2 + (v === 5 ? 1 : 0);
    const w = [5, 6, 7, 8, 9].map((v) => Math.pow(inDegree(v) + 1, DEGREE_POWER));
    const total = w.reduce((a, b) => a + b, 0);
    const counts = [5, 6, 7, 8, 9].map((v) => out.filter((c) => c === v).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    counts.forEach((c, i) => {
      const p = w[i] / total;
      // Four standard errors of a binomial share.
      expect(Math.abs(c / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    });
    // Not uniform: the busiest item is drawn clearly more often than the quietest.
    expect(counts[4] / counts[0]).toBeGreaterThan(1.5);
  });

  it('draws uniformly with power 0 (the candidate pool of hard negatives)', () => {
    const neg = new DrawnNegatives(graph(), 4, 10, 5, 0);
    const n = 40000;
    const out = neg.draw(new Int32Array(n).fill(3), new Int32Array(n).fill(4), 1, 1);
    for (const v of [5, 6, 7, 8, 9]) {
      const share = out.filter((c) => c === v).length / n;
      expect(Math.abs(share - 0.2)).toBeLessThan(4 * Math.sqrt((0.2 * 0.8) / n));
    }
  });

  it('is determined by the seed and the batch seed', () => {
    const a = new DrawnNegatives(graph(), 4, 10, 9, DEGREE_POWER);
    const b = new DrawnNegatives(graph(), 4, 10, 9, DEGREE_POWER);
    const src = Int32Array.from([0, 1, 2, 3]);
    const dst = Int32Array.from([4, 5, 6, 7]);
    expect(a.draw(src, dst, 5, 42)).toEqual(b.draw(src, dst, 5, 42));
    expect(a.draw(src, dst, 5, 42)).not.toEqual(a.draw(src, dst, 5, 43));
  });
});
