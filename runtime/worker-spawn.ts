// Starts a worker thread from a module URL, whether the module is compiled JavaScript or TypeScript
// source (then a small bootstrap registers tsx in the new thread before loading it).
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { isTypeScriptUrl } from './module-url.js';
import { workerResourceLimits } from './young-generation.js';

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);

/**
 * `new Worker(entry)` that also works for TypeScript entries; workerData and ports pass unchanged, and
 * the young generation is capped (runtime/young-generation.ts) unless `resourceLimits` sets it.
 */
export function spawnWorker(entry: URL, given: WorkerOptions = {}): Worker {
  const options = { ...given, resourceLimits: workerResourceLimits(given.resourceLimits) };
  if (!isTypeScriptUrl(entry)) return new Worker(entry, options);
  return new Worker(bootstrap, {
    ...options,
    argv: [...(options.argv ?? []), `--weft-entry=${entry.href}`],
  });
}
