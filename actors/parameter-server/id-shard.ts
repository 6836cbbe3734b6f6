// Which parameter-server shard owns an embedding row: a fixed hash of the node id mod the shard
// count, the same in every process and run, so each id has exactly one owner.
import { hash32 } from '../../runtime/prng.js';

/** The shard (0..shards-1) owning row `id`. */
export function ownerOf(id: number, shards: number): number {
  return shards <= 1 ? 0 : hash32(id ^ 0x5bd1e995) % shards;
}

/**
 * Splits ids by owner: for shard p, its ids and each one's position in the input (to scatter the
 * shard's reply rows back into batch order).
 */
export function splitIdsByOwner(
  ids: Int32Array,
  shards: number,
): { ids: Int32Array; positions: Int32Array }[] {
  const counts = new Int32Array(shards);
  const owner = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    owner[i] = ownerOf(ids[i], shards);
    counts[owner[i]]++;
  }
  const out = Array.from(counts, (n) => ({
    ids: new Int32Array(n),
    positions: new Int32Array(n),
  }));
  const fill = new Int32Array(shards);
  for (let i = 0; i < ids.length; i++) {
    const p = owner[i];
    const k = fill[p]++;
    out[p].ids[k] = ids[i];
    out[p].positions[k] = i;
  }
  return out;
}

/** Puts each shard's rows [n_p × dim] back at their positions of the batch: [total × dim]. */
export function gatherByOwner(
  parts: readonly { positions: Int32Array }[],
  rows: readonly Float32Array[],
  total: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(total * dim);
  parts.forEach((part, p) => {
    const r = rows[p];
    for (let k = 0; k < part.positions.length; k++)
      out.set(r.subarray(k * dim, k * dim + dim), part.positions[k] * dim);
  });
  return out;
}
