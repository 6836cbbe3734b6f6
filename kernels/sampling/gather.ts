// The gather stage after sampling: input-layer features (and seed labels) of a SampledSubgraph into
// caller-provided buffers, so a loader reuses one buffer per batch slot and allocates nothing per row.
import type { FeatureStore } from '../../graph-store/types.js';
import { InputError } from '../../runtime/errors.js';
import type { SampledSubgraph } from './types.js';

/**
 * Writes the float32 features of every node of `sub` (local id order, so row l belongs to local id l)
 * into out[outOffset ..], and returns the view of the rows written: nodes.length * store.dim values.
 */
export function gatherSubgraphFeatures(
  store: FeatureStore,
  sub: SampledSubgraph,
  out: Float32Array,
  outOffset = 0,
): Float32Array {
  const count = sub.nodes.length;
  const size = count * store.dim;
  if (!(Number.isInteger(outOffset) && outOffset >= 0) || outOffset + size > out.length) {
    throw new InputError(
      `feature buffer of ${out.length} floats cannot hold ${count} rows of ${store.dim} at offset ${outOffset}`,
      { field: 'out' },
    );
  }
  store.gather(sub.nodes, count, out, outOffset);
  return out.subarray(outOffset, outOffset + size);
}

/**
 * Writes the label of each seed (local ids [0, numSeeds)) into out[0..numSeeds) and returns that view;
 * `labels` is per global node (GraphStore.labels), -1 where unlabelled.
 */
export function gatherSeedLabels(
  labels: Int32Array,
  sub: SampledSubgraph,
  out: Int32Array,
): Int32Array {
  const count = sub.numSeeds;
  if (out.length < count) {
    throw new InputError(`label buffer of ${out.length} cannot hold ${count} seeds`, {
      field: 'out',
    });
  }
  const nodes = sub.nodes;
  for (let i = 0; i < count; i++) out[i] = labels[nodes[i]];
  return out.subarray(0, count);
}
