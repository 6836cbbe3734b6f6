// The coordinator's bookkeeping of a job in one place, for the embedded and the distributed job alike:
// each phase updates the /status board and the coordinator's Prometheus metrics together.
import { threadMetrics } from '../../runtime/metrics.js';
import { recordEvaluation } from '../actor-metrics.js';
import {
  countError,
  metricHandle,
  type CounterHandle,
  type EvalSplit,
  type Role,
  type RoleMetrics,
} from '../metrics-catalogue.js';
import type { JobStatusBoard } from './job-status.js';

export interface JobObserverOptions {
  job: string;
  /**
   * The actors the job is made of, besides the coordinator: their count is the expected number,
   * and each one's restart counter exists at 0 from the start.
   */
  actors: readonly { role: Role; index: number }[];
  /** train.checkpointEvery (0: only at the end). */
  checkpointEvery: number;
  /** The last finished epoch the job starts from (-1 for a fresh job), and its step. */
  epoch: number;
  step: number;
}

export class JobObserver {
  private readonly restarts = new Map<string, CounterHandle>();

  constructor(
    readonly status: JobStatusBoard,
    readonly metrics: RoleMetrics<'coordinator'>,
    private readonly options: JobObserverOptions,
  ) {
    const m = metrics;
    m.weft_coordinator_epoch.set(Math.max(0, options.epoch));
    m.weft_coordinator_actors_expected.set(options.actors.length);
    // Born at 0, so the first restart is an increase that rate(), increase() and alerts see.
    for (const a of options.actors) this.restartCounter(a.role, a.index);
    m.weft_coordinator_actors_healthy.set(status.healthyCount());
    m.weft_checkpoint_interval_epochs.set(
      options.checkpointEvery > 0 ? options.checkpointEvery : Infinity,
    );
    m.weft_checkpoint_last_success_epoch.set(Math.max(0, options.epoch));
    status.progress(options.epoch, options.step);
  }

  /** Re-counts the healthy actors (the coordinator calls this on its heartbeat clock). */
  refreshHealth(): void {
    this.metrics.weft_coordinator_actors_healthy.set(this.status.healthyCount());
  }

  actorUp(role: string, index: number, pid?: number): void {
    this.status.up(role, index, pid);
    this.refreshHealth();
  }

  /**
   * A membership event from liveness or a supervisor; a restart is counted under the restarted
   * actor's own role and index (the coordinator or supervisor is what sees it happen).
   */
  actorEvent(role: string, index: number, kind: string, detail: string, pid?: number): void {
    if (kind === 'actor-restarted' || kind === 'restarted')
      this.restartCounter(role as Role, index).inc();
    this.status.actorEvent(role, index, kind, detail, pid);
    this.refreshHealth();
  }

  private restartCounter(role: Role, index: number): CounterHandle {
    const key = `${role}/${index}`;
    let c = this.restarts.get(key);
    if (!c) {
      const actor = { job: this.options.job, role, index };
      c = metricHandle(threadMetrics(), 'weft_actor_restarts_total', actor);
      this.restarts.set(key, c);
    }
    return c;
  }

  epochStarted(epoch: number, step: number): void {
    this.status.setState('training');
    this.status.progress(epoch, step);
    this.metrics.weft_coordinator_epoch.set(epoch);
  }

  epochFinished(epoch: number, step: number): void {
    this.status.progress(epoch, step);
  }

  evaluating(): void {
    this.status.setState('evaluating');
  }

  /** One evaluation pass this coordinator ran (on a trainer) and exports: count, time, gauges. */
  evaluation(split: EvalSplit, metrics: Record<string, number>, seconds: number): void {
    recordEvaluation(this.metrics, split, metrics, seconds);
  }

  evaluated(epoch: number, val: Record<string, number>, test?: Record<string, number>): void {
    this.status.evaluated(epoch, val, test);
    this.status.setState('training');
  }

  /** Runs `write` as the job's checkpoint of `epoch`, timing it; a failure counts as a checkpoint error. */
  async checkpoint(epoch: number, step: number, write: () => Promise<string>): Promise<string> {
    this.status.setState('checkpointing');
    const m = this.metrics;
    const done = m.weft_checkpoint_duration_seconds.startTimer();
    let path: string;
    try {
      path = await write();
    } catch (error) {
      countError(m, 'checkpoint');
      throw error;
    }
    const seconds = done();
    m.weft_checkpoints_total.inc();
    m.weft_checkpoint_last_success_timestamp_seconds.setToCurrentTime();
    m.weft_checkpoint_last_success_epoch.set(epoch);
    this.status.checkpointed({ path, epoch, step, duration_s: seconds });
    this.status.setState('training');
    return path;
  }

  finished(): void {
    this.status.setState('finished');
  }

  failed(error: unknown): void {
    this.status.setState('failed', error instanceof Error ? error.message : String(error));
  }
}
