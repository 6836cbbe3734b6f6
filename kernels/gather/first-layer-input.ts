// The first GraphSAGE layer's input, built where the features are read: for each block-0 destination
// v the row [x_v | mean_{u in N(v)} x_u], gathered and aggregated in one pass by global id.
import { nativeKernels } from '../native/addon.js';
import type { FeatureStore } from '../../graph-store/types.js';
import { copyDestinationRows, csrWeightedMean } from '../ops/csr-weighted-mean.js';

/** The CSR part of block 0 (local ids) and the local → global map of its sources. */
export interface FirstLayerBlock {
  numDst: number;
  numSrc: number;
  indptr: Int32Array;
  indices: Int32Array;
  edgeWeight?: Float32Array;
}

/** Buffers reused across batches: gathered rows (float16 and int8 stores), edges' global rows. */
export interface FirstLayerScratch {
  buf: Float32Array;
  rowIds?: Int32Array;
}

/** A feature store whose float32 rows can be read in place (SharedGraph with float32 features). */
interface DirectRows {
  readonly dtype: string;
  readonly features?: Float32Array | Uint16Array | Int8Array;
  /** Per-row factors the store's gather applies (row normalisation): rows cannot be read in place. */
  readonly rowScales?: Float32Array;
}

/**
 * Writes numDst rows of 2·dim floats into out: the destination's own features, then the (weighted)
 * mean of its sampled neighbours' features (zeros for a node without neighbours). The input
 * features carry no gradient, so this runs on the sampler's core instead of the trainer's, and the
 * trainer receives numDst rows instead of numSrc. Float32 stores are read in place; float16 and
 * int8 stores are gathered into `scratch` first.
 */
export function firstLayerInput(
  store: FeatureStore & DirectRows,
  nodes: Int32Array,
  block: FirstLayerBlock,
  out: Float32Array,
  weighted = true,
  scratch?: FirstLayerScratch,
): void {
  const d = store.dim;
  const { numDst, numSrc, indptr, indices } = block;
  const weights = weighted && block.edgeWeight ? block.edgeWeight : null;
  if (out.length < numDst * 2 * d)
    throw new RangeError(`first-layer buffer holds ${out.length} floats, need ${numDst * 2 * d}`);
  const s = scratch ?? { buf: new Float32Array(0) };
  if (
    store.dtype !== 'float32' ||
    !(store.features instanceof Float32Array) ||
    store.rowScales !== undefined
  ) {
    const need = numSrc * d;
    if (s.buf.length < need) s.buf = new Float32Array(Math.ceil(need * 1.25));
    store.gather(nodes, numSrc, s.buf, 0);
    const rows = [s.buf];
    copyDestinationRows(rows, null, null, d, numDst, out, 2 * d);
    csrWeightedMean(rows, null, null, d, indptr, indices, weights, numDst, true, out, 2 * d, d);
    return;
  }
  // Rows read in place by global id: the edges' sources are mapped to global rows once, so the
  // aggregation reads them directly instead of through `nodes` once per 8 columns.
  const x = store.features;
  const numEdges = indptr[numDst];
  if (s.rowIds === undefined || s.rowIds.length < numEdges)
    s.rowIds = new Int32Array(Math.ceil(numEdges * 1.25));
  const rowIds = s.rowIds;
  for (let k = 0; k < numEdges; k++) rowIds[k] = nodes[indices[k]];
  const addon = nativeKernels();
  // The self rows are random reads into the whole feature matrix: the addon prefetches ahead.
  if (addon !== null) addon.gatherRows(x, nodes, numDst, d, out, 2 * d, 0);
  else
    for (let i = 0; i < numDst; i++) {
      const o = i * 2 * d;
      const self = nodes[i] * d;
      for (let j = 0; j < d; j++) out[o + j] = x[self + j];
    }
  csrWeightedMean([x], null, null, d, indptr, rowIds, weights, numDst, true, out, 2 * d, d);
}

/**
 * As firstLayerInput, with node l's float32 row read where it lies, rows.rows[rows.src[l]] from
 * rows.off[l] (a feature source's row locations, such as owned rows and the owners' replies), so no
 * row is copied into a staging buffer first; the same csrWeightedMean, so the same bytes.
 */
export function firstLayerInputFromRows(
  rows: {
    readonly rows: readonly Float32Array[];
    readonly src: Int32Array;
    readonly off: Float64Array;
  },
  d: number,
  block: FirstLayerBlock,
  out: Float32Array,
): void {
  const { numDst, indptr, indices } = block;
  const weights = block.edgeWeight ?? null;
  if (out.length < numDst * 2 * d)
    throw new RangeError(`first-layer buffer holds ${out.length} floats, need ${numDst * 2 * d}`);
  copyDestinationRows(rows.rows, rows.src, rows.off, d, numDst, out, 2 * d);
  const { rows: x, src, off } = rows;
  csrWeightedMean(x, src, off, d, indptr, indices, weights, numDst, true, out, 2 * d, d);
}
