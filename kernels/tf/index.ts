// The tfjs layer of the compute kernels: backend selection, JS kernels registered per backend,
// the optional per-phase timer and the compute errors.

export * from './backend.js';
export * from './js-kernel.js';
export * from './op-timer.js';
export * from './errors.js';
