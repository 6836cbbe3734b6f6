// Copies node feature rows into a caller's float32 buffer, decoding float16 (table lookup) and int8
// (times the row's scale) on the fly. Plain loops, no allocation: the sampler calls these per batch.
import { float16Table } from './float16.js';

/** Row width from which copying a row with TypedArray.set is faster than an element loop. */
export const SET_MIN_DIM = 32;

function badId(id: number, numRows: number): RangeError {
  return new RangeError(`node id ${id} is outside [0, ${numRows})`);
}

/**
 * float32 rows. For rows of 32+ values `out.set(src.subarray(...))` (a memcpy) beats an element loop
 * (64-d rows: about 1.5x, bench/ingest.ts); below that the loop wins because it creates no view per row.
 */
export function gatherFloat32(
  src: Float32Array,
  dim: number,
  ids: ArrayLike<number>,
  count: number,
  out: Float32Array,
  outOffset: number,
): void {
  const numRows = dim === 0 ? 0 : src.length / dim;
  if (outOffset + count * dim > out.length) throw new RangeError('output buffer too small');
  if (dim >= SET_MIN_DIM) {
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < numRows)) throw badId(id, numRows);
      const base = id * dim;
      out.set(src.subarray(base, base + dim), outOffset + i * dim);
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numRows)) throw badId(id, numRows);
    const base = id * dim;
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = src[base + k];
  }
}

/** float16 rows, decoded through a 65536-entry table. */
export function gatherFloat16(
  src: Uint16Array,
  dim: number,
  ids: ArrayLike<number>,
  count: number,
  out: Float32Array,
  outOffset: number,
): void {
  const table = float16Table();
  const numRows = dim === 0 ? 0 : src.length / dim;
  if (outOffset + count * dim > out.length) throw new RangeError('output buffer too small');
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numRows)) throw badId(id, numRows);
    const base = id * dim;
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = table[src[base + k]];
  }
}

/** int8 rows times their per-row scale. */
export function gatherInt8(
  src: Int8Array,
  scales: Float32Array,
  dim: number,
  ids: ArrayLike<number>,
  count: number,
  out: Float32Array,
  outOffset: number,
): void {
  const numRows = scales.length;
  if (outOffset + count * dim > out.length) throw new RangeError('output buffer too small');
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < numRows)) throw badId(id, numRows);
    const base = id * dim;
    const s = scales[id];
    const o = outOffset + i * dim;
    for (let k = 0; k < dim; k++) out[o + k] = src[base + k] * s;
  }
}
