// How every `weft` command reports a failure: one line `weft <command>: <message>` (plus a usage
// hint for a bad command line), or one JSON object with --json, and an exit code by kind of failure.
import { ConfigError, WeftError, formatWhere } from '../runtime/errors.js';

/** Exit codes of `weft`: documented in README.md ("Exit codes"). */
export const EXIT = {
  /** The job or command failed (bad input, a lost actor, a failed check). */
  failed: 1,
  /** The command line is wrong: an unknown flag or field, a bad or missing value. */
  usage: 2,
  /** The file system refused a write or read: no space, read-only, no permission (sysexits EX_IOERR). */
  io: 74,
  /** Stopped by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** File-system errors reported as such (exit EXIT.io), with their plain-words reason. */
const FS_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

const SYSCALL_VERBS: Record<string, string> = {
  open: 'open',
  write: 'write',
  fsync: 'write',
  close: 'write',
  ftruncate: 'write',
  mkdir: 'create the directory',
  mkdtemp: 'create the directory',
  rename: 'rename',
  copyfile: 'copy',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  read: 'read',
  scandir: 'list',
};

type ErrnoError = Error & { code?: string; syscall?: string; path?: string; dest?: string };

/** The file-system error in `err` or its chain of causes, when there is one worth naming. */
function fsErrorOf(err: unknown): ErrnoError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as ErrnoError).code;
    if (typeof code === 'string' && Object.hasOwn(FS_REASONS, code)) return e as ErrnoError;
  }
  return undefined;
}

let outputPath: string | undefined;

/**
 * Where the running command writes (a run or graph directory): named by a file-system error that
 * carries no path of its own (a failed write(2) names none).
 */
export function noteOutput(path: string): void {
  outputPath = path;
}

/** `cannot write /runs/x/results.json: no space left on device (ENOSPC)`. */
function fsMessage(e: ErrnoError): string {
  const verb = SYSCALL_VERBS[e.syscall ?? ''] ?? e.syscall ?? 'use';
  const target = e.path
    ? ` ${e.path}${e.dest ? ` to ${e.dest}` : ''}`
    : outputPath
      ? ` under ${outputPath}`
      : '';
  return `cannot ${verb}${target}: ${FS_REASONS[e.code!]} (${e.code})`;
}

/** A ConfigError about the command line itself: a flag, an argument or a --set field. */
function isUsageError(err: unknown): err is ConfigError {
  return err instanceof ConfigError && err.file === 'command line';
}

/** `--bogus: unknown option` for a command-line error (the `command line` location dropped). */
function usageMessage(err: ConfigError): string {
  const prefix = formatWhere(err.file, undefined, err.field); // `command line [--x]: `
  const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return err.field ? `${err.field}: ${reason}` : reason;
}

/**
 * Prints `err` for people (one line, no stack unless WEFT_DEBUG=1) or as JSON, naming the command
 * (`weft train`, `weft graph build`); returns the exit code.
 */
export function printError(command: string, err: unknown, json: boolean): number {
  const fsError = fsErrorOf(err);
  const code = isUsageError(err) ? EXIT.usage : fsError ? EXIT.io : EXIT.failed;
  if (json) {
    const body =
      err instanceof WeftError ? err.toJSON() : { error: (err as Error)?.name ?? 'Error' };
    if (!(err instanceof WeftError)) body.message = (err as Error)?.message ?? String(err);
    if (fsError) Object.assign(body, { errno: fsError.code, path: fsError.path });
    console.error(JSON.stringify({ ...body, exit_code: code }));
    return code;
  }
  const who = `weft${command ? ` ${command}` : ''}`;
  if (isUsageError(err)) {
    console.error(`${who}: ${usageMessage(err)}`);
    console.error(`Run 'weft ${command ? `${command} ` : ''}--help' for usage.`);
  } else if (fsError && !(err instanceof WeftError)) {
    console.error(`${who}: ${fsMessage(fsError)}`);
  } else if (err instanceof WeftError) {
    console.error(`${who}: ${err.message}`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`${who}: ${message}`);
  }
  if (process.env.WEFT_DEBUG === '1' && err instanceof Error) console.error(err.stack);
  return code;
}
