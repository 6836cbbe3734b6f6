// Local SGD (train.sync local-sgd): a trainer takes K optimizer steps on its own copy of the model and
// pushes its parameter delta; a shard adds the batch-weighted mean of the trainers' deltas to its slices.
import {
  createOptimizer,
  type DenseOptimizer,
  type OptimizerState,
} from '../../kernels/optim/index.js';
import type { JobSpec } from '../job-spec.js';
import { optimizerConfig } from '../parameter-server/parameter-server-actor.js';
import type { ParameterStore, ParamMap } from '../parameter-server/parameter-store.js';

/**
 * The trainer's side: its own optimizer (the job's, at train.lr) with state that lives across rounds,
 * the parameters it had at the start of the round, and the parameters it has moved to since.
 */
export class LocalSgd {
  private readonly optimizer: DenseOptimizer;
  private readonly states = new Map<string, OptimizerState>();
  private start: ParamMap = new Map();
  private current: ParamMap = new Map();

  constructor(spec: JobSpec) {
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
      this.optimizer.step(p, g, st);
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

  /** Forgets the optimizer state (momentum, Adam moments): a rollback replays from a checkpoint. */
  resetState(): void {
    this.states.clear();
  }
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
