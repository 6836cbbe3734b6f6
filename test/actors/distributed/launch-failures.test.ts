// A launched job survives a trainer and a sampler killed with SIGKILL mid-epoch: the coordinator notices
// within 10 s, the launcher restarts them, and every planned batch is applied exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import {
  atVersion,
  finish,
  killAtVersion,
  launchedSpec,
  synthGraphFixture,
} from '../../helpers/launched-job.js';

const { tmp, graphDir } = synthGraphFixture('weft-launch-fail-', { seed: 3 });

const ROUNDS_PER_EPOCH = 12;

describe('failures under weft launch', () => {
  it('a trainer and a sampler killed mid-epoch: restarted, no batch lost or trained twice', async () => {
    const spec = launchedSpec(graphDir, join(tmp, 'run'), {
      name: 'fail-test',
      'train.epochs': 4,
      'train.maxStepsPerEpoch': 2 * ROUNDS_PER_EPOCH,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 2,
    });
    const events: string[] = [];
    const job = await LaunchedJob.start(spec, {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    let killedAtS: number | undefined;
    // Mid epoch 1: a trainer; mid epoch 2: a sampler.
    const r = await finish(job, async () => {
      killedAtS = await killAtVersion(job, { role: 'trainer', index: 1 }, ROUNDS_PER_EPOCH + 4);
      await killAtVersion(job, { role: 'sampler', index: 0 }, 2 * ROUNDS_PER_EPOCH + 4);
    });
    expect(events).toContain('restarting trainer 1');
    expect(events).toContain('restarting sampler 0');
    expect(r.epochs).toBe(4);
    expect(r.distributed.batches_planned).toBe(4 * 2 * ROUNDS_PER_EPOCH);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    expect(r.test.accuracy).toBeGreaterThan(0.4); // 4 classes: chance is 0.25
    const lines = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Noticed within 10 s: by missed heartbeats, or by the new process's pid if it came back sooner.
    const noticed = lines.find(
      (l) => (l.kind === 'actor-lost' || l.kind === 'actor-restarted') && l.role === 'trainer',
    );
    expect(noticed).toBeDefined();
    expect(noticed.t - killedAtS!).toBeLessThan(10);
    // The trainer's replacement is seen by the coordinator's pid poll (every 2 s); the sampler dies
    // late in the job, which may end before the next poll, so only the launcher's count is certain.
    expect(r.distributed.actor_restarts).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.kind === 'resumed')).toBe(true);
  }, 120_000);

  it('the NATS server restarted under a running job: clients reconnect and the job finishes', async () => {
    const spec = launchedSpec(graphDir, join(tmp, 'run-restart'), {
      name: 'nats-restart-test',
      'train.epochs': 3,
      'train.maxStepsPerEpoch': 2 * ROUNDS_PER_EPOCH,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 2,
    });
    const job = await LaunchedJob.start(spec);
    const r = await finish(job, () =>
      atVersion(job, ROUNDS_PER_EPOCH + 3, () => job.natsServer!.restart()),
    );
    expect(r.epochs).toBe(3);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.test.accuracy).toBeGreaterThan(0.4);
  }, 120_000);
});
