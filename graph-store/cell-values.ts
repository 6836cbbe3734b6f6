// Turns table cells (CSV text or Parquet values) into numbers, labels, split values and timestamps,
// each refusal an InputError at the cell's row and column.
import { parseLabel } from './node-values-reader.js';
import { rowError, type Cell, type RowPlace } from './table-reader.js';
import { SPLIT_NONE, SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from './types.js';

/** Where a cell is, for errors. */
export interface CellAt {
  file: string;
  column: string;
  place: RowPlace;
}

/** Whether a cell is missing: null, absent, or empty text. */
export function isMissing(v: Cell): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/** A finite number, or undefined when the cell is missing; text that is not a number is refused. */
export function numberCell(v: Cell, at: CellAt): number | undefined {
  if (isMissing(v)) return undefined;
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') x = Number(v);
  else if (typeof v === 'boolean') x = v ? 1 : 0;
  else if (typeof v === 'string') x = Number(v.trim());
  else if (v instanceof Date) x = v.getTime() / 1000;
  else throw rowError(at.file, at.place, at.column, 'expected a number, found a list');
  if (!Number.isFinite(x))
    throw rowError(at.file, at.place, at.column, `'${String(v)}' is not a finite number`);
  return x;
}

/** A class id (-1 unlabelled, also for a missing cell). */
export function labelCell(v: Cell, at: CellAt): number {
  if (isMissing(v)) return -1;
  const label = parseLabel(String(v).trim());
  if (label === undefined)
    throw rowError(
      at.file,
      at.place,
      at.column,
      `label '${String(v)}' is not a class id (an integer 0..65535, or -1 for unlabelled)`,
    );
  return label;
}

const SPLITS: Record<string, number> = {
  train: SPLIT_TRAIN,
  val: SPLIT_VAL,
  valid: SPLIT_VAL,
  validation: SPLIT_VAL,
  test: SPLIT_TEST,
};

/** A SPLIT_* value: train, val (valid, validation), test; a missing cell is SPLIT_NONE. */
export function splitCell(v: Cell, at: CellAt): number {
  if (isMissing(v)) return SPLIT_NONE;
  const s = SPLITS[String(v).trim().toLowerCase()];
  if (s === undefined)
    throw rowError(
      at.file,
      at.place,
      at.column,
      `split value '${String(v)}' is not train, val or test`,
    );
  return s;
}

/** The numbers of a list cell (a Parquet list, or text of numbers separated by spaces, `;` or `,`). */
export function listCell(v: Cell, at: CellAt): number[] | undefined {
  if (isMissing(v)) return undefined;
  const items: unknown[] = Array.isArray(v)
    ? v
    : typeof v === 'string'
      ? v
          .trim()
          .replace(/^\[|\]$/g, '')
          .split(/[\s;,]+/)
          .filter((s) => s !== '')
      : [v];
  return items.map((x) => {
    const n = numberCell(x as Cell, at);
    if (n === undefined)
      throw rowError(at.file, at.place, at.column, 'a list holds a missing value');
    return n;
  });
}
