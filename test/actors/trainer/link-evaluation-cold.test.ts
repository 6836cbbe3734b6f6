// The cold slice of a link evaluation: the model's metrics on the positives whose source had no edge
// before the split equal the same metrics computed on those positives alone.

import { describe, expect, it } from 'vitest';
import { LinkEvaluation } from '../../../actors/trainer/link-evaluation.js';
import { hitsAtK, mrr, pairAuc, recallAtK } from '../../../kernels/metrics/index.js';

function extras(p: number, k: number, cold: number[], known: number[]) {
  return {
    evPop: new Int32Array(p * (1 + k)),
    evSeen: new Int32Array(p * (1 + k)),
    evKnown: Int32Array.from(known),
    evCold: Int32Array.from(cold),
  };
}

describe('link evaluation on cold sources', () => {
  it('scores the cold positives alone, with their own negatives and filter flags', () => {
    const k = 3;
    const pos = [0.9, 0.2, 0.5, 0.1];
    const neg = [0.1, 0.3, 0.95, 0.4, 0.6, 0.1, 0.2, 0.7, 0.4, 0.05, 0.3, 0.2];
    const known = [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    const sources = [7, 8, 8, 9];
    const cold = [0, 1, 1, 0];
    const ev = new LinkEvaluation();
    // Two batches, so the slice must follow positives across adds.
    ev.add(pos.slice(0, 2), neg.slice(0, 2 * k), sources.slice(0, 2), {
      ...extras(2, k, cold.slice(0, 2), known.slice(0, 2 * k)),
    });
    ev.add(pos.slice(2), neg.slice(2 * k), sources.slice(2), {
      ...extras(2, k, cold.slice(2), known.slice(2 * k)),
    });
    const m = ev.metrics();
    const cp = [pos[1], pos[2]];
    const cn = neg.slice(k, 3 * k);
    const ck = known.slice(k, 3 * k);
    expect(m.cold_count).toBe(2);
    expect(m.cold_mrr).toBeCloseTo(mrr(cp, cn, 'average', ck), 12);
    expect(m.cold_auc).toBeCloseTo(pairAuc(cp, cn, ck), 12);
    expect(m['cold_hits@10']).toBeCloseTo(hitsAtK(cp, cn, 10, 'average', ck), 12);
    expect(m['cold_recall@10']).toBeCloseTo(recallAtK(cp, cn, [8, 8], 10, 'average', ck), 12);
    // The first cold positive (0.2) is beaten by 0.4 and 0.6 (0.1 ranks below): rank 3.
    // The second (0.5): 0.7 is a known pair (filtered), 0.2 below: rank 1.
    expect(m.cold_mrr).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(m.count).toBe(4);
  });

  it('reports no cold slice when every source has history or none is flagged', () => {
    const ev = new LinkEvaluation();
    ev.add([0.5], [0.1, 0.2], [1], { ...extras(1, 2, [0], [0, 0]) });
    expect(ev.metrics().cold_count).toBeUndefined();
    const old = new LinkEvaluation();
    const { evPop, evSeen, evKnown } = extras(1, 2, [1], [0, 0]);
    old.add([0.5], [0.1, 0.2], [1], { evPop, evSeen, evKnown });
    expect(Object.keys(old.metrics()).some((key) => key.startsWith('cold_'))).toBe(false);
  });
});
