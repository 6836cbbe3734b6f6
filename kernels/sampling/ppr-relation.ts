// PPR neighbours as one more relation of a sampled row: each destination node of the first hops
// also lists its top-k personalized-PageRank nodes (multi-hop neighbours), walked before its time.
import type { Csr } from '../../graph-store/types.js';
import { ConfigError } from '../../runtime/errors.js';
import { growInt32 } from './grow.js';
import { PprPush } from './ppr-push.js';
import type { PprRelationOptions } from './types.js';

/** Edge id of a PPR neighbour in a block's edgeIds: it has no CSR position. */
export const PPR_EDGE_ID = -1;

export const DEFAULT_PPR_ALPHA = 0.25;
export const DEFAULT_PPR_EPSILON = 1e-4;

/** The push settings, checked: alpha and epsilon in (0, 1). */
export function pprPushOf(
  csr: Csr,
  options: { alpha?: number; epsilon?: number } | undefined,
  field: string,
): PprPush {
  const alpha = options?.alpha ?? DEFAULT_PPR_ALPHA;
  const epsilon = options?.epsilon ?? DEFAULT_PPR_EPSILON;
  if (!(alpha > 0 && alpha < 1))
    throw new ConfigError(`alpha ${alpha} must be in (0, 1)`, { field: `${field}.alpha` });
  if (!(epsilon > 0 && epsilon < 1))
    throw new ConfigError(`epsilon ${epsilon} must be in (0, 1)`, { field: `${field}.epsilon` });
  return new PprPush(csr, alpha, epsilon);
}

/**
 * The top-k PPR nodes of a hop's rows, spliced into the rows' drawn neighbours (global ids, before
 * they are mapped to local ids) after each row's own. One instance per sampler.
 */
export class PprRelation {
  readonly topK: number;
  readonly hops: number;
  private readonly push: PprPush;
  private found = new Int32Array(0);
  private counts = new Int32Array(0);
  private scores: Float64Array;

  constructor(csr: Csr, options: PprRelationOptions, numHops: number) {
    const { topK, hops = 1 } = options;
    if (!(Number.isInteger(topK) && topK >= 1))
      throw new ConfigError(`topK ${topK} must be an integer >= 1`, { field: 'pprRelation.topK' });
    if (!(Number.isInteger(hops) && hops >= 1 && hops <= numHops))
      throw new ConfigError(`hops ${hops} must be an integer in [1, ${numHops}] (the fanouts)`, {
        field: 'pprRelation.hops',
      });
    this.topK = topK;
    this.hops = hops;
    this.push = pprPushOf(csr, options, 'pprRelation');
    this.scores = new Float64Array(topK);
  }

  /**
   * Finds each row's top-k (row i = nodes[i], walked before times[i - lo] when times are given) and
   * returns how many extra edges the hop gains.
   */
  find(nodes: Int32Array, lo: number, hi: number, times: Float64Array | null): number {
    const k = this.topK;
    const rows = hi - lo;
    if (this.counts.length < rows) this.counts = growInt32(this.counts, rows, 0);
    if (this.found.length < rows * k) this.found = growInt32(this.found, rows * k, 0);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const out = this.found.subarray(i * k, i * k + k);
      const before = times ? times[i] : Infinity;
      const c = this.push.topK(nodes[lo + i], k, out, this.scores, before);
      this.counts[i] = c;
      total += c;
    }
    return total;
  }

  /**
   * Moves each row's drawn edges right to make room and writes its PPR nodes after them (edge id
   * PPR_EDGE_ID), from the last row back so nothing is overwritten before it moves. The arrays must
   * hold rowPtr[hi] + the count `find` returned; rowPtr[lo + 1..hi] are updated.
   */
  splice(
    rowPtr: Int32Array,
    lo: number,
    hi: number,
    edges: Int32Array,
    edgeIds: Float64Array | null,
    extra: number,
  ): void {
    const k = this.topK;
    let shift = extra;
    for (let i = hi - 1; i >= lo; i--) {
      const c = this.counts[i - lo];
      const start = rowPtr[i];
      const end = rowPtr[i + 1];
      const newEnd = end + shift;
      shift -= c;
      edges.copyWithin(start + shift, start, end);
      edgeIds?.copyWithin(start + shift, start, end);
      const at = newEnd - c;
      edges.set(this.found.subarray((i - lo) * k, (i - lo) * k + c), at);
      edgeIds?.fill(PPR_EDGE_ID, at, newEnd);
      rowPtr[i + 1] = newEnd;
    }
  }
}
