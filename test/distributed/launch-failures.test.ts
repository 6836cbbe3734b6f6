// A launched job survives a trainer and a sampler killed with SIGKILL mid-epoch: the coordinator notices
// within 10 s, the launcher restarts them, and every planned batch is applied exactly once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { ShardProtocol } from '../../actors/distributed/protocols.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-fail-'));
const graphDir = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 3 }, graphDir);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ROUNDS_PER_EPOCH = 12;

describe('failures under weft launch', () => {
  it('a trainer and a sampler killed mid-epoch: restarted, no batch lost or trained twice', async () => {
    const spec = applyOverrides(defaultJobSpec(), {
      name: 'fail-test',
      graph: graphDir,
      out: join(tmp, 'run'),
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 32,
      'train.epochs': 4,
      'train.maxStepsPerEpoch': 2 * ROUNDS_PER_EPOCH,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 2,
      'cluster.nats': 'local',
    });
    const events: string[] = [];
    const job = await LaunchedJob.start(spec, {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({
      transport: 'nats',
      nats: { servers: job.natsUrl },
    });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ShardProtocol);
    const versionReaches = async (v: number) => {
      for (;;) {
        const s = await ps0.ask('stats', {}).catch(() => undefined);
        if (s && s.loaded && s.version >= v) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    let r;
    let killedAtS: number | undefined;
    try {
      // Mid epoch 1: a trainer; mid epoch 2: a sampler.
      await versionReaches(ROUNDS_PER_EPOCH + 4);
      process.kill(job.pidOf('trainer', 1)!, 'SIGKILL');
      killedAtS = Date.now() / 1000;
      await versionReaches(2 * ROUNDS_PER_EPOCH + 4);
      process.kill(job.pidOf('sampler', 0)!, 'SIGKILL');
      r = await job.wait();
    } finally {
      await probe.shutdown();
      await job.stop();
    }
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
    const spec = applyOverrides(defaultJobSpec(), {
      name: 'nats-restart-test',
      graph: graphDir,
      out: join(tmp, 'run-restart'),
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 32,
      'train.epochs': 3,
      'train.maxStepsPerEpoch': 2 * ROUNDS_PER_EPOCH,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 2,
      'cluster.nats': 'local',
    });
    const job = await LaunchedJob.start(spec);
    const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: job.natsUrl } });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ShardProtocol);
    let r;
    try {
      for (;;) {
        const s = await ps0.ask('stats', {}).catch(() => undefined);
        if (s && s.loaded && s.version >= ROUNDS_PER_EPOCH + 3) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      await job.natsServer!.restart();
      r = await job.wait();
    } finally {
      await probe.shutdown();
      await job.stop();
    }
    expect(r.epochs).toBe(3);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.test.accuracy).toBeGreaterThan(0.4);
  }, 120_000);
});
