// A launched job that checkpoints to a JetStream object store: a parameter-server shard killed with
// SIGKILL rolls back from the object store and ends with an unfailed run's parameters; --resume continues from it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedResults } from '../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../actors/distributed/launcher.js';
import { ShardProtocol } from '../../actors/distributed/protocols.js';
import { applyOverrides, defaultJobSpec } from '../../actors/job-spec.js';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import { JetStreamCheckpointStore } from '../../actors/parameter-server/jetstream-checkpoint-store.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { findNatsServer, startNatsServer } from '../helpers/nats-server.js';

const haveServer = findNatsServer() !== undefined;
if (!haveServer)
  console.warn('nats-server not installed: skipping the JetStream checkpoint job test');

const tmp = mkdtempSync(join(tmpdir(), 'weft-js-ckpt-'));
const graphDir = join(tmp, 'g');
beforeAll(async () => {
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 5 }, graphDir);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ROUNDS_PER_EPOCH = 12;
const EPOCHS = 3;

const specFor = (name: string, store: 'path' | 'jetstream', epochs = EPOCHS) =>
  applyOverrides(defaultJobSpec(), {
    name,
    graph: graphDir,
    out: join(tmp, name),
    'model.hidden': 16,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 32,
    'train.epochs': epochs,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'train.checkpointStore': store,
    'runtime.transport': 'nats',
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

/** Opens the run's JetStream store folder with a server of our own and reads the newest version. */
async function latestInObjectStore(name: string) {
  const server = await startNatsServer({ jetStreamDir: join(tmp, name, 'jetstream') });
  const nc = await connect({ servers: server.url });
  try {
    const store = await JetStreamCheckpointStore.open(nc, `weft-ckpt-${name}`);
    return { latest: (await store.latest())!, versions: await store.versions() };
  } finally {
    await nc.close();
    await server.stop();
  }
}

describe.skipIf(!haveServer)('checkpoints in a JetStream object store', () => {
  it('a shard killed: rollback from the object store; the end equals an unfailed run; --resume continues', async () => {
    const clean = await LaunchedJob.start(specFor('clean', 'path'));
    try {
      await clean.wait();
    } finally {
      await clean.stop();
    }

    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('objstore', 'jetstream'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    const probe = await ActorSystem.start({ transport: 'nats', nats: { servers: job.natsUrl } });
    const ps0 = probe.client({ job: job.job, role: 'ps', index: 0 }, ShardProtocol);
    let r: DistributedResults;
    try {
      // Mid epoch 1 (rounds 12..23): the epoch-0 checkpoint, at version 12, is in the object store.
      const killAt = ROUNDS_PER_EPOCH + 2;
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
    expect(r.distributed.batches_applied).toBe(EPOCHS * ROUNDS_PER_EPOCH);
    expect(r.distributed.batches_repeated).toBe(0);
    expect(r.distributed.batches_missing).toBe(0);
    const m = metricsOf('objstore');
    const rollbacks = m.filter((l) => l.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0].version).toBe(ROUNDS_PER_EPOCH);
    expect(rollbacks[0].checkpoint).toBe('jetstream://weft-ckpt-objstore/v000000012');
    const saved = m.filter((l) => l.kind === 'checkpoint').map((l) => String(l.detail));
    expect(saved.length).toBeGreaterThanOrEqual(EPOCHS);
    for (const s of saved) expect(s).toMatch(/^jetstream:\/\/weft-ckpt-objstore\/v\d{9}$/);
    // Nothing went to the run directory's checkpoints/: JetStream's files live in RUN_DIR/jetstream.
    expect(existsSync(join(tmp, 'objstore', 'checkpoints'))).toBe(false);
    expect(existsSync(join(tmp, 'objstore', 'jetstream'))).toBe(true);

    // The object store's newest version equals the unfailed run's last checkpoint, tensor by tensor.
    const a = latestCheckpoint(join(tmp, 'clean', 'checkpoints'))!;
    const { latest: b, versions } = await latestInObjectStore('objstore');
    expect(versions[0]).toBe(EPOCHS * ROUNDS_PER_EPOCH);
    expect(versions.length).toBeLessThanOrEqual(3);
    expect(b.step).toBe(a.step);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const [name, x] of a.tensors) expect(b.tensors.get(name), name).toEqual(x);

    // --resume with one more epoch: a new local server opens the same store and continues from it.
    const more = await LaunchedJob.start(specFor('objstore', 'jetstream', EPOCHS + 1), {
      resume: true,
    });
    let r2: DistributedResults;
    try {
      r2 = await more.wait();
    } finally {
      await more.stop();
    }
    expect(r2.epochs).toBe(EPOCHS + 1);
    expect(r2.distributed.batches_planned).toBe(ROUNDS_PER_EPOCH);
    expect(r2.distributed.batches_applied).toBe(ROUNDS_PER_EPOCH);
    const restore = metricsOf('objstore').filter((l) => l.kind === 'restore');
    expect(restore).toHaveLength(1);
    expect(String(restore[0].detail)).toContain(
      `version ${EPOCHS * ROUNDS_PER_EPOCH} from jetstream://weft-ckpt-objstore/`,
    );
    const after = await latestInObjectStore('objstore');
    expect(after.latest.step).toBe((EPOCHS + 1) * ROUNDS_PER_EPOCH);
    expect(after.latest.meta.epoch).toBe(EPOCHS);
  }, 240_000);
});
