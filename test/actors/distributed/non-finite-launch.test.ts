// Non-finite training in a launched job (every actor its own process, a local nats-server): `weft
// launch` exits 1 with the error naming the epoch, step and trainer; with train.onNonFinite rollback
// two trainers roll back to the last checkpoint at a lower learning rate and finish the job.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { finish, launchedSpec, metricsOf, synthGraphFixture } from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-nonfinite-launch-', {
  nodes: 2000,
  edges: 20000,
  featureDim: 8,
  seed: 3,
});

/** SGD at lr 10 with weight decay 1 multiplies every weight by -9 per step: the loss overflows. */
const DIVERGING = {
  'model.hidden': 16,
  'sampling.fanouts': '4,4',
  'sampling.batchSize': 256,
  'train.optimizer': 'sgd',
  'train.momentum': 0,
  'train.weightDecay': 1,
  'train.lr': 10,
  'train.epochs': 7,
  'cluster.trainers': 2,
  'cluster.parameterServers': 2,
  'cluster.samplers': 1,
};

describe('non-finite training (weft launch)', () => {
  it('weft launch exits 1 naming the epoch, step and trainer of the NaN loss', async () => {
    const out = join(tmp, 'fail');
    const spec = launchedSpec(graphDir, out, { name: 'nan-fail', ...DIVERGING });
    const file = join(tmp, 'fail.json');
    writeFileSync(file, JSON.stringify(spec));
    const bin = resolve(import.meta.dirname, '../../../bin/weft.js');
    const failed = await promisify(execFile)(process.execPath, [bin, 'launch', file], {
      timeout: 230_000,
    }).then(
      (ok) => ({ code: 0, stderr: ok.stderr }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed?.stderr).toMatch(/the coordinator exited with code 1/);
    const m = /training stopped in epoch (\d+): non-finite (.*); train\.onNonFinite is fail/.exec(
      failed?.stderr ?? '',
    );
    expect(m, failed?.stderr).not.toBeNull();
    expect(m![2]).toMatch(
      new RegExp(
        `^loss: NaN at epoch ${m![1]}, step \\d+ \\(nan-fail/trainer/\\d\\)|^update: |^parameters: `,
      ),
    );
    const events = metricsOf(out).filter((l) => l.kind === 'non-finite');
    expect(events).toHaveLength(1);
    expect(events[0].failed).toBe(true);
  }, 240_000);

  it('rolls two trainers back to the last checkpoint at a lower rate and finishes', async () => {
    const out = join(tmp, 'rollback');
    const spec = launchedSpec(graphDir, out, {
      name: 'nan-rollback',
      ...DIVERGING,
      'train.onNonFinite': 'rollback',
      'train.rollbackLrFactor': 0.01,
    });
    const r = await finish(await LaunchedJob.start(spec));
    expect(r.epochs).toBe(7);
    expect(r.numerics).toEqual({ non_finite_rollbacks: 1, lr_scale: 0.01 });
    expect(r.distributed.rollbacks).toBe(1);
    // The final timeline applies every planned batch exactly once.
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_missing).toBe(0);
    expect(r.distributed.batches_repeated).toBe(0);
    const lines = metricsOf(out);
    const nonFinite = lines.filter((l) => l.kind === 'non-finite');
    expect(nonFinite).toHaveLength(1);
    expect(String(nonFinite[0].detail)).toMatch(/rollback 1 of 3, learning rate 10 → 0\.1$/);
    const rollback = lines.find((l) => l.kind === 'rollback')!;
    expect(rollback.epoch).toBe(nonFinite[0].epoch);
    expect(lines.filter((l) => l.type === 'step').every((l) => Number.isFinite(l.loss))).toBe(true);
  }, 240_000);
});
