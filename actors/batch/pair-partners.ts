// The pair-recency term's reach over a member's whole history (model.temporal.pairWindow): for a
// link pair at time t, its source's M most recent distinct partners strictly before t, each with
// the log gap of its newest interaction, read where the sampler holds the graph.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { firstAtOrAfter } from '../../kernels/sampling/temporal-window.js';

/** The partner lists of a batch's pairs, as the record holds them ([P × M], oldest first). */
export interface PairPartnerArrays {
  /** [P × M] global id of each partner (-1 padding). */
  pairIds: Int32Array;
  /** [P × M] log1p(t − the newest interaction time with that partner before t). */
  pairGap: Float32Array;
  /** [P] partners present. */
  pairCount: Int32Array;
}

/**
 * Fills the lists of pairs (src[i], times[i]): the source's row is ascending in time, so scanning it
 * back from the first edge at or after t meets each partner's newest interaction first; the scan
 * stops at M partners or the row's start. Partners are written oldest first, newest last, as the
 * activity sequences are, so a reader that takes a target's last entry reads the same either way.
 */
export function writePairPartners(
  g: SharedGraph,
  m: number,
  src: Int32Array,
  times: Float64Array,
  out: PairPartnerArrays,
): void {
  const { timestamps } = g.csr;
  if (!timestamps) throw new Error('the pair-recency term needs edge timestamps');
  if (out.pairIds.length !== src.length * m)
    throw new Error(`pairIds holds ${out.pairIds.length} values for ${src.length} pairs × ${m}`);
  out.pairIds.fill(-1);
  out.pairGap.fill(0);
  const ids = new Int32Array(m);
  const edges = new Int32Array(m);
  const seen = new Set<number>();
  for (let i = 0; i < src.length; i++) {
    const found = partnersBefore(g, src[i], times[i], m, { ids, edges, seen });
    out.pairCount[i] = found;
    for (let k = 0; k < found; k++) {
      out.pairIds[i * m + found - 1 - k] = ids[k];
      out.pairGap[i * m + found - 1 - k] = Math.log1p(Math.max(0, times[i] - timestamps[edges[k]]));
    }
  }
}

/** Where partnersBefore writes, reused across a batch's pairs (ids and edges hold `max`). */
export interface PartnerScratch {
  ids: Int32Array;
  edges: Int32Array;
  seen: Set<number>;
}

/**
 * `node`'s most recent distinct partners strictly before `t`, newest first, at most `max`: their ids
 * into `out.ids` and the edge of each one's newest interaction into `out.edges`. Returns how many.
 */
export function partnersBefore(
  g: SharedGraph,
  node: number,
  t: number,
  max: number,
  out: PartnerScratch,
): number {
  const { indptr, indices, timestamps } = g.csr;
  if (!timestamps) throw new Error('reading partners before a time needs edge timestamps');
  const start = Number(indptr[node]);
  const end = firstAtOrAfter(timestamps, start, Number(indptr[node + 1]), t);
  const { ids, edges, seen } = out;
  seen.clear();
  let found = 0;
  for (let e = end - 1; e >= start && found < max; e--) {
    const v = indices[e];
    if (seen.has(v)) continue;
    seen.add(v);
    ids[found] = v;
    edges[found++] = e;
  }
  return found;
}
