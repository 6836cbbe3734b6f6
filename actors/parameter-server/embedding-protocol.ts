// The messages of an ID-embedding table shard (role 'emb', one beside each parameter-server shard,
// same index): rows pulled and row gradients pushed by id, only the ids a batch needs.
import { defineProtocol } from '../../runtime/actor.js';
import { s, type Infer } from '../../runtime/schema.js';
import { secretField } from '../control-secret.js';
import { IdTableSpecSchema } from '../protocols.js';

/** Rows of a table part sorted by id, with optimizer slots and per-row update counts. */
export const TableSnapshotSchema = s.object({
  ids: s.typedArray('int32'),
  rows: s.typedArray('float32'),
  slots: s.record(s.typedArray('float32')),
  steps: s.typedArray('int32'),
});
export type TableSnapshotMessage = Infer<typeof TableSnapshotSchema>;

export const EmbeddingShardProtocol = defineProtocol({
  /** Sets (or replaces) the shard's rows: empty, or the part of a checkpoint's table it owns. */
  load: {
    request: s.object({
      ...secretField,
      table: IdTableSpecSchema,
      shard: s.int({ min: 0 }),
      shards: s.int({ min: 1 }),
      trainers: s.int({ min: 1 }),
      /** Round the shard expects next (the dense shards' version). */
      version: s.int({ min: 0 }),
      /** async: each push applied at once; otherwise a round waits for every trainer. */
      barrier: s.boolean(),
      snapshot: s.optional(TableSnapshotSchema),
    }),
    reply: s.object({ version: s.int(), rows: s.int() }),
  },
  /** Rows of `ids` (all owned by this shard); `create` false (evaluation) stores no new row. */
  pull: {
    request: s.object({ ids: s.typedArray('int32'), create: s.boolean() }),
    reply: s.object({ rows: s.typedArray('float32') }),
    concurrent: true,
  },
  /**
   * One trainer's row gradients for round `round` (its mean over `weight` batches); idempotent per
   * (round, trainer); replies once the round is applied: the weighted mean over the trainers.
   */
  push: {
    request: s.object({
      ...secretField,
      round: s.int({ min: 0 }),
      trainer: s.int({ min: 0 }),
      weight: s.int({ min: 0 }),
      ids: s.typedArray('int32'),
      grads: s.typedArray('float32'),
    }),
    reply: s.object({ version: s.int() }),
    concurrent: true,
  },
  /** The shard's rows for a checkpoint (consistent between rounds). */
  snapshot: {
    request: s.empty(),
    reply: s.object({ version: s.int(), table: TableSnapshotSchema }),
  },
  stats: {
    request: s.empty(),
    reply: s.object({
      version: s.int(),
      loaded: s.boolean(),
      rows: s.int(),
      bytes: s.number(),
      /** Rows sent for training steps, and for evaluation (pulled without creating). */
      pulledRows: s.number(),
      peekedRows: s.number(),
      /** Bytes of all row pulls (ids asked and rows sent). */
      pulledBytes: s.number(),
      pushedBytes: s.number(),
    }),
    concurrent: true,
  },
  hello: { request: s.empty(), reply: s.object({ pid: s.int() }), concurrent: true },
});
