// The messages between coordinator, samplers, trainers and parameter servers, declared once: each
// schema gives both the boundary check and the TypeScript type used by sender and receiver.
import { defineProtocol } from '../runtime/actor.js';
import { s, type Infer } from '../runtime/schema.js';

const params = s.record(s.typedArray('float32'));

export const OptimizerSpecSchema = s.object({
  kind: s.enum(['adam', 'adamw', 'sgd', 'adagrad'] as const),
  lr: s.number({ min: 0 }),
  momentum: s.optional(s.number({ min: 0 })),
  weightDecay: s.optional(s.number({ min: 0 })),
});
export type OptimizerSpec = Infer<typeof OptimizerSpecSchema>;

/** The sparse ID-embedding table a parameter server holds (see actors/parameter-server/sparse-table.ts). */
export const IdTableSpecSchema = s.object({
  dim: s.int({ min: 1 }),
  optimizer: s.enum(['adagrad', 'lazy-adam'] as const),
  lr: s.number({ min: 0 }),
  seed: s.int(),
  initScale: s.number({ min: 0 }),
});
export type IdTableSpec = Infer<typeof IdTableSpecSchema>;

/** Gradients of some table rows: unique ids and their rows [ids.length × dim]. */
export const IdGradsSchema = s.object({
  ids: s.typedArray('int32'),
  grads: s.typedArray('float32'),
});

export const ParameterServerProtocol = defineProtocol({
  /** Sets the initial parameters and the optimizer (version 0), and the ID-embedding table if any. */
  init: {
    request: s.object({
      params,
      optimizer: OptimizerSpecSchema,
      idTable: s.optional(IdTableSpecSchema),
    }),
    reply: s.object({ version: s.int() }),
  },
  pull: { request: s.empty(), reply: s.object({ version: s.int(), params }) },
  /** ID-embedding rows of `ids` [ids.length × dim]; `create` false (evaluation) stores no new row. */
  pullRows: {
    request: s.object({ ids: s.typedArray('int32'), create: s.boolean() }),
    reply: s.object({ rows: s.typedArray('float32') }),
  },
  /**
   * One trainer's gradient (mean over its local batches) and its ID-table row gradients; replies
   * after the round is applied.
   */
  push: {
    request: s.object({
      grads: params,
      lr: s.optional(s.number({ min: 0 })),
      idGrads: s.optional(IdGradsSchema),
    }),
    reply: s.object({ version: s.int(), params }),
    concurrent: true,
  },
  checkpoint: {
    request: s.object({
      dir: s.string(),
      meta: s.record(s.unknown()),
      keep: s.optional(s.int({ min: 1 })),
    }),
    reply: s.object({ path: s.string(), version: s.int() }),
  },
  /** Restores from a checkpoint directory, or the newest one under a `checkpoints` root. */
  restore: {
    request: s.object({ dir: s.string() }),
    reply: s.object({ version: s.int(), meta: s.record(s.unknown()) }),
  },
  stats: {
    request: s.empty(),
    reply: s.object({ version: s.int(), pushBytes: s.number(), pullBytes: s.number() }),
  },
});

/** One training step as the trainer reports it (also a metrics.jsonl record). */
export const StepRecordSchema = s.object({
  epoch: s.int(),
  step: s.int(),
  loss: s.number(),
  seeds: s.int(),
  edges: s.number(),
  /** Seconds of this step spent: sampling+gather (sampler side, overlapped), waiting on the queue, computing, syncing. */
  sample_s: s.number(),
  queue_wait_s: s.number(),
  compute_s: s.number(),
  sync_s: s.number(),
  wall_s: s.number(),
  t: s.number(),
  /** Of sample_s, the feature gather's seconds. */
  gather_s: s.optional(s.number()),
  /** Parameter-server pushes made during this step (local aggregation makes most steps 0). */
  syncs: s.optional(s.int({ min: 0 })),
  /** Link batches: distinct source (member) rows encoded, over records (grouping lowers it). */
  member_encodings: s.optional(s.int({ min: 0 })),
  /** Gradient steps taken on this batch (link.stepsPerGroup slices). */
  grad_steps: s.optional(s.int({ min: 0 })),
});
export type StepRecord = Infer<typeof StepRecordSchema>;

export const TrainerProtocol = defineProtocol({
  /** Trains `numBatches` batches of epoch `epoch` as the samplers deliver them. */
  trainEpoch: {
    request: s.object({
      epoch: s.int({ min: 0 }),
      numBatches: s.int({ min: 0 }),
      firstStep: s.int({ min: 0 }),
      /** The epoch's seed order (shared memory); read only when sampling inline. */
      order: s.optional(s.unknown()),
      /** Adaptive sampling: fanouts from this epoch on (inline and evaluation samplers). */
      fanouts: s.optional(s.array(s.int({ min: -1 }))),
    }),
    reply: s.object({ steps: s.array(StepRecordSchema), version: s.int() }),
  },
  /** Evaluates on a split (node ids or edge ids are the job's; the trainer knows them). */
  evaluate: {
    request: s.object({ split: s.enum(['val', 'test'] as const) }),
    reply: s.object({ metrics: s.record(s.number()), seconds: s.number() }),
  },
  /** Pulls the newest parameters from the parameter server. */
  sync: { request: s.empty(), reply: s.object({ version: s.int(), backend: s.string() }) },
  /** Live progress (steps done this epoch, last loss) for the progress display. */
  progress: {
    request: s.empty(),
    reply: s.object({ epoch: s.int(), done: s.int(), loss: s.number(), seeds: s.number() }),
    concurrent: true,
  },
});

export const SamplerProtocol = defineProtocol({
  /** Starts producing the batches of an epoch, `prefetch` ahead of the trainer's credits. */
  startEpoch: {
    request: s.object({
      epoch: s.int({ min: 0 }),
      numBatches: s.int({ min: 0 }),
      order: s.unknown(),
      /** Adaptive sampling: fanouts of this epoch's batches. */
      fanouts: s.optional(s.array(s.int({ min: -1 }))),
    }),
    reply: s.object({ queued: s.int() }),
  },
  /** The trainer finished batch `batch`: one more may be produced. */
  credit: { request: s.object({ epoch: s.int(), batch: s.int() }) },
  stats: {
    request: s.empty(),
    reply: s.object({
      batches: s.int(),
      sampleSeconds: s.number(),
      gatherSeconds: s.number(),
      edges: s.number(),
      /** Bytes the pool workers posted by structured clone (0 on the shared-memory path). */
      clonedBytes: s.optional(s.number()),
    }),
  },
});
