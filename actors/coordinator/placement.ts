// Where a job's actors run and how the coordinator reaches them — the one thing that differs between
// `weft train` (worker threads of this process) and `weft launch` (processes over NATS).
import type { ActorClient } from '../../runtime/actor.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import type { SamplerProtocol } from '../protocols.js';
import type { JobSpec } from '../job-spec.js';
import type { CheckpointStore } from '../parameter-server/checkpoint-store.js';
import type { CheckpointLocator } from '../parameter-server/checkpoint-locator.js';
import type { JobObserver } from './job-observer.js';

/** Membership and recovery events (written to metrics.jsonl as events). */
export type JobEvent = (kind: string, detail: string, extra?: Record<string, unknown>) => void;

/** What the samplers of a placement report at the end of a job. */
export interface SamplerTotals {
  /** Batch bytes sent to trainers over the transport (0 through shared memory). */
  batchBytes: number;
  /** cluster.partitions: bytes the samplers exchanged across partitions. */
  partitionBytes: number;
  /** Hand-off clone: bytes posted by structured clone. */
  clonedBytes: number;
}

export interface PlacementStart {
  from: { epoch: number; step: number };
  event: JobEvent;
  /** A sampler answers again after a restart (it must be told the epoch's fanouts again). */
  samplerBack(index: number): void;
}

export interface Placement {
  readonly kind: 'embedded' | 'nats';
  /** The job id in addresses and subjects. */
  readonly job: string;
  readonly system: ActorSystem;
  /** The spec the actors run with (an embedded job runs one trainer and one sampler). */
  readonly spec: JobSpec;
  /** The graph's shape, for the parameter layout. */
  readonly graph: {
    dim: number;
    numClasses: number;
    numRelations: number;
    /** Each node type's feature columns (graph-store/type-columns.ts). */
    inputTypes: { start: number; width: number }[];
  };
  /** Samplers told each epoch's fanouts over the transport (adaptive sampling); none embedded. */
  readonly samplers: ActorClient<typeof SamplerProtocol>[];
  /** Actor restarts seen so far (a restarted process; 0 where actors are never restarted). */
  readonly restarts: number;
  /**
   * Batches in epoch `epoch`'s plan (the plan itself is rebuilt from the seed where batches are
   * made: the coordinator needs only its length, so it never holds the graph's seeds).
   */
  numBatches(epoch: number): Promise<number>;
  /** Where checkpoints go, and how `weft eval` finds them. */
  checkpoints(ckptDir: string): { store: CheckpointStore; locator: CheckpointLocator };
  /**
   * Brings every actor up (or waits for the launched ones) until each answers; returns the observer
   * of the job's status and metrics, starting from the state the run resumes at.
   */
  start(run: PlacementStart): Promise<JobObserver>;
  /** Settles when actor `a` is lost: resolves if it may come back, rejects if the job failed. */
  lost(a: Address): Promise<void>;
  /** Settles when a lost actor answers again (rejects if it never will). */
  back(a: Address): Promise<void>;
  /** Before an epoch's first batch: samplers that produce ahead are told the epoch and its fanouts. */
  beginEpoch(epoch: number, fanouts: number[] | undefined): Promise<void>;
  /** Live progress of trainer 0's epoch, where the placement can read it without asking. */
  progress(): { done: number; loss: number; seeds: number } | undefined;
  /** After every epoch and at the end: metrics pushed where the spec says (an error, never thrown). */
  publish(): Promise<Error | undefined>;
  samplerTotals(): Promise<SamplerTotals>;
  /** Stops every actor this placement started (`finished`: the job is done, tell them so). */
  close(finished: boolean): Promise<void>;
}
