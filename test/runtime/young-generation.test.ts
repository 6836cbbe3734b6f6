// Worker threads start with a capped young generation (runtime/young-generation.ts): the cap is
// applied by spawnWorker and by the pool, a caller's own limit wins, and the override is checked.
import { readFileSync } from 'node:fs';
import type { ResourceLimits } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../runtime/pool.js';
import { spawnWorker } from '../../runtime/worker-spawn.js';
import {
  MAIN_THREAD_NODE_FLAGS,
  WORKER_YOUNG_GENERATION_MB,
  workerResourceLimits,
} from '../../runtime/young-generation.js';

async function limitsOfWorker(limits?: ResourceLimits): Promise<ResourceLimits> {
  const w = spawnWorker(new URL('./fixtures/limits-worker.ts', import.meta.url), {
    ...(limits ? { resourceLimits: limits } : {}),
  });
  try {
    return await new Promise<ResourceLimits>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

describe('worker young generation', () => {
  const saved = process.env.WEFT_WORKER_YOUNG_MB;
  afterEach(() => {
    if (saved === undefined) delete process.env.WEFT_WORKER_YOUNG_MB;
    else process.env.WEFT_WORKER_YOUNG_MB = saved;
  });

  it('caps the young generation unless the caller or WEFT_WORKER_YOUNG_MB says otherwise', () => {
    delete process.env.WEFT_WORKER_YOUNG_MB;
    expect(workerResourceLimits()).toEqual({
      maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    });
    expect(workerResourceLimits({ maxOldGenerationSizeMb: 512 })).toEqual({
      maxOldGenerationSizeMb: 512,
      maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    });
    expect(workerResourceLimits({ maxYoungGenerationSizeMb: 48 })).toEqual({
      maxYoungGenerationSizeMb: 48,
    });
    process.env.WEFT_WORKER_YOUNG_MB = '12';
    expect(workerResourceLimits()).toEqual({ maxYoungGenerationSizeMb: 12 });
    process.env.WEFT_WORKER_YOUNG_MB = '0';
    expect(workerResourceLimits()).toEqual({});
    process.env.WEFT_WORKER_YOUNG_MB = 'lots';
    expect(() => workerResourceLimits()).toThrow(/WEFT_WORKER_YOUNG_MB.*'lots'/);
  });

  it('a spawned worker starts with the cap, or with the limit its caller gave', async () => {
    delete process.env.WEFT_WORKER_YOUNG_MB;
    expect((await limitsOfWorker()).maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
    expect((await limitsOfWorker({ maxYoungGenerationSizeMb: 24 })).maxYoungGenerationSizeMb).toBe(
      24,
    );
  });

  it("a pool's threads start with the cap", async () => {
    delete process.env.WEFT_WORKER_YOUNG_MB;
    const pool = new WorkerPool<unknown, number | undefined>({
      module: new URL('./fixtures/pool-tasks.ts', import.meta.url),
      threads: 1,
      name: 'limits',
    });
    try {
      expect(await pool.run({}, { fn: 'youngGenerationMb' })).toBe(WORKER_YOUNG_GENERATION_MB);
    } finally {
      await pool.close();
    }
  });

  it("weft's main thread and the actor processes get the workers' semi-spaces", () => {
    // Two semi-spaces and a new large-object space of the same size make the young generation.
    expect(MAIN_THREAD_NODE_FLAGS).toEqual([
      `--max-semi-space-size=${WORKER_YOUNG_GENERATION_MB / 3}`,
    ]);
    const shebang = readFileSync(new URL('../../bin/weft.js', import.meta.url), 'utf8').split(
      '\n',
    )[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${MAIN_THREAD_NODE_FLAGS.join(' ')}`);
  });
});
