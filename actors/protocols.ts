// The messages between coordinator, samplers, trainers and parameter servers, declared once: each
// schema gives both the boundary check and the TypeScript type used by sender and receiver.
import { defineProtocol } from '../runtime/actor.js';
import { s, type Infer } from '../runtime/schema.js';
import { secretField } from './control-secret.js';
import { PartitionPeerProtocol } from './sampler/partition-protocol.js';

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

const tensors = s.record(s.typedArray('float32'));

/**
 * The job is over: the actor stops and its process exits. Like every verb that steers the job or
 * changes the model, it carries the job's control secret (`secret`), which an actor that holds one
 * requires (see control-secret.ts).
 */
const ShutdownSchema = s.object(secretField);

export const RoundEntrySchema = s.object({
  /** Version the round started from (its gradients were computed on these parameters). */
  round: s.int({ min: 0 }),
  /** Global batch ids of the epoch plan that went into the update, in trainer order. */
  batches: s.array(s.int({ min: 0 })),
  epoch: s.int({ min: 0 }),
  /** Async updates: versions applied between the one the update was computed on and its own. */
  staleness: s.optional(s.int({ min: 0 })),
  /** Async updates: the trainer that pushed it. */
  trainer: s.optional(s.int({ min: 0 })),
});
export type RoundEntry = Infer<typeof RoundEntrySchema>;

export const ParameterServerProtocol = defineProtocol({
  /** Sets (or replaces) the shard's slices, optimizer state and version. */
  load: {
    request: s.object({
      ...secretField,
      params: tensors,
      /** Optimizer slots keyed `key#slot`; absent: fresh state. */
      slots: s.optional(tensors),
      steps: s.optional(s.record(s.int({ min: 0 }))),
      version: s.int({ min: 0 }),
      optimizer: OptimizerSpecSchema,
      trainers: s.int({ min: 1 }),
      /** train.sync (absent: aggregate) and, for async, train.staleness. */
      sync: s.optional(s.enum(['aggregate', 'local-sgd', 'async'] as const)),
      staleness: s.optional(s.int({ min: 0 })),
      /** Non-finite rollbacks: the learning rate times this (0 < lrScale <= 1; absent: 1). */
      lrScale: s.optional(s.number({ min: Number.MIN_VALUE, max: 1 })),
    }),
    reply: s.object({ version: s.int() }),
  },
  /** The current slices, or those of the version before (`at` = version - 1) for a trainer redoing a round. */
  pull: {
    request: s.object({ at: s.optional(s.int({ min: 0 })) }),
    reply: s.object({ version: s.int(), params: tensors }),
  },
  /**
   * One trainer's contribution to round `round`: the mean gradient over `batches` (weight =
   * batches.length; none = an empty contribution). Idempotent per (round, trainer): a repeat replaces
   * the pending one, or, once the round is applied, just gets the result. Replies after the round.
   */
  push: {
    request: s.object({
      ...secretField,
      round: s.int({ min: 0 }),
      trainer: s.int({ min: 0 }),
      epoch: s.int({ min: 0 }),
      batches: s.array(s.int({ min: 0 })),
      grads: tensors,
      lr: s.number({ min: 0 }),
    }),
    reply: s.object({ version: s.int(), params: tensors }),
    concurrent: true,
  },
  /**
   * Async mode: one trainer's update `seq` of an epoch (the mean gradient over `batches`, computed on
   * this shard's version `base`), applied at once unless the shard is more than the staleness bound
   * past `base` (`applied: false`: recompute on the returned parameters and push again). Idempotent
   * per (epoch, trainer, seq). The reply carries the shard's current parameters either way.
   */
  update: {
    request: s.object({
      ...secretField,
      epoch: s.int({ min: 0 }),
      trainer: s.int({ min: 0 }),
      seq: s.int({ min: 0 }),
      base: s.int({ min: 0 }),
      batches: s.array(s.int({ min: 0 })),
      grads: tensors,
      lr: s.number({ min: 0 }),
    }),
    reply: s.object({
      version: s.int(),
      applied: s.boolean(),
      staleness: s.int(),
      params: tensors,
    }),
  },
  /** Async mode: how many updates of `trainer` in `epoch` this shard has applied (where a restart resumes). */
  progress: {
    request: s.object({ epoch: s.int({ min: 0 }), trainer: s.int({ min: 0 }) }),
    reply: s.object({ applied: s.int({ min: 0 }) }),
  },
  /** Parameters and optimizer state for a checkpoint (only between rounds is it one consistent version). */
  snapshot: {
    request: s.empty(),
    reply: s.object({
      version: s.int(),
      params: tensors,
      slots: tensors,
      steps: s.record(s.int({ min: 0 })),
    }),
  },
  /** Rounds applied at or after version `from`, with their batches (the no-loss, no-repeat record). */
  ledger: {
    request: s.object({ from: s.int({ min: 0 }) }),
    reply: s.object({ rounds: s.array(RoundEntrySchema) }),
  },
  stats: {
    request: s.empty(),
    reply: s.object({
      version: s.int(),
      loaded: s.boolean(),
      pushBytes: s.number(),
      pullBytes: s.number(),
      pending: s.int(),
      /** Async updates rejected as staler than the bound, and the largest staleness applied. */
      staleRejected: s.optional(s.int()),
      maxStaleness: s.optional(s.int()),
    }),
    concurrent: true,
  },
  hello: { request: s.empty(), reply: s.object({ pid: s.int() }), concurrent: true },
  shutdown: { request: ShutdownSchema },
});

