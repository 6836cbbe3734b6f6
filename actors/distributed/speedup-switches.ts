// The speed-up switches on a distributed (NATS) job: which apply and how, grouped epoch plans every
// process rebuilds alike, group slices as synchronous sub-rounds, and samplers' fanouts per epoch.
import { ConfigError } from '../../runtime/errors.js';
import { makeEpochPlan, type EpochPlan } from '../plan/epoch-plan.js';
import type { JobSpec } from '../job-spec.js';
import type { SeedSource } from '../plan/seed-source.js';
import type { BatchView } from '../batch/batch-view.js';
import {
  groupedEpochPlan,
  groupLinkEdges,
  groupSlices,
  sliceLinkTarget,
  type LinkGroups,
} from '../plan/link-groups.js';

/**
 * Rejects the switches that have no meaning when every actor is its own process. The hand-off
 * between a sampler and a trainer is always a NATS message there (encoded once, decoded once), and a
 * sampler process samples on its own thread, so the in-process hand-off choices do not exist.
 */
export function checkRemoteSpeedups(spec: JobSpec): void {
  const h = spec.sampling.handoff;
  if (h !== 'shm')
    throw new ConfigError(
      h === 'inline'
        ? 'is inline, but a trainer of a distributed job never samples: batches come from sampler processes over NATS; leave it at shm (the default) and use sampling.prefetch 1 for on-demand sampling'
        : 'is clone, but between processes every batch is one NATS message, encoded by the sampler and decoded by the trainer; there is no in-process hand-off to choose: leave it at shm (the default)',
      { field: 'sampling.handoff' },
    );
  if (subRoundsOf(spec) > 1 && spec.train.sync !== 'aggregate')
    throw new ConfigError(
      `is ${spec.link.stepsPerGroup} with train.sync ${spec.train.sync}; S steps per group are S synchronous sub-rounds, so they need train.sync aggregate (or link.stepsPerGroup 1)`,
      { field: 'link.stepsPerGroup' },
    );
  if (spec.sampling.samplers !== 1)
    throw new ConfigError(
      `is ${spec.sampling.samplers}, but a sampler process of a distributed job samples on one thread; run more sampler processes with cluster.samplers instead`,
      { field: 'sampling.samplers' },
    );
}

/** Training edges grouped for grouping and slicing (link task with link.groupSize > 1), else undefined. */
export function linkGroupsOf(spec: JobSpec, source: SeedSource, train: Int32Array) {
  if (source.kind !== 'link' || spec.link.groupSize <= 1) return undefined;
  return groupLinkEdges(source.src, source.times, train, spec.link.groupSize);
}

/** The seed source with every grouped training edge at its group's query time (unchanged without groups). */
export function groupedSource(source: SeedSource, groups: LinkGroups | undefined): SeedSource {
  if (!groups || source.kind !== 'link') return source;
  return { ...source, times: groups.times };
}

/** Epoch `epoch`'s plan, over groups when the job groups its link edges; the same in every process. */
export function epochPlanOf(
  spec: JobSpec,
  train: Int32Array,
  groups: LinkGroups | undefined,
  epoch: number,
): EpochPlan {
  const bs = spec.sampling.batchSize;
  const max = spec.train.maxStepsPerEpoch;
  return groups
    ? groupedEpochPlan(groups, bs, spec.train.seed, epoch, max)
    : makeEpochPlan(train, bs, spec.train.seed, epoch, max);
}

/**
 * Parameter versions per synchronous round: link.stepsPerGroup when the job groups (each slice of
 * every group is one synchronous step, as the embedded trainer syncs after each slice), else 1.
 */
export function subRoundsOf(spec: JobSpec): number {
  if (spec.task !== 'link' || spec.link.groupSize <= 1) return 1;
  return Math.max(1, spec.link.stepsPerGroup);
}

/**
 * The pair positions a batch trains in each of `subRounds` sub-rounds: its group slices, aligned to
 * the last sub-round (a batch whose groups are shorter than S has fewer slices, and its last slice
 * must land in the round that records the batch). undefined: the batch sits that sub-round out;
 * null: the whole batch (one sub-round, or a batch without link pairs).
 */
