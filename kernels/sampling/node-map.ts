// Global id -> local id for one batch without clearing between batches: one Int32Array over all nodes
// holding (batch base + local id); anything below the current base is from an earlier batch.

/**
 * The sampler reads `slot` and `base` into locals and inlines the lookup in its hot loop:
 * `local = slot[u] - base` is valid when >= 0; insert with `slot[u] = base + local`.
 */
export class DirectNodeMap {
  readonly slot: Int32Array;
  base = 0;

  constructor(numNodes: number) {
    this.slot = new Int32Array(numNodes).fill(-1);
  }

  /** Starts a batch after one that used `usedLocals` local ids. */
  begin(usedLocals: number): void {
    this.base += usedLocals;
    // Keep base + any batch's local count below 2^31; a refill every ~2^30 locals costs nothing.
    if (this.base > 0x3fffffff) {
      this.slot.fill(-1);
      this.base = 0;
    }
  }
}
