// The densify step under `weft launch`: the launcher writes the densified version once before any
// process starts, every process trains on it (the relation-aware encoder gets one more relation), and
// a spec already pointing at the version is not densified again.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { finish } from '../../helpers/launched-job.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-densify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('densify under weft launch', () => {
  it('trains every process on the one densified version', async () => {
    const g = join(tmp, 'market');
    await synthMarketplace({ members: 600, seed: 7, coldMembers: 0.2 }, g);
    const relations = (await openGraph(g)).edgeTypes.length;
    const r = await finish(
      await LaunchedJob.start(
        applyOverrides(defaultJobSpec(), {
          name: 'densify-launch-test',
          graph: g,
          out: join(tmp, 'run'),
          task: 'link',
          'link.edgeType': 'member__applied__job',
          'model.encoder': 'rgcn',
          'model.hidden': 16,
          'model.relations.bases': 2,
          'sampling.strategy': 'temporal',
          'sampling.fanouts': '5,5',
          'sampling.batchSize': 256,
          'train.epochs': 1,
          'densify.enabled': true,
          'densify.nodeType': 'member',
          'densify.k': 5,
          'densify.degreeRelations': 'applied',
          'cluster.nats': 'local',
        }),
      ),
    );
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    const versions = readdirSync(join(tmp, 'market.versions'));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(/^densify-[0-9a-f]{12}$/);
    expect(existsSync(join(tmp, 'market.versions', versions[0], 'manifest.json'))).toBe(true);
    // One coefficient per basis per relation: the added relation included.
    const ckpt = latestCheckpoint(join(tmp, 'run', 'checkpoints'))!;
    expect(ckpt.tensors.get('rgcn0.coefficients')?.length).toBe((relations + 1) * 2);
    expect(r.test.cold_count).toBeGreaterThan(0);
  }, 180_000);
});
