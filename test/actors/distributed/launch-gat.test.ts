// The GAT encoder through the one pipeline: `weft launch` (trainers, parameter-server shards and
// samplers as processes on a real nats-server) against the single-process run on Cora; the shards
// hold the attention parameters and both runs end with the same values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { buildCora, coraMissing, haveCora } from '../../helpers/cora.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-gat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveCora)('model.encoder gat under weft train and weft launch (Cora)', () => {
  it('trains the same attention parameters in one process and across processes', async () => {
    const g = join(tmp, 'cora');
    await buildCora(g);
    const base = {
      graph: g,
      'train.seed': 2,
      'train.epochs': 15,
      'model.encoder': 'gat',
      'model.hidden': 32,
      'model.dropout': 0.6,
      'model.attention.heads': 4,
      'sampling.fanouts': '10,10',
      'sampling.batchSize': 70,
      'train.lr': 0.01,
      'train.weightDecay': 0.0005,
      'eval.fullNeighbors': true,
    };
    const single = await runTraining(
      applyOverrides(defaultJobSpec(), {
        ...base,
        out: join(tmp, 'single'),
        'train.localSteps': 2,
      }),
    );
    const job = await LaunchedJob.start(
      applyOverrides(defaultJobSpec(), {
        ...base,
        name: 'gat-launch-test',
        out: join(tmp, 'dist'),
        'cluster.trainers': 2,
        'cluster.parameterServers': 2,
        'cluster.samplers': 1,
        'cluster.nats': 'local',
      }),
    );
    let r;
    try {
      r = await job.wait();
    } finally {
      await job.stop();
    }
    // Far above the 0.3 of the majority class: the attention layers learn.
    expect(single.test.accuracy).toBeGreaterThan(0.6);
    expect(Math.abs(r.test.accuracy - single.test.accuracy)).toBeLessThanOrEqual(0.01);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    const a = latestCheckpoint(join(tmp, 'single', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'dist', 'checkpoints'))!;
    // Parameters, then their optimizer slots as `name#slot`.
    const names = [...a.tensors.keys()].filter((n) => !n.includes('#')).sort();
    expect(names).toEqual(
      ['0', '1']
        .flatMap((l) => ['attnDst', 'attnSrc', 'bias', 'weight'].map((p) => `gat${l}.${p}`))
        .sort(),
    );
    expect(b.step).toBe(a.step);
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      let d = 0;
      for (let i = 0; i < t.length; i++) d = Math.max(d, Math.abs(t[i] - u[i]));
      expect(d, name).toBeLessThan(1e-5);
    }
  }, 180_000);
});
if (!haveCora) console.warn(`${coraMissing}: the GAT launch test on Cora is skipped`);