/** A sampled batch in flight: the batch record's arrays by field name (see BatchFields). */
export const BatchRecordSchema = s.record(s.unknown());

export const SamplerProtocol = defineProtocol({
  /** Partition-owning samplers (cluster.partitions) also answer each other: rows, expand, splitSeeds. */
  ...PartitionPeerProtocol,
  /**
   * A sampler pushing into the trainer of its process: starts producing the batches of `epoch` (its
   * plan rebuilt from the seed), `sampling.prefetch` ahead of the trainer's credits.
   */
  startEpoch: {
    request: s.object({
      ...secretField,
      epoch: s.int({ min: 0 }),
      /** Adaptive sampling: fanouts of this epoch's batches. */
      fanouts: s.optional(s.array(s.int({ min: -1 }))),
    }),
    reply: s.object({ queued: s.int() }),
  },
  /**
   * Evaluation batch `batch` of a split, made where the graph is (cluster.partitions: the trainers
   * hold none), with the split's batch count; link batches add `deg`, each seed's training in-degree.
   */
  evalFetch: {
    request: s.object({
      split: s.enum(['val', 'test'] as const),
      batch: s.int({ min: 0 }),
      /** Adaptive sampling: the fanouts the trainer's evaluation follows now. */
      fanouts: s.optional(s.array(s.int({ min: -1 }))),
    }),
    reply: s.object({ count: s.int({ min: 0 }), fields: s.optional(BatchRecordSchema) }),
    concurrent: true,
  },
  /**
   * How many batches epoch `epoch`'s plan has (the coordinator holds no seeds of its own), and what
   * the seeds warn of before training (plan/cold-sources.ts), as `weft train` says it.
   */
  planSize: {
    request: s.object({ epoch: s.int({ min: 0 }) }),
    reply: s.object({
      numBatches: s.int({ min: 0 }),
      warnings: s.optional(s.array(s.string({ maxLength: 1000 }))),
    }),
    concurrent: true,
  },
  /** The pushed-to trainer consumed batch `batch` of `epoch`: one more may be produced. */
  credit: { request: s.object({ epoch: s.int(), batch: s.int() }) },
  /**
   * Batch `batch` of `epoch`, waiting up to `waitMs` for it; `ahead` are the asker's next batches
   * from this sampler (its credits), produced after this one so they are ready when asked for.
   */
  fetch: {
    request: s.object({
      epoch: s.int({ min: 0 }),
      batch: s.int({ min: 0 }),
      ahead: s.array(s.int({ min: 0 })),
      waitMs: s.number({ min: 0 }),
    }),
    reply: s.object({ ready: s.boolean(), fields: s.optional(BatchRecordSchema) }),
    concurrent: true,
  },
  /**
   * Adaptive sampling: fanouts for batches of `epoch` and later epochs (the coordinator sends them
   * before every epoch, and again to a restarted sampler, which samples nothing until told).
   */
  setFanouts: {
    request: s.object({
      ...secretField,
      epoch: s.int({ min: 0 }),
      fanouts: s.array(s.int({ min: 1 })),
    }),
    reply: s.object({ epoch: s.int() }),
    concurrent: true,
  },
  stats: {
    request: s.empty(),
    reply: s.object({
      batches: s.int(),
      bytes: s.number(),
      sampleSeconds: s.number(),
      gatherSeconds: s.number(),
      /** Adaptive sampling: the newest fanouts set (absent when off). */
      fanouts: s.optional(s.array(s.int())),
      /** cluster.partitions: bytes exchanged with the samplers of other partitions (absent when off). */
      remoteBytes: s.optional(s.number()),
      /** Hand-off clone: bytes the pool threads posted by structured clone. */
      clonedBytes: s.optional(s.number()),
    }),
    concurrent: true,
  },
  hello: { request: s.empty(), reply: s.object({ pid: s.int() }), concurrent: true },
  shutdown: { request: ShutdownSchema },
});

