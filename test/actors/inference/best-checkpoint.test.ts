// `weft eval` and `weft embed` score the checkpoint whose numbers results.json reports (the best
// validation epoch) by default and say so; `--checkpoint latest` scores the newest, `--checkpoint N`
// one version; the best version outlives the pruning of older checkpoints.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import type { JobResults } from '../../../actors/coordinator/run-results.js';
import { embedRun } from '../../../actors/inference/embed-run.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { versionDirName } from '../../../actors/parameter-server/checkpoint.js';
import { run as embedCommand } from '../../../cli/commands/embed.js';
import { run as evalCommand } from '../../../cli/commands/eval.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { ConfigError } from '../../../runtime/errors.js';
import { tempRoot } from './fixture.js';

const tmp = tempRoot('weft-best-ckpt-run-');
afterAll(tmp.cleanup);
const runDir = join(tmp.dir, 'run');
let results: JobResults;
const EPOCHS = 8;

beforeAll(async () => {
  const graph = join(tmp.dir, 'powerlaw');
  await synthPowerlaw({ nodes: 2000, edges: 20000, featureDim: 8, classes: 4, seed: 3 }, graph);
  // A high learning rate: validation peaks early and falls back, so the best epoch is not the last.
  results = await runTraining(
    applyOverrides(defaultJobSpec(), {
      name: 'best-ckpt',
      graph,
      out: runDir,
      'model.hidden': 16,
      'sampling.fanouts': '4,4',
      'sampling.batchSize': 256,
      'sampling.handoff': 'inline',
      'train.lr': 0.5,
      'train.seed': 7,
      'train.epochs': EPOCHS,
    }),
  );
});

async function printedBy(run: () => Promise<number>): Promise<string> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await run()).toBe(0);
    return log.mock.calls.map((c) => String(c[0])).join('\n');
  } finally {
    log.mockRestore();
  }
}

describe('the best checkpoint of a run', () => {
  it('is named in results.json and kept although older than the newest three', () => {
    // Counted from 1: more than three checkpoints came after the best one.
    expect(results.best_epoch).toBeLessThanOrEqual(EPOCHS - 4);
    const best = results.best_checkpoint!;
    const dir = versionDirName(best.step);
    expect(best.location).toBe(join(runDir, 'checkpoints', dir));
    const saved = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as JobResults;
    expect(saved.best_checkpoint).toEqual(best);
    expect(readFileSync(join(runDir, 'checkpoints', 'BEST'), 'utf8').trim()).toBe(dir);
    const manifest = JSON.parse(readFileSync(join(best.location, 'manifest.json'), 'utf8'));
    expect(manifest.meta.epoch).toBe(results.best_epoch - 1); // the checkpoint's own count is from 0
  });

  it('is what weft eval scores by default: exactly the numbers results.json reports', async () => {
    const r = await evaluateRun(runDir);
    expect(r.scored).toBe('best');
    expect(r.checkpoint_step).toBe(results.best_checkpoint!.step);
    expect(r.epoch).toBe(results.best_epoch);
    expect(r.val).toEqual(results.val);
    expect(r.test).toEqual(results.test);
    const text = await printedBy(() => evalCommand([runDir, '--split', 'val']));
    expect(text).toContain(
      `best checkpoint (epoch ${results.best_epoch}, version ${results.best_checkpoint!.step}: the numbers results.json reports)`,
    );
  });

  it('scores the newest with --checkpoint latest, and one version with --checkpoint N', async () => {
    const latest = await evaluateRun(runDir, { checkpoint: 'latest', split: 'val' });
    expect(latest.scored).toBe('latest');
    expect(latest.epoch).toBe(EPOCHS);
    expect(latest.checkpoint_step).toBeGreaterThan(results.best_checkpoint!.step);
    expect(latest.best_epoch).toBe(results.best_epoch);
    expect(latest.val!.accuracy).toBeLessThanOrEqual(results.val.accuracy);
    const text = await printedBy(() =>
      evalCommand([runDir, '--split', 'val', '--checkpoint', 'latest']),
    );
    expect(text).toContain(
      `latest checkpoint (epoch ${EPOCHS}, version ${latest.checkpoint_step}; the best validation was epoch ${results.best_epoch} (--checkpoint best))`,
    );
    const one = await evaluateRun(runDir, { checkpoint: results.best_checkpoint!.step });
    expect(one.scored).toBe('version');
    expect(one.test).toEqual(results.test);
    const pruned = await evaluateRun(runDir, { checkpoint: 1 }).catch((e: unknown) => e);
    expect(pruned).toBeInstanceOf(ConfigError);
    expect((pruned as ConfigError).field).toBe('--checkpoint');
    expect((pruned as Error).message).toMatch(/no readable checkpoint version 1 in /);
    await expect(evalCommand([runDir, '--checkpoint', 'newest'])).rejects.toThrow(
      /\[--checkpoint\]: expected best, latest or a checkpoint version/,
    );
  });

  it('is what weft embed writes by default, and it says so', async () => {
    const out = join(tmp.dir, 'emb');
    const best = await embedRun(runDir, { out });
    expect(best.scored).toBe('best');
    expect(best.manifest.source.checkpointStep).toBe(results.best_checkpoint!.step);
    const latest = await embedRun(runDir, { out, checkpoint: 'latest' });
    expect(latest.manifest.source.epoch).toBe(EPOCHS - 1);
    const text = await printedBy(() => embedCommand([runDir, '--out', out, '--quiet']));
    expect(text).toMatch(
      new RegExp(
        `^wrote .*: 2,000 nodes x 4 \\(logits\\) from the best checkpoint \\(epoch ${results.best_epoch}, `,
      ),
    );
  });

  it('falls back to the newest, saying why, for a run that recorded no best', async () => {
    rmSync(join(runDir, 'checkpoints', 'BEST'));
    const r = await evaluateRun(runDir, { split: 'val' });
    expect(r.scored).toBe('latest');
    expect(r.epoch).toBe(EPOCHS);
    expect(r.note).toMatch(/recorded no best checkpoint/);
  });
});
