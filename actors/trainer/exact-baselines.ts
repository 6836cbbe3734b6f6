// The history baselines ranked exactly among every candidate, on the pairs the model is ranked on:
// destination popularity (one table for all sources) and "seen before" (per source, mostly zeros),
// both counted before the split (exact-seen-stream.ts counts up to each pair's time).
import type { PairCounts } from '../../kernels/metrics/candidate-ranking.js';
import { countKey, type LinkHistory } from '../plan/link-history.js';

/** The evaluated pairs by source, in candidate indices (global id − `lo`), as the model ranks them. */
export interface RankedPairs {
  /** First candidate's global id; candidates are lo .. lo + numCandidates. */
  lo: number;
  numCandidates: number;
  /** Global id of each source. */
  sources: Int32Array;
  pairPtr: Int32Array;
  positive: Int32Array;
  knownPtr: Int32Array;
  knownIdx: Int32Array;
}

export function emptyCounts(n: number): PairCounts {
  return { above: new Int32Array(n), level: new Int32Array(n), negatives: new Int32Array(n) };
}

/** Number of sorted values above x, and equal to it. */
function aboveLevel(sorted: Int32Array, x: number): [number, number] {
  const bound = (strict: boolean) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? sorted[mid] <= x : sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const le = bound(true);
  return [sorted.length - le, le - bound(false)];
}

/**
 * Counts for a baseline scoring candidate c of source s with `score(s, c)`, where `rowAboveLevel`
 * answers the counts over all candidates at once (before the known ones are taken out).
 */
function countWith(
  pairs: RankedPairs,
  score: (s: number, c: number) => number,
  rowAboveLevel: (s: number, x: number) => [number, number],
): PairCounts {
  const out = emptyCounts(pairs.positive.length);
  for (let si = 0; si + 1 < pairs.pairPtr.length; si++) {
    const s = pairs.sources[si];
    const k0 = pairs.knownPtr[si];
    const k1 = pairs.knownPtr[si + 1];
    for (let p = pairs.pairPtr[si]; p < pairs.pairPtr[si + 1]; p++) {
      const x = score(s, pairs.positive[p]);
      let [above, level] = rowAboveLevel(s, x);
      for (let k = k0; k < k1; k++) {
        const v = score(s, pairs.knownIdx[k]);
        if (v > x) above--;
        else if (v === x) level--;
      }
      out.above[p] = above;
      out.level[p] = level;
      out.negatives[p] = pairs.numCandidates - (k1 - k0);
    }
  }
  return out;
}

/** Popularity: a candidate's count as a destination before the split, the same for every source. */
export function popularityCounts(pairs: RankedPairs, h: LinkHistory): PairCounts {
  const { lo, numCandidates } = pairs;
  const pop = (c: number) => (lo + c < h.numNodes ? h.popularity[lo + c] : 0);
  const sorted = Int32Array.from({ length: numCandidates }, (_, c) => pop(c)).sort();
  return countWith(
    pairs,
    (_s, c) => pop(c),
    (_s, x) => aboveLevel(sorted, x),
  );
}

/** Seen before: earlier interactions of the same pair; a source's non-zero ones are few. */
export function seenBeforeCounts(pairs: RankedPairs, h: LinkHistory): PairCounts {
  const { lo, numCandidates } = pairs;
  const n = h.numNodes;
  const seen = (s: number, c: number) =>
    s < n && lo + c < n ? countKey(h.before, s * n + lo + c) : 0;
  let rowOf = -1;
  let row = new Int32Array(0);
  const nonZero = (s: number) => {
    if (rowOf === s) return row;
    const counts = new Map<number, number>();
    for (const key of keysOfSource(h, s)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const values: number[] = [];
    for (const [b, v] of counts) if (b >= lo && b < lo + numCandidates) values.push(v);
    rowOf = s;
    row = Int32Array.from(values).sort();
    return row;
  };
  return countWith(pairs, seen, (s, x) => {
    const values = nonZero(s);
    const [above, level] = aboveLevel(values, x);
    // Every other candidate scores 0.
    return x === 0 ? [above, numCandidates - values.length] : [above, level];
  });
}

/** Destinations of the source's earlier interactions, one per interaction. */
function* keysOfSource(h: LinkHistory, s: number): Generator<number> {
  const n = h.numNodes;
  if (s >= n) return;
  let lo = 0;
  let hi = h.before.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (h.before[mid] < s * n) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < h.before.length && h.before[i] < (s + 1) * n; i++) yield h.before[i] - s * n;
}
