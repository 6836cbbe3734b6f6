// Errors raised when a stored graph directory is unreadable: a file is missing, truncated, fails its
// checksum, or the manifest is not one this version understands. They name the file and field.
import { WeftError, formatWhere } from '../runtime/errors.js';

/** A graph directory on disk is damaged or of an unknown format: `file` and `field` say where. */
export class GraphFormatError extends WeftError {
  readonly file?: string;
  readonly field?: string;
  constructor(
    message: string,
    where: { file?: string; field?: string } = {},
    options?: { cause?: unknown },
  ) {
    super('graph-format', formatWhere(where.file, undefined, where.field, message), options);
    this.file = where.file;
    this.field = where.field;
  }
}
