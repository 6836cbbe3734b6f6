// How recently each scored target was active, read where the sampler holds the graph: for a link
// pair at time t, the log gap from each of its targets' (destination's and negatives') newest edge
// strictly before t to t — the target-recency term (model.temporal.targetRecency) of the temporal
// model and of the static link model alike.
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { firstAtOrAfter } from '../../kernels/sampling/temporal-window.js';
import type { BatchShape } from '../../runtime/shm-queue-batch.js';

/** The gap written for a target without any edge before the pair's time. */
export const NO_EDGE_BEFORE = -1;

/**
 * log1p(t − newest edge time of `node` before t), or NO_EDGE_BEFORE. Rows are ascending in time, so
 * the newest edge before t sits just before the first at or after t; the pair's own edge (at t) and
 * anything later never count.
 */
export function logGapBefore(g: SharedGraph, node: number, t: number): number {
  const { indptr, timestamps } = g.csr;
  if (!timestamps) throw new Error('target recency needs edge timestamps');
  const start = Number(indptr[node]);
  const p = firstAtOrAfter(timestamps, start, Number(indptr[node + 1]), t);
  return p === start ? NO_EDGE_BEFORE : Math.log1p(Math.max(0, t - timestamps[p - 1]));
}

/** The record field of a batch of `pairs` pairs with `negatives` negatives in all: `tgtGap`. */
export function targetRecencyShape(pairs: number, negatives: number): BatchShape {
  return { tgtGap: { dtype: 'float32', length: pairs + negatives } };
}

/** Bytes of targetRecencyShape() per pair with `negatives` negatives each (sizing the ring). */
export function targetRecencyBytesPerPair(negatives: number): number {
  return 4 * (1 + negatives);
}

/**
 * `tgtGap` [P · (1 + K)]: the P destinations' gaps, then the P·K negatives' (pair-major), each at
 * its pair's time. `dst` and `neg` are local rows into `seeds` (global ids), as the record holds them.
 */
export function writeTargetRecency(
  g: SharedGraph,
  times: Float64Array,
  seeds: Int32Array,
  dst: Int32Array,
  neg: Int32Array,
  out: Float32Array,
): void {
  const pairs = dst.length;
  const k = pairs > 0 ? neg.length / pairs : 0;
  if (out.length !== pairs * (1 + k))
    throw new Error(`tgtGap holds ${out.length} values for ${pairs} pairs × ${1 + k} targets`);
  for (let i = 0; i < pairs; i++) out[i] = logGapBefore(g, seeds[dst[i]], times[i]);
  for (let j = 0; j < neg.length; j++)
    out[pairs + j] = logGapBefore(g, seeds[neg[j]], times[Math.floor(j / k)]);
}
