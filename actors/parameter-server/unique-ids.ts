// A batch's seed list repeats ids (a link batch lists sources, destinations and negatives): only the
// unique ids travel to the table, and the rows that come back are expanded to the list's order.
import { IdRowIndex } from './id-row-index.js';

/** Unique ids in first-seen order, and for each input position its index among them. */
export function uniqueIds(ids: Int32Array): { unique: Int32Array; inverse: Int32Array } {
  const index = new IdRowIndex(ids.length);
  const inverse = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) inverse[i] = index.getOrAdd(ids[i]);
  return { unique: Int32Array.from(index.ids()), inverse };
}

/** Rows [ids.length × dim] of `ids`, fetching each distinct id once. */
export async function pullUnique(
  ids: Int32Array,
  dim: number,
  fetch: (unique: Int32Array) => Promise<Float32Array>,
): Promise<Float32Array> {
  const { unique, inverse } = uniqueIds(ids);
  const rows = await fetch(unique);
  if (unique.length === ids.length) {
    let identity = true;
    for (let i = 0; i < inverse.length && identity; i++) identity = inverse[i] === i;
    if (identity) return rows;
  }
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    const k = inverse[i] * dim;
    out.set(rows.subarray(k, k + dim), i * dim);
  }
  return out;
}
