// The mini-batch the models consume: sampled blocks (CSR, input layer first) plus the input nodes'
// features; a structural type so any sampler's output fits, and a validator that names the bad field.

import { ShapeError } from '../tf/errors.js';

/**
 * One message-passing layer: numDst destination nodes, each with neighbours among numSrc source
 * nodes (local ids). Destinations are the first numDst sources (so h_dst = the first rows of h_src).
 */
export interface BlockLike {
  numDst: number;
  numSrc: number;
  /** numDst + 1 offsets into indices. */
  indptr: Int32Array;
  /** Local source ids < numSrc. */
  indices: Int32Array;
  /** Optional per-edge weights (weighted mean when the model uses them). */
  edgeWeight?: Float32Array;
  /** Optional per-edge relation ids (the relation-aware encoder needs them). */
  edgeType?: Uint8Array | Int32Array;
}

/**
 * What a model step reads: blocks[0] is the input layer (its sources carry `features`),
 * blocks[L-1].numDst = numSeeds, and blocks[l].numSrc = blocks[l-1].numDst.
 */
export interface SubgraphBatch {
  blocks: readonly BlockLike[];
  /** Row-major [blocks[0].numSrc × featureDim] input features (empty when `layer0` is given). */
  features: Float32Array;
  /**
   * The first layer's input already aggregated where the features were read: row-major
   * [blocks[0].numDst × 2·featureDim] rows [x_v | mean x_u]. Block 0 then carries only its shape.
   */
  layer0?: Float32Array;
  /** Number of seeds; when given it must equal the last block's numDst. */
  numSeeds?: number;
  /** Node type index of each of blocks[0].numSrc input rows (per-type input projections need it). */
  nodeType?: Uint8Array;
  /** Global node id of each of blocks[0].numSrc input rows (featureless types that read ID rows). */
  inputIds?: Int32Array;
}

/** Checks a batch against a model with `numLayers` layers and `featureDim` input features: O(edges). */
export function validateBatch(batch: SubgraphBatch, numLayers: number, featureDim: number): void {
  const { blocks, features } = batch;
  if (blocks.length !== numLayers)
    throw new ShapeError('blocks', `${blocks.length} blocks, model has ${numLayers} layers`);
  for (let l = 0; l < blocks.length; l++) {
    const b = blocks[l];
    const f = `blocks[${l}]`;
    // With a pre-aggregated first layer, block 0 travels as its shape only.
    if (l === 0 && batch.layer0 !== undefined) continue;
    if (!(b.numDst >= 0 && b.numSrc >= b.numDst))
      throw new ShapeError(
        `${f}.numDst`,
        `numDst ${b.numDst} must be in [0, numSrc = ${b.numSrc}]`,
      );
    if (l > 0 && b.numSrc !== blocks[l - 1].numDst)
      throw new ShapeError(
        `${f}.numSrc`,
        `${b.numSrc}, expected blocks[${l - 1}].numDst = ${blocks[l - 1].numDst}`,
      );
    if (b.indptr.length !== b.numDst + 1)
      throw new ShapeError(
        `${f}.indptr`,
        `length ${b.indptr.length}, expected numDst+1 = ${b.numDst + 1}`,
      );
    if (b.indptr[0] !== 0)
      throw new ShapeError(`${f}.indptr`, `starts at ${b.indptr[0]}, expected 0`);
    for (let i = 0; i < b.numDst; i++)
      if (b.indptr[i + 1] < b.indptr[i]) throw new ShapeError(`${f}.indptr`, `decreases at ${i}`);
    if (b.indptr[b.numDst] !== b.indices.length)
      throw new ShapeError(
        `${f}.indices`,
        `length ${b.indices.length}, indptr ends at ${b.indptr[b.numDst]}`,
      );
    const n = b.numSrc;
    const idx = b.indices;
    for (let k = 0; k < idx.length; k++)
      if (!(idx[k] >= 0 && idx[k] < n))
        throw new ShapeError(`${f}.indices`, `entry ${k} = ${idx[k]} outside [0, ${n})`);
    if (b.edgeType !== undefined && b.edgeType.length !== idx.length)
      throw new ShapeError(`${f}.edgeType`, `length ${b.edgeType.length}, expected ${idx.length}`);
    if (b.edgeWeight !== undefined && b.edgeWeight.length !== idx.length)
      throw new ShapeError(
        `${f}.edgeWeight`,
        `length ${b.edgeWeight.length}, expected ${idx.length}`,
      );
  }
  const need = blocks.length > 0 ? blocks[0].numSrc * featureDim : 0;
  if (features.length !== need)
    throw new ShapeError(
      'features',
      `length ${features.length}, expected blocks[0].numSrc × ${featureDim} = ${need}`,
    );
  const last = blocks[blocks.length - 1];
  if (batch.numSeeds !== undefined && last !== undefined && batch.numSeeds !== last.numDst)
    throw new ShapeError(
      'numSeeds',
      `${batch.numSeeds}, expected the last block's numDst ${last.numDst}`,
    );
}

/** Number of seed rows in the model output (the last block's destinations). */
export function seedCount(batch: SubgraphBatch): number {
  return batch.blocks[batch.blocks.length - 1].numDst;
}
