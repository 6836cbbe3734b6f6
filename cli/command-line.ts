// Command-line parsing shared by the `weft` commands: flags with --help and errors located on the
// command line, number and required flags, and the job-spec overrides given with --set.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../runtime/errors.js';
import { didYouMean } from '../runtime/nearest-names.js';

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for these options: typed flag values and the positionals. */
export type Parsed<O extends Options> = ReturnType<
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

/** The names in a space-separated list, as a union: Words<'a b'> is 'a' | 'b'. */
type Words<S extends string> = S extends ''
  ? never
  : S extends `${infer H} ${infer T}`
    ? H | Words<T>
    : S;

/** One option spec `T` per name in a space-separated list. */
type FlagsOf<S extends string, T> = { [K in Words<S>]: T };

function flagsOf<const S extends string, const T>(names: S, spec: T): FlagsOf<S, T> {
  return Object.fromEntries(
    names
      .split(' ')
      .filter(Boolean)
      .map((n) => [n, spec]),
  ) as FlagsOf<S, T>;
}

type ValueFlags<S extends string> = FlagsOf<S, { readonly type: 'string' }>;
type SwitchFlags<S extends string> = FlagsOf<S, { readonly type: 'boolean' }>;

/** Option specs of flags that take a value, named in one space-separated list ('out graph'). */
export function valueFlags<const S extends string>(names: S): ValueFlags<S> {
  return flagsOf(names, { type: 'string' } as const);
}

/** Option specs of on/off flags, named in one space-separated list ('json quiet'). */
export function switchFlags<const S extends string>(names: S): SwitchFlags<S> {
  return flagsOf(names, { type: 'boolean' } as const);
}

/** The flags of every command that runs a job spec: --out RUN_DIR, --set field=value, --json. */
const JOB_FLAGS = {
  ...valueFlags('out'),
  set: { type: 'string', multiple: true },
  ...switchFlags('json'),
} as const;

/** The options of a command: its own value and on/off flags, then the flags `B` of its kind. */
type CommandOptions<V extends string, S extends string, B> = ValueFlags<V> & SwitchFlags<S> & B;

function commandOptions<V extends string, S extends string, B>(
  valueNames: V,
  switchNames: S,
  kindFlags: B,
): CommandOptions<V, S, B> {
  const flags = { ...valueFlags(valueNames), ...switchFlags(switchNames), ...kindFlags };
  return flags as CommandOptions<V, S, B>;
}

/** The options of a job command: its own value and on/off flags, then JOB_FLAGS. */
type JobOptions<V extends string, S extends string> = CommandOptions<V, S, typeof JOB_FLAGS>;

/**
 * Parses a command that runs a job spec (`weft train`, `weft launch`): JOB_FLAGS plus its own flags
 * that take a value and its own on/off flags, each named in a space-separated list.
 */
export function parseJobCommand<const V extends string, const S extends string>(
  argv: string[],
  valueNames: V,
  switchNames: S,
  usage: string,
): Parsed<JobOptions<V, S>> | null {
  return parseCommandLine(argv, commandOptions(valueNames, switchNames, JOB_FLAGS), usage, true);
}

/**
 * node:util parseArgs's error as a commandLineError in plain words: `--bogus: unknown option (did you
 * mean --batch-size?)`, `--epochs: needs a value`, `--json: takes no value`, `unexpected argument x`.
 */
