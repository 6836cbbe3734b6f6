// `weft launch` with partition-owning samplers on Cora: 2 samplers, each loading one hash partition and
// asking the other across it over a real nats-server, train exactly the single-process model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { partitionLayoutOf } from '../../../actors/sampler/partition-sampling.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../../runtime/errors.js';
import { buildCora, haveCora, needsCora } from '../../helpers/cora.js';
import { processAlive } from '../../helpers/launched-job.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-partitioned-launch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveCora)(needsCora('weft launch on Cora with partition-owning samplers'), () => {
  const g = join(tmp, 'cora');
  const base = {
    graph: g,
    'train.seed': 1,
    'train.epochs': 12,
    'model.hidden': 32,
    'sampling.fanouts': '25,10',
    'sampling.batchSize': 70,
    'train.lr': 0.01,
    'train.weightDecay': 0.0005,
    'eval.fullNeighbors': true,
    // Stored features on both sides: partition-owning samplers keep them as stored (featureNorm auto).
    'model.featureNorm': 'none',
  };

  it('refuses a sampler count that differs from the partition count, naming the field and folder', async () => {
    await buildCora(g, { partitions: 2 });
    const spec = applyOverrides(defaultJobSpec(), {
      ...base,
      'cluster.samplers': 3,
      'cluster.partitions': 'auto',
    });
    let error: unknown;
    try {
      partitionLayoutOf(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/cluster\.partitions/);
    expect(String(error)).toMatch(/holds 2 partitions but cluster\.samplers is 3/);
    expect(String(error)).toContain(join(g, 'parts'));
    await expect(LaunchedJob.start(spec)).rejects.toThrow(/cluster\.samplers is 3/);
    // PPR stays with whole-graph samplers; link tasks and weighted sampling are served by parts.
    expect(() =>
      applyOverrides(defaultJobSpec(), {
        ...base,
        'sampling.strategy': 'ppr',
        'cluster.partitions': 'auto',
      }),
    ).toThrow(/cluster\.partitions/);
    // MLPinit reads every training node's features on trainer 0, which holds no graph with parts.
    const mlp = applyOverrides(defaultJobSpec(), {
      ...base,
      'cluster.samplers': 2,
      'cluster.partitions': 'auto',
      'train.mlpInit.enabled': true,
    });
    await expect(LaunchedJob.start(mlp)).rejects.toThrow(/train\.mlpInit\.enabled/);
  });

  it('2 partition-owning samplers give the single-process parameters', async () => {
    // Two trainers with one batch each per round make the update one trainer makes from two batches.
    const single = await runTraining(
      applyOverrides(defaultJobSpec(), {
        ...base,
        out: join(tmp, 'single'),
        'train.localSteps': 2,
      }),
    );
    const job = await LaunchedJob.start(
      applyOverrides(defaultJobSpec(), {
        ...base,
        name: 'cora-partitioned-test',
        out: join(tmp, 'dist'),
        'cluster.trainers': 2,
        'cluster.parameterServers': 1,
        'cluster.samplers': 2,
        'cluster.partitions': 'auto',
        'cluster.nats': 'local',
      }),
    );
    const pids = (['coordinator', 'ps', 'sampler', 'trainer'] as const).flatMap((r) =>
      [0, 1].map((i) => job.pidOf(r, i)).filter((p) => p !== undefined),
    );
    let r;
    try {
      r = await job.wait();
    } finally {
      await job.stop();
    }
    expect(pids.some(processAlive)).toBe(false);
    expect(r.distributed.batches_applied).toBe(r.distributed.batches_planned);
    expect(r.distributed.batches_repeated).toBe(0);
    // The samplers really crossed partitions: neighbour reads and feature rows went over NATS.
    expect(r.distributed.partition_bytes).toBeGreaterThan(0);
    // Identical batches: the same updates, so the same parameters and the same accuracy.
    expect(r.test.accuracy).toBeCloseTo(single.test.accuracy, 6);
    expectSameParameters(join(tmp, 'single'), join(tmp, 'dist'));
  }, 300_000);
});
describe('weft launch of a link job with partition-owning samplers', () => {
  const g = join(tmp, 'market');
  beforeAll(async () => {
    await synthMarketplace({ members: 600, applicationsPerMember: 6, featureDim: 12, seed: 8 }, g, {
      partitions: 2,
    });
  });
  // Per-relation fanouts: the owners send each window's edge types with its length.
  const variants: [string, Record<string, unknown>][] = [
    ['', {}],
    [' drawing by relation', { 'sampling.relationFanouts': 'has_skill=3,1;rev_applied=2,2' }],
    // Per-type input projections: each input row's type from the id ranges every part lists.
    [' with per-type input projections', { 'model.inputProjection': 'per-type' }],
    // Structural features: the parts exchange their degree counts before serving feature rows.
    [' with structural features', { 'model.structuralFeatures': true }],
  ];
  for (const [variant, over] of variants)
    it(`2 partition-owning samplers end with the parameters of whole-graph samplers${variant}`, async () => {
      const run = async (name: string, partitions: string) => {
        const job = await LaunchedJob.start(
          applyOverrides(defaultJobSpec(), {
            name,
            graph: g,
            out: join(tmp, name),
            task: 'link',
            'link.edgeType': 'member__applied__job',
            'link.groupSize': 3,
            'model.hidden': 16,
            'sampling.fanouts': '4,3',
            'sampling.batchSize': 64,
            'train.seed': 2,
            'train.epochs': 2,
            'train.maxStepsPerEpoch': 4,
            'train.lr': 0.01,
            'eval.maxNodes': 200,
            'cluster.trainers': 2,
            'cluster.parameterServers': 1,
            'cluster.samplers': 2,
            'cluster.partitions': partitions,
            'cluster.nats': 'local',
            ...over,
          }),
        );
        try {
          return await job.wait();
        } finally {
          await job.stop();
        }
      };
      const tag = variant ? `-${variants.findIndex(([v]) => v === variant)}` : '';
      const whole = await run(`link-whole${tag}`, '');
      const parted = await run(`link-parted${tag}`, 'auto');
      expect(parted.distributed.batches_applied).toBe(parted.distributed.batches_planned);
      expect(parted.distributed.batches_repeated).toBe(0);
      expect(parted.distributed.partition_bytes).toBeGreaterThan(0);
      expect(whole.distributed.partition_bytes).toBe(0);
      // Identical batches: identical updates, so identical parameters.
      const b = expectSameParameters(
        join(tmp, `link-whole${tag}`),
        join(tmp, `link-parted${tag}`),
        1e-6,
      );
      expect(b.step).toBeGreaterThan(0);
      if (over['model.inputProjection'])
        // One projection per node type (member, job, skill, company), each reading the whole row.
        expect([0, 1, 2, 3].map((t) => b.tensors.get(`input${t}.weight`)?.length)).toEqual(
          [0, 1, 2, 3].map(() => 12 * 16),
        );
      // Evaluation batches come from the partition-owning samplers (the trainers hold no graph) and
      // score exactly as the whole-graph trainers' own: same pairs, negatives and popularity baseline.
      for (const split of ['val', 'test'] as const)
        for (const metric of ['auc', 'mrr', 'degree_auc', 'count', 'negatives']) {
          expect(parted[split][metric], `${split} ${metric}`).toBeCloseTo(whole[split][metric], 5);
          expect(Number.isFinite(parted[split][metric])).toBe(true);
        }
      expect(parted.test.count).toBeGreaterThan(0);
    }, 300_000);
});
