// The batch record: the one message a sampler hands a trainer, as named typed arrays (a shared-memory
// queue record, a structured clone or a NATS message alike). Every field and header entry named here.
import type { BatchArrays, BatchShape } from '../../runtime/shm-queue-batch.js';

/** What a batch is for: node classification, link prediction (seed edges), or plain encoding. */
export type BatchKind = 'node' | 'link' | 'encode';

/**
 * The arrays of one batch. Blocks are listed from the input layer (0) to the seeds' layer (L-1):
 * block l maps its `numSrc_l` source rows onto `numDst_l` destination rows, and destinations are
 * always the first rows of the sources (so the seeds are rows 0..numSeeds of the last block).
 *
 * Per block l (block 0 only when the first layer is not fused): `ptr<l>` (numDst_l + 1 CSR
 * offsets), `idx<l>` (local source row of each sampled edge) and, when sampling by weight, `w<l>`
 * (each edge's weight). Node batches add `y` (the seeds' labels, -1 unknown); link batches add
 * `src`, `dst` (local rows of each positive pair's ends) and `neg` (local rows of the negatives,
 * numNegatives per pair, pair-major).
 *
 * With per-type input projections (model.inputProjection per-type) a batch adds `nt` (uint8): the
 * node type index of each of the numSrc_0 input rows, in the order of `x`; when featureless types
 * read ID rows (model.featurelessInput id) it adds `nid` (int32), each input row's global id.
 *
 * Link batches of the temporal activity model (model.temporal, activity-sequences.ts) add, per pair
 * p (its source at its time t) and N = sequenceLength: `actX` [P × N × dim] the features of the
 * source's last N activity nodes before t, oldest first; `actGap` [P × N] log(1 + t − t_activity);
 * `actRel` [P × N] each activity edge's relation; `actIds` [P × N] each activity node's global id
 * (-1 padding); `actCount` [P] activities present (the rest is zero padding). Training batches with a long-term loss add, for W windows of at most C targets:
 * `futX` [P × W × C × dim] the features of the source's activity nodes in (t, t + window],
 * `futCount` [P × W] targets present and `futIds` [P × W × C] their global ids (-1 padding).
 * With target recency (model.temporal.targetRecency, target-recency.ts; the temporal or the static
 * link model), `tgtGap` [P · (1 + K)]:
 * log(1 + t − the target's newest edge time before t) of the P destinations, then of the P·K
 * negatives pair-major (-1: no edge before t). With a pair window M (model.temporal.pairWindow,
 * pair-partners.ts): `pairIds` [P × M] the source's M most recent distinct partners before t, oldest
 * first (-1 padding), `pairGap` [P × M] log(1 + t − its newest interaction with each), and
 * `pairCount` [P] partners present.
 */
export interface BatchFields extends BatchArrays {
  /** The header: HEADER_LENGTH float64 values, read and written only through {@link BatchHeader}. */
  meta: Float64Array;
  /** Block shapes: [numDst_0, numSrc_0, numDst_1, numSrc_1, ...]. */
  dims: Int32Array;
  /** Global ids of the seeds (local ids 0..numSeeds). */
  seeds: Int32Array;
  /** Fused first layer: [numDst_0 × 2·dim] rows of [x_v | mean x_u]; unfused: [numSrc_0 × dim] features. */
  x: Float32Array;
}

/** The header of a batch record: where it belongs in the plan, its shape, and what it cost. */
export interface BatchHeader {
  epoch: number;
  /** Index of the batch in its epoch's plan. */
  batch: number;
  numSeeds: number;
  /** Sampled edges over every block. */
  edges: number;
  /** Milliseconds the sampler spent drawing neighbours, and gathering (and aggregating) features. */
  sampleMs: number;
  gatherMs: number;
  numLayers: number;
  /** Block 0 was aggregated by the sampler: `x` holds [x_v | mean x_u] for its destinations. */
  fused: boolean;
}

/** Float64 values of the header, in this order. */
const HEADER_FIELDS = [
  'epoch',
  'batch',
  'numSeeds',
  'edges',
  'sampleMs',
  'gatherMs',
  'numLayers',
  'fused',
] as const satisfies readonly (keyof BatchHeader)[];

export const HEADER_LENGTH = HEADER_FIELDS.length;

export function writeBatchHeader(meta: Float64Array, h: BatchHeader): void {
  HEADER_FIELDS.forEach((name, i) => {
    const v = h[name];
    meta[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  });
}

export function readBatchHeader(meta: Float64Array): BatchHeader {
  return {
    epoch: meta[0],
    batch: meta[1],
    numSeeds: meta[2],
    edges: meta[3],
    sampleMs: meta[4],
    gatherMs: meta[5],
    numLayers: meta[6],
    fused: meta[7] === 1,
  };
}

/** Sets the timings of a header (a sampler that finishes a batch in stages; tests that compare bytes). */
export function setBatchTimings(meta: Float64Array, sampleMs: number, gatherMs: number): void {
  meta[HEADER_FIELDS.indexOf('sampleMs')] = sampleMs;
  meta[HEADER_FIELDS.indexOf('gatherMs')] = gatherMs;
}

/** Plain-array allocation of a record, for inline sampling and postMessage hand-off. */
export function allocateArrays<T extends BatchFields>(shape: BatchShape): T {
  const out: Record<string, ArrayBufferView> = {};
  for (const [name, f] of Object.entries(shape)) {
    switch (f.dtype) {
      case 'float64':
        out[name] = new Float64Array(f.length);
        break;
      case 'float32':
        out[name] = new Float32Array(f.length);
        break;
      case 'int32':
        out[name] = new Int32Array(f.length);
        break;
      case 'uint8':
        out[name] = new Uint8Array(f.length);
        break;
      default:
        throw new Error(`batch field ${name}: unexpected dtype ${f.dtype}`);
    }
  }
  return out as T;
}