function parseArgsError(err: unknown, names: string[]): ConfigError {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const flag = /'(-[-\w]+)/.exec(msg)?.[1];
  const flags = [...names, 'help'].map((n) => `--${n}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag)
    return commandLineError(`unknown option${didYouMean(flag, flags)}`, flag);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag)
    return commandLineError(
      /argument missing/.test(msg) ? 'needs a value' : 'takes no value (it is a switch)',
      flag,
    );
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(msg)?.[1] ?? '';
    return commandLineError(`unexpected argument ${JSON.stringify(arg)}`);
  }
  return commandLineError(msg, flag);
}

/**
 * Parses `argv` against `options` plus --help/-h. Returns null once `usage` is printed for --help;
 * an unknown flag or a missing value throws a commandLineError naming the flag.
 */
export function parseCommandLine<const O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
): Parsed<O> | null {
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
    throw parseArgsError(err, Object.keys(options));
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

/** The flags of every command that reads a run: --graph DIR and --nats URL instead of its own, --json. */
const RUN_DIR_FLAGS = { ...valueFlags('graph nats'), ...switchFlags('json') };

/** The options of a command that reads a run: its own value and on/off flags, then RUN_DIR_FLAGS. */
type RunDirOptions<V extends string, S extends string> = CommandOptions<V, S, typeof RUN_DIR_FLAGS>;

/** A command's flags and its one required positional argument (a run or graph directory). */
export interface OneArgCommand<O extends Options> {
  values: Parsed<O>['values'];
  arg: string;
}

/**
 * Parses `argv` against `options` (plus --help) with exactly one positional argument, `what` (named
 * `name` when it is missing). Returns null once `usage` is printed for --help.
 */
function parseOneArg<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  what: string,
  name: string,
): OneArgCommand<O> | null {
  const parsed = parseCommandLine(argv, options, usage, true);
  if (!parsed) return null;
  return { values: parsed.values, arg: required(onePositional(parsed.positionals, what), name) };
}

/**
 * Parses a command of one positional argument (`weft report RUN_DIR`, `weft graph partition DIR`) and
 * its own flags (named as for parseJobCommand); a missing or second argument is a commandLineError.
 */
export function parseOneArgCommand<const V extends string, const S extends string>(
  argv: string[],
  valueNames: V,
  switchNames: S,
  usage: string,
  arg: { what: string; name: string },
): OneArgCommand<CommandOptions<V, S, object>> | null {
  const options = commandOptions(valueNames, switchNames, {});
  return parseOneArg(argv, options, usage, arg.what, arg.name);
}

/**
 * Parses a command that takes one RUN_DIR (`weft eval`, `weft embed`): RUN_DIR_FLAGS plus its own
 * flags (named as for parseJobCommand). Returns its flags and run directory, or 0 once `usage` is
 * printed for --help; a missing RUN_DIR is a commandLineError.
 */
export function parseRunDirCommand<const V extends string, const S extends string>(
  argv: string[],
  valueNames: V,
  switchNames: S,
  usage: string,
): { values: Parsed<RunDirOptions<V, S>>['values']; runDir: string } | number {
  const options = commandOptions(valueNames, switchNames, RUN_DIR_FLAGS);
  const parsed = parseOneArg(argv, options, usage, 'run directory', 'RUN_DIR');
  return parsed ? { values: parsed.values, runDir: parsed.arg } : 0;
}

/**
 * The job-spec overrides of a command line: the field of each flag in `fields` that was given, then
 * each `--set field=value` of `sets` (later ones win).
 */
export function specOverrides(
  values: object,
  fields: Readonly<Record<string, string>>,
  sets?: readonly string[],
): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(fields)) {
    const v = (values as Record<string, unknown>)[flag];
    if (v !== undefined) overrides[field] = v;
  }
  addSetOverrides(sets, overrides);
  return overrides;
}

/** The single positional argument (a run or graph directory); more than one is an error. */
export function onePositional(positionals: string[], what: string): string | undefined {
  if (positionals.length > 1)
    throw commandLineError(`expected one ${what}, got ${positionals.join(' ')}`);
  return positionals[0];
}

/** An unknown subcommand (`weft graph bild`), with the nearest known ones. */
export function unknownSubcommand(sub: string, known: readonly string[]): ConfigError {
  const hint = didYouMean(sub, known) || ` (known: ${known.join(', ')})`;
  return commandLineError(`unknown subcommand '${sub}'${hint}`);
}
