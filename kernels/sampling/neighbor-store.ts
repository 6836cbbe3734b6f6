// The two narrow interfaces a sampler reads a graph through (PyG's GraphStore / FeatureStore split):
// per hop, the candidate windows of the frontier's rows and the neighbours at the drawn positions;
// per batch, the feature rows and labels of its nodes. Local and partitioned stores implement both.
import type { SamplingStrategy } from './types.js';

/** The rows of one hop: global ids nodes[lo..hi), each with its query time when sampling in time. */
export interface HopRows {
  readonly nodes: Int32Array;
  readonly lo: number;
  readonly hi: number;
  /** Temporal sampling: row i's query time at times[i - lo] (its edges strictly before it); else null. */
  readonly times: Float64Array | null;
}

/** Budget scores wanted with the windows: each row's s_v under this rule (fanout-budget.ts). */
export interface ScoreRule {
  readonly mode: 'degree' | 'weight';
  readonly alpha: number;
}

/** What `windows` writes for row i, at index i - lo; the arrays hold at least hi - lo entries. */
export interface RowWindows {
  /** Position of the row's first candidate: draws add offsets to it (and weighted draws read
   * drawWeights() from it), and `neighbors` gets the resulting positions back. */
  readonly start: Float64Array;
  /** Number of candidates: the row's degree, or its window before the query time. */
  readonly avail: Int32Array;
  /** Budget scores (when `rule` is set). */
  readonly score: Float32Array;
  readonly rule: ScoreRule | null;
  /** Weighted draws: rows with more candidates than this need their weights in drawWeights(); -1: none. */
  readonly weightsOver: number;
  /**
   * Per-relation fanouts over a store without the whole CSR: every row's window needs its edges'
   * types in drawTypes(), at [start, start + avail). Absent or false: none.
   */
  readonly types?: boolean;
}

/** Where `neighbors` writes the chosen edges: parallel arrays indexed by edge slot. */
export interface DrawnEdges {
  readonly edges: Int32Array;
  /** The edges' weights, when the sampler carries weights. */
  readonly weights: Float32Array | null;
  /** The edges' CSR positions, when the sampler returns edge ids. */
  readonly edgeIds: Float64Array | null;
}

/**
 * Topology as a sampler sees it, batched by hop: one `windows` call and one `neighbors` call per hop
 * for every frontier row, so a store that asks other processes makes one request per owner per hop.
 * A synchronous store returns undefined from both; an asynchronous one returns promises, and only
 * NeighborSampler's async entry points take it.
 */
export interface NeighborStore {
  readonly numNodes: number;
  readonly synchronous: boolean;
  /** The refusals of this store for a strategy (missing weights or timestamps, PPR); errors name fields. */
  check(strategy: SamplingStrategy, rule: ScoreRule | null): void;
  /** Pass 1: the candidate window (and budget score, and weights to draw over) of every row. */
  windows(rows: HopRows, out: RowWindows): void | Promise<void>;
  /** The weights weighted draws read at [start, start + avail) of the latest windows' rows. */
  drawWeights(): Float32Array | undefined;
  /**
   * The edge types per-relation draws read at [start, start + avail) of the latest windows' rows,
   * when windows() was asked for them (undefined: a store whose CSR the sampler reads itself).
   */
  drawTypes?(): Uint8Array | undefined;
  /**
   * Pass 2: the neighbour at each drawn position of every row, row i's edges in slots
   * [rowPtr[i], rowPtr[i+1]) with positions pos[slot] (its window's start plus an offset).
   */
  neighbors(
    rows: HopRows,
    rowPtr: Int32Array,
    pos: Float64Array,
    start: Float64Array,
    out: DrawnEdges,
  ): void | Promise<void>;
}

/** Where float32 feature rows lie: row i is rows[src[i]] from offset off[i] (no copy made). */
export interface RowSources {
  readonly rows: readonly Float32Array[];
  readonly src: Int32Array;
  readonly off: Float64Array;
}

/**
 * Node attributes by global id, batched: one call for all of a batch's nodes, so a store that asks
 * other processes makes one request per owner per batch.
 */
export interface NodeFeatureSource {
  readonly dim: number;
  /**
   * Where the float32 features of ids[0..count) lie (float32 rows in place, others decoded into
   * scratch), valid until the next call; each id's label into labels[i] (-1 where unlabelled) when
   * labels is given.
   */
  locate(ids: Int32Array, count: number, labels?: Int32Array): RowSources | Promise<RowSources>;
}
