// Reads a run directory (results.json, metrics.jsonl) into columns for the training report,
// tolerating missing optional fields and naming file, line and field of anything malformed.
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../../runtime/errors.js';

/** The step-time phases a step record may carry, in stacking order. */
export const STEP_PHASES = ['sample_s', 'queue_wait_s', 'compute_s', 'sync_s'] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/** Step records as columns (one entry per record, in file order); NaN marks a missing value. */
export interface StepColumns {
  /** Unix seconds. */
  t: number[];
  epoch: number[];
  step: number[];
  /** NaN where the loss was missing; `lossNonFinite` tells a missing loss from a NaN one. */
  loss: number[];
  lossNonFinite: boolean[];
  seedsPerS: number[];
  lr: number[];
  /** Seconds per phase of the step, NaN when absent. */
  time: Record<StepPhase, number[]>;
  /** Index into `actors` of the trainer that wrote the record. */
  actor: number[];
  actors: string[];
}

export interface EvalRecord {
  t: number;
  epoch?: number;
  step?: number;
  val: Record<string, number>;
  test?: Record<string, number>;
}

export interface EventRecord {
  t: number;
  kind: string;
  actor?: string;
  detail?: string;
}

export interface Results {
  task?: string;
  backend?: string;
  config?: Record<string, unknown>;
  val?: Record<string, number>;
  test?: Record<string, number>;
  throughput?: Record<string, number>;
  /** eval.relations: each listed relation's validation and test metrics. */
  relations?: Record<string, { val?: Record<string, number>; test?: Record<string, number> }>;
  epochs?: number;
  duration_s?: number;
  /** Set when the run was resumed: the epochs trained before. */
  resumed_after_epoch?: number;
  best_epoch?: number;
}

export interface RunData {
  runDir: string;
  /** Undefined when results.json is absent (a run still going, or one that crashed). */
  results?: Results;
  steps: StepColumns;
  evals: EvalRecord[];
  events: EventRecord[];
  /** Things the report should mention: a truncated last line, ignored record types. */
  notes: string[];
}

const RESULTS_FILE = 'results.json';
const METRICS_FILE = 'metrics.jsonl';
const DEFAULT_ACTOR = 'trainer';

/** Step columns with no rows (a run without step records). */
export function emptySteps(): StepColumns {
  return {
    t: [],
    epoch: [],
    step: [],
    loss: [],
    lossNonFinite: [],
    seedsPerS: [],
    lr: [],
    time: { sample_s: [], queue_wait_s: [], compute_s: [], sync_s: [] },
    actor: [],
    actors: [],
  };
}

// JSON has no NaN or Infinity; some writers emit them bare anyway. Outside strings they become
// null, which the report shows as a non-finite value.
function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const patched = text.replace(/("(?:[^"\\]|\\.)*")|-?\b(?:NaN|Infinity)\b/g, (m, str) =>
      str ? m : 'null',
    );
    if (patched === text) throw err;
    return JSON.parse(patched);
  }
}

