// The verbs partition-owning samplers ask each other: rows (degree or time window, features, label, edge
// weights) and neighbour reads of nodes the asked sampler owns, its training seeds and its link edges.
import { defineProtocol } from '../../runtime/actor.js';
import { s, type Infer } from '../../runtime/schema.js';

export const RowsRequestSchema = s.object({
  /** Global ids, all owned by the asked sampler's partition. */
  nodes: s.typedArray('int32'),
  degrees: s.boolean(),
  features: s.boolean(),
  labels: s.boolean(),
  /**
   * Temporal sampling: one query time per node. A node's row is then its window, the edges strictly
   * before the time, and `degrees` are window lengths.
   */
  times: s.optional(s.typedArray('float64')),
  /**
   * Weighted sampling: the edge weights of every row (window) longer than this fanout come back in
   * `rowWeights`, so the asker can make the draws itself. Absent: no row weights.
   */
  rowWeightsOver: s.optional(s.int()),
  /**
   * Per-relation fanouts (sampling.relationFanouts): the edge type of every edge of each row (window)
   * back in `rowTypes`, so the asker draws relation by relation itself.
   */
  rowTypes: s.optional(s.boolean()),
  /**
   * Per-node fanout budgets (sampling.budget): each node's score s_v = (size_v / mean)^alpha back in
   * `scores`, its size the whole row's degree or effective neighbours by `mode`, `mean` the graph's.
   */
  budget: s.optional(
    s.object({ mode: s.enum(['degree', 'weight'] as const), alpha: s.number(), mean: s.number() }),
  ),
  /**
   * Per-node fanout budgets: the exact sum and count of the owned nodes' sizes under this mode in
   * `sizeSum` (see kernels/sampling/fanout-budget.ts sizeSum), for the graph's mean size.
   */
  sizeSumOf: s.optional(s.enum(['degree', 'weight'] as const)),
});
export type RowsRequest = Infer<typeof RowsRequestSchema>;

export const RowsReplySchema = s.object({
  /** Out-degree of each node (the length of its CSR row, or of its window when times were given). */
  degrees: s.optional(s.typedArray('int32')),
  /** Float32 feature rows, nodes.length × dim, decoded as the owner's store decodes them. */
  x: s.optional(s.typedArray('float32')),
  labels: s.optional(s.typedArray('int32')),
  /** The weights of each row longer than rowWeightsOver, row after row in request order. */
  rowWeights: s.optional(s.typedArray('float32')),
  /** The edge types of every row (window), row after row in request order (when asked for). */
  rowTypes: s.optional(s.typedArray('uint8')),
  /** Budget score of each node (when `budget` was given). */
  scores: s.optional(s.typedArray('float32')),
  /** [low, middle, high limb, count] of the owned nodes' sizes (when `sizeSumOf` was given). */
  sizeSum: s.optional(s.typedArray('float64')),
});
export type RowsReply = Infer<typeof RowsReplySchema>;

export const ExpandRequestSchema = s.object({
  /** Global ids of frontier nodes, all owned by the asked sampler's partition. */
  nodes: s.typedArray('int32'),
  /** Neighbours wanted per node: its degree means the whole row (no offsets sent for it). */
  take: s.typedArray('int32'),
  /** For each node with take < degree, `take` offsets into its row, in the asker's order. */
  offsets: s.typedArray('int32'),
  /** Temporal sampling: each node's query time; its row is then the window before it. */
  times: s.optional(s.typedArray('float64')),
  /** Also send the chosen edges' weights (weighted sampling carries them in the batch). */
  weights: s.optional(s.boolean()),
});
export type ExpandRequest = Infer<typeof ExpandRequestSchema>;

export const ExpandReplySchema = s.object({
  /** The chosen neighbours' global ids, node after node, in the order of the offsets. */
  neighbors: s.typedArray('int32'),
  /** The chosen edges' weights, parallel to neighbors (when asked for). */
  weights: s.optional(s.typedArray('float32')),
});
export type ExpandReply = Infer<typeof ExpandReplySchema>;

export const LinkEdgesRequestSchema = s.object({
  /** The relation key src__rel__dst, as link.edgeType resolves it. */
  edgeType: s.string(),
});
export type LinkEdgesRequest = Infer<typeof LinkEdgesRequestSchema>;

export const LinkEdgesReplySchema = s.object({
  /** The relation's edges out of owned nodes: source ascending, each row in CSR order. */
  src: s.typedArray('int32'),
  dst: s.typedArray('int32'),
  times: s.typedArray('float64'),
});
export type LinkEdgesReply = Infer<typeof LinkEdgesReplySchema>;

export const PartitionPeerProtocol = defineProtocol({
  /** Degrees (or windows), feature rows, labels and row weights of owned nodes (each part optional). */
  rows: { request: RowsRequestSchema, reply: RowsReplySchema, concurrent: true },
  /** The neighbours at the given row offsets of owned frontier nodes. */
  expand: { request: ExpandRequestSchema, reply: ExpandReplySchema, concurrent: true },
  /** Global ids of the owned nodes in a split, ascending. */
  splitSeeds: {
    request: s.object({ split: s.enum(['train', 'val', 'test'] as const) }),
    reply: s.object({ ids: s.typedArray('int32') }),
    concurrent: true,
  },
  /** Link prediction: the owned rows' edges of one relation, for the job's time split. */
  linkEdges: { request: LinkEdgesRequestSchema, reply: LinkEdgesReplySchema, concurrent: true },
  /**
   * Structural features: the owned rows' edges strictly before `cutoff` (untimed ones too) into the
   * nodes part `part` owns, counted per target id (ids ascending).
   */
  inDegrees: {
    request: s.object({ part: s.int(), cutoff: s.number() }),
    reply: s.object({ ids: s.typedArray('int32'), counts: s.typedArray('int32') }),
    concurrent: true,
  },
  /** Structural features: the largest out- and in-degree among the owned nodes, every part counted. */
  maxDegrees: {
    request: s.object({}),
    reply: s.object({ out: s.number(), in: s.number() }),
    concurrent: true,
  },
});
