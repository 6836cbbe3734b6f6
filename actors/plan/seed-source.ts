// Where a batch's seeds come from: node ids (node classification) or edge ids into shared src/dst/time
// arrays (link prediction). Plain data over SharedArrayBuffers, so every sampler thread reads one copy.
import type { BatchRequest } from '../batch/batch-producer.js';

export type SeedSource =
  | { kind: 'node' }
  | {
      kind: 'link';
      src: Int32Array;
      dst: Int32Array;
      times?: Float64Array;
      /** The first time of the validation and test pairs: no training target may be at or after it. */
      heldOutFrom?: number;
    };

/** The request for batch `b` of an epoch whose seed order (node or edge ids) is `order`. */
export function requestFor(
  source: SeedSource,
  order: Int32Array,
  epoch: number,
  batch: number,
  batchSize: number,
  batchSeed: number,
): BatchRequest {
  const start = batch * batchSize;
  const ids = order.subarray(start, Math.min(start + batchSize, order.length));
  if (source.kind === 'node') return { kind: 'node', epoch, batch, batchSeed, seeds: ids };
  const n = ids.length;
  const src = new Int32Array(n);
  const dst = new Int32Array(n);
  const times = source.times ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const e = ids[i];
    src[i] = source.src[e];
    dst[i] = source.dst[e];
    if (times) times[i] = source.times![e];
  }
  const heldOutFrom = source.heldOutFrom;
  return {
    kind: 'link',
    epoch,
    batch,
    batchSeed,
    src,
    dst,
    times,
    ...(heldOutFrom !== undefined ? { heldOutFrom } : {}),
  };
}
