// The fused first-layer input of a partitioned batch, read where the rows lie: owned rows in the part's
// float32 features, the others in the owners' replies, so no row is copied into a staging buffer first.
import type { FirstLayerBlock } from '../../kernels/gather/first-layer-input.js';
import { copyDestinationRows, csrWeightedMean } from '../../kernels/ops/csr-weighted-mean.js';

/**
 * Writes numDst rows of 2·d floats into out: node i's own row, then the (weighted) mean of its
 * sampled neighbours' rows, by the same csrWeightedMean as firstLayerInput, so the record is
 * byte-identical to the whole graph's.
 * Local node l's row is rows[src[l]] from offset off[l].
 */
export function fusedMeanFromSources(
  rows: readonly Float32Array[],
  src: Int32Array,
  off: Float64Array,
  d: number,
  block: FirstLayerBlock,
  out: Float32Array,
): void {
  const { numDst, indptr, indices } = block;
  const weights = block.edgeWeight ?? null;
  if (out.length < numDst * 2 * d)
    throw new RangeError(`first-layer buffer holds ${out.length} floats, need ${numDst * 2 * d}`);
  copyDestinationRows(rows, src, off, d, numDst, out, 2 * d);
  csrWeightedMean(rows, src, off, d, indptr, indices, weights, numDst, true, out, 2 * d, d);
}
