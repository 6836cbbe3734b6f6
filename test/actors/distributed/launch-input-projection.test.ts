// Per-type input projections across processes: `weft launch` on a marketplace with a feature space
// per node type, samplers shipping each input row's type to trainers over NATS, shards holding one
// projection per type, and the same parameters at the end as the single-process run; featureless
// types reading per-node ID rows from the table shards, with whole-graph and partitioned samplers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ITEMS, writePlantedClicks } from '../../helpers/planted-clicks.js';
import { singleAndLaunched } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-input-projection-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('model.inputProjection per-type under weft launch', () => {
  it('trains one projection per node type from types that travel over NATS', async () => {
    const g = join(tmp, 'market');
    await synthMarketplace(
      { members: 800, featureDim: 16, typedFeatures: true, dismissalsPerMember: 2, seed: 5 },
      g,
    );
    const { single, launched } = await singleAndLaunched(
      {
        graph: g,
        task: 'link',
        'link.edgeType': 'member__applied__job',
        'model.inputProjection': 'per-type',
        'model.hidden': 16,
        'model.dropout': 0.1,
        'sampling.fanouts': '5,5',
        'sampling.batchSize': 256,
        'train.epochs': 2,
        'train.lr': 0.01,
        'link.numNegatives': 1,
      },
      tmp,
      'input-projection-launch-test',
    );
    expect(launched.distributed.batches_applied).toBe(launched.distributed.batches_planned);
    expect(Math.abs(launched.test.auc - single.test.auc)).toBeLessThanOrEqual(0.01);
    // Types that went astray on the way would change the updates: the same values at the end.
    const ckpt = expectSameParameters(join(tmp, 'single'), join(tmp, 'run'));
    expect([0, 1, 2, 3].map((t) => ckpt.tensors.get(`input${t}.weight`)?.length)).toEqual([
      256, 256, 128, 64,
    ]);
  }, 480_000);

  it("trains featureless types' ID rows on the table shards as the single process does", async () => {
    const g = join(tmp, 'clicks');
    await buildTypedGraph({ inputs: writePlantedClicks(tmp), out: g, partitions: 2 });
    const base = {
      graph: g,
      task: 'link',
      'model.inputProjection': 'per-type',
      'model.featurelessInput': 'id',
      'model.hidden': 16,
      'model.dropout': 0.1,
      'model.idEmbedding.lr': 0.2,
      'sampling.fanouts': '8,4',
      'sampling.batchSize': 128,
      'link.numNegatives': 2,
      'train.epochs': 2,
      'train.lr': 0.02,
      'train.seed': 5,
    };
    for (const [tag, partitions] of [
      ['-ids', ''],
      ['-ids-parted', 'auto'],
    ] as const) {
      const { single, launched, singleDir, runDir } = await singleAndLaunched(
        base,
        tmp,
        `featureless-id-launch${tag}`,
        {
          tag,
          cluster: {
            'cluster.parameterServers': 2,
            ...(partitions ? { 'cluster.samplers': 2, 'cluster.partitions': partitions } : {}),
          },
        },
      );
      expect(launched.distributed.batches_applied).toBe(launched.distributed.batches_planned);
      if (partitions) expect(launched.distributed.partition_bytes).toBeGreaterThan(0);
      expect(Math.abs(launched.test.auc - single.test.auc)).toBeLessThanOrEqual(1e-4);
      // Rows pulled by id from two table shards and pushed back: the single run's table at the end.
      const ckpt = expectSameParameters(singleDir, runDir, 1e-6);
      expect(ckpt.tensors.get('idEmbedding.table.ids')?.length).toBe(ITEMS);
    }
  }, 480_000);
});
