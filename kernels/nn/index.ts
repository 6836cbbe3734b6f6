// Layers, models and losses on top of the graph ops: GraphSAGE with node and link heads, and the
// fused differentiable pieces it is built from.

export * from './block.js';
export * from './params.js';
export * from '../../runtime/prng.js';
export * from './dense.js';
export * from './relu.js';
export * from './dropout.js';
export * from './l2-normalize.js';
export * from './layer-norm.js';
export * from './softmax-cross-entropy.js';
export * from './link-loss.js';
export * from './link-decoder.js';
export * from './node-head.js';
export * from './link-head.js';
export * from './graphsage.js';
