// A parameter-server process holding a table shard killed mid-epoch under `weft launch`: the job
// rolls back, reloads every table shard from the checkpoint and ends with the unfailed run's table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedResults } from '../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { EmbeddingShardProtocol } from '../../actors/distributed/embedding-protocol.js';
import { EMB_ROLE } from '../../actors/distributed/embedding-tables.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import { ID_TABLE_PREFIX } from '../../actors/parameter-server/id-table-spec.js';
import { snapshotFromTensors } from '../../actors/parameter-server/sparse-table.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-idemb-rollback-'));
const graphDir = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 2000, edges: 16000, featureDim: 8, classes: 4, seed: 8 }, graphDir);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ROUNDS_PER_EPOCH = 8;
const EPOCHS = 3;

const specFor = (name: string) =>
  applyOverrides(defaultJobSpec(), {
    name,
    graph: graphDir,
    out: join(tmp, name),
    'model.hidden': 8,
    'sampling.fanouts': '4,4',
    'sampling.batchSize': 32,
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'model.idEmbedding.enabled': true,
    'model.idEmbedding.dim': 6,
    'model.idEmbedding.optimizer': 'lazy-adam',
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
    'cluster.nats': 'local',
  });

describe('a table shard lost with its parameter server', () => {
  it('is reloaded from the checkpoint, and the job ends with the unfailed table', async () => {
    const clean = await LaunchedJob.start(specFor('clean'));
    try {
      await clean.wait();
    } finally {
      await clean.stop();
    }
    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('failed'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: job.natsUrl } });
    const emb0 = probe.client({ job: job.job, role: EMB_ROLE, index: 0 }, EmbeddingShardProtocol);
    let r: DistributedResults;
    try {
      // Mid epoch 1: the epoch-0 checkpoint holds the table at version 8.
      const killAt = ROUNDS_PER_EPOCH + 2;
      for (;;) {
        const s = await emb0.ask('stats', {}).catch(() => undefined);
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
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    const a = latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'failed', 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    const table = snapshotFromTensors(ID_TABLE_PREFIX, b.tensors, 'lazy-adam')!;
    expect(table.ids.length).toBeGreaterThan(100);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const [name, x] of a.tensors) expect(b.tensors.get(name), name).toEqual(x);
  }, 150_000);
});
