// `weft launch`'s process layout on Cora: 2 trainers × 2 parameter-server shards × 2 samplers, each a
// separate process on a real nats-server, against the single-process run that makes the same updates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCora, haveCora, needsCora } from '../../helpers/cora.js';
import type { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { metricsOf, processAlive, singleAndLaunched } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

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
      let pids: number[] = [];
      let launchedJob: LaunchedJob | undefined;
      const {
        single,
        launched: r,
        singleDir,
        runDir,
      } = await singleAndLaunched(base, tmp, 'cora-launch-test', {
        cluster: { 'cluster.samplers': 2 },
        onStart: (job) => {
          launchedJob = job;
          pids = (['coordinator', 'ps', 'sampler', 'trainer'] as const).flatMap((role) =>
            [0, 1].flatMap((i) => job.pidOf(role, i) ?? []),
          );
        },
      });
      expect(pids.length).toBe(7);
      expect(pids.some(processAlive)).toBe(false);
      expect(launchedJob?.natsServer?.pid).toBeUndefined();

      expect(Math.abs(r.test.accuracy - single.test.accuracy)).toBeLessThanOrEqual(0.01);
      expect(r.test.accuracy).toBeGreaterThan(0.75);
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(r.distributed.batches_repeated).toBe(0);
      expect(r.distributed.rounds).toBe(60);
      // Same run dir layout as weft train, and the very same parameters at the end.
      const saved = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
      expect(saved.test.accuracy).toBe(r.test.accuracy);
      const steps = metricsOf(runDir).filter((l) => l.type === 'step');
      expect(steps.length).toBe(120);
      expectSameParameters(singleDir, runDir);
    }, 300_000);
  },
);
