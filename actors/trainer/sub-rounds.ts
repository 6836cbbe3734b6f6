// Grouping and slicing on the trainer: S gradient steps on one sampled batch, each on its share of
// every group, as S synchronous sub-rounds of one round (one parameter version each).
import type { BatchView } from '../batch/batch-view.js';
import { NonFiniteTrainingError } from '../parameter-server/non-finite.js';
import { groupSlices, sliceLinkTarget } from '../plan/link-groups.js';

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
  record: {
    epoch: number;
    step: number;
    loss: number;
    compute_s: number;
    wall_s: number;
    grad_steps?: number;
  };
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
 * Sub-round `s` of a round: one gradient step on the slice every batch holds for it (gradients add up
 * in the trainer's accumulator); the loss and compute time go to each batch's record. Returns the
 * batches that contributed (the weight of this trainer's push). A NaN or infinite loss throws a
 * NonFiniteTrainingError naming the epoch and step.
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
    if (!Number.isFinite(loss)) {
      const part = parts > 1 ? ` (slice ${index + 1} of ${parts})` : '';
      throw new NonFiniteTrainingError(
        'loss',
        `${loss} at epoch ${rb.record.epoch}, step ${rb.record.step}${part}`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    rb.record.compute_s += seconds;
    rb.record.wall_s += seconds;
    rb.record.loss += loss / parts;
    rb.record.grad_steps = parts;
    out.push(rb.batch);
  }
  return out;
}
