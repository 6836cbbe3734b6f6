// Ranking metrics for link prediction, each positive ranked among its own negatives: MRR, hits@k and
// recall@k per source, with ties broken pessimistically, optimistically or in expectation over a
// random order ('average'); filtered ranking leaves out negatives that are known positives.

/**
 * 'pessimistic': tied negatives rank above the positive; 'optimistic': below; 'average': the
 * expectation when ties are ordered uniformly at random (OGB's convention averages the two bounds
 * instead; the two agree when there are no ties).
 */
export type TieMode = 'pessimistic' | 'optimistic' | 'average';

/**
 * Best (optimistic) and worst (pessimistic) 1-based rank of pos[i] among neg[i*K .. i*K+K). With
 * `skip`, negative j with skip[j] !== 0 is left out (filtered ranking: it is a known positive).
 */
export function rankBounds(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  skip?: ArrayLike<number>,
): { best: Int32Array; worst: Int32Array } {
  if (skip && skip.length !== neg.length)
    throw new RangeError(`${skip.length} filter flags for ${neg.length} negatives`);
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
      if (skip && skip[j] !== 0) continue;
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
  skip?: ArrayLike<number>,
): number {
  const { best, worst } = rankBounds(pos, neg, skip);
  return mrrOfRanks(best, worst, ties);
}

/**
 * Per positive, a value of its rank under `ties`: `at(best)`, `at(worst)`, or (average) its mean
 * over a rank uniform on best..worst, `mean(best, worst)`.
 */
function underTies(
  best: ArrayLike<number>,
  worst: ArrayLike<number>,
  ties: TieMode,
  at: (rank: number) => number,
  mean: (best: number, worst: number) => number,
): Float64Array {
  const out = new Float64Array(best.length);
  for (let i = 0; i < best.length; i++)
    out[i] =
      ties === 'optimistic'
        ? at(best[i])
        : ties === 'pessimistic'
          ? at(worst[i])
          : mean(best[i], worst[i]);
  return out;
}

/** E[1/r] for r uniform on best..worst. */
function meanReciprocal(best: number, worst: number): number {
  let h = 0;
  for (let r = best; r <= worst; r++) h += 1 / r;
  return h / (worst - best + 1);
}

/** Mean reciprocal rank from each positive's best and worst 1-based rank (see rankBounds). */
export function mrrOfRanks(
  best: ArrayLike<number>,
  worst: ArrayLike<number>,
  ties: TieMode = 'average',
): number {
  return meanOf(underTies(best, worst, ties, (r) => 1 / r, meanReciprocal));
}

/** Per positive, the probability (under `ties`) that it ranks within the top k of its negatives. */
export function hitsPerPositive(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  k: number,
  ties: TieMode = 'average',
  skip?: ArrayLike<number>,
): Float64Array {
  const { best, worst } = rankBounds(pos, neg, skip);
  return hitsOfRanks(best, worst, k, ties);
}

/** Per positive, the probability (under `ties`) that a rank between best and worst is within k. */
export function hitsOfRanks(
  best: ArrayLike<number>,
  worst: ArrayLike<number>,
  k: number,
  ties: TieMode = 'average',
): Float64Array {
  return underTies(
    best,
    worst,
    ties,
    (r) => (r <= k ? 1 : 0),
    (b, w) => Math.min(1, Math.max(0, (k - b + 1) / (w - b + 1))),
  );
}

/** The mean of per-positive values. */
export function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Fraction of positives ranked within the top k among their negatives. */
export function hitsAtK(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  k: number,
  ties: TieMode = 'average',
  skip?: ArrayLike<number>,
): number {
  return meanOf(hitsPerPositive(pos, neg, k, ties, skip));
}

/**
 * Recall@k averaged over sources: for each source (`source[i]` of positive i), the share of its
 * positives ranked within the top k, then the mean over sources, so a source with many positives
 * weighs as much as one with a single positive (hits@k weighs every positive alike).
 */
export function recallAtK(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  source: ArrayLike<number>,
  k: number,
  ties: TieMode = 'average',
  skip?: ArrayLike<number>,
): number {
  if (source.length !== pos.length)
    throw new RangeError(`${source.length} sources for ${pos.length} positives`);
  return recallOfHits(hitsPerPositive(pos, neg, k, ties, skip), source);
}

/** Recall@k from per-positive hits: each source's share of hits, then the mean over sources. */
export function recallOfHits(hit: ArrayLike<number>, source: ArrayLike<number>): number {
  const per = new Map<number, { hit: number; n: number }>();
  for (let i = 0; i < hit.length; i++) {
    const e = per.get(source[i]) ?? { hit: 0, n: 0 };
    e.hit += hit[i];
    e.n++;
    per.set(source[i], e);
  }
  let s = 0;
  for (const e of per.values()) s += e.hit / e.n;
  return s / per.size;
}