export const EpochReplySchema = s.object({
  steps: s.array(StepRecordSchema),
  version: s.int(),
  /** Round this trainer (re)started the epoch at: > 0 after a restart mid-epoch. */
  resumedAtRound: s.int(),
});
export type EpochReply = Infer<typeof EpochReplySchema>;

export const TrainerProtocol = defineProtocol({
  /**
   * Trains this trainer's share of every round of an epoch whose first round starts at parameter
   * version `startVersion`; resumes at the shards' version when restarted mid-epoch. A repeated ask
   * for an epoch in progress or done joins or returns the same result.
   */
  trainEpoch: {
    request: s.object({
      ...secretField,
      epoch: s.int({ min: 0 }),
      numBatches: s.int({ min: 0 }),
      firstStep: s.int({ min: 0 }),
      startVersion: s.int({ min: 0 }),
      /** Rollbacks so far: a run of an older attempt is abandoned, the epoch replayed afresh. */
      attempt: s.optional(s.int({ min: 0 })),
      /** Adaptive sampling: this epoch's fanouts (the trainer's evaluation samplers follow them). */
      fanouts: s.optional(s.array(s.int({ min: 1 }))),
      /** Non-finite rollbacks: the learning rate times this (local SGD steps with it; absent: 1). */
      lrScale: s.optional(s.number({ min: Number.MIN_VALUE, max: 1 })),
    }),
    reply: EpochReplySchema,
    concurrent: true,
  },
  /**
   * MLPinit: trains the model's weights as a plain MLP on node features from the job's initial
   * parameters (no graph reads) and returns them; the coordinator loads them into the shards.
   */
  mlpInit: {
    request: s.object(secretField),
    reply: s.object({
      params: tensors,
      seconds: s.number(),
      steps: s.int(),
      lastLoss: s.number(),
    }),
  },
  /**
   * Local SGD: a copy of this trainer's own optimizer state (slots keyed `name#slot`, optimizer steps
   * per parameter), asked between epochs for the checkpoint; empty in the other sync modes.
   */
  optimizerState: {
    request: s.empty(),
    reply: s.object({ slots: tensors, steps: s.record(s.int({ min: 0 })) }),
  },
  /**
   * Local SGD: replaces this trainer's optimizer state with a checkpointed one (no `steps`: fresh
   * state) for the epochs of `attempt`; sent after a rollback or at --resume, before the next epoch.
   */
  setOptimizerState: {
    request: s.object({
      ...secretField,
      attempt: s.int({ min: 0 }),
      slots: s.optional(tensors),
      steps: s.optional(s.record(s.int({ min: 0 }))),
    }),
    reply: s.object({ parameters: s.int({ min: 0 }) }),
  },
  /** Pulls the newest parameters and evaluates on a split. */
  evaluate: {
    request: s.object({ ...secretField, split: s.enum(['val', 'test'] as const) }),
    reply: s.object({ metrics: s.record(s.number()), seconds: s.number(), version: s.int() }),
  },
  hello: {
    request: s.empty(),
    reply: s.object({
      pid: s.int(),
      backend: s.string(),
      /** The newest attempt this trainer was asked for, and the epoch runs it holds (a restarted
       * coordinator starts above them: job-driver.ts). */
      attempt: s.optional(s.int({ min: 0 })),
      epochRuns: s.optional(s.int({ min: 0 })),
    }),
    concurrent: true,
  },
  shutdown: { request: ShutdownSchema },
});
