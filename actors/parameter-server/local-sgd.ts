// Local SGD (train.sync local-sgd): a trainer takes K optimizer steps on its own copy of the model and
// pushes its parameter delta; a shard adds the batch-weighted mean of the trainers' deltas to its slices.
import {
  createOptimizer,
  type DenseOptimizer,
  type OptimizerState,
} from '../../kernels/optim/index.js';
import type { JobSpec } from '../job-spec.js';
import { optimizerConfig } from './optimizer-config.js';
import type { ParameterStore, ParamMap } from './parameter-store.js';

/**
 * The trainer's side: its own optimizer (the job's, at train.lr) with state that lives across rounds,
 * the parameters it had at the start of the round, and the parameters it has moved to since.
 */
export class LocalSgd {
  private readonly optimizer: DenseOptimizer;
  private readonly states = new Map<string, OptimizerState>();
  private start: ParamMap = new Map();
  private current: ParamMap = new Map();
  private readonly lr: number;
  /** The learning rate's factor after non-finite rollbacks (1: the spec's rate). */
  lrScale = 1;

  constructor(spec: JobSpec) {
    this.lr = spec.train.lr;
    this.optimizer = createOptimizer(
      optimizerConfig({
        kind: spec.train.optimizer,
        lr: spec.train.lr,
        momentum: spec.train.momentum,
        weightDecay: spec.train.weightDecay,
      }),
    );
  }

  /** The round starts from `params` (what the shards hold): copied, the caller keeps them. */
  begin(params: ParamMap): void {
    this.start = new Map();
    this.current = new Map();
    for (const [name, p] of params) {
      this.start.set(name, Float32Array.from(p));
      this.current.set(name, Float32Array.from(p));
    }
  }

  /** One local optimizer step with the mean gradient of one batch; returns the moved parameters. */
  step(grads: ParamMap): ParamMap {
    for (const [name, g] of grads) {
      const p = this.current.get(name);
      if (!p) throw new RangeError(`local SGD: no parameter '${name}' (begin() first)`);
      let st = this.states.get(name);
      if (!st) {
        st = this.optimizer.createState(p.length);
        this.states.set(name, st);
      }
      this.optimizer.step(p, g, st, this.lrScale === 1 ? undefined : this.lr * this.lrScale);
    }
    return this.current;
  }

  /** params_now − params_at_round_start, per parameter (zero before the first step). */
  delta(): ParamMap {
    const out: ParamMap = new Map();
    for (const [name, p] of this.current) {
      const s = this.start.get(name)!;
      const d = new Float32Array(p.length);
      for (let i = 0; i < p.length; i++) d[i] = p[i] - s[i];
      out.set(name, d);
    }
    return out;
  }

  /** Forgets the optimizer state (momentum, Adam moments): a rollback to the initial parameters. */
  resetState(): void {
    this.states.clear();
  }

  /** Copies of the optimizer state: slots keyed `name#slot`, step counts by parameter name. */
  exportState(): LocalOptimizerState {
    const slots: Record<string, Float32Array> = {};
    const steps: Record<string, number> = {};
    for (const [name, st] of this.states) {
      steps[name] = st.step;
      for (const [slot, v] of Object.entries(st.slots))
        slots[`${name}#${slot}`] = Float32Array.from(v);
    }
    return { slots, steps };
  }

  /**
   * Replaces the optimizer state with `state` (as `exportState` made it): a parameter listed in
   * `steps` gets its slots back, every other starts fresh at its first step.
   */
  restoreState(state: LocalOptimizerState): void {
    this.states.clear();
    const sizes = new Map<string, number>();
    for (const [key, v] of Object.entries(state.slots))
      sizes.set(key.slice(0, key.indexOf('#')), v.length);
    for (const [name, step] of Object.entries(state.steps)) {
      // The optimizer decides which slots exist (SGD without momentum has none).
      const st = this.optimizer.createState(sizes.get(name) ?? 0);
      for (const [slot, dst] of Object.entries(st.slots)) {
        const v = state.slots[`${name}#${slot}`];
        if (!v || v.length !== dst.length)
          throw new RangeError(
            `local SGD state lacks slot '${name}#${slot}' of ${dst.length} values`,
          );
        dst.set(v);
      }
      st.step = step;
      this.states.set(name, st);
    }
  }
}

/** A trainer's local optimizer state: slots keyed `name#slot`, optimizer steps per parameter. */
export interface LocalOptimizerState {
  slots: Record<string, Float32Array>;
  steps: Record<string, number>;
}

/** The shard's side: adds an already weighted-mean delta to the slices and bumps the version. */
export function applyMeanDelta(store: ParameterStore, mean: ParamMap): void {
  for (const [key, d] of mean) {
    const p = store.params.get(key);
    if (!p) throw new RangeError(`unknown parameter '${key}'`);
    if (d.length !== p.length)
      throw new RangeError(`delta of '${key}' has ${d.length} values, parameter ${p.length}`);
    for (let i = 0; i < p.length; i++) p[i] += d[i];
  }
  store.version++;
}
