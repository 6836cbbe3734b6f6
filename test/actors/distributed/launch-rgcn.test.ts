// The relation-aware encoder across processes: `weft launch` on a synthetic marketplace, samplers
// shipping edge types to trainers over NATS, shards holding one weight per relation of the graph, and
// the same parameters at the end as the single-process run; again with per-relation fanouts, relation
// messages averaged, and cold members reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { singleAndLaunched } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-launch-rgcn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The second variant: rows drawn relation by relation, messages averaged over relations. */
const BY_RELATION = {
  'sampling.fanouts': '2,2',
  'sampling.relationFanouts': 'has_skill=4,2;applied=3,2;requires=3,2;rev_applied=3,2',
  'model.relations.aggregate': 'mean',
};

describe('model.encoder rgcn under weft launch', () => {
  for (const variant of ['plain', 'by relation'] as const)
    it(`trains per-relation weights from edge types that travel over NATS (${variant})`, async () => {
      const g = join(tmp, `market-${variant}`);
      const cold = variant === 'plain' ? {} : { coldMembers: 0.05 };
      await synthMarketplace({ members: 1000, applicationsPerMember: 8, seed: 5, ...cold }, g);
      const relations = (await openGraph(g)).edgeTypes.length;
      const base = {
        graph: g,
        task: 'link',
        'link.edgeType': 'member__applied__job',
        'model.encoder': 'rgcn',
        'model.hidden': 16,
        'model.relations.bases': 2,
        'sampling.fanouts': '5,5',
        'sampling.batchSize': 256,
        'train.epochs': 3,
        'train.lr': 0.01,
        'model.dropout': 0.1,
        'link.numNegatives': 1,
        ...(variant === 'plain' ? {} : BY_RELATION),
      };
      // Two trainers with one batch each per round make the update one trainer makes from two.
      const {
        single,
        launched: r,
        singleDir,
        runDir,
      } = await singleAndLaunched(base, tmp, 'rgcn-launch-test', { tag: `-${variant}` });
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(Math.abs(r.test.auc - single.test.auc)).toBeLessThanOrEqual(0.01);
      if (variant !== 'plain') {
        expect(r.test.cold_count).toBeGreaterThan(0);
        expect(Math.abs(r.test.cold_auc - single.test.cold_auc)).toBeLessThanOrEqual(0.01);
      }
      // Edge types that went astray on the way would change the updates: the same values at the end.
      const ckpt = expectSameParameters(singleDir, runDir);
      expect(ckpt.tensors.get('rgcn0.coefficients')?.length).toBe(relations * 2);
      expect(ckpt.tensors.has('rgcn1.bases')).toBe(true);
    }, 480_000);
});
