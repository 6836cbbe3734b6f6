// Async updates under weft launch with a trainer killed by SIGKILL mid-epoch: the restarted trainer
// resumes at the updates the shards applied, every batch lands once on every shard, none too stale.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { ShardProtocol } from '../../actors/distributed/protocols.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-async-restart-'));
const graphDir = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 3 }, graphDir);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Async with localSteps 1: one version per batch. */
const BATCHES_PER_EPOCH = 24;
const BOUND = 2;

describe('async updates with a trainer killed mid-epoch', () => {
  it('resumes, applies every batch exactly once on every shard, never past the bound', async () => {
    const spec = applyOverrides(defaultJobSpec(), {
      name: 'async-restart',
      graph: graphDir,
      out: join(tmp, 'run'),
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 32,
      'train.epochs': 3,
      'train.maxStepsPerEpoch': BATCHES_PER_EPOCH,
      'train.sync': 'async',
      'train.staleness': BOUND,
      'cluster.trainers': 2,
      'cluster.parameterServers': 2,
      'cluster.samplers': 1,
      'cluster.nats': 'local',
    });
    const events: string[] = [];
    const job = await LaunchedJob.start(spec, {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: job.natsUrl } });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ShardProtocol);
    let r;
    try {
      for (;;) {
        const s = await ps0.ask('stats', {}).catch(() => undefined);
        if (s && s.loaded && s.version >= BATCHES_PER_EPOCH + 6) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      process.kill(job.pidOf('trainer', 1)!, 'SIGKILL');
      r = await job.wait();
    } finally {
      await probe.shutdown();
      await job.stop();
    }
    expect(events).toContain('restarting trainer 1');
    const d = r.distributed;
    expect(r.epochs).toBe(3);
    expect(d.sync).toBe('async');
    expect(d.batches_planned).toBe(3 * BATCHES_PER_EPOCH);
    expect(d.batches_applied).toBe(d.batches_planned);
    expect(d.batches_repeated).toBe(0);
    expect(d.batches_missing).toBe(0);
    expect(d.rounds).toBe(d.batches_planned);
    expect(d.max_staleness).toBeLessThanOrEqual(BOUND);
    expect(r.test.accuracy).toBeGreaterThan(0.4); // 4 classes: chance is 0.25
    // The restarted trainer picked epoch 1 up after the updates it had applied, not from its start.
    const resumed = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; detail?: string })
      .filter((l) => l.kind === 'resumed');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0].detail).toMatch(/^trainer 1 resumed epoch 1 at round [1-9]/);
  }, 90_000);
});
