// The coordinator's state, saved in every checkpoint: epoch, step, best validation and the test
// metrics at it, early-stopping counters; and the rule that folds one evaluation into it.
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';

export interface CoordinatorState {
  epoch: number;
  step: number;
  bestEpoch: number;
  bestVal: Record<string, number>;
  testAtBest: Record<string, number>;
  badEvals: number;
  stoppedEarly: boolean;
  /** Adaptive sampling: current fanouts and the metric of the previous evaluation. */
  adaptive?: { fanouts: number[]; previous: number };
  /**
   * The checkpoint of the best validation (`bestEpoch`): its parameter version and location, which
   * `weft eval` and `weft embed` use by default. Absent until the first evaluation.
   */
  bestCheckpoint?: { step: number; location: string };
  /** train.onNonFinite rollback: the learning rate's factor so far (absent: 1). */
  lrScale?: number;
  /** train.onNonFinite rollback: rollbacks taken so far (absent: 0). */
  nonFiniteRollbacks?: number;
}

/**
 * Folds one validation result into the coordinator's state: a new best (then the test split is
 * evaluated, so test metrics are always those of the best validation epoch), or one more evaluation
 * without gain, which may stop the job early. Returns the test metrics when they were measured.
 */
export async function afterValidation(
  state: CoordinatorState,
  spec: JobSpec,
  epoch: number,
  val: Record<string, number>,
  evaluateTest: () => Promise<Record<string, number>>,
): Promise<Record<string, number> | undefined> {
  const metric = selectionMetric(spec);
  if (state.bestEpoch >= 0 && !(val[metric] > (state.bestVal[metric] ?? -Infinity))) {
    state.badEvals++;
    if (spec.train.patience > 0 && state.badEvals >= spec.train.patience) state.stoppedEarly = true;
    return undefined;
  }
  const test = await evaluateTest();
  state.bestEpoch = epoch;
  state.bestVal = val;
  state.testAtBest = test;
  state.badEvals = 0;
  return test;
}

/** The validation metric that decides early stopping and the best epoch. */
export function selectionMetric(spec: JobSpec): string {
  return spec.task === 'node' ? 'accuracy' : 'auc';
}

/** The coordinator's state before the first epoch. */
export function freshCoordinatorState(): CoordinatorState {
  return {
    epoch: -1,
    step: 0,
    bestEpoch: -1,
    bestVal: {},
    testAtBest: {},
    badEvals: 0,
    stoppedEarly: false,
  };
}

export function readState(meta: Record<string, unknown>): CoordinatorState {
  const s = meta.coordinator as CoordinatorState | undefined;
  if (!s) throw new ConfigError('checkpoint has no coordinator state', { field: 'resume' });
  return s;
}
