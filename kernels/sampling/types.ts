// Types shared by every neighbour sampler: the options a sampler is built from (plain data, so a worker
// thread can build its own sampler), the per-call inputs, and the message-flow blocks it returns.
import type { FanoutBudgetOptions } from './fanout-budget.js';

/**
 * How neighbours of a destination node are chosen (k = the hop's fanout; a row with at most k
 * candidates gives all of them):
 * - 'uniform': k distinct edges of the row, every k-subset equally likely.
 * - 'weighted': k distinct edges by successive sampling on the edge weights (each draw proportional
 *   to weight among the edges not drawn yet; the distribution of Efraimidis–Spirakis keys).
 * - 'temporal': only edges with timestamp strictly before the node's query time (never one at or
 *   after it); 'last' keeps the k newest of those (rows are time-sorted; equal timestamps resolve to
 *   the later CSR position), 'uniform' k of them at random. Nodes reached at any hop inherit the query
 *   time of the seed they came from (TGL, DGL and PyG do the same).
 * - 'ppr': the k nodes with the highest approximate personalized PageRank from the node (itself
 *   excluded; ties to the smaller id), found by Andersen–Chung–Lang push; they need not be direct
 *   neighbours. Block edge weights are those scores normalised to sum 1 per row. Deterministic.
 */
export type SamplingStrategy = 'uniform' | 'weighted' | 'temporal' | 'ppr';

/** Temporal pick among the edges strictly before the query time: the most recent, or uniform. */
export type TemporalPick = 'last' | 'uniform';

/** Personalized-PageRank push settings (Andersen–Chung–Lang). */
export interface PprOptions {
  /** Teleport (restart) probability; default 0.25, as in PPRGo. */
  readonly alpha?: number;
  /** Push threshold: a node u is pushed while residual(u) >= epsilon * outDegree(u); default 1e-4. */
  readonly epsilon?: number;
}

/**
 * PPR neighbours as an extra relation (LiGNN's multi-hop neighbours): each destination row of the
 * first `hops` hops lists, after the edges drawn for it, its top-k PPR nodes (itself excluded, ties
 * to the smaller id). Under 'temporal' the walk follows only edges strictly before the row's query
 * time, so an edge at or after it never changes the result. Edge ids of these edges are -1.
 */
export interface PprRelationOptions extends PprOptions {
  /** PPR nodes per row (>= 1). */
  readonly topK: number;
  /** Hops whose rows get them, from the seeds' (1..fanouts.length); default 1. */
  readonly hops?: number;
}

/**
 * Everything a sampler is built from besides the graph. Plain JSON-able data: pass it through
 * `workerData` and build the same sampler in a worker thread.
 */
export interface SamplerOptions {
  readonly strategy: SamplingStrategy;
  /**
   * Neighbours per hop, hop 1 (the seeds' neighbours) first, as in PyG: [15, 10] takes 15 neighbours
   * of each seed and 10 of each hop-1 node. -1 takes every neighbour (not allowed for 'ppr').
   */
  readonly fanouts: readonly number[];
  /** PRNG seed; the same seed, call sequence and inputs give identical outputs. Default 0. */
  readonly seed?: number;
  /** 'temporal' only: which edges before the query time to keep; default 'last'. */
  readonly temporalPick?: TemporalPick;
  /** 'ppr' only. */
  readonly ppr?: PprOptions;
  /** 'uniform' and 'temporal' only: PPR neighbours as one more relation of each row. */
  readonly pprRelation?: PprRelationOptions;
  /** Also return, per sampled edge, its position in the CSR (edge id; -1 for a PPR neighbour). */
  readonly returnEdgeIds?: boolean;
  /**
   * Per-node budgets instead of one fanout per hop (see fanout-budget.ts): 'degree' or 'weight' give
   * hubs more draws and leaves (or rows whose weight sits on few edges) fewer, at the fixed fanout's
   * edge count per hop. Not for 'ppr'. Default: fixed fanouts.
   */
  readonly budget?: FanoutBudgetOptions;
  /**
   * Per-relation fanouts, indexed by edge type id: `[t]` the per-hop fanouts of type t's edges in
   * each row (0 none, -1 all), or null for a type drawn together with the other unlisted types at
   * the hop's fanout. Uniform and temporal only; not with budgets. Absent: one fanout per hop.
   */
  readonly relationFanouts?: readonly (readonly number[] | null)[];
}

/** Per-call options of `sample`. */
export interface SampleCallOptions {
  /** Query time per input seed ('temporal' only): edges with timestamp >= time are never used. */
  readonly times?: Float64Array;
  /**
   * Batch seed: when given, this call's randomness depends only on (sampler seed, batch seed,
   * inputs), not on earlier calls, so any worker reproduces batch b exactly.
   */
  readonly batchSeed?: number;
  /**
   * false: the returned arrays are views of the sampler's scratch, valid only until its next call
   * (copy them, e.g. into the shared-memory queue, before sampling again). Default true: the caller
   * owns fresh arrays of exact size.
   */
  readonly copy?: boolean;
}

