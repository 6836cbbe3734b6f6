// Refuses, before the first step, a temporal training batch whose sequences cannot fit the wasm
// backend's heap: evaluation encodes its sequences in chunks, a step under the gradient tape cannot.

import {
  mib,
  sequenceBytes,
  WASM_HEAP_BYTES,
  type SequenceShape,
} from '../../kernels/nn/sequence-memory.js';
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';

/**
 * Bytes a sequence holds under the gradient tape, in multiples of the forward's (sequenceBytes):
 * 2.0 measured at N = 100, d = 128, 4 heads (the tape keeps the forward's tensors while the
 * backward pass adds their gradients).
 */
export const TAPE_FACTOR = 2;

/** What a training batch's sequences may hold: three quarters of the wasm heap. */
export const TRAIN_SEQUENCE_BYTES = (WASM_HEAP_BYTES / 4) * 3;

/** Bytes the sequence encoder holds for one training step of `batch` sequences. */
export function trainingBatchBytes(s: SequenceShape, batch: number): number {
  return batch * TAPE_FACTOR * sequenceBytes(s);
}

/**
 * Throws a ConfigError naming sampling.batchSize (and the largest that fits) when the temporal
 * model's training batch would pass TRAIN_SEQUENCE_BYTES on the wasm backend, whose 4 GiB heap a
 * tfjs malloc cannot pass without corrupting it; other backends have no such limit.
 */
export function checkTrainingFits(
  spec: JobSpec,
  temporal: SequenceShape | undefined,
  backend: string,
): void {
  if (!temporal || backend !== 'wasm') return;
  const batch = spec.sampling.batchSize;
  const need = trainingBatchBytes(temporal, batch);
  if (need <= TRAIN_SEQUENCE_BYTES) return;
  const most = Math.floor(TRAIN_SEQUENCE_BYTES / trainingBatchBytes(temporal, 1));
  throw new ConfigError(
    `is ${batch}: its sequences of ${temporal.sequenceLength} activities (${temporal.heads} heads, model.hidden ${temporal.dim}) hold about ${mib(need)} MiB in a training step, over the ${mib(TRAIN_SEQUENCE_BYTES)} MiB the wasm backend's 4 GiB heap leaves them; use sampling.batchSize ${most} or less, or a shorter model.temporal.sequenceLength`,
    { field: 'sampling.batchSize' },
  );
}
