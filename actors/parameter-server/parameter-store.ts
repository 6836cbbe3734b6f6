// The parameter server's state: named dense tensors, their optimizer state and a version counter.
// Trainers push gradients (already averaged over their local batches); the store applies them.
import {
  createOptimizer,
  type DenseOptimizer,
  type OptimizerConfig,
  type OptimizerState,
} from '../../kernels/optim/index.js';

export type ParamMap = Map<string, Float32Array>;

export interface PushResult {
  version: number;
  /** False when the push was stale beyond the bound and was dropped. */
  applied: boolean;
}

/**
 * Holds parameters and applies updates. A push averages the gradients of all trainers of one
 * synchronous round (`expected` contributions) before one optimizer step, so N trainers with batch
 * B behave like one trainer with batch N·B.
 */
export class ParameterStore {
  readonly params: ParamMap = new Map();
  private readonly state = new Map<string, OptimizerState>();
  private readonly optimizer: DenseOptimizer;
  version = 0;
  private pending = new Map<string, Float32Array>();
  private pendingCount = 0;

  constructor(
    readonly optimizerConfig: OptimizerConfig,
    initial: ParamMap,
  ) {
    this.optimizer = createOptimizer(optimizerConfig);
    for (const [name, value] of initial) {
      this.params.set(name, Float32Array.from(value));
      this.state.set(name, this.optimizer.createState(value.length));
    }
  }

  /**
   * Adds one trainer's gradient; when `expected` contributions have arrived, applies their mean
   * with learning rate `lr` and bumps the version. Returns whether this push completed a round.
   */
  push(grads: ParamMap, expected = 1, lr?: number): boolean {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new RangeError(`unknown parameter '${name}'`);
      if (g.length !== p.length)
        throw new RangeError(`gradient of '${name}' has ${g.length} values, parameter ${p.length}`);
      const acc = this.pending.get(name);
      if (acc === undefined) this.pending.set(name, expected === 1 ? g : Float32Array.from(g));
      else for (let i = 0; i < g.length; i++) acc[i] += g[i];
    }
    this.pendingCount++;
    if (this.pendingCount < expected) return false;
    for (const [name, g] of this.pending) {
      if (expected > 1) for (let i = 0; i < g.length; i++) g[i] /= expected;
      this.optimizer.step(this.params.get(name)!, g, this.state.get(name)!, lr);
    }
    this.pending = new Map();
    this.pendingCount = 0;
    this.version++;
    return true;
  }

  /** Parameters and optimizer slots as one flat map (`name` and `name#slot`), for checkpoints. */
  snapshot(): ParamMap {
    const out: ParamMap = new Map();
    for (const [name, p] of this.params) {
      out.set(name, p);
      const st = this.state.get(name)!;
      for (const [slot, v] of Object.entries(st.slots)) out.set(`${name}#${slot}`, v);
    }
    return out;
  }

  /** Optimizer step counts per parameter (checkpoint meta). */
  stepCounts(): Record<string, number> {
    return Object.fromEntries([...this.state].map(([n, s]) => [n, s.step]));
  }

  /** Restores from `snapshot()` output and step counts. */
  restore(tensors: ParamMap, steps: Record<string, number>, version: number): void {
    for (const [name, p] of this.params) {
      const v = tensors.get(name);
      if (!v || v.length !== p.length)
        throw new RangeError(`checkpoint lacks parameter '${name}' of ${p.length} values`);
      p.set(v);
      const st = this.state.get(name)!;
      for (const slot of Object.keys(st.slots)) {
        const sv = tensors.get(`${name}#${slot}`);
        if (!sv) throw new RangeError(`checkpoint lacks optimizer slot '${name}#${slot}'`);
        st.slots[slot].set(sv);
      }
      st.step = steps[name] ?? 0;
    }
    this.version = version;
    this.pending = new Map();
    this.pendingCount = 0;
  }

  /** Copies of the current parameters (what a pull returns). */
  copy(): ParamMap {
    return new Map([...this.params].map(([n, p]) => [n, Float32Array.from(p)]));
  }
}
