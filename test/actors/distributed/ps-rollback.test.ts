// A parameter-server shard killed with SIGKILL mid-epoch: the coordinator rolls every shard back to the
// last consistent checkpoint, replays from the epoch after it, and ends where an unfailed run ends.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import {
  finish,
  killPsAtVersion,
  launchedSpec,
  metricsOf as metricsIn,
  synthGraphFixture,
} from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const { tmp, graphDir } = synthGraphFixture('weft-ps-rollback-', { seed: 5 });

/** One trainer, local steps 1: one round per batch. */
const ROUNDS_PER_EPOCH = 12;
const EPOCHS = 4;

const specFor = (name: string) =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
  });

const metricsOf = (name: string) => metricsIn(join(tmp, name));

describe('a parameter-server shard lost mid-epoch', () => {
  it('rolls back to the last checkpoint, replays, and ends with the unfailed parameters', async () => {
    const base = await finish(await LaunchedJob.start(specFor('clean')));

    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('failed'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    // Mid epoch 2 (rounds 24..35): the epoch-1 checkpoint is at version 24.
    const r = await finish(job, () => killPsAtVersion(job, 1, 2 * ROUNDS_PER_EPOCH + 2));
    expect(events).toContain('restarting ps 1');
    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.rollbacks).toBe(1);
    // The rolled-back rounds of epoch 2 (at least the 2 before the kill; all of them when a loaded
    // machine delays the kill past the epoch's last round) are discarded, and the final timeline
    // applies every planned batch exactly once.
    expect(r.distributed.batches_discarded).toBeGreaterThanOrEqual(2);
    expect(r.distributed.batches_discarded).toBeLessThanOrEqual(ROUNDS_PER_EPOCH);
    expect(r.distributed.batches_planned).toBe(EPOCHS * ROUNDS_PER_EPOCH);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    const rollbacks = metricsOf('failed').filter((l) => l.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0].epoch).toBe(2);
    expect(rollbacks[0].version).toBe(2 * ROUNDS_PER_EPOCH);
    expect(String(rollbacks[0].detail)).toContain('epoch 1');
    expect(metricsOf('clean').some((l) => l.kind === 'rollback')).toBe(false);

    // Quality within a point of the unfailed run; replay is deterministic, so in fact identical.
    expect(Math.abs(r.test.accuracy - base.test.accuracy)).toBeLessThanOrEqual(0.01);
    expect(r.test.accuracy).toBe(base.test.accuracy);
    expectSameParameters(join(tmp, 'clean'), join(tmp, 'failed'), 0);
  }, 150_000);
});
