// A parameter-server shard killed with SIGKILL mid-epoch: the coordinator rolls every shard back to the
// last consistent checkpoint, replays from the epoch after it, and ends where an unfailed run ends.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedResults } from '../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { ShardProtocol } from '../../actors/distributed/protocols.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-ps-rollback-'));
const graphDir = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 5 }, graphDir);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One trainer, local steps 1: one round per batch. */
const ROUNDS_PER_EPOCH = 12;
const EPOCHS = 4;

const specFor = (name: string) =>
  applyOverrides(defaultJobSpec(), {
    name,
    graph: graphDir,
    out: join(tmp, name),
    'model.hidden': 16,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 32,
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
    'cluster.nats': 'local',
  });

const metricsOf = (name: string) =>
  readFileSync(join(tmp, name, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a parameter-server shard lost mid-epoch', () => {
  it('rolls back to the last checkpoint, replays, and ends with the unfailed parameters', async () => {
    const clean = await LaunchedJob.start(specFor('clean'));
    let base: DistributedResults;
    try {
      base = await clean.wait();
    } finally {
      await clean.stop();
    }

    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('failed'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: job.natsUrl } });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ShardProtocol);
    let r: DistributedResults;
    try {
      // Mid epoch 2 (rounds 24..35): the epoch-1 checkpoint is at version 24.
      const killAt = 2 * ROUNDS_PER_EPOCH + 2;
      for (;;) {
        const s = await ps0.ask('stats', {}).catch(() => undefined);
        if (s && s.loaded && s.version >= killAt) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      process.kill(job.pidOf('ps', 1)!, 'SIGKILL');
      r = await job.wait();
    } finally {
      await probe.shutdown();
      await job.stop();
    }
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
    const a = latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'failed', 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const [name, x] of a.tensors) expect(b.tensors.get(name), name).toEqual(x);
  }, 150_000);
});
