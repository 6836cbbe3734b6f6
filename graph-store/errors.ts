// Errors raised when a stored graph directory is unreadable: a file is missing, truncated, fails its
// checksum, or the manifest is not one this version understands. They name the file and field.
import { FileFieldError, type CauseOptions, type FileField } from '../runtime/errors.js';

/** A graph directory on disk is damaged or of an unknown format: `file` and `field` say where. */
export class GraphFormatError extends FileFieldError {
  constructor(message: string, where: FileField = {}, options?: CauseOptions) {
    super('graph-format', message, where, options);
  }
}

/** What to do about a graph without node features, for the errors that refuse to train on one. */
export const NO_FEATURES_HINT =
  'rebuild it with --features, or with `weft graph build --inputs`, which gives featureless node types a constant input column (docs/graph-format.md; pair it with model.idEmbedding)';
