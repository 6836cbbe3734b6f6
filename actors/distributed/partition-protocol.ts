// The verbs partition-owning samplers ask each other: rows (degree, features, label) and neighbour
// reads of nodes the asked sampler owns, and its training seeds. Served next to the trainers' `fetch`.
import { defineProtocol } from '../../runtime/actor.js';
import { s, type Infer } from '../../runtime/schema.js';

export const RowsRequestSchema = s.object({
  /** Global ids, all owned by the asked sampler's partition. */
  nodes: s.typedArray('int32'),
  degrees: s.boolean(),
  features: s.boolean(),
  labels: s.boolean(),
});
export type RowsRequest = Infer<typeof RowsRequestSchema>;

export const RowsReplySchema = s.object({
  /** Out-degree of each node (the length of its CSR row). */
  degrees: s.optional(s.typedArray('int32')),
  /** Float32 feature rows, nodes.length × dim, decoded as the owner's store decodes them. */
  x: s.optional(s.typedArray('float32')),
  labels: s.optional(s.typedArray('int32')),
});
export type RowsReply = Infer<typeof RowsReplySchema>;

export const ExpandRequestSchema = s.object({
  /** Global ids of frontier nodes, all owned by the asked sampler's partition. */
  nodes: s.typedArray('int32'),
  /** Neighbours wanted per node: its degree means the whole row (no offsets sent for it). */
  take: s.typedArray('int32'),
  /** For each node with take < degree, `take` offsets into its row, in the asker's order. */
  offsets: s.typedArray('int32'),
});
export type ExpandRequest = Infer<typeof ExpandRequestSchema>;

export const ExpandReplySchema = s.object({
  /** The chosen neighbours' global ids, node after node, in the order of the offsets. */
  neighbors: s.typedArray('int32'),
});
export type ExpandReply = Infer<typeof ExpandReplySchema>;

export const PartitionPeerProtocol = defineProtocol({
  /** Degrees, feature rows and labels of owned nodes (each part optional). */
  rows: { request: RowsRequestSchema, reply: RowsReplySchema, concurrent: true },
  /** The neighbours at the given row offsets of owned frontier nodes. */
  expand: { request: ExpandRequestSchema, reply: ExpandReplySchema, concurrent: true },
  /** Global ids of the owned nodes in the training split, ascending. */
  trainSeeds: {
    request: s.empty(),
    reply: s.object({ ids: s.typedArray('int32') }),
    concurrent: true,
  },
});
