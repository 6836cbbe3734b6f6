// PPR neighbours across processes: `weft launch` with samplers in their own process adding each
// seed's top-k PPR nodes (walked before the pair's time) as the relation-aware encoder's extra
// relation, and the same parameters at the end as the single-process run of the same updates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { readManifest } from '../../../graph-store/manifest.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { singleAndLaunched } from '../../helpers/launched-job.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-ppr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sampling.ppr under weft train and weft launch', () => {
  it('trains the PPR relation from batches that travel over NATS', async () => {
    const g = join(tmp, 'market');
    await synthMarketplace({ members: 600, applicationsPerMember: 8, seed: 5 }, g);
    const hidden = 16;
    const base = {
      graph: g,
      task: 'link',
      'link.edgeType': 'member__applied__job',
      'model.encoder': 'rgcn',
      'model.relations.bases': 0,
      'model.hidden': hidden,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 256,
      'sampling.ppr.topK': 4,
      'train.epochs': 1,
      'train.lr': 0.01,
      'link.numNegatives': 1,
    };
    const { single, launched: r } = await singleAndLaunched(base, tmp, 'ppr-launch-test');
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(Math.abs(r.test.mrr - single.test.mrr)).toBeLessThanOrEqual(0.01);
    const R = readManifest(g).edgeTypes.length;
    const a = latestCheckpoint(join(tmp, 'single', 'checkpoints'))!;
    const b = latestCheckpoint(join(tmp, 'run', 'checkpoints'))!;
    expect(b.step).toBe(a.step);
    // One weight block per graph relation, and the PPR relation's after them.
    expect(a.tensors.get('rgcn1.relations')!.length).toBe((R + 1) * hidden * hidden);
    // A batch that lost its PPR edges or their relation on the way would change the updates.
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      const gap = t.reduce((m, v, i) => Math.max(m, Math.abs(v - u[i])), 0);
      expect(gap, name).toBeLessThan(1e-5);
    }
  }, 300_000);
});