/** Per-call options of `sampleEdges` (link prediction). */
export interface SampleEdgesOptions {
  /**
   * 'uniform': numNegatives random destination nodes per pair, uniform over all nodes and not checked
   * against the graph (a negative is a true edge with probability about degree / numNodes); 'none'.
   * Default 'none'.
   */
  readonly negatives?: 'uniform' | 'none';
  /** Negatives per pair when negatives === 'uniform'; default 1. */
  readonly numNegatives?: number;
  /**
   * Negatives drawn by the caller (count × K global ids, pair-major), used instead of a uniform draw
   * (degree-biased negatives); `negatives` and `numNegatives` are then ignored.
   */
  readonly negativeIds?: Int32Array;
  /**
   * Global id range [lo, hi) negatives are drawn from (the destination node type of a typed
   * relation); default every node.
   */
  readonly negativeRange?: readonly [number, number];
  /** Query time per pair ('temporal' only); a pair's negatives share its time. */
  readonly times?: Float64Array;
  /**
   * Hide the seed edges from message passing: every edge between a pair's two endpoints, in either
   * direction, is left out of the endpoints' sampled rows, and the row still gets its full fanout from
   * the other edges (same distribution as sampling the row without them). Default true. Applies to
   * 'uniform' and 'weighted'. 'temporal' never uses an edge at or after the query time, which hides
   * the pair's own edge when the pair's time is its timestamp; earlier edges between the two are
   * history and stay. 'ppr' does not apply it (the push would need the pair set in its inner loop).
   */
  readonly excludeSeedEdges?: boolean;
  /** As in SampleCallOptions. */
  readonly batchSeed?: number;
  /** As in SampleCallOptions. */
  readonly copy?: boolean;
}

/**
 * One message-flow layer (DGL block): dst nodes are local ids [0, numDst), src nodes are local ids
 * [0, numSrc) with the dst nodes first; row i of the CSR lists the sources dst i aggregates from.
 */
export interface SampledBlock {
  readonly numDst: number;
  readonly numSrc: number;
  /** Length numDst + 1, offsets into indices. */
  readonly indptr: Int32Array;
  /** Local source ids, each < numSrc. */
  readonly indices: Int32Array;
  /** 'weighted': the graph's edge weights; 'ppr': PPR scores normalised to sum 1 per dst row. */
  readonly edgeWeight?: Float32Array;
  /** CSR edge position of each sampled edge, when the sampler was built with returnEdgeIds. */
  readonly edgeIds?: Float64Array;
}

/**
 * A k-hop sample. `nodes` holds the global ids of every node of the input layer, ordered by the hop
 * that reached it (seeds, then hop-1, then hop-2, ...), so nodes[0..blocks[l].numDst) are block l's
 * destinations and block l+1's sources. blocks[0] is the input (outermost) layer, blocks[L-1] has the
 * seeds as destinations. A node's neighbours are sampled once, at the hop that first reached it, and
 * every layer reuses them (PyG's trim_to_layer): blocks[l] is a prefix of blocks[0]'s CSR, and all
 * blocks' arrays are views of one buffer.
 */
export interface SampledSubgraph {
  /** Global node id of each local id. */
  readonly nodes: Int32Array;
  /** Number of unique seeds; nodes[0..numSeeds) are the seeds in order of first appearance. */
  readonly numSeeds: number;
  /** For each input seed position, its local id (< numSeeds): repeated seeds share one local id. */
  readonly seedLocal: Int32Array;
  readonly blocks: SampledBlock[];
  /**
   * 'temporal' only: the query time of each local node (its seed's time). A temporal local node is a
   * (global id, time) pair: the same global id reached under two different seed times appears twice.
   */
  readonly nodeTimes?: Float64Array;
}

/** A sample around seed edges: the subgraph plus where each pair's endpoints and negatives landed. */
export interface SampledEdgeSubgraph extends SampledSubgraph {
  /** Local id of each pair's source, length count. */
  readonly srcLocal: Int32Array;
  /** Local id of each pair's destination, length count. */
  readonly dstLocal: Int32Array;
  /** Negatives per pair (0 when negatives === 'none'). */
  readonly numNegatives: number;
  /** Local ids of the negatives, pair-major: pair i's are [i*numNegatives, (i+1)*numNegatives). */
  readonly negLocal: Int32Array;
  /** Global ids of the negatives, same layout as negLocal. */
  readonly negGlobal: Int32Array;
}
