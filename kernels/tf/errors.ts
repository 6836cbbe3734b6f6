// Errors of the compute layer: a backend that cannot be loaded, a batch or tensor of the wrong shape.
// Each names what was wrong (backend, field) and keeps the underlying cause.

import { WeftError } from '../../runtime/errors.js';

/** The requested tfjs backend could not be loaded; `attempts` says why for each candidate. */
export class BackendError extends WeftError {
  readonly backend: string;
  readonly attempts: readonly { backend: string; reason: string }[];
  constructor(
    backend: string,
    attempts: readonly { backend: string; reason: string }[],
    options?: { cause?: unknown },
  ) {
    const why = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ');
    super('backend', `tfjs backend '${backend}' is not available (${why})`, options);
    this.backend = backend;
    this.attempts = attempts;
  }
}

/** A mini-batch, tensor or parameter does not match what the model or op expects; `field` names it. */
export class ShapeError extends WeftError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('shape', `[${field}] ${message}`);
    this.field = field;
  }
}
