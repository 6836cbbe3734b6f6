// The temporal model's recency terms under exact ranking: every candidate's log gap at the pair's
// own time, read as training reads a target's (batch/target-recency.ts), through the target-recency
// term; and the pair-recency term of each pair's activities, as training reads it.
import type { PairRecencyTerm } from '../../kernels/metrics/candidate-ranking.js';
import { POINTER_SCALE } from '../../kernels/nn/temporal-model.js';
import { RECENCY_FEATURES, recencyFeatures } from '../../kernels/nn/target-recency.js';
import { entryRanks, RANK_FEATURES, rankBucket } from '../../kernels/nn/pair-recency.js';

/** log1p(t − newest edge of `node` before t), or NO_EDGE_BEFORE: `logGapBefore` on the sampler's graph. */
export type TargetGap = (node: number, time: number) => number;

/** out[at + i] = POINTER_SCALE · ⟨features(gaps[i]), w⟩, the term as the model computes it. */
function termsInto(gaps: Float32Array, w: Float32Array, out: Float32Array, at: number): void {
  if (w.length !== RECENCY_FEATURES)
    throw new Error(`recency term: ${w.length} weights for ${RECENCY_FEATURES} features`);
  const f = recencyFeatures(gaps);
  for (let c = 0; c < gaps.length; c++) {
    let s = 0;
    for (let k = 0; k < RECENCY_FEATURES; k++) s += f[c * RECENCY_FEATURES + k] * w[k];
    out[at + c] = POINTER_SCALE * s;
  }
}

/**
 * [rows × numCandidates]: per ranked row at `times[row]`, each candidate's term POINTER_SCALE ·
 * ⟨features(gap), w⟩, the gap rounded to float32 as the batch's `tgtGap` holds it, so a candidate
 * gains exactly what the sampled ranking adds to the same target at the same time.
 */
export function recencyTerms(
  gapOf: TargetGap,
  w: Float32Array,
  candidates: [number, number],
  times: ArrayLike<number>,
): Float32Array {
  const [lo, hi] = candidates;
  const n = hi - lo;
  const out = new Float32Array(times.length * n);
  const gaps = new Float32Array(n);
  for (let r = 0; r < times.length; r++) {
    for (let c = 0; c < n; c++) gaps[c] = gapOf(lo + c, times[r]);
    termsInto(gaps, w, out, r * n);
  }
  return out;
}

/**
 * The pair-recency term of rows of N activities each: `candidate` [rows × N] their candidate
 * indices, `logGap` [rows × N] their log gaps at the row's time, w the term's weights. Each
 * activity's term, and the term of "none" for every candidate not among a row's activities.
 */
export function pairRecencyTerm(
  n: number,
  candidate: Int32Array,
  logGap: Float32Array,
  w: Float32Array,
  rank?: { ids: Int32Array; w: Float32Array },
): PairRecencyTerm {
  const score = new Float32Array(logGap.length);
  termsInto(logGap, w, score, 0);
  const none = new Float32Array(1);
  termsInto(Float32Array.of(-1), w, none, 0);
  if (!rank) return { length: n, candidate, score, none: none[0] };
  // The rank buckets' weights, as the model adds them (float32 sums, like the sampled path's).
  if (rank.w.length !== RANK_FEATURES)
    throw new Error(`pair rank term: ${rank.w.length} weights for ${RANK_FEATURES} buckets`);
  const ranks = entryRanks(rank.ids, n);
  for (let k = 0; k < score.length; k++) score[k] += POINTER_SCALE * rank.w[rankBucket(ranks[k])];
  none[0] += POINTER_SCALE * rank.w[rankBucket(-1)];
  return { length: n, candidate, score, none: none[0] };
}
