// Failures of the batch hand-off between a sampler and a trainer, as types the job can decide on.
import { WeftError } from '../../runtime/errors.js';

/** The sampler side closed (it failed, or the job is stopping) before the trainer's batch arrived. */
export class BatchSourceClosedError extends WeftError {
  constructor(
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(
      'batch-source-closed',
      `batch ${batch} of epoch ${epoch}: the sampler queue closed first`,
    );
  }
}
