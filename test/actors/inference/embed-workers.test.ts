// `weft embed --workers N`: the pool's output is byte-identical to the single-thread pass (node and
// link runs, sampled neighbourhoods, batches finishing out of order), and a failing batch is named
// by its node range with nothing written.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { embedRun } from '../../../actors/inference/embed-run.js';
import {
  computeInOrder,
  EmbedBatchError,
  numBatches,
} from '../../../actors/inference/ordered-batches.js';
import type { EmbedTask } from '../../../actors/inference/embed-task.js';
import { run as embedCommand } from '../../../cli/commands/embed.js';
import { ConfigError } from '../../../runtime/errors.js';
import { moduleUrl } from '../../../runtime/module-url.js';
import { WorkerPool } from '../../../runtime/pool.js';
import { trainedPairForFile } from './fixture.js';

const runs = trainedPairForFile('weft-embed-workers-');

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir).filter((n) => n !== 'manifest.json'))
    out[f] = readFileSync(join(dir, f));
  return out;
}

describe('embedRun --workers', () => {
  for (const which of ['node', 'link'] as const) {
    it(`writes the same bytes with 1, 2 and 3 workers (${which} run)`, async () => {
      const run = which === 'node' ? runs.node : runs.link;
      const out = join(runs.dir, `emb-${which}`);
      // Small batches: many per worker, so threads finish out of order and rows must be reordered.
      const one = await embedRun(run.runDir, { out, workers: 1, batchSize: 97 });
      const reference = files(one.dir);
      expect(reference['embeddings.f32'].byteLength).toBe(
        one.manifest.count * one.manifest.dim * 4,
      );
      expect(one.manifest.count).toBeGreaterThan(97 * 6);
      const ids = new Int32Array(reference['ids.i32'].buffer.slice(0));
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1] + 1);
      for (const workers of [2, 3]) {
        const many = await embedRun(run.runDir, { out, workers, batchSize: 97 });
        const got = files(many.dir);
        expect(Object.keys(got).sort()).toEqual(Object.keys(reference).sort());
        for (const f of Object.keys(reference)) expect(got[f].equals(reference[f]), f).toBe(true);
        expect(many.manifest.files).toEqual(one.manifest.files);
      }
    }, 90_000);
  }

  it('refuses a worker count below 1, naming the flag', async () => {
    const err = await embedRun(runs.node.runDir, { out: join(runs.dir, 'bad'), workers: 0 }).catch(
      (e: unknown) => e as ConfigError,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/--workers/);
    expect(existsSync(join(runs.dir, 'bad'))).toBe(false);
    const out = join(runs.dir, 'bad-cli');
    await expect(embedCommand([runs.node.runDir, '--out', out, '--workers', '0'])).rejects.toThrow(
      /--workers/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('takes --workers on the command line', async () => {
    const out = join(runs.dir, 'emb-cli');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const workers of ['1', '2']) {
        const argv = [runs.node.runDir, '--out', out, '--workers', workers, '--batch-size', '400'];
        expect(await embedCommand([...argv, '--quiet'])).toBe(0);
      }
    } finally {
      log.mockRestore();
    }
    const dirs = ['v000001', 'v000002'].map((v) => join(out, 'inf-node', v));
    expect(files(dirs[1])['embeddings.f32'].equals(files(dirs[0])['embeddings.f32'])).toBe(true);
  });
});

describe('computeInOrder', () => {
  const plan = { offset: 100, count: 1000, batchSize: 128 };

  it('hands rows over in batch order with at most `window` batches alive', async () => {
    let alive = 0;
    let most = 0;
    const written: number[] = [];
    await computeInOrder(
      plan,
      3,
      async (task) => {
        alive++;
        most = Math.max(most, alive);
        // Later batches finish first: the writer must still see them in order.
        for (let i = 0; i < (numBatches(plan) - task.batch) * 3; i++) await Promise.resolve();
        return new Float32Array([task.first]);
      },
      (task, rows) => {
        alive--;
        expect(rows[0]).toBe(task.first);
        written.push(task.batch);
      },
    );
    expect(written).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("names a pool thread's failure by its node range and batch, and stops writing there", async () => {
    const pool = new WorkerPool<EmbedTask, Float32Array>({
      module: moduleUrl('./failing-embed-task.js', import.meta.url),
      threads: 2,
      name: 'embed-test',
    });
    const written: number[] = [];
    try {
      const err = await computeInOrder(
        plan,
        4,
        (task) => pool.run(task),
        (task) => written.push(task.batch),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EmbedBatchError);
      expect((err as Error).message).toBe(
        'nodes 484..611 (batch 3): feature row of node 500 unreadable',
      );
      expect(written).toEqual([0, 1, 2]);
    } finally {
      await pool.close({ force: true });
    }
  });
});
