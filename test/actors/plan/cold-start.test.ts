// The cold-start slice: which sources count as cold (fewer than 3 edges before the split), and link
// metrics restricted to them next to the overall ones.
import { describe, expect, it } from 'vitest';
import { COLD_START_EDGES, isColdSource } from '../../../actors/plan/cold-start.js';
import { linkHistory } from '../../../actors/plan/link-history.js';
import { LinkEvaluation } from '../../../actors/trainer/link-evaluation.js';

describe('isColdSource', () => {
  it('flags sources with fewer than 3 earlier edges', () => {
    expect(COLD_START_EDGES).toBe(3);
    expect([0, 1, 2, 3, 10].map(isColdSource)).toEqual([1, 1, 1, 0, 0]);
  });

  it("counts a source's edges before the split only, not the held-out ones", () => {
    // Node 0: 3 earlier edges; node 1: 2 earlier + 2 in test; node 2: none.
    const src = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 2]);
    const dst = Int32Array.from([5, 6, 7, 5, 6, 7, 8, 5]);
    const sets = { val: new Int32Array(0), test: Int32Array.from([5, 6, 7]) };
    const h = linkHistory({ kind: 'link', src, dst }, sets, 'test')!;
    expect(Array.from(h.activity.subarray(0, 3), isColdSource)).toEqual([0, 1, 1]);
  });
});

describe('LinkEvaluation cold slice', () => {
  it('scores only the positives whose source is cold, with their own negatives', () => {
    const ev = new LinkEvaluation();
    const zeros = (n: number) => new Int32Array(n);
    // Source 0 ranks its positive first, source 1 last (2 negatives per pair); only 1 is cold.
    ev.add([0.9, 0.1], [0.5, 0.4, 0.5, 0.4], [0, 1], {
      evPop: zeros(6),
      evSeen: zeros(6),
      evKnown: zeros(4),
      evCold: Int32Array.from([0, 1]),
    });
    const m = ev.metrics();
    expect(m.count).toBe(2);
    expect(m.cold_count).toBe(1);
    expect(m.cold_mrr).toBeCloseTo(1 / 3, 6);
    expect(m.cold_auc).toBe(0);
    expect(m.mrr).toBeCloseTo((1 + 1 / 3) / 2, 6);
    expect(new LinkEvaluation().metrics().cold_count).toBe(undefined);
  });
});
