import { describe, expect, it } from 'vitest';
import { spawnWorker } from '../../runtime/worker-spawn.js';

describe('spawnWorker', () => {
  it('runs a TypeScript worker entry and gets its reply', async () => {
    const w = spawnWorker(new URL('./fixtures/echo-worker.ts', import.meta.url), {
      workerData: 21,
    });
    const reply = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(reply).toBe(42);
    await w.terminate();
  });
});
