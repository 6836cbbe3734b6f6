// Metrics against brute-force definitions on random inputs with many ties: accuracy, macro-F1,
// ROC-AUC (all positive/negative pairs), MRR and hits@k (enumerating every tie order).

import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows } from '../../../kernels/metrics/accuracy.js';
import { macroF1 } from '../../../kernels/metrics/macro-f1.js';
import { rocAuc } from '../../../kernels/metrics/roc-auc.js';
import { hitsAtK, mrr, type TieMode } from '../../../kernels/metrics/ranking.js';
import { Mulberry32 } from '../../../runtime/prng.js';

/** Scores drawn from a few values so ties are common. */
function tiedScores(rng: Mulberry32, n: number, levels: number): Float32Array {
  return new Float32Array(n).map(() => rng.int(levels) / levels);
}

describe('classification metrics', () => {
  it('accuracy and argmax', () => {
    expect(Array.from(argmaxRows([0, 2, 1, 5, 5, 0], 3))).toEqual([1, 0]);
    expect(accuracy([1, 0, 2, 2], [1, -1, 2, 0])).toBeCloseTo(2 / 3, 12);
    expect(accuracy([1], [-1])).toBeNaN();
  });

  it('macro-F1 equals the per-class definition averaged over present classes', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Mulberry32(seed);
      const n = 1 + rng.int(60);
      const c = 2 + rng.int(6);
      const labels = new Int32Array(n).map(() => (rng.next() < 0.1 ? -1 : rng.int(c)));
      const pred = new Int32Array(n).map(() => rng.int(c));
      let sum = 0;
      let k = 0;
      for (let cls = 0; cls < c; cls++) {
        let tp = 0, fp = 0, fn = 0; // prettier-ignore
        for (let i = 0; i < n; i++) {
          if (labels[i] < 0) continue;
          if (pred[i] === cls && labels[i] === cls) tp++;
          else if (pred[i] === cls) fp++;
          else if (labels[i] === cls) fn++;
        }
        if (tp + fp + fn === 0) continue;
        const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
        const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
        sum += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
        k++;
      }
      const want = k > 0 ? sum / k : NaN;
      if (Number.isNaN(want)) expect(macroF1(pred, labels, c)).toBeNaN();
      else expect(macroF1(pred, labels, c)).toBeCloseTo(want, 12);
    }
  });
});

describe('ROC-AUC', () => {
  it('equals the pairwise definition with ties counted one half', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Mulberry32(seed);
      const n = 2 + rng.int(80);
      const scores = tiedScores(rng, n, 2 + rng.int(8));
      const labels = new Uint8Array(n).map(() => (rng.next() < 0.4 ? 1 : 0));
      labels[0] = 1;
      labels[1] = 0;
      let s = 0;
      let pairs = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          if (labels[i] && !labels[j]) {
            pairs++;
            s += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
          }
      expect(rocAuc(scores, labels)).toBeCloseTo(s / pairs, 12);
    }
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => rocAuc([NaN, 1], [0, 1])).toThrow(/NaN/);
  });
});

describe('MRR and hits@k', () => {
  /** Expected reciprocal rank and hit indicator over every placement of the positive among its ties. */
  function brute(
    pos: number,
    neg: ArrayLike<number>,
    k: number,
    ties: TieMode,
  ): { rr: number; hit: number } {
    const gt = Array.from(neg).filter((x) => x > pos).length;
    const eq = Array.from(neg).filter((x) => x === pos).length;
    const ranks = Array.from({ length: eq + 1 }, (_, t) => gt + 1 + t);
    const use =
      ties === 'optimistic'
        ? [ranks[0]]
        : ties === 'pessimistic'
          ? [ranks[ranks.length - 1]]
          : ranks;
    return {
      rr: use.reduce((a, r) => a + 1 / r, 0) / use.length,
      hit: use.reduce((a, r) => a + (r <= k ? 1 : 0), 0) / use.length,
    };
  }

  it('match the brute-force expectations for each tie mode', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Mulberry32(seed);
      const b = 1 + rng.int(15);
      const kNeg = 1 + rng.int(20);
      const pos = tiedScores(rng, b, 4);
      const neg = tiedScores(rng, b * kNeg, 4);
      const k = 1 + rng.int(kNeg + 1);
      for (const ties of ['optimistic', 'pessimistic', 'average'] as TieMode[]) {
        let rr = 0;
        let hit = 0;
        for (let i = 0; i < b; i++) {
          const r = brute(pos[i], neg.subarray(i * kNeg, i * kNeg + kNeg), k, ties);
          rr += r.rr / b;
          hit += r.hit / b;
        }
        expect(mrr(pos, neg, ties), `${ties} seed ${seed}`).toBeCloseTo(rr, 12);
        expect(hitsAtK(pos, neg, k, ties), `${ties} seed ${seed}`).toBeCloseTo(hit, 12);
      }
    }
  });

  it('rank a clear winner first', () => {
    expect(mrr([1, 0], [0, 0, 1, 2])).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(hitsAtK([1, 0], [0, 0, 1, 2], 1)).toBe(0.5);
    expect(() => mrr([1, 2], [1, 2, 3])).toThrow(/negatives/);
  });
});
