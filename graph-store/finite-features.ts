// Feature values must be finite where they are stored: NaN or infinity in the input, or a finite value
// that overflows the storage dtype (float32, float16), is refused naming the row and column.
import { InputError } from '../runtime/errors.js';
import { toFloat16Bits } from './float16.js';
import type { FeatureDtype } from './types.js';

/** How a feature file's rows are checked: the file to name, and whether NaN/infinity may be kept. */
export interface FiniteFeatures {
  /** The input file, for errors. */
  file?: string;
  /** Keep NaN and infinite input values (`--allow-non-finite`); never for int8 storage. */
  allowNonFinite?: boolean;
}

/**
 * Checks `rows` rows of `dim` values (row-major) whose first row is node `firstRow`, for storage as
 * `dtype`. Returns how many non-finite values were kept (allowNonFinite); throws an InputError naming
 * the row and column of the first value refused.
 */
export function checkFeatureRows(
  values: Float32Array | Float64Array,
  rows: number,
  dim: number,
  firstRow: number,
  dtype: FeatureDtype,
  check: FiniteFeatures,
): number {
  const n = rows * dim;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (dtype === 'int8') continue;
      const overflows =
        dtype === 'float32'
          ? !Number.isFinite(Math.fround(v))
          : (toFloat16Bits(v) & 0x7c00) === 0x7c00;
      if (overflows) refuse(check, firstRow, dim, i, `${v} overflows ${dtype} storage`);
      continue;
    }
    if (check.allowNonFinite && dtype !== 'int8') {
      kept++;
      continue;
    }
    const hint =
      dtype === 'int8'
        ? 'int8 storage cannot hold it; clean the input'
        : 'clean the input, or keep it with --allow-non-finite';
    refuse(check, firstRow, dim, i, `${v} is not a finite number (${hint})`);
  }
  return kept;
}

function refuse(check: FiniteFeatures, firstRow: number, dim: number, i: number, what: string) {
  const row = firstRow + Math.floor(i / dim);
  throw new InputError(`feature value ${what}`, {
    file: check.file,
    field: `row ${row}, column ${i % dim}`,
  });
}
