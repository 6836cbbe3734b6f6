// The optimizer a parameter server runs, from the job's optimizer spec: only the fields each kind uses.
import type { OptimizerSpec } from '../protocols.js';

export function optimizerConfig(o: OptimizerSpec) {
  switch (o.kind) {
    case 'sgd':
      return { kind: 'sgd' as const, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay };
    case 'adagrad':
      return { kind: 'adagrad' as const, lr: o.lr, weightDecay: o.weightDecay };
    case 'adamw':
      return { kind: 'adamw' as const, lr: o.lr, weightDecay: o.weightDecay };
    default:
      return { kind: 'adam' as const, lr: o.lr, weightDecay: o.weightDecay };
  }
}
