// Piscina worker entry for Weft pools: registers tsx when the task module is TypeScript, loads it once,
// and runs each task envelope `{ fn, task }` with the module's export named `fn`. Plain JavaScript: it
// runs before any loader is registered in the thread.
import { workerData } from 'node:worker_threads';

const config = workerData?.weftPool;
if (!config || typeof config.entry !== 'string') {
  throw new Error(
    'pool-bootstrap.mjs runs only as a WorkerPool thread (workerData.weftPool missing)',
  );
}
if (/\.[cm]?ts$/.test(new URL(config.entry).pathname)) {
  const { register } = await import('tsx/esm/api');
  register();
}
const tasks = await import(config.entry);

export default function runTask(envelope) {
  const fn = tasks[envelope.fn];
  if (typeof fn !== 'function') {
    throw new Error(`pool task module ${config.entry} has no exported function '${envelope.fn}'`);
  }
  return fn(envelope.task);
}
