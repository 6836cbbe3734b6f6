// How much memory the temporal model's sequence encoder holds per sequence, and how many sequences an
// evaluation encodes at once so that it stays inside the wasm backend's heap whatever the batch size.

import { ShapeError } from '../tf/errors.js';

/**
 * The wasm backend's heap limit: wasm32 memory tops out at 4 GiB, and tfjs-backend-wasm 4.x is built
 * with that maximum (65,536 pages of 64 KiB). A malloc past it returns 0, which tfjs does not check:
 * the tensor is written over the module's own memory from address 0 (docs/evaluation.md).
 */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * What one evaluation chunk of sequences may hold: a quarter of the heap, leaving the rest to the
 * graph encoder's batch, the parameters and the scores.
 */
export const EVAL_SEQUENCE_BYTES = WASM_HEAP_BYTES / 4;

/** The encoder's shape as the sizing reads it (a subset of TemporalConfig). */
export interface SequenceShape {
  /** N: activities per sequence (the encoder runs N + 1 steps with the start token). */
  sequenceLength: number;
  /** Model width d. */
  dim: number;
  heads: number;
  layers: number;
  /** Width of the activities' input features. */
  inDim: number;
}

/**
 * Bytes the forward pass keeps alive per sequence until its scope ends (nothing is freed inside a
 * tidy): per layer four attention-sized tensors [H × T × T] (logits, scaled, masked, softmax) beside
 * the shared mask, and about 30 of width d × T (norms, projections, head transposes, feed-forward at
 * 2d), plus 12 for the tokens, the final norm and the pointer; T = N + 1. Counted as
 * tf.memory().numBytes counts them (a reshape counts again), so it overstates the heap a little.
 */
export function sequenceBytes(s: SequenceShape): number {
  const t = s.sequenceLength + 1;
  const attention = (1 + 4 * s.layers) * s.heads * t * t;
  const rows = (12 + 30 * s.layers) * t * s.dim + 2 * t * s.inDim + 16 * t;
  return 4 * (attention + rows);
}

/**
 * Sequences one evaluation chunk encodes: as many as fit `budgetBytes` (EVAL_SEQUENCE_BYTES by
 * default). Throws a ShapeError when even one sequence does not fit (the job spec refuses such a
 * configuration before it runs: checkTemporal).
 */
export function sequenceChunk(s: SequenceShape, budgetBytes = EVAL_SEQUENCE_BYTES): number {
  const per = sequenceBytes(s);
  const chunk = Math.floor(budgetBytes / per);
  if (chunk < 1)
    throw new ShapeError(
      'model.temporal.sequenceLength',
      `one sequence of ${s.sequenceLength} activities needs ${mib(per)} MiB, over the ${mib(budgetBytes)} MiB an evaluation chunk may hold`,
    );
  return chunk;
}

/** Bytes in MiB, one decimal. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
