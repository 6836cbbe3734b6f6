// `weft launch`'s process layout on Cora: 2 trainers × 2 parameter-server shards × 2 samplers, each a
// separate process on a real nats-server, against the single-process run that makes the same updates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { buildCora, haveCora, needsCora } from '../../helpers/cora.js';
import { processAlive } from '../../helpers/launched-job.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-cora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveCora)(
  needsCora('weft launch on Cora (2 trainers × 2 shards × 2 samplers)'),
  () => {
    it('matches the single-process run and leaves no process behind', async () => {
      const g = join(tmp, 'cora');
      await buildCora(g);
      const base = {
        graph: g,
        'train.seed': 1,
        'train.epochs': 60,
        'model.hidden': 64,
        'sampling.fanouts': '25,10',
        'sampling.batchSize': 70,
        'train.lr': 0.01,
        'train.weightDecay': 0.0005,
        'eval.fullNeighbors': true,
      };
      // Two trainers with one batch each per round make the update one trainer makes from two batches.
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
          name: 'cora-launch-test',
          out: join(tmp, 'dist'),
          'cluster.trainers': 2,
          'cluster.parameterServers': 2,
          'cluster.samplers': 2,
          'cluster.nats': 'local',
        }),
      );
      const pids = (['coordinator', 'ps', 'sampler', 'trainer'] as const).flatMap((r) =>
        [0, 1].map((i) => job.pidOf(r, i)).filter((p) => p !== undefined),
      );
      expect(pids.length).toBe(7);
      let r;
      try {
        r = await job.wait();
      } finally {
        await job.stop();
      }
      expect(pids.some(processAlive)).toBe(false);
      expect(job.natsServer?.pid).toBeUndefined();

      expect(Math.abs(r.test.accuracy - single.test.accuracy)).toBeLessThanOrEqual(0.01);
      expect(r.test.accuracy).toBeGreaterThan(0.75);
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(r.distributed.batches_repeated).toBe(0);
      expect(r.distributed.rounds).toBe(60);
      // Same run dir layout as weft train, and the very same parameters at the end.
      const saved = JSON.parse(readFileSync(join(tmp, 'dist', 'results.json'), 'utf8'));
      expect(saved.test.accuracy).toBe(r.test.accuracy);
      const steps = readFileSync(join(tmp, 'dist', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'step');
      expect(steps.length).toBe(120);
      const a = latestCheckpoint(join(tmp, 'single', 'checkpoints'))!;
      const b = latestCheckpoint(join(tmp, 'dist', 'checkpoints'))!;
      expect(b.step).toBe(a.step);
      for (const [name, t] of a.tensors) {
        const u = b.tensors.get(name)!;
        let d = 0;
        for (let i = 0; i < t.length; i++) d = Math.max(d, Math.abs(t[i] - u[i]));
        expect(d, name).toBeLessThan(1e-5);
      }
    }, 120_000);
  },
);