export function subRoundSlices(
  view: BatchView,
  subRounds: number,
): (Int32Array | null | undefined)[] {
  const out: (Int32Array | null | undefined)[] = new Array(Math.max(1, subRounds)).fill(undefined);
  if (!view.link || subRounds <= 1) {
    out[out.length - 1] = null;
    return out;
  }
  const slices = groupSlices(view.link.src, subRounds);
  const shift = subRounds - slices.length;
  for (let k = 0; k < slices.length; k++) out[shift + k] = slices[k];
  return out;
}

/**
 * True for the sub-round that records a round's batches in the shards' ledger (the last). Every
 * epoch starts at a multiple of `subRounds`, so the rule needs no epoch boundaries.
 */
export function isLastSubRound(version: number, subRounds: number): boolean {
  return version % subRounds === subRounds - 1;
}

/**
 * A sampler's fanouts by epoch: the coordinator sets them for an epoch (and every later one until
 * told otherwise); a freshly started sampler knows none until told, so it never samples with stale ones.
 */
export class EpochFanouts {
  private readonly byEpoch = new Map<number, number[]>();

  /** Fanouts from `epoch` on; entries of later epochs (an abandoned timeline) are dropped. */
  set(epoch: number, fanouts: readonly number[]): void {
    for (const e of [...this.byEpoch.keys()]) if (e >= epoch) this.byEpoch.delete(e);
    this.byEpoch.set(epoch, [...fanouts]);
  }

  /** The fanouts of `epoch`: those set for the newest epoch at or before it (undefined: none yet). */
  of(epoch: number): number[] | undefined {
    let best = -1;
    for (const e of this.byEpoch.keys()) if (e <= epoch && e > best) best = e;
    return best < 0 ? undefined : this.byEpoch.get(best);
  }

  /** The newest fanouts set (for stats). */
  latest(): number[] | undefined {
    let best = -1;
    for (const e of this.byEpoch.keys()) if (e > best) best = e;
    return best < 0 ? undefined : this.byEpoch.get(best);
  }
}

/** Dropout-seed distance between the gradient steps on one batch's slices (the embedded trainer's). */
const SLICE_STEP_STRIDE = 1_000_003;

/** What a sub-round needs of the trainer: a step that adds one batch slice's gradients. */
export interface SliceStepper {
  step(view: BatchView, stepIndex: number): number;
}

/** A batch of a round on its way through the sub-rounds, and the step record it fills. */
export interface RoundBatch {
  batch: number;
  view: BatchView;
  slices: (Int32Array | null | undefined)[];
  record: { loss: number; compute_s: number; wall_s: number; grad_steps?: number };
}

/**
 * Sub-round `s` of a round: one gradient step on the slice every batch holds for it (gradients add up
 * in the trainer's accumulator); the loss and compute time go to each batch's record. Returns the
 * batches that contributed (the weight of this trainer's push).
 */
export function stepSubRound(
  trainer: SliceStepper,
  round: RoundBatch[],
  s: number,
  firstStep: number,
): number[] {
  const out: number[] = [];
  for (const rb of round) {
    const slice = rb.slices[s];
    if (slice === undefined) continue;
    const parts = rb.slices.filter((x) => x !== undefined).length;
    const index = rb.slices.slice(0, s).filter((x) => x !== undefined).length;
    const view =
      slice === null ? rb.view : { ...rb.view, link: sliceLinkTarget(rb.view.link!, slice) };
    const t0 = performance.now();
    const loss = trainer.step(view, firstStep + rb.batch + index * SLICE_STEP_STRIDE);
    const seconds = (performance.now() - t0) / 1000;
    rb.record.compute_s += seconds;
    rb.record.wall_s += seconds;
    rb.record.loss += loss / parts;
    rb.record.grad_steps = parts;
    out.push(rb.batch);
  }
  return out;
}
