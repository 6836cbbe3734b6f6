// Per-type input projections across processes: `weft launch` on a marketplace with a feature space
// per node type, samplers shipping each input row's type to trainers over NATS, shards holding one
// projection per type, and the same parameters at the end as the single-process run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
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
});
