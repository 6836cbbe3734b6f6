// The sampling kernels' public surface in one import: build a sampler, sample seeds or seed edges into
// message-flow blocks, gather their features. Implementation files stay importable directly.
export { createSampler, NeighborSampler, type SeedIds } from './neighbor-sampler.js';
export { gatherSubgraphFeatures, gatherSeedLabels } from './gather.js';
export { PprPush } from './ppr-push.js';
export {
  BUDGET_DEFAULTS,
  FanoutBudget,
  budgetScores,
  checkBudgetOptions,
  maxBudget,
  nodeSizes,
  type BudgetMode,
  type FanoutBudgetOptions,
} from './fanout-budget.js';
export { Xoshiro128 } from '../../runtime/prng.js';
export type {
  PprOptions,
  SampleCallOptions,
  SampledBlock,
  SampledEdgeSubgraph,
  SampledSubgraph,
  SampleEdgesOptions,
  SamplerOptions,
  SamplingStrategy,
  TemporalPick,
} from './types.js';
