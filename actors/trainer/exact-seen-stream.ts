// The streaming "seen before" baseline of exact ranking: each pair (u, v, t) ranks every candidate by
// u's interactions with it strictly before t in the whole log, as a deployed system knows them at t.
import type { PairCounts } from '../../kernels/metrics/candidate-ranking.js';
import { emptyCounts, type RankedPairs } from './exact-baselines.js';

/** The whole interaction log of the predicted relation (every split's edges). */
export interface InteractionLog {
  src: Int32Array;
  dst: Int32Array;
  times: Float64Array;
}

/**
 * A candidate's score: its newest interaction with the source before t, then how many there were;
 * never seen scores below every seen candidate, all level with each other.
 */
interface Seen {
  last: number;
  count: number;
}

/** +1 when a outranks b, −1 when b outranks a, 0 when level. */
function compareSeen(a: Seen | undefined, b: Seen | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  if (a.last !== b.last) return a.last > b.last ? 1 : -1;
  return a.count === b.count ? 0 : a.count > b.count ? 1 : -1;
}

/** Per source among `sources`, its interactions' edge ids in time order. */
function historiesOf(log: InteractionLog, sources: Int32Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const s of sources) out.set(s, []);
  for (let e = 0; e < log.src.length; e++) out.get(log.src[e])?.push(e);
  for (const edges of out.values()) edges.sort((a, b) => log.times[a] - log.times[b] || a - b);
  return out;
}

/** Candidates (indices) the source interacted with strictly before t, with their scores. */
function seenBefore(
  log: InteractionLog,
  edges: readonly number[],
  t: number,
  lo: number,
  numCandidates: number,
): Map<number, Seen> {
  const seen = new Map<number, Seen>();
  for (const e of edges) {
    if (log.times[e] >= t) break;
    const c = log.dst[e] - lo;
    if (c < 0 || c >= numCandidates) continue;
    const s = seen.get(c);
    if (s) {
      s.last = log.times[e];
      s.count++;
    } else seen.set(c, { last: log.times[e], count: 1 });
  }
  return seen;
}

/**
 * Counts of the streaming seen-before for each ranked row at `rowTime[row]` (the pair's own time),
 * known destinations left out as the model's ranking leaves them. Since every candidate the source
 * ever interacted with is known, the positive is either first (seen before t) or level with every
 * remaining candidate (never seen): the ranking counts ties as the other baselines do.
 */
export function seenStreamCounts(
  pairs: RankedPairs,
  log: InteractionLog,
  rowTime: Float64Array,
): PairCounts {
  const { lo, numCandidates } = pairs;
  const out = emptyCounts(pairs.positive.length);
  const histories = historiesOf(log, pairs.sources);
  for (let si = 0; si + 1 < pairs.pairPtr.length; si++) {
    const edges = histories.get(pairs.sources[si])!;
    const known = pairs.knownIdx.subarray(pairs.knownPtr[si], pairs.knownPtr[si + 1]);
    const isKnown = new Set(known);
    for (let p = pairs.pairPtr[si]; p < pairs.pairPtr[si + 1]; p++) {
      const seen = seenBefore(log, edges, rowTime[p], lo, numCandidates);
      const x = seen.get(pairs.positive[p]);
      let above = 0;
      let level = 0;
      let seenUnknown = 0;
      for (const [c, s] of seen) {
        if (isKnown.has(c)) continue;
        seenUnknown++;
        const cmp = compareSeen(s, x);
        if (cmp > 0) above++;
        else if (cmp === 0) level++;
      }
      // The never-seen negatives: below a seen positive, level with a never-seen one.
      const unseen = numCandidates - known.length - seenUnknown;
      if (!x) level += unseen;
      out.above[p] = above;
      out.level[p] = level;
      out.negatives[p] = numCandidates - known.length;
    }
  }
  return out;
}
