// A launched job heals from faults of its own plane: the local nats-server stopped (/status says the
// job is disconnected) and later SIGKILLed (the launcher starts it again on the same port with the same
// users) ends with the parameters of an unfailed run; an actor that exits 0 without being told is restarted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../../../actors/coordinator/job-status.js';
import { LaunchedJob, type LaunchRecord } from '../../../actors/distributed/launcher.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import {
  atVersion,
  eventually,
  finish,
  launchedSpec,
  metricsOf,
  synthGraphFixture,
  statusOf,
} from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-launch-heal-', { seed: 7 });

/** 2 trainers, local steps 1, 24 batches: 12 rounds per epoch. */
const ROUNDS_PER_EPOCH = 12;
const EPOCHS = 3;

const specFor = (name: string, metricsPort = 0) =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': 2 * ROUNDS_PER_EPOCH,
    'cluster.trainers': 2,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
    'runtime.metricsPort': metricsPort,
  });

describe('a launched job heals', () => {
  it('from its nats-server stopped, then SIGKILLed: same final parameters as an unfailed run', async () => {
    const base = await finish(await LaunchedJob.start(specFor('clean')));

    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('nats-killed', 1), {
      targetsDir: join(tmp, 'targets'),
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const server = job.natsServer!;
    const firstPid = server.pid;
    let seen: JobStatus | undefined;
    const r = await finish(job, async () => {
      // Mid epoch 1 the server goes away (stopped on purpose: the launcher leaves it down), and the
      // coordinator's /status says so instead of "training" with no healthy actor.
      await atVersion(job, ROUNDS_PER_EPOCH + 3, () => server.halt());
      seen = await eventually('/status to say disconnected', async () => {
        const s = await statusOf(job);
        return s?.state === 'disconnected' ? s : undefined;
      });
      await server.restart();
      await eventually('/status to leave disconnected', async () => {
        const s = await statusOf(job);
        return s && s.state !== 'disconnected' ? s : undefined;
      });
      // Mid epoch 2 it is killed outright: the launcher restarts it on the same port and config.
      await atVersion(job, 2 * ROUNDS_PER_EPOCH + 3, () => process.kill(server.pid!, 'SIGKILL'));
      await eventually('the nats-server restarted', () =>
        events.includes('started nats 0') ? true : undefined,
      );
    });
    expect(seen!.disconnected_since_s).toBeGreaterThan(0);
    expect(events).toContain('restarting nats 0');
    expect(server.pid).toBeUndefined(); // stopped with the job
    const record = JSON.parse(readFileSync(job.recordFile, 'utf8')) as LaunchRecord;
    expect(record.nats!.restarts).toBe(1);
    expect(record.nats!.pid).not.toBe(firstPid);

    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.batches_planned).toBe(EPOCHS * 2 * ROUNDS_PER_EPOCH);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    expect(r.distributed.rollbacks).toBe(0);
    expect(r.test.accuracy).toBe(base.test.accuracy);
    const a = latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'nats-killed', 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const [name, x] of a.tensors) expect(b.tensors.get(name), name).toEqual(x);
  }, 300_000);

  it('an actor that exits with code 0 without a shutdown from the coordinator is restarted', async () => {
    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('untold-exit'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}: ${e.detail}`),
    });
    // SIGTERM: the trainer drains and exits 0 on its own account, not the coordinator's. Draining
    // finishes the epoch in hand, so the signal goes early in the first epoch: the exit then comes
    // with two epochs left for the restart, however late a loaded machine delivers it.
    const r = await finish(job, () =>
      atVersion(job, 2, () => process.kill(job.pidOf('trainer', 1)!, 'SIGTERM')),
    );
    expect(events).toContain(
      'exited trainer 1: exit code 0 without a shutdown from the coordinator',
    );
    expect(events.some((e) => e.startsWith('restarting trainer 1'))).toBe(true);
    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    // At the end every actor was told: none of the final exits is taken for a failure.
    const finalExits = events.filter((e) => e.startsWith('exited') && e.includes('without'));
    expect(finalExits, events.join('\n')).toHaveLength(1);
    expect(metricsOf(join(tmp, 'untold-exit')).some((l) => l.kind === 'epoch-start')).toBe(true);
  }, 180_000);
});
