// ID-row dropout: whole rows become the unseen row (zeros) at about the asked rate, the same rows
// for the same seed, the input untouched, and the dropped rows' gradients zeroed.
import { describe, expect, it } from 'vitest';
import { dropIdGradients, dropIdRows } from '../../../actors/trainer/id-row-dropout.js';

describe('ID-row dropout', () => {
  it('zeros whole rows at the asked rate, deterministically per seed', () => {
    const dim = 3;
    const rows = Float32Array.from({ length: 2000 * dim }, (_, i) => 1 + i);
    const a = dropIdRows(rows, dim, 0.3, 7);
    const b = dropIdRows(rows, dim, 0.3, 7);
    expect(Array.from(a.dropped)).toEqual(Array.from(b.dropped));
    const rate = a.dropped.reduce((s, d) => s + d, 0) / a.dropped.length;
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
    for (let i = 0; i < a.dropped.length; i++) {
      const row = Array.from(a.rows.subarray(i * dim, i * dim + dim));
      expect(row).toEqual(
        a.dropped[i] ? [0, 0, 0] : Array.from(rows.subarray(i * dim, i * dim + dim)),
      );
    }
    expect(rows[0]).toBe(1);
    expect(Array.from(dropIdRows(rows, dim, 0.3, 8).dropped)).not.toEqual(Array.from(a.dropped));
  });

  it('returns the rows as they are at rate 0, and zeros dropped gradients', () => {
    const rows = Float32Array.of(1, 2, 3, 4);
    expect(dropIdRows(rows, 2, 0, 1).rows).toBe(rows);
    const grads = Float32Array.of(1, 2, 3, 4);
    dropIdGradients(grads, 2, Uint8Array.of(0, 1));
    expect(Array.from(grads)).toEqual([1, 2, 0, 0]);
  });
});
