// Ranking metrics for link prediction, each positive ranked among its own negatives: MRR and hits@k,
// with ties broken pessimistically, optimistically or in expectation over a random order ('average').

/**
 * 'pessimistic': tied negatives rank above the positive; 'optimistic': below; 'average': the
 * expectation when ties are ordered uniformly at random (OGB's convention averages the two bounds
 * instead; the two agree when there are no ties).
 */
export type TieMode = 'pessimistic' | 'optimistic' | 'average';

/** Best (optimistic) and worst (pessimistic) 1-based rank of pos[i] among neg[i*K .. i*K+K). */
export function rankBounds(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
): { best: Int32Array; worst: Int32Array } {
  const b = pos.length;
  if (b === 0 || neg.length % b !== 0)
    throw new RangeError(`${neg.length} negatives for ${b} positives`);
  const k = neg.length / b;
  const best = new Int32Array(b);
  const worst = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    let gt = 0;
    let eq = 0;
    const p = pos[i];
    for (let j = i * k; j < i * k + k; j++) {
      if (neg[j] > p) gt++;
      else if (neg[j] === p) eq++;
    }
    best[i] = gt + 1;
    worst[i] = gt + eq + 1;
  }
  return { best, worst };
}

/** Mean reciprocal rank of each positive among its K negatives (neg row-major [B × K]). */
export function mrr(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  ties: TieMode = 'average',
): number {
  const { best, worst } = rankBounds(pos, neg);
  let s = 0;
  for (let i = 0; i < best.length; i++) {
    if (ties === 'optimistic') s += 1 / best[i];
    else if (ties === 'pessimistic') s += 1 / worst[i];
    else {
      // E[1/r] for r uniform on best..worst.
      let h = 0;
      for (let r = best[i]; r <= worst[i]; r++) h += 1 / r;
      s += h / (worst[i] - best[i] + 1);
    }
  }
  return s / best.length;
}

/** Fraction of positives ranked within the top k among their negatives. */
export function hitsAtK(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  k: number,
  ties: TieMode = 'average',
): number {
  const { best, worst } = rankBounds(pos, neg);
  let s = 0;
  for (let i = 0; i < best.length; i++) {
    if (ties === 'optimistic') s += best[i] <= k ? 1 : 0;
    else if (ties === 'pessimistic') s += worst[i] <= k ? 1 : 0;
    else s += Math.min(1, Math.max(0, (k - best[i] + 1) / (worst[i] - best[i] + 1)));
  }
  return s / best.length;
}
