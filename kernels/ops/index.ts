// The graph ops of the compute layer: importing this registers every kernel and gradient with tfjs.
// Each op lives in its own file with its forward kernel, its gradient and its float64 reference.

export * from './csr-mean.js';
export * from './csr-mean-data.js';
export * from './unsorted-segment-sum.js';
export * from './segment-mean.js';
export * from './gather-rows.js';
export * from './edge-dot.js';
