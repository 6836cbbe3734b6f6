// `weft launch`'s coordinator: the one job driver over the NATS placement, where every other actor is
// a process of its own (docs/distributed.md).
import type { NatsConfig } from '../../runtime/nats-connect.js';
import { runJob } from '../coordinator/job-driver.js';
import type { JobStatusBoard } from '../coordinator/job-status.js';
import type { EpochSummary, JobResults } from '../coordinator/run-results.js';
import type { JobSpec } from '../job-spec.js';
import { NatsPlacement } from './nats-placement.js';

export { jobIdOf, statusBoardOf } from './nats-placement.js';
export { shardPlanOf } from '../coordinator/shard-io.js';

export interface DistributedOptions {
  nats: NatsConfig;
  /** Job id in subjects (default: the spec's name with unsafe characters replaced). */
  job?: string;
  /** Continue from the newest checkpoint in the run directory (job-driver.ts: resume, fresh). */
  resume?: boolean;
  /** Start over even when the run directory holds this job's checkpoints. */
  fresh?: boolean;
  /** The run directory's lock token of the launcher that started this coordinator. */
  runLockToken?: string;
  /** Called once this coordinator owns the job (its claim and the run directory's lock). */
  onOwned?: () => void;
  onEpoch?: (e: EpochSummary) => void;
  /** Membership and recovery events (also written to metrics.jsonl). */
  onEvent?: (e: { kind: string; detail: string }) => void;
  /** Overrides timeouts.heartbeatMs and timeouts.missedHeartbeats of the spec. */
  heartbeatMs?: number;
  missedHeartbeats?: number;
  /** Overrides timeouts.startMs: how long to wait for every actor to answer at the start. */
  readyTimeoutMs?: number;
  /** Where the job's state is recorded for /status (default: a board of its own, not served). */
  status?: JobStatusBoard;
}

export type DistributedResults = JobResults;

/** Runs the coordinator of a launched job; the other actors are reached over NATS. */
export async function runDistributedTraining(
  spec: JobSpec,
  options: DistributedOptions,
): Promise<DistributedResults> {
  const t = spec.timeouts;
  const timeouts = {
    ...t,
    heartbeatMs: options.heartbeatMs ?? t.heartbeatMs,
    missedHeartbeats: options.missedHeartbeats ?? t.missedHeartbeats,
    startMs: options.readyTimeoutMs ?? t.startMs,
  };
  const placement = await NatsPlacement.open(
    { ...spec, timeouts },
    { nats: options.nats, job: options.job, status: options.status },
  );
  return runJob(placement, {
    resume: options.resume,
    fresh: options.fresh,
    runLockToken: options.runLockToken,
    onOwned: options.onOwned,
    onEpoch: options.onEpoch,
    onEvent: options.onEvent,
  });
}
