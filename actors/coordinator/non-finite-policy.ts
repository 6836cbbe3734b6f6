// What the job does when training goes non-finite (train.onNonFinite): stop with an error that says
// where, or roll back to the last checkpoint with a lower learning rate, a bounded number of times.
import { WeftError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { nonFiniteDetail } from '../parameter-server/non-finite.js';
import type { CoordinatorState } from './coordinator-state.js';

/** The job stopped because training went non-finite: `detail` says which value, where and when. */
export class TrainingDivergedError extends WeftError {
  constructor(
    readonly epoch: number,
    readonly detail: string,
    readonly rollbacks: number,
    hint: string,
  ) {
    super('training-diverged', `training stopped in epoch ${epoch}: ${detail}; ${hint}`);
  }
}

/** The learning rate's factor and the non-finite rollbacks so far (1 and 0 before any). */
export function numericsOf(state: CoordinatorState): { lrScale: number; rollbacks: number } {
  return { lrScale: state.lrScale ?? 1, rollbacks: state.nonFiniteRollbacks ?? 0 };
}

/**
 * Decides after a non-finite value in `epoch`: throws TrainingDivergedError when the job fails (policy
 * fail, or its rollbacks used up), else records one more rollback and the lowered learning-rate factor
 * in `state` and returns what the event says.
 */
export function nonFiniteRollback(
  spec: JobSpec,
  state: CoordinatorState,
  epoch: number,
  error: unknown,
): string {
  const detail = nonFiniteDetail(error);
  const { lrScale, rollbacks } = numericsOf(state);
  const t = spec.train;
  if (t.onNonFinite !== 'rollback')
    throw new TrainingDivergedError(
      epoch,
      detail,
      rollbacks,
      'train.onNonFinite is fail: lower train.lr, or set train.onNonFinite: rollback',
    );
  if (rollbacks >= t.maxRollbacks)
    throw new TrainingDivergedError(
      epoch,
      detail,
      rollbacks,
      `still non-finite after ${rollbacks} rollbacks (train.maxRollbacks) at learning rate ${formatLr(t.lr * lrScale)}: lower train.lr or check the features (weft graph info)`,
    );
  state.nonFiniteRollbacks = rollbacks + 1;
  state.lrScale = lrScale * t.rollbackLrFactor;
  return `${detail}; rollback ${rollbacks + 1} of ${t.maxRollbacks}, learning rate ${formatLr(t.lr * lrScale)} → ${formatLr(t.lr * state.lrScale)}`;
}

function formatLr(lr: number): string {
  return Number(lr.toPrecision(4)).toString();
}
