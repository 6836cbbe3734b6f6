// Local SGD's per-trainer optimizer state in a job checkpoint: tensors `trainer.<t>.<name>#<slot>`
// beside the shards' own, step counts in meta, so a rollback or --resume hands every trainer its own.
import type { LocalOptimizerState } from './local-sgd.js';

/** Prefix of a trainer's tensors in a checkpoint: `trainer.<t>.` then `<name>#<slot>`. */
export const TRAINER_STATE_PREFIX = 'trainer.';

/** The checkpoint meta field holding each trainer's optimizer steps: `{ "<t>": { name: steps } }`. */
export const TRAINER_STEPS_META = 'localOptimizerSteps';

const TRAINER_KEY = /^trainer\.(\d+)\.(.+#.+)$/;

/** Whether a checkpoint tensor is a trainer's local optimizer slot (not a shard's tensor). */
export function isTrainerStateTensor(name: string): boolean {
  return TRAINER_KEY.test(name);
}

/** The checkpoint tensors and meta of every trainer's state (index t of `states` is trainer t). */
export function trainerStateTensors(states: readonly LocalOptimizerState[]): {
  tensors: Map<string, Float32Array>;
  meta: Record<string, Record<string, Record<string, number>>>;
} {
  const tensors = new Map<string, Float32Array>();
  const steps: Record<string, Record<string, number>> = {};
  states.forEach((st, t) => {
    steps[String(t)] = { ...st.steps };
    for (const [key, v] of Object.entries(st.slots))
      tensors.set(`${TRAINER_STATE_PREFIX}${t}.${key}`, v);
  });
  return { tensors, meta: { [TRAINER_STEPS_META]: steps } };
}

/** The shards' part of a checkpoint: every tensor but the trainers' optimizer slots. */
export function withoutTrainerState(
  tensors: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of tensors) if (!isTrainerStateTensor(k)) out.set(k, v);
  return out;
}

/**
 * Trainer t's state in a checkpoint, or undefined when the checkpoint holds none for it (written
 * before any local step, in another sync mode, or by a job with fewer trainers): fresh state then.
 */
export function trainerStateOf(
  tensors: ReadonlyMap<string, Float32Array>,
  meta: Record<string, unknown>,
  t: number,
): LocalOptimizerState | undefined {
  const all = meta[TRAINER_STEPS_META] as Record<string, Record<string, number>> | undefined;
  const steps = all?.[String(t)];
  if (!steps) return undefined;
  const slots: Record<string, Float32Array> = {};
  for (const [k, v] of tensors) {
    const m = TRAINER_KEY.exec(k);
    if (m && Number(m[1]) === t) slots[m[2]] = v;
  }
  return { slots, steps: { ...steps } };
}
