// The evidence of link baselines and the filter of known pairs, on a hand-made edge list.

import { describe, expect, it } from 'vitest';
import { countKey, linkEvalExtras, linkHistory } from '../../../actors/plan/link-history.js';
import type { BatchFields } from '../../../actors/batch/batch-record.js';

// Edges in time order: ids 0..3 train, 4..5 validation, 6..7 test. Nodes 0..5.
const source = {
  kind: 'link' as const,
  src: Int32Array.from([0, 0, 1, 2, 0, 3, 0, 1]),
  dst: Int32Array.from([4, 4, 4, 5, 5, 4, 4, 5]),
};
const sets = { val: Int32Array.from([4, 5]), test: Int32Array.from([6, 7]) };

describe('link history', () => {
  it('counts destinations and pairs before the split', () => {
    const val = linkHistory(source, sets, 'val')!;
    expect(val.numNodes).toBe(6);
    expect(Array.from(val.popularity)).toEqual([0, 0, 0, 0, 3, 1]);
    expect(countKey(val.before, 0 * 6 + 4)).toBe(2);
    expect(countKey(val.before, 0 * 6 + 5)).toBe(0);
    // The test history adds the validation edges (0→5, 3→4).
    const test = linkHistory(source, sets, 'test')!;
    expect(Array.from(test.popularity)).toEqual([0, 0, 0, 0, 4, 2]);
    expect(countKey(test.before, 0 * 6 + 5)).toBe(1);
    expect(countKey(test.split, 1 * 6 + 5)).toBe(1);
    expect(linkHistory({ kind: 'node' }, sets, 'val')).toBeUndefined();
  });

  it('scores positives and negatives of a batch and flags true pairs of the split', () => {
    const h = linkHistory(source, sets, 'test')!;
    // Batch of the two test pairs (0→4, 1→5); seeds hold global ids, src/dst/neg local rows.
    // Negatives: for 0→4: 5 (not a test pair of 0) and 4? no: 2; for 1→5: 4 and 5 (its own positive).
    const fields = {
      seeds: Int32Array.from([0, 1, 4, 5, 2]),
      src: Int32Array.from([0, 1]),
      dst: Int32Array.from([2, 3]),
      neg: Int32Array.from([3, 4, 2, 3]),
    } as unknown as BatchFields;
    const x = linkEvalExtras(fields, h);
    // Popularity of 4, 5 | negatives 5, 2, 4, 5.
    expect(Array.from(x.evPop)).toEqual([4, 2, 2, 0, 4, 2]);
    // Seen before: 0→4 twice, 1→5 never | 0→5 once, 0→2 never, 1→4 once, 1→5 never.
    expect(Array.from(x.evSeen)).toEqual([2, 0, 1, 0, 1, 0]);
    // Only 1→5 is a true pair of the test split among the negatives.
    expect(Array.from(x.evKnown)).toEqual([0, 0, 0, 1]);
    // Source 0 had 3 edges before the test period; source 1 one, so it is a cold-start source.
    expect(Array.from(x.evCold!)).toEqual([0, 1]);
  });

  it('flags positives whose source had fewer than 3 edges before the split', () => {
    // Node 3's only edge (3→4) is a validation edge: cold either way. Node 0 has 2 edges before
    // validation (cold there) and 3 before test (not cold).
    const fields = {
      seeds: Int32Array.from([3, 4, 0, 5]),
      src: Int32Array.from([0, 2]),
      dst: Int32Array.from([1, 3]),
      neg: Int32Array.from([3, 1]),
    } as unknown as BatchFields;
    expect(Array.from(linkEvalExtras(fields, linkHistory(source, sets, 'val')!).evCold!)).toEqual([
      1, 1,
    ]);
    expect(Array.from(linkEvalExtras(fields, linkHistory(source, sets, 'test')!).evCold!)).toEqual([
      1, 0,
    ]);
  });
});
