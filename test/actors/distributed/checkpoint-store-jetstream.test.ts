// A launched job that checkpoints to a JetStream object store: a parameter-server shard killed with
// SIGKILL rolls back from the object store and ends with an unfailed run's parameters; --resume continues from it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { JetStreamCheckpointStore } from '../../../actors/parameter-server/jetstream-checkpoint-store.js';
import {
  finish,
  killPsAtVersion,
  launchedSpec,
  metricsOf as metricsIn,
  synthGraphFixture,
} from '../../helpers/launched-job.js';
import { findNatsServer, startNatsServer } from '../../helpers/nats-server.js';

const haveServer = findNatsServer() !== undefined;
if (!haveServer)
  console.warn('nats-server not installed: skipping the JetStream checkpoint job test');

const { tmp, graphDir } = synthGraphFixture('weft-js-ckpt-', { seed: 5 });

const ROUNDS_PER_EPOCH = 12;
const EPOCHS = 3;

const specFor = (name: string, store: 'path' | 'jetstream', epochs = EPOCHS) =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'train.epochs': epochs,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'train.checkpointStore': store,
    'runtime.transport': 'nats',
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
  });

const metricsOf = (name: string) => metricsIn(join(tmp, name));

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
    await finish(await LaunchedJob.start(specFor('clean', 'path')));

    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('objstore', 'jetstream'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    // Mid epoch 1 (rounds 12..23): the epoch-0 checkpoint, at version 12, is in the object store.
    const r = await finish(job, () => killPsAtVersion(job, 1, ROUNDS_PER_EPOCH + 2));
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
    const r2 = await finish(more);
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
