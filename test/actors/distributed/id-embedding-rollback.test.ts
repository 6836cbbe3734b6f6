// A parameter-server process holding a table shard killed mid-epoch under `weft launch`: the job
// rolls back, reloads every table shard from the checkpoint and ends with the unfailed run's table.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { ID_TABLE_PREFIX } from '../../../actors/parameter-server/id-table-spec.js';
import { snapshotFromTensors } from '../../../actors/parameter-server/sparse-table.js';
import {
  finish,
  killPsAtVersion,
  launchedSpec,
  synthGraphFixture,
} from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const { tmp, graphDir } = synthGraphFixture('weft-idemb-rollback-', {
  nodes: 2000,
  edges: 16000,
  featureDim: 8,
  classes: 4,
  seed: 8,
});

const ROUNDS_PER_EPOCH = 8;
const EPOCHS = 3;

const specFor = (name: string) =>
  launchedSpec(graphDir, join(tmp, name), {
    name,
    'model.hidden': 8,
    'sampling.fanouts': '4,4',
    'train.epochs': EPOCHS,
    'train.maxStepsPerEpoch': ROUNDS_PER_EPOCH,
    'train.checkpointEvery': 1,
    'model.idEmbedding.enabled': true,
    'model.idEmbedding.dim': 6,
    'model.idEmbedding.optimizer': 'lazy-adam',
    'cluster.trainers': 1,
    'cluster.parameterServers': 2,
    'cluster.samplers': 1,
  });

describe('a table shard lost with its parameter server', () => {
  it('is reloaded from the checkpoint, and the job ends with the unfailed table', async () => {
    await finish(await LaunchedJob.start(specFor('clean')));
    const events: string[] = [];
    const job = await LaunchedJob.start(specFor('failed'), {
      onEvent: (e) => events.push(`${e.kind} ${e.role} ${e.index}`),
    });
    // Mid epoch 1: the epoch-0 checkpoint holds the table at version 8.
    const r = await finish(job, () =>
      killPsAtVersion(job, 1, ROUNDS_PER_EPOCH + 2, { probe: 'emb' }),
    );
    expect(events).toContain('restarting ps 1');
    expect(r.epochs).toBe(EPOCHS);
    expect(r.distributed.rollbacks).toBe(1);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    const b = expectSameParameters(join(tmp, 'clean'), join(tmp, 'failed'), 0);
    const table = snapshotFromTensors(ID_TABLE_PREFIX, b.tensors, 'lazy-adam')!;
    expect(table.ids.length).toBeGreaterThan(100);
  }, 150_000);
});
