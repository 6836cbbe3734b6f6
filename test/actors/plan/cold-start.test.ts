// The cold-start slice: which sources count as cold (fewer than 3 training edges; held-out edges do
// not count), and link metrics restricted to them next to the overall ones.
import { describe, expect, it } from 'vitest';
import { coldSources } from '../../../actors/plan/cold-start.js';
import { LinkEvaluation } from '../../../actors/trainer/link-evaluation.js';

describe('coldSources', () => {
  it('flags sources with fewer than 3 training edges, not counting validation and test', () => {
    // Node 0: 3 training edges; node 1: 2 training + 2 test; node 2: none.
    const src = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 2]);
    const dst = Int32Array.from([5, 6, 7, 5, 6, 7, 8, 5]);
    const cold = coldSources(
      { kind: 'link', src, dst },
      { val: Int32Array.from([]), test: Int32Array.from([5, 6, 7]) },
    );
    expect(Array.from(cold!.subarray(0, 3))).toEqual([0, 1, 1]);
    expect(coldSources({ kind: 'node' }, { val: new Int32Array(0), test: new Int32Array(0) })).toBe(
      undefined,
    );
  });
});

describe('LinkEvaluation cold slice', () => {
  it('scores only the positives whose source is cold, with their own negatives', () => {
    const cold = Uint8Array.from([0, 1]);
    const ev = new LinkEvaluation(cold);
    const zeros = (n: number) => new Int32Array(n);
    // Source 0 ranks its positive first, source 1 last (1 negative each... 2 negatives per pair).
    ev.add([0.9, 0.1], [0.5, 0.4, 0.5, 0.4], [0, 1], {
      evPop: zeros(6),
      evSeen: zeros(6),
      evKnown: zeros(4),
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
