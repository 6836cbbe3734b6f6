// The temporal model's target-recency term under exact ranking: every candidate's log gap at the
// pair's own time, read as training reads a target's (batch/target-recency.ts), through the term.
import { POINTER_SCALE } from '../../kernels/nn/temporal-model.js';
import { RECENCY_FEATURES, recencyFeatures } from '../../kernels/nn/target-recency.js';

/** log1p(t − newest edge of `node` before t), or NO_EDGE_BEFORE: `logGapBefore` on the sampler's graph. */
export type TargetGap = (node: number, time: number) => number;

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
  if (w.length !== RECENCY_FEATURES)
    throw new Error(`target recency: ${w.length} weights for ${RECENCY_FEATURES} features`);
  const [lo, hi] = candidates;
  const n = hi - lo;
  const out = new Float32Array(times.length * n);
  const gaps = new Float32Array(n);
  for (let r = 0; r < times.length; r++) {
    for (let c = 0; c < n; c++) gaps[c] = gapOf(lo + c, times[r]);
    const f = recencyFeatures(gaps);
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let k = 0; k < RECENCY_FEATURES; k++) s += f[c * RECENCY_FEATURES + k] * w[k];
      out[r * n + c] = POINTER_SCALE * s;
    }
  }
  return out;
}
