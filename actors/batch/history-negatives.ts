// History negatives (link.historyNegatives): a share of each training pair's negatives drawn from
// its source's earlier partners — nodes it interacted with before the pair's time, but not now —
// so training contrasts the partner a member turns to at t with the others it turned to before.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { Xoshiro128 } from '../../runtime/prng.js';
import { partnersBefore } from './pair-partners.js';

/** Stream lane of the history draws (apart from the neighbour and negative draws of a batch). */
const HISTORY_LANE = 11;
/** Earlier partners a draw chooses among: the source's most recent ones. */
export const HISTORY_REACH = 1000;

/**
 * Replaces, per pair i, the first round(share · k) of its k negatives in `neg` (pair-major, global
 * ids) with distinct earlier partners of src[i] strictly before times[i] inside the destination
 * range [lo, hi), never dst[i], drawn uniformly among its HISTORY_REACH most recent ones; a pair
 * with fewer such partners keeps its drawn negatives in the remaining slots. Determined by
 * (seed, batchSeed) alone.
 */
export function mixHistoryNegatives(
  g: SharedGraph,
  src: Int32Array,
  dst: Int32Array,
  times: Float64Array,
  neg: Int32Array,
  share: number,
  range: [number, number],
  seed: number,
  batchSeed: number,
): void {
  const pairs = src.length;
  const k = pairs > 0 ? neg.length / pairs : 0;
  const want = Math.round(share * k);
  if (want === 0) return;
  const rng = new Xoshiro128(seed, batchSeed, HISTORY_LANE);
  const scratch = {
    ids: new Int32Array(HISTORY_REACH),
    edges: new Int32Array(HISTORY_REACH),
    seen: new Set<number>(),
  };
  const ids = scratch.ids;
  const [lo, hi] = range;
  for (let i = 0; i < pairs; i++) {
    const found = partnersBefore(g, src[i], times[i], HISTORY_REACH, scratch);
    // Candidates: in the destination range, not the pair's own destination.
    let n = 0;
    for (let j = 0; j < found; j++)
      if (ids[j] >= lo && ids[j] < hi && ids[j] !== dst[i]) ids[n++] = ids[j];
    // A partial Fisher–Yates shuffle picks min(want, n) distinct ones.
    const take = Math.min(want, n);
    for (let j = 0; j < take; j++) {
      const r = j + Math.floor((rng.nextU32() / 4294967296) * (n - j));
      const v = ids[r];
      ids[r] = ids[j];
      ids[j] = v;
      neg[i * k + j] = v;
    }
  }
}
