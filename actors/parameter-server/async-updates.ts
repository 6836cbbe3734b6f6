// Asynchronous updates with a staleness bound (train.sync async): the shard's book of applied updates
// and their staleness, and the trainer's push that recomputes an update a shard rejected as too stale.
import type { ActorClient } from '../../runtime/actor.js';
import type { ParamMap } from './parameter-store.js';
import { ParameterServerProtocol } from '../protocols.js';
import { retrying } from '../../runtime/retry.js';
import { assembleByPlan, splitByPlan, type ShardPlan } from './shard-plan.js';
import { sealed } from '../control-secret.js';

/** What a shard remembers of async updates: which (epoch, trainer, seq) it applied, at what staleness. */
export class AsyncBook {
  /** epoch → trainer → seq → staleness it was applied at. */
  private readonly applied = new Map<number, Map<number, Map<number, number>>>();
  /** Updates refused because they were computed more than `bound` versions back. */
  rejected = 0;
  /** Largest staleness of any applied update since the last load. */
  maxStaleness = 0;

  constructor(readonly bound: number) {}

  /** The staleness update `seq` was applied at, or undefined when it was not applied yet. */
  seen(epoch: number, trainer: number, seq: number): number | undefined {
    return this.applied.get(epoch)?.get(trainer)?.get(seq);
  }

  record(epoch: number, trainer: number, seq: number, staleness: number): void {
    let byTrainer = this.applied.get(epoch);
    if (!byTrainer) {
      byTrainer = new Map();
      this.applied.set(epoch, byTrainer);
      // A trainer restarted mid-epoch asks about the current epoch only: older ones can go.
      for (const e of this.applied.keys()) if (e < epoch - 1) this.applied.delete(e);
    }
    let seqs = byTrainer.get(trainer);
    if (!seqs) {
      seqs = new Map();
      byTrainer.set(trainer, seqs);
    }
    seqs.set(seq, staleness);
    if (staleness > this.maxStaleness) this.maxStaleness = staleness;
  }

  /** Updates of `trainer` applied in `epoch`: a trainer pushes them in order, so they are seq 0..n-1. */
  progress(epoch: number, trainer: number): number {
    return this.applied.get(epoch)?.get(trainer)?.size ?? 0;
  }
}

export interface AsyncPush {
  shards: ActorClient<typeof ParameterServerProtocol>[];
  plan: ShardPlan;
  epoch: number;
  trainer: number;
  /** The update's position among this trainer's updates of the epoch (its round index). */
  seq: number;
  batches: number[];
  /** Mean gradient over `batches` on the parameters of versions `bases`; undefined when no batches. */
  grads: ParamMap | undefined;
  /** Per shard, the version of the slice the gradient was computed on. */
  bases: number[];
  lr: number;
  /** Sets the model to `params` and recomputes the mean gradient of the same batches on them. */
  recompute: (params: ParamMap) => ParamMap;
  /** Throws when the run was abandoned (a rollback) while waiting. */
  live: () => void;
  timeoutMs: number;
}

export interface AsyncPushResult {
  /** Per shard, its version and parameters after the update was applied there. */
  replies: { version: number; params: Record<string, Float32Array> }[];
  /** Largest staleness the update was applied at, over the shards. */
  staleness: number;
  /** Pushes refused as too stale (each one cost a recomputation). */
  rejections: number;
}

/** Refusals in a row after which the push gives up (only a bound of 0 among many trainers nears it). */
const MAX_REJECTIONS = 10_000;

/**
 * Pushes one update to every shard; a shard more than the bound past its base refuses it and sends its
 * current slices, on which the update is recomputed and pushed again to the shards that refused it
 * (the others applied it already: each shard applies every update exactly once, never too stale).
 */
export async function pushAsyncUpdate(u: AsyncPush): Promise<AsyncPushResult> {
  const P = u.shards.length;
  if (!u.grads || u.batches.length === 0) {
    // Nothing to apply: just bring the parameters up to date.
    const replies = await Promise.all(
      u.shards.map((c, p) => retrying(`pull from ps ${p}`, () => c.ask('pull', {}))),
    );
    u.live();
    return { replies, staleness: 0, rejections: 0 };
  }
  let parts = splitByPlan(u.plan, u.grads);
  const bases = u.bases.slice();
  const latest: { version: number; params: Record<string, Float32Array> }[] = new Array(P);
  let todo = Array.from({ length: P }, (_, p) => p);
  let staleness = 0;
  let rejections = 0;
  for (;;) {
    const replies = await Promise.all(
      todo.map((p) =>
        retrying(`update ${u.seq} of epoch ${u.epoch} to ps ${p}`, () =>
          u.shards[p].ask(
            'update',
            sealed({
              epoch: u.epoch,
              trainer: u.trainer,
              seq: u.seq,
              base: bases[p],
              batches: u.batches,
              grads: parts[p],
              lr: u.lr,
            }),
            { timeoutMs: u.timeoutMs },
          ),
        ),
      ),
    );
    u.live();
    const refused: number[] = [];
    replies.forEach((r, i) => {
      const p = todo[i];
      latest[p] = { version: r.version, params: r.params };
      bases[p] = r.version;
      if (r.applied) staleness = Math.max(staleness, r.staleness);
      else refused.push(p);
    });
    if (refused.length === 0) return { replies: latest, staleness, rejections };
    rejections += refused.length;
    if (rejections > MAX_REJECTIONS)
      throw new Error(
        `update ${u.seq} of epoch ${u.epoch} refused ${rejections} times as too stale: raise train.staleness`,
      );
    // Recompute on the freshest slices of every shard; only the refusing shards take the result.
    const grads = u.recompute(
      assembleByPlan(
        u.plan,
        latest.map((r) => r.params),
      ),
    );
    parts = splitByPlan(u.plan, grads);
    todo = refused;
  }
}
