// The temporal model's inputs, read where the sampler holds the graph: for each link pair, its
// source's last N activities strictly before the pair's time and, for training, the source's
// activities in windows after it (long-term targets, never at or after the held-out period).
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { firstAtOrAfter } from '../../kernels/sampling/temporal-window.js';
import { writePairPartners, type PairPartnerArrays } from './pair-partners.js';
import type { BatchShape } from '../../runtime/shm-queue-batch.js';

/** What the sampler ships for the temporal activity model (model.temporal). */
export interface ActivityConfig {
  /** N: activities per sequence. */
  sequenceLength: number;
  /** Long-term targets (training only): windows after the pair time and the targets kept per window. */
  future?: { windows: readonly number[]; cap: number };
  /** M: the source's most recent distinct partners the pair-recency term reads (pair-partners.ts). */
  pairWindow?: number;
}

/**
 * The record fields of a batch of `pairs` pairs with `negatives` negatives in all (names in
 * batch-record.ts): `actX`, `actGap`, `actRel`, `actIds`, `actCount`, with long-term targets `futX`,
 * `futCount`, `futIds`, and with a pair window M `pairIds`, `pairGap` [P × M] and `pairCount` [P]
 * (pair-partners.ts).
 */
export function activityShape(config: ActivityConfig, pairs: number, dim: number): BatchShape {
  const n = config.sequenceLength;
  const shape: BatchShape = {
    actX: { dtype: 'float32', length: pairs * n * dim },
    actGap: { dtype: 'float32', length: pairs * n },
    actRel: { dtype: 'int32', length: pairs * n },
    actIds: { dtype: 'int32', length: pairs * n },
    actCount: { dtype: 'int32', length: pairs },
  };
  const f = config.future;
  if (f) {
    const slots = pairs * f.windows.length * f.cap;
    shape.futX = { dtype: 'float32', length: slots * dim };
    shape.futCount = { dtype: 'int32', length: pairs * f.windows.length };
    shape.futIds = { dtype: 'int32', length: slots };
  }
  const m = config.pairWindow ?? 0;
  if (m > 0) {
    shape.pairIds = { dtype: 'int32', length: pairs * m };
    shape.pairGap = { dtype: 'float32', length: pairs * m };
    shape.pairCount = { dtype: 'int32', length: pairs };
  }
  return shape;
}

/** Bytes of activityShape() per pair, for sizing the shared-memory ring. */
export function activityBytesPerPair(config: ActivityConfig, dim: number): number {
  const n = config.sequenceLength;
  const f = config.future;
  const slots = f ? f.windows.length * f.cap : 0;
  const m = config.pairWindow ?? 0;
  const partners = m > 0 ? 8 * m + 4 : 0;
  return n * (4 * dim + 12) + 4 + slots * (4 * dim + 4) + (f ? 4 * f.windows.length : 0) + partners;
}

/** The arrays activityShape() named, as the record holds them. */
export interface ActivityArrays extends Partial<PairPartnerArrays> {
  actX: Float32Array;
  actGap: Float32Array;
  actRel: Int32Array;
  /** Global id of each activity's node (-1 padding): the pointer term scores targets against them. */
  actIds: Int32Array;
  actCount: Int32Array;
  futX?: Float32Array;
  futCount?: Int32Array;
  futIds?: Int32Array;
}

/**
 * Fills the sequences of pairs (src[i], times[i]): the newest N edges of src's row with timestamp
 * < t, oldest first, zero-padded after actCount[i]. `heldOutFrom`: long-term targets stay before it.
 */
export function writeActivities(
  g: SharedGraph,
  config: ActivityConfig,
  src: Int32Array,
  times: Float64Array,
  out: ActivityArrays,
  heldOutFrom = Infinity,
): void {
  const { indptr, indices, edgeType, timestamps } = g.csr;
  if (!timestamps) throw new Error('the temporal model needs edge timestamps');
  const n = config.sequenceLength;
  const d = g.dim;
  const ids = new Int32Array(n);
  out.actX.fill(0);
  out.actGap.fill(0);
  out.actRel.fill(0);
  out.actIds.fill(-1);
  for (let i = 0; i < src.length; i++) {
    const start = Number(indptr[src[i]]);
    const end = firstAtOrAfter(timestamps, start, Number(indptr[src[i] + 1]), times[i]);
    const from = Math.max(start, end - n);
    const count = end - from;
    out.actCount[i] = count;
    for (let k = 0; k < count; k++) {
      const e = from + k;
      ids[k] = indices[e];
      out.actIds[i * n + k] = ids[k];
      out.actGap[i * n + k] = Math.log1p(Math.max(0, times[i] - timestamps[e]));
      out.actRel[i * n + k] = edgeType ? edgeType[e] : 0;
    }
    if (d > 0 && count > 0) g.gather(ids, count, out.actX, i * n * d);
  }
  if (config.future) writeFuture(g, config.future, src, times, out, heldOutFrom);
  if (config.pairWindow)
    writePairPartners(g, config.pairWindow, src, times, out as PairPartnerArrays);
}

/** Long-term targets: per window, up to `cap` edges in (t, t + window] and before heldOutFrom, evenly spread. */
function writeFuture(
  g: SharedGraph,
  f: NonNullable<ActivityConfig['future']>,
  src: Int32Array,
  times: Float64Array,
  out: ActivityArrays,
  heldOutFrom: number,
): void {
  const { indptr, indices, timestamps } = g.csr;
  const ts = timestamps!;
  const w = f.windows.length;
  const d = g.dim;
  const ids = new Int32Array(f.cap);
  out.futX!.fill(0);
  out.futIds!.fill(-1);
  for (let i = 0; i < src.length; i++) {
    const rowEnd = Number(indptr[src[i] + 1]);
    // The first edge after t: at or after the next representable time above t.
    const after = firstAtOrAfter(ts, Number(indptr[src[i]]), rowEnd, nextAbove(times[i]));
    // Nothing at or after the held-out period's first time is ever a target.
    const open = firstAtOrAfter(ts, after, rowEnd, heldOutFrom);
    for (let k = 0; k < w; k++) {
      const end = Math.min(
        open,
        firstAtOrAfter(ts, after, open, nextAbove(times[i] + f.windows[k])),
      );
      const avail = end - after;
      const count = Math.min(f.cap, avail);
      const slot = (i * w + k) * f.cap;
      out.futCount![i * w + k] = count;
      for (let c = 0; c < count; c++) {
        ids[c] = indices[after + Math.floor((c * avail) / count)];
        out.futIds![slot + c] = ids[c];
      }
      if (d > 0 && count > 0) g.gather(ids, count, out.futX!, slot * d);
    }
  }
}

/** The smallest double above t (so "at or after it" means "after t"). */
function nextAbove(t: number): number {
  if (!Number.isFinite(t)) return t;
  const b = new Float64Array([t]);
  const u = new BigInt64Array(b.buffer);
  if (t === 0) return Number.MIN_VALUE;
  u[0] += t > 0 ? 1n : -1n;
  return b[0];
}
