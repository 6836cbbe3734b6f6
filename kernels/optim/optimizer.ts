// The optimizer contract: plain typed-array updates applied by the parameter server, with all state
// in named Float32Arrays plus a step count so it can be checkpointed and restored exactly.

/** Everything an optimizer remembers about one parameter (or one embedding table). */
export interface OptimizerState {
  /** Number of updates applied so far (Adam's bias correction, Adagrad's lr decay). */
  step: number;
  /** Per-element slots by name ('m', 'v', 'momentum', 'sum'), same length as the parameter. */
  slots: Record<string, Float32Array>;
}

/** Updates a whole parameter in place. */
export interface DenseOptimizer {
  readonly kind: string;
  readonly slotNames: readonly string[];
  createState(size: number): OptimizerState;
  /** params -= update(grad); `lr` overrides the configured learning rate for this step. */
  step(params: Float32Array, grad: Float32Array, state: OptimizerState, lr?: number): void;
}

/** Updates only some rows of a [numRows × rowWidth] table (embedding tables): lazy slots. */
export interface SparseOptimizer {
  readonly kind: string;
  readonly slotNames: readonly string[];
  createState(numRows: number, rowWidth: number): OptimizerState;
  /**
   * Applies rowGrads [rows.length × rowWidth] to the listed rows; repeated row ids are summed first.
   * Rows not listed keep their values and slots (that is what makes it lazy).
   */
  stepRows(
    table: Float32Array,
    rowWidth: number,
    rows: Int32Array,
    rowGrads: Float32Array,
    state: OptimizerState,
    lr?: number,
  ): void;
}

export function checkSameLength(what: string, a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length)
    throw new RangeError(`${what}: parameter has ${a.length} values, gradient ${b.length}`);
}

/** Sums gradient rows of repeated ids so each row is updated once: returns unique rows and grads. */
export function coalesceRows(
  rows: Int32Array,
  rowGrads: Float32Array,
  rowWidth: number,
): { rows: Int32Array; grads: Float32Array } {
  if (rowGrads.length !== rows.length * rowWidth)
    throw new RangeError(
      `rowGrads has ${rowGrads.length} values, expected ${rows.length} × ${rowWidth}`,
    );
  const first = new Map<number, number>();
  let duplicates = false;
  for (let i = 0; i < rows.length; i++) {
    if (first.has(rows[i])) duplicates = true;
    else first.set(rows[i], first.size);
  }
  if (!duplicates) return { rows, grads: rowGrads };
  const outRows = new Int32Array(first.size);
  const out = new Float32Array(first.size * rowWidth);
  for (const [r, k] of first) outRows[k] = r;
  for (let i = 0; i < rows.length; i++) {
    const k = first.get(rows[i])!;
    for (let j = 0; j < rowWidth; j++) out[k * rowWidth + j] += rowGrads[i * rowWidth + j];
  }
  return { rows: outRows, grads: out };
}

/**
 * coalesceRows for a [numRows × rowWidth] table, after checking that every row lies in it, so a
 * bad id changes nothing (no row, slot or step count) instead of failing halfway.
 */
export function coalesceTableRows(
  table: Float32Array,
  rowWidth: number,
  rows: Int32Array,
  rowGrads: Float32Array,
): { rows: Int32Array; grads: Float32Array } {
  const numRows = table.length / rowWidth;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (r < 0 || r >= numRows) throw new RangeError(`row ${r} outside the table's ${numRows} rows`);
  }
  return coalesceRows(rows, rowGrads, rowWidth);
}
