// The trainer's side of train.sync: what it does after each batch, what it pushes at the end of a
// round (mean gradient or local-SGD delta), and, in async mode, its per-shard bases and resume point.
import type { ActorClient } from '../../runtime/actor.js';
import type { JobSpec } from '../job-spec.js';
import type { RoleMetrics } from '../metrics-catalogue.js';
import type { ParamMap } from '../parameter-server/parameter-store.js';
import type { BatchView } from '../batch/batch-view.js';
import type { TrainerCore } from './trainer-core.js';
import { pushAsyncUpdate } from '../parameter-server/async-updates.js';
import { LocalSgd, type LocalOptimizerState } from '../parameter-server/local-sgd.js';
import { ParameterServerProtocol } from '../protocols.js';
import { retrying } from '../../runtime/retry.js';
import type { SyncMode } from '../plan/round-schedule.js';
import type { ShardPlan } from '../parameter-server/shard-plan.js';

/** The staleness a trainer's updates may have: 0 in synchronous modes, train.staleness in async. */
export function stalenessBoundOf(spec: JobSpec): number {
  return spec.train.sync === 'async' ? spec.train.staleness : 0;
}

export interface AsyncRound {
  epoch: number;
  trainer: number;
  /** Round index within the epoch: the update's seq. */
  round: number;
  batches: number[];
  grads: ParamMap | undefined;
  lr: number;
  live: () => void;
  timeoutMs: number;
}

export class TrainerSync {
  readonly mode: SyncMode;
  private readonly local?: LocalSgd;
  /** Per shard, the version of the slice the model holds (async: the base of the next update). */
  private bases: number[] = [];
  /** Async: the round's batches and step indices, to recompute an update a shard refused. */
  private roundViews: { view: BatchView; step: number }[] = [];
  private attempt = 0;

  constructor(
    spec: JobSpec,
    private readonly core: TrainerCore,
    private readonly shards: ActorClient<typeof ParameterServerProtocol>[],
    private readonly plan: ShardPlan,
    private readonly metrics: RoleMetrics<'trainer'>,
  ) {
    this.mode = spec.train.sync;
    if (this.mode === 'local-sgd') this.local = new LocalSgd(spec);
  }

  /** The model takes the shards' parameters (`versions`: each shard's); a local-SGD round starts there. */
  adopt(params: ParamMap, versions: number[]): void {
    this.core.setParams(params);
    this.bases = versions.slice();
    this.local?.begin(params);
    this.roundViews = [];
  }

  /** Local SGD: a copy of this trainer's optimizer state (undefined in the other modes). */
  localState(): LocalOptimizerState | undefined {
    return this.local?.exportState();
  }

  /**
   * Local SGD: takes the optimizer state the coordinator checkpointed (none: fresh state) for runs
   * of `attempt`, so the next epoch of that attempt starts from it instead of forgetting it.
   */
  restoreLocal(state: LocalOptimizerState | undefined, attempt: number): void {
    if (!this.local) return;
    if (state) this.local.restoreState(state);
    else this.local.resetState();
    this.attempt = attempt;
  }

  /**
   * A run of epoch starts; after a rollback (a new attempt) local optimizer state is forgotten.
   * `lrScale`: the learning rate's factor after non-finite rollbacks (local SGD steps with it).
   */
  beginEpoch(attempt: number, lrScale = 1): void {
    if (attempt !== this.attempt) this.local?.resetState();
    if (this.local) this.local.lrScale = lrScale;
    this.attempt = attempt;
    this.roundViews = [];
  }

  /**
   * Forward + backward of one batch (core.step); local SGD then applies it to its own copy at once,
   * async keeps the batch to recompute the update should a shard refuse it. Returns the loss.
   */
  step(view: BatchView, stepIndex: number): number {
    const loss = this.core.step(view, stepIndex);
    if (this.local) this.core.setParams(this.local.step(this.core.takeGradients()));
    else if (this.mode === 'async') this.roundViews.push({ view, step: stepIndex });
    return loss;
  }

  /** What the round pushes: the mean gradient of its batches, or the local-SGD parameter delta. */
  update(): ParamMap {
    return this.local ? this.local.delta() : this.core.takeGradients();
  }

  /** Async: the round this trainer (re)starts an epoch at, the fewest of its updates any shard applied. */
  async resumeRound(epoch: number, trainer: number): Promise<number> {
    const done = await Promise.all(
      this.shards.map((c, p) =>
        retrying(`progress of ps ${p}`, () => c.ask('progress', { epoch, trainer })),
      ),
    );
    return Math.min(...done.map((d) => d.applied));
  }

  /** Async: pushes the round's update without a barrier; returns every shard's reply to adopt. */
  async pushAsync(
    r: AsyncRound,
  ): Promise<{ version: number; params: Record<string, Float32Array> }[]> {
    const views = this.roundViews;
    this.roundViews = [];
    const res = await pushAsyncUpdate({
      shards: this.shards,
      plan: this.plan,
      epoch: r.epoch,
      trainer: r.trainer,
      seq: r.round,
      batches: r.batches,
      grads: r.grads,
      bases: this.bases,
      lr: r.lr,
      live: r.live,
      timeoutMs: r.timeoutMs,
      recompute: (params) => {
        this.core.setParams(params);
        for (const { view, step } of views) this.core.step(view, step);
        return this.core.takeGradients();
      },
    });
    if (r.batches.length > 0)
      this.metrics.weft_trainer_parameter_staleness_versions.set(res.staleness);
    return res.replies;
  }
}
