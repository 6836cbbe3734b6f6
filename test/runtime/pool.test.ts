// WorkerPool: TypeScript task modules load in piscina threads, the buffers given at start are shared by
// all threads (a write in one is seen in another), and results travel through a ShmQueue.
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../runtime/pool.js';
import { ShmQueue } from '../../runtime/shm-queue.js';
import { readBatch } from '../../runtime/shm-queue-batch.js';
import { ConfigError } from '../../runtime/errors.js';
import type { PoolShared } from './fixtures/pool-tasks.js';

const tasks = new URL('./fixtures/pool-tasks.ts', import.meta.url);

describe('WorkerPool', () => {
  it('2 threads write batches into a queue consumed here; statuses stay tiny', async () => {
    const queue = ShmQueue.create({
      capacityBytes: 1 << 16,
      producers: 'multi',
      name: 'pool-results',
    });
    const shared: PoolShared = { queue: queue.handle, board: new SharedArrayBuffer(16) };
    const pool = new WorkerPool<
      { seed: number; batches: number; size: number },
      { threadId: number; written: number }
    >({ module: tasks, shared, threads: 2, name: 'sampling' });
    const consumer = queue.consumer();
    const seeds = [1, 2, 3, 4, 5, 6];
    const batches = 40;
    const size = 300; // 40 * 6 batches of ~2.4 KB through a 64 KB ring: producers block and resume
    const statuses = Promise.all(seeds.map((seed) => pool.run({ seed, batches, size })));
    const nextBatch = new Map<number, number>(seeds.map((s) => [s, 0]));
    let received = 0;
    while (received < seeds.length * batches) {
      const r = await consumer.popAsync({ timeoutMs: 30_000 });
      expect(r).not.toBeNull();
      const { ids, weights, meta } = readBatch<{
        ids: Int32Array;
        weights: Float32Array;
        meta: Int32Array;
      }>(r!);
      const [seed, b] = meta;
      expect(b).toBe(nextBatch.get(seed)); // each task's batches arrive in its order
      nextBatch.set(seed, b + 1);
      expect(ids.length).toBe(size);
      for (let k = 0; k < size; k++) {
        if (ids[k] !== seed * 1_000_000 + b * 1000 + k || weights[k] !== k / 2) {
          throw new Error(`batch ${seed}/${b} corrupt at ${k}`);
        }
      }
      expect(ids.buffer).toBe(queue.buffer); // read in place
      r!.release();
      received++;
    }
    const done = await statuses;
    for (const s of done) {
      expect(s.written).toBe(batches);
      expect(JSON.stringify(s).length).toBeLessThan(64);
    }
    expect(pool.threads).toBe(2);
    expect(pool.completed).toBe(seeds.length);
    await pool.close();
  });

  it('hands the shared buffer to every thread once: a write in one thread is seen in the other', async () => {
    const queue = ShmQueue.create({ capacityBytes: 1024, producers: 'multi' });
    const board = new SharedArrayBuffer(16);
    const pool = new WorkerPool<void, { me: number; other: number }>({
      module: tasks,
      shared: { queue: queue.handle, board } satisfies PoolShared,
      threads: 2,
    });
    const [a, b] = await Promise.all([
      pool.run(undefined, { fn: 'rendezvous' }),
      pool.run(undefined, { fn: 'rendezvous' }),
    ]);
    expect(a.me).not.toBe(b.me);
    expect(a.other).toBe(b.me);
    expect(b.other).toBe(a.me);
    // The main thread's view is the same memory.
    const view = new Int32Array(board);
    expect(view[0]).toBe(2);
    expect([view[1], view[2]].sort()).toEqual([a.me, b.me].sort());
    await pool.close();
  });

  it('names a missing task function and rejects bad options', async () => {
    const pool = new WorkerPool({
      module: tasks,
      threads: 1,
      shared: { queue: null, board: null },
    });
    await expect(pool.run(undefined, { fn: 'nope' })).rejects.toThrow(
      /no exported function 'nope'/,
    );
    await pool.close();
    expect(() => new WorkerPool({ module: tasks, threads: 0 })).toThrow(ConfigError);
    expect(() => new WorkerPool({ module: 'x.ts' as unknown as URL })).toThrow(/must be a URL/);
  });
});
