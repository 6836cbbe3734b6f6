// Non-finite training in an embedded job (weft train): a NaN loss stops the job with an error naming
// the epoch and step (train.onNonFinite fail), or rolls back to the last checkpoint with a lower
// learning rate and finishes (rollback), or fails once train.maxRollbacks rollbacks did not help.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingDivergedError } from '../../../actors/coordinator/non-finite-policy.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { readCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-nonfinite-job-'));
const graph = join(tmp, 'powerlaw');

/** SGD at lr 10 with weight decay 1 multiplies every weight by -9 per step: it overflows by epoch 2. */
function diverging(out: string, over: Record<string, unknown> = {}): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph,
    out,
    'model.hidden': 16,
    'sampling.fanouts': '4,4',
    'sampling.batchSize': 256,
    'train.optimizer': 'sgd',
    'train.momentum': 0,
    'train.weightDecay': 1,
    'train.lr': 10,
    'train.epochs': 8,
    ...over,
  });
}

type Line = Record<string, unknown> & {
  type: string;
  kind?: string;
  loss?: number;
  epoch?: number;
};
const linesOf = (out: string): Line[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

/** Every tensor of every checkpoint version under `out`: each must be finite. */
function checkpointsFinite(out: string): number {
  const root = join(out, 'checkpoints');
  const versions = readdirSync(root).filter((d) => /^v\d{9}$/.test(d));
  for (const v of versions)
    for (const [name, t] of readCheckpoint(join(root, v)).tensors)
      expect(t.every(Number.isFinite), `${v} ${name}`).toBe(true);
  return versions.length;
}

beforeAll(async () => {
  await synthPowerlaw({ nodes: 2000, edges: 20000, featureDim: 8, classes: 4, seed: 3 }, graph);
});

describe('non-finite training (embedded)', () => {
  it('fails with the epoch and step of the NaN loss (train.onNonFinite fail)', async () => {
    const out = join(tmp, 'fail');
    const error = await runTraining(diverging(out)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.code).toBe('training-diverged');
    expect(e.message).toMatch(
      /^training stopped in epoch (\d+): non-finite (loss: NaN at epoch \1, step \d+|update: \S+ is \S+ in the update of round \d+ \(epoch \1)/,
    );
    expect(e.message).toMatch(/train\.onNonFinite is fail: lower train\.lr/);
    const events = linesOf(out).filter((l) => l.kind === 'non-finite');
    expect(events).toHaveLength(1);
    expect(events[0].failed).toBe(true);
    expect(events[0].epoch).toBe(e.epoch);
    // Nothing non-finite was checkpointed; the epochs before the failure were.
    expect(checkpointsFinite(out)).toBe(Math.min(3, e.epoch));
  });

  it('weft train exits 1 with that error', async () => {
    const out = join(tmp, 'cli');
    const file = join(tmp, 'diverging.json');
    writeFileSync(file, JSON.stringify(diverging(out)));
    const bin = resolve(import.meta.dirname, '../../../bin/weft.js');
    const failed = await promisify(execFile)(process.execPath, [bin, 'train', file]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /^weft train: training stopped in epoch \d+: non-finite .*; train\.onNonFinite is fail/m,
    );
  });

  it('rolls back to the last checkpoint with a lower learning rate and finishes', async () => {
    const out = join(tmp, 'rollback');
    const r = await runTraining(
      diverging(out, { 'train.onNonFinite': 'rollback', 'train.rollbackLrFactor': 0.01 }),
    );
    expect(r.numerics).toEqual({ non_finite_rollbacks: 1, lr_scale: 0.01 });
    expect(r.epochs).toBe(8);
    expect(r.distributed.rollbacks).toBe(1);
    const lines = linesOf(out);
    const nonFinite = lines.filter((l) => l.kind === 'non-finite');
    expect(nonFinite).toHaveLength(1);
    expect(nonFinite[0].detail).toMatch(/rollback 1 of 3, learning rate 10 → 0\.1/);
    const rollback = lines.find((l) => l.kind === 'rollback')!;
    expect(rollback.epoch).toBe(nonFinite[0].epoch);
    // The replayed epochs' steps are all finite, and the model learns again at the lower rate.
    const steps = lines.filter((l) => l.type === 'step');
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(steps.filter((s) => s.epoch === 7).length).toBeGreaterThan(0);
    expect(r.val.accuracy).toBeGreaterThan(0.4); // 4 classes: chance is 0.25
    expect(checkpointsFinite(out)).toBe(3);
    // The lowered rate is checkpointed, so --resume keeps it.
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.numerics.lr_scale).toBe(0.01);
  });

  it('fails after train.maxRollbacks when rolling back does not help (NaN features)', async () => {
    const dirty = join(tmp, 'dirty');
    const edges = join(tmp, 'edges.tsv');
    const rows: string[] = [];
    const lines: string[] = [];
    for (let v = 0; v < 400; v++) {
      lines.push(`${v}\t${(v * 7 + 1) % 400}`, `${v}\t${(v * 13 + 5) % 400}`);
      rows.push(v % 50 === 7 ? 'nan,1,1,1' : `${v % 3},1,${v % 5},1`);
    }
    writeFileSync(edges, lines.join('\n'));
    const feats = join(tmp, 'features.csv');
    writeFileSync(feats, rows.join('\n'));
    const labels = join(tmp, 'labels.tsv');
    writeFileSync(labels, rows.map((_, v) => `${v}\t${v % 3}`).join('\n'));
    const split = join(tmp, 'split.tsv');
    writeFileSync(split, rows.map((_, v) => `${v}\t${['train', 'val', 'test'][v % 3]}`).join('\n'));
    await buildGraph({ edges, features: feats, labels, split, allowNonFinite: true, out: dirty });
    const out = join(tmp, 'bounded');
    const spec = applyOverrides(defaultJobSpec(), {
      graph: dirty,
      out,
      'model.hidden': 8,
      'sampling.fanouts': '3,3',
      'sampling.batchSize': 64,
      'train.epochs': 3,
      'train.onNonFinite': 'rollback',
      'train.maxRollbacks': 2,
    });
    const error = await runTraining(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.rollbacks).toBe(2);
    expect(e.message).toMatch(
      /^training stopped in epoch 0: non-finite loss: NaN at epoch 0, step \d+ \(\S+\/trainer\/0\); still non-finite after 2 rollbacks \(train\.maxRollbacks\) at learning rate 0\.0025/,
    );
    const events = linesOf(out);
    // Before any checkpoint a rollback returns to the initial parameters.
    const rollbacks = events.filter((l) => l.kind === 'rollback');
    expect(rollbacks).toHaveLength(2);
    expect(rollbacks.every((l) => l.checkpoint === null && l.version === 0)).toBe(true);
    expect(events.filter((l) => l.kind === 'non-finite').map((l) => l.failed ?? false)).toEqual([
      false,
      false,
      true,
    ]);
  });
});
