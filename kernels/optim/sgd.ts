// SGD with optional momentum (heavy-ball or Nesterov), dampening and L2 weight decay, with the
// same update rule as PyTorch's torch.optim.SGD (the momentum buffer starts as the first gradient).

import { checkSameLength, type DenseOptimizer, type OptimizerState } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient. */
  weightDecay?: number;
}

export class Sgd implements DenseOptimizer {
  readonly kind = 'sgd';
  readonly slotNames: readonly string[];
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(o: SgdOptions) {
    this.lr = o.lr;
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new RangeError('nesterov momentum needs momentum > 0 and dampening 0');
    this.slotNames = this.momentum !== 0 ? ['momentum'] : [];
  }

  createState(size: number): OptimizerState {
    return { step: 0, slots: this.momentum !== 0 ? { momentum: new Float32Array(size) } : {} };
  }

  step(params: Float32Array, grad: Float32Array, state: OptimizerState, lr = this.lr): void {
    checkSameLength('sgd', params, grad);
    const { momentum: mu, dampening, nesterov, weightDecay: wd } = this;
    const buf = state.slots.momentum;
    const first = state.step === 0;
    for (let i = 0; i < params.length; i++) {
      let g = grad[i] + wd * params[i];
      if (mu !== 0) {
        const b = first ? g : mu * buf[i] + (1 - dampening) * g;
        buf[i] = b;
        g = nesterov ? g + mu * b : b;
      }
      params[i] -= lr * g;
    }
    state.step += 1;
  }
}
