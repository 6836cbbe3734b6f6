// ID-row dropout (model.idEmbedding.rowDropout): for one training step some seeds read the unseen
// row (zeros) instead of their ID row, and their row gets no gradient, so the model keeps scoring
// well from the GNN alone: what it must do for nodes that had no training edges.
import { Mulberry32 } from '../../runtime/prng.js';

/** The rows a step reads, and which seeds read the unseen row. */
export interface DroppedRows {
  rows: Float32Array;
  dropped: Uint8Array;
}

/**
 * Replaces each seed's row (`dim` values; the first `count` rows, default all) by zeros with chance
 * `p`, drawn from `seed` alone (deterministic per step). `rows` is not changed; with `p` 0 it is
 * returned as it is.
 */
export function dropIdRows(
  rows: Float32Array,
  dim: number,
  p: number,
  seed: number,
  count = dim > 0 ? rows.length / dim : 0,
): DroppedRows {
  const n = count;
  const dropped = new Uint8Array(n);
  if (p <= 0) return { rows, dropped };
  const out = Float32Array.from(rows);
  const rng = new Mulberry32(seed);
  for (let i = 0; i < n; i++) {
    if (rng.next() >= p) continue;
    dropped[i] = 1;
    out.fill(0, i * dim, i * dim + dim);
  }
  return { rows: out, dropped };
}

/** Zeros the gradient rows of the dropped seeds in place: their ID rows were not used. */
export function dropIdGradients(grads: Float32Array, dim: number, dropped: Uint8Array): void {
  for (let i = 0; i < dropped.length; i++) if (dropped[i]) grads.fill(0, i * dim, i * dim + dim);
}
