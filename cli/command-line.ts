// Command-line parsing shared by the `weft` commands: flags with --help and errors located on the
// command line, number and required flags, and the job-spec overrides given with --set.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../runtime/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for these options: typed flag values and the positionals. */
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** A ConfigError located on the command line, at `field` (a flag or argument) when given. */
export function commandLineError(message: string, field?: string): ConfigError {
  return new ConfigError(
    message,
    field === undefined ? { file: 'command line' } : { file: 'command line', field },
  );
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses `argv` against `options` plus --help/-h. Returns null once `usage` is printed for --help;
 * an unknown flag or a missing value throws a commandLineError naming the flag.
 */
export function parseCommandLine<const O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
) {
  let parsed: Parsed<O>;
  let help: boolean;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, ...HELP },
      allowPositionals,
      strict: true,
    }) as unknown as Parsed<O>;
    help = (parsed.values as { help?: boolean }).help === true;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw commandLineError(msg, /'(-[-\w]+)/.exec(msg)?.[1]);
  }
  if (help) {
    console.log(usage);
    return null;
  }
  return parsed;
}

/** An integer flag >= min (underscores allowed: 1_000_000), or undefined when not given. */
export function intFlag(v: string | undefined, field: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min)
    throw commandLineError(`expected an integer >= ${min}, got '${v}'`, field);
  return n;
}

/** A finite number flag, or undefined when not given. */
export function numFlag(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw commandLineError(`expected a number, got '${v}'`, field);
  return n;
}

export function required<T>(v: T | undefined, field: string): T {
  if (v === undefined) throw commandLineError('is required', field);
  return v;
}

/** Adds each `--set field=value` to `overrides` (later ones win). */
export function addSetOverrides(
  sets: readonly string[] | undefined,
  overrides: Record<string, unknown>,
): void {
  for (const kv of sets ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0)
      throw commandLineError(`--set needs field=value, got ${JSON.stringify(kv)}`, '--set');
    overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
}

/** The run directory of `weft eval` and `weft embed`; null after printing `usage` when it is missing. */
export function runDirArgument(positionals: string[], usage: string): string | null {
  const runDir = onePositional(positionals, 'run directory');
  if (runDir !== undefined) return runDir;
  console.error(usage);
  return null;
}

/** The single positional argument (a run or graph directory); more than one is an error. */
export function onePositional(positionals: string[], what: string): string | undefined {
  if (positionals.length > 1)
    throw commandLineError(`expected one ${what}, got ${positionals.join(' ')}`);
  return positionals[0];
}
