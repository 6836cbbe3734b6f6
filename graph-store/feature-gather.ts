// Copies node feature rows into a caller's float32 buffer, decoding float16 (table lookup) and int8
// (times the row's scale) on the fly. Plain loops, no allocation: the sampler calls these per batch.
import { float16Table } from './float16.js';

/** Row width from which copying a row with TypedArray.set is faster than an element loop. */
export const SET_MIN_DIM = 32;

/**
 * One gather: rows `ids[0..count)` of `src` (`dim` values a row) into `out` from `outOffset`, as
 * float32. Every id is checked before anything is written, so a bad id leaves `out` as it was.
 */
export type RowGather<S> = (
  src: S,
  dim: number,
  ids: ArrayLike<number>,
  count: number,
  out: Float32Array,
  outOffset: number,
) => void;

/** int8 rows and the per-row scale that turns them back into values. */
export interface Int8Rows {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/** Throws a RangeError when `out` is too short or an id is outside [0, numRows). */
function checkRows(
  numRows: number,
  dim: number,
  ids: ArrayLike<number>,
  count: number,
  out: Float32Array,
  outOffset: number,
): void {
  if (outOffset + count * dim > out.length) throw new RangeError('output buffer too small');
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numRows))
      throw new RangeError(`node id ${id} is outside [0, ${numRows})`);
  }
}

function rowCount(src: ArrayLike<number>, dim: number): number {
  return dim === 0 ? 0 : src.length / dim;
}

/**
 * float32 rows. For rows of 32+ values `out.set(src.subarray(...))` (a memcpy) beats an element loop
 * (64-d rows: about 1.5x, bench/ingest.ts); below that the loop wins because it creates no view per row.
 */
export const gatherFloat32: RowGather<Float32Array> = (src, dim, ids, count, out, outOffset) => {
  checkRows(rowCount(src, dim), dim, ids, count, out, outOffset);
  if (dim >= SET_MIN_DIM) {
    for (let i = 0; i < count; i++) {
      const base = ids[i] * dim;
      out.set(src.subarray(base, base + dim), outOffset + i * dim);
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const base = ids[i] * dim;
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = src[base + k];
  }
};

/** float16 rows, decoded through a 65536-entry table. */
export const gatherFloat16: RowGather<Uint16Array> = (src, dim, ids, count, out, outOffset) => {
  const table = float16Table();
  checkRows(rowCount(src, dim), dim, ids, count, out, outOffset);
  for (let i = 0; i < count; i++) {
    const base = ids[i] * dim;
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = table[src[base + k]];
  }
};

/** int8 rows times their per-row scale. */
export const gatherInt8: RowGather<Int8Rows> = (src, dim, ids, count, out, outOffset) => {
  const { values, scales } = src;
  checkRows(scales.length, dim, ids, count, out, outOffset);
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    const base = id * dim;
    const s = scales[id];
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = values[base + k] * s;
  }
};
