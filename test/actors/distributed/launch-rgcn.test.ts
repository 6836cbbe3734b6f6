// The relation-aware encoder across processes: `weft launch` on a synthetic marketplace, samplers
// shipping edge types to trainers over NATS, shards holding one weight per relation of the graph, and
// the same parameters at the end as the single-process run; again with per-relation fanouts, relation
// messages averaged, and cold members reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';

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
      const single = await runTraining(
        applyOverrides(defaultJobSpec(), {
          ...base,
          out: join(tmp, `single-${variant}`),
          'train.localSteps': 2,
        }),
      );
      const job = await LaunchedJob.start(
        applyOverrides(defaultJobSpec(), {
          ...base,
          name: 'rgcn-launch-test',
          out: join(tmp, `run-${variant}`),
          'cluster.trainers': 2,
          'cluster.parameterServers': 2,
          'cluster.samplers': 1,
          'cluster.nats': 'local',
        }),
      );
      let r;
      try {
        r = await job.wait();
      } finally {
        await job.stop();
      }
      expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
      expect(Math.abs(r.test.auc - single.test.auc)).toBeLessThanOrEqual(0.01);
      if (variant !== 'plain') {
        expect(r.test.cold_count).toBeGreaterThan(0);
        expect(Math.abs(r.test.cold_auc - single.test.cold_auc)).toBeLessThanOrEqual(0.01);
      }
      const ckpt = latestCheckpoint(join(tmp, `run-${variant}`, 'checkpoints'))!;
      expect(ckpt.tensors.get('rgcn0.coefficients')?.length).toBe(relations * 2);
      expect(ckpt.tensors.has('rgcn1.bases')).toBe(true);
      // Edge types that went astray on the way would change the updates: the same values at the end.
      const a = latestCheckpoint(join(tmp, `single-${variant}`, 'checkpoints'))!;
      expect(ckpt.step).toBe(a.step);
      for (const [name, t] of a.tensors) {
        const u = ckpt.tensors.get(name)!;
        let d = 0;
        for (let i = 0; i < t.length; i++) d = Math.max(d, Math.abs(t[i] - u[i]));
        expect(d, name).toBeLessThan(1e-5);
      }
    }, 480_000);
});
