// Typed errors shared by every folder: each names what failed (file, line, field, actor) and keeps its cause.
// The CLI prints `message` for humans and `toJSON()` for machines.

/** The options every Weft error takes: the underlying error as `cause`. */
export type CauseOptions = { cause?: unknown };

/** Where a FileFieldError points: a file, and a field in it. */
export type FileField = { file?: string; field?: string };

export class WeftError extends Error {
  /** Stable machine-readable code, e.g. 'config', 'graph-format'. */
  readonly code: string;
  constructor(code: string, message: string, options?: CauseOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      error: this.name,
      code: this.code,
      message: this.message,
    };
    for (const [k, v] of Object.entries(this)) if (k !== 'code' && v !== undefined) out[k] = v;
    if (this.cause instanceof Error) out.cause = this.cause.message;
    return out;
  }
}

/** An error located by a file and a field in it; the message starts with where. */
export class FileFieldError extends WeftError {
  readonly file?: string;
  readonly field?: string;
  constructor(code: string, message: string, where: FileField = {}, options?: CauseOptions) {
    super(code, formatWhere(where.file, undefined, where.field, message), options);
    this.file = where.file;
    this.field = where.field;
  }
}

/** A job spec, flag or config file is wrong: `file` and `field` say where. */
export class ConfigError extends FileFieldError {
  constructor(message: string, where: FileField = {}, options?: CauseOptions) {
    super('config', message, where, options);
  }
}

/**
 * An input file (edges, features, labels, …) is malformed: `file`, `line` and `field` say where; in a
 * Parquet file `rowGroup` and `row` (0-based) do, printed `file:rowGroup:row`.
 */
export class InputError extends WeftError {
  readonly file?: string;
  readonly line?: number;
  readonly rowGroup?: number;
  readonly row?: number;
  readonly field?: string;
  constructor(
    message: string,
    where: { file?: string; line?: number; rowGroup?: number; row?: number; field?: string } = {},
    options?: CauseOptions,
  ) {
    const shown =
      where.rowGroup !== undefined
        ? `${where.file}:${where.rowGroup}:${where.row ?? 0}`
        : where.file;
    super('input', formatWhere(shown, where.line, where.field, message), options);
    this.file = where.file;
    this.line = where.line;
    this.rowGroup = where.rowGroup;
    this.row = where.row;
    this.field = where.field;
  }
}

export function formatWhere(file?: string, line?: number, field?: string, message = ''): string {
  let loc = file ?? '';
  if (line !== undefined) loc += `${loc ? ':' : 'line '}${line}`;
  if (field !== undefined) loc += `${loc ? ' ' : ''}[${field}]`;
  return loc ? `${loc}: ${message}` : message;
}