/** A JSON syntax error's 1-based line in `text`, from the position V8 puts in its message. */
function jsonErrorLine(text: string, err: unknown): number | undefined {
  const m = /position (\d+)/.exec(String((err as Error)?.message));
  if (!m) return undefined;
  const pos = Number(m[1]);
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

type Checker = {
  file: string;
  line?: number;
};

function bad(where: Checker, field: string, what: string): never {
  throw new InputError(what, { file: where.file, line: where.line, field });
}

function num(
  where: Checker,
  obj: Record<string, unknown>,
  field: string,
  required: boolean,
): number {
  const v = obj[field];
  if (v === undefined) {
    if (required) bad(where, field, 'missing; expected a number');
    return NaN;
  }
  if (v === null) return NaN;
  if (typeof v !== 'number') bad(where, field, `expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function str(where: Checker, obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(where, field, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** A {name: number} object such as `val`; null values (non-finite when written) become NaN. */
function metricMap(
  where: Checker,
  obj: Record<string, unknown>,
  field: string,
  /** Path of `obj` in the file, named in errors (`relations.user__buys__item.`). */
  at = '',
): Record<string, number> | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    bad(where, at + field, `expected an object of numbers, got ${JSON.stringify(v)}`);
  }
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null) out[k] = NaN;
    else if (typeof x === 'number') out[k] = x;
    else bad(where, `${at}${field}.${k}`, `expected a number, got ${JSON.stringify(x)}`);
  }
  return out;
}

/** results.json's `relations`: per relation key, its val and test metric maps. */
function relationMaps(where: Checker, obj: Record<string, unknown>): Results['relations'] {
  const v = obj.relations;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    bad(where, 'relations', `expected an object of relation blocks, got ${JSON.stringify(v)}`);
  const out: NonNullable<Results['relations']> = {};
  for (const [key, block] of Object.entries(v as Record<string, unknown>)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      bad(where, `relations.${key}`, 'expected an object with val and test');
    const b = block as Record<string, unknown>;
    const val = metricMap(where, b, 'val', `relations.${key}.`);
    const test = metricMap(where, b, 'test', `relations.${key}.`);
    out[key] = { ...(val ? { val } : {}), ...(test ? { test } : {}) };
  }
  return out;
}

/**
 * A step's seeds per second: `seeds_per_s` when the record has it, else its `seeds` over its
 * `wall_s` (what the trainer writes); NaN when neither is there.
 */
function seedsPerSecond(where: Checker, rec: Record<string, unknown>): number {
  if (rec.seeds_per_s !== undefined) return num(where, rec, 'seeds_per_s', false);
  const seeds = num(where, rec, 'seeds', false);
  const wall = num(where, rec, 'wall_s', false);
  return wall > 0 ? seeds / wall : NaN;
}

function addStep(
  steps: StepColumns,
  actorIndex: Map<string, number>,
  rec: Record<string, unknown>,
  where: Checker,
): void {
  steps.t.push(num(where, rec, 't', true));
  steps.epoch.push(num(where, rec, 'epoch', false));
  steps.step.push(num(where, rec, 'step', false));
  const hasLoss = rec.loss !== undefined;
  steps.loss.push(num(where, rec, 'loss', false));
  steps.lossNonFinite.push(hasLoss && !Number.isFinite(steps.loss[steps.loss.length - 1]));
  steps.seedsPerS.push(seedsPerSecond(where, rec));
  steps.lr.push(num(where, rec, 'lr', false));
  const time = rec.time;
  if (time !== undefined && time !== null && (typeof time !== 'object' || Array.isArray(time))) {
    bad(where, 'time', `expected an object of seconds, got ${JSON.stringify(time)}`);
  }
  for (const phase of STEP_PHASES) {
    // The trainer writes the phases at the top level; older writers nested them under `time`.
    const v = time ? (time as Record<string, unknown>)[phase] : rec[phase];
    if (v !== undefined && v !== null && typeof v !== 'number') {
      bad(where, `time.${phase}`, `expected a number of seconds, got ${JSON.stringify(v)}`);
    }
    steps.time[phase].push(typeof v === 'number' ? v : NaN);
  }
  const actor = str(where, rec, 'actor') ?? DEFAULT_ACTOR;
  let index = actorIndex.get(actor);
  if (index === undefined) {
    index = steps.actors.length;
    steps.actors.push(actor);
    actorIndex.set(actor, index);
  }
  steps.actor.push(index);
}

function readResults(file: string): Results {
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = parseLenient(text);
  } catch (err) {
    throw new InputError(
      `not valid JSON: ${(err as Error).message}`,
      { file, line: jsonErrorLine(text, err) },
      { cause: err },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError('expected a JSON object', { file });
  }
  const obj = raw as Record<string, unknown>;
  const where: Checker = { file };
  const out: Results = {};
  out.task = str(where, obj, 'task');
  out.backend = str(where, obj, 'backend');
  if (obj.config !== undefined && obj.config !== null) {
    if (typeof obj.config !== 'object' || Array.isArray(obj.config)) {
      bad(where, 'config', 'expected the resolved job spec as an object');
    }
    out.config = obj.config as Record<string, unknown>;
  }
  out.val = metricMap(where, obj, 'val');
  out.test = metricMap(where, obj, 'test');
  out.throughput = metricMap(where, obj, 'throughput');
  const relations = relationMaps(where, obj);
  if (relations) out.relations = relations;
  const epochs = num(where, obj, 'epochs', false);
  if (!Number.isNaN(epochs)) out.epochs = epochs;
  const duration = num(where, obj, 'duration_s', false);
  if (!Number.isNaN(duration)) out.duration_s = duration;
  for (const field of ['resumed_after_epoch', 'best_epoch'] as const) {
    const v = num(where, obj, field, false);
    if (!Number.isNaN(v)) out[field] = v;
  }
  return out;
}

/**
 * Reads RUN_DIR. Either file may be missing (not both); a malformed line of metrics.jsonl is an
 * InputError naming file and line, except a last line cut short without its newline (a writer
 * that died mid-line), which is skipped and noted.
 */
export async function readRun(runDir: string): Promise<RunData> {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) {
    throw new InputError('not a run directory', { file: runDir });
  }
  const resultsFile = path.join(runDir, RESULTS_FILE);
  const metricsFile = path.join(runDir, METRICS_FILE);
  const haveResults = existsSync(resultsFile);
  const haveMetrics = existsSync(metricsFile);
  if (!haveResults && !haveMetrics) {
    throw new InputError(`holds neither ${RESULTS_FILE} nor ${METRICS_FILE}`, { file: runDir });
  }
  const run: RunData = {
    runDir,
    results: haveResults ? readResults(resultsFile) : undefined,
    steps: emptySteps(),
    evals: [],
    events: [],
    notes: [],
  };
  if (!haveResults)
    run.notes.push(`${RESULTS_FILE} is missing: the run is still going or stopped early.`);
  if (!haveMetrics) {
    run.notes.push(`${METRICS_FILE} is missing: no curves to draw.`);
    return run;
  }

  const size = statSync(metricsFile).size;
  let endsWithNewline = true;
  if (size > 0) {
    const last = Buffer.alloc(1);
    const fd = openSync(metricsFile, 'r');
    try {
      readSync(fd, last, 0, 1, size - 1);
    } finally {
      closeSync(fd);
    }
    endsWithNewline = last[0] === 10;
  }
  const actorIndex = new Map<string, number>();
  const unknownTypes = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(metricsFile), crlfDelay: Infinity });
  let lineNo = 0;
  let pendingError: InputError | undefined;
  for await (const line of lines) {
    lineNo++;
    if (pendingError) throw pendingError; // a bad line followed by more lines is not a cut-off tail
    if (line.trim() === '') continue;
    const where: Checker = { file: metricsFile, line: lineNo };
    let rec: unknown;
    try {
      rec = parseLenient(line);
    } catch (err) {
      pendingError = new InputError(
        `not valid JSON: ${(err as Error).message}`,
        { file: metricsFile, line: lineNo },
        { cause: err },
      );
      continue;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      bad(where, 'type', 'expected one JSON object per line');
    }
    const obj = rec as Record<string, unknown>;
    switch (obj.type) {
      case 'step':
        addStep(run.steps, actorIndex, obj, where);
        break;
      case 'eval': {
        const val = metricMap(where, obj, 'val');
        if (!val) bad(where, 'val', 'missing; an eval record carries the validation metrics');
        const epoch = num(where, obj, 'epoch', false);
        const step = num(where, obj, 'step', false);
        run.evals.push({
          t: num(where, obj, 't', true),
          epoch: Number.isNaN(epoch) ? undefined : epoch,
          step: Number.isNaN(step) ? undefined : step,
          val,
          test: metricMap(where, obj, 'test'),
        });
        break;
      }
      case 'event': {
        const kind = str(where, obj, 'kind');
        if (kind === undefined) bad(where, 'kind', 'missing; an event record names its kind');
        run.events.push({
          t: num(where, obj, 't', true),
          kind,
          actor: str(where, obj, 'actor'),
          detail: str(where, obj, 'detail'),
        });
        break;
      }
      default: {
        if (typeof obj.type !== 'string')
          bad(where, 'type', `expected 'step', 'eval' or 'event', got ${JSON.stringify(obj.type)}`);
        unknownTypes.set(obj.type, (unknownTypes.get(obj.type) ?? 0) + 1);
      }
    }
  }
  if (pendingError) {
    if (endsWithNewline) throw pendingError;
    run.notes.push(
      `The last line of ${METRICS_FILE} (line ${lineNo}) was cut short and is left out.`,
    );
  }
  for (const [type, count] of unknownTypes) {
    run.notes.push(`${count} record${count === 1 ? '' : 's'} of unknown type '${type}' left out.`);
  }
  return run;
}
