// The speed-up switches over NATS with every actor its own process: adaptive fanouts grow only after a
// stall and the samplers then sample with them, grouping encodes fewer members, MLPinit sets version 0.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedsOf } from '../../../actors/plan/task-seeds.js';
import {
  shardPlanOf,
  type DistributedResults,
} from '../../../actors/distributed/distributed-job.js';
import { LaunchedJob } from '../../../actors/distributed/launcher.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { readCheckpoint, versionDirName } from '../../../actors/parameter-server/checkpoint.js';
import { mlpInitParams } from '../../../actors/trainer/mlp-init.js';
import { checkRemoteSpeedups } from '../../../actors/distributed/process-switches.js';
import { EpochFanouts } from '../../../actors/plan/adaptive-fanouts.js';
import { isLastSubRound } from '../../../actors/plan/link-groups.js';
import { subRoundSlices } from '../../../actors/trainer/sub-rounds.js';
import type { BatchView } from '../../../actors/batch/batch-view.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { Xoshiro128Float } from '../../../runtime/prng.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { ConfigError } from '../../../runtime/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-speedups-nats-'));
const graph = join(tmp, 'market');
const STEPS_PER_EPOCH = 4;

function spec(name: string, over: Record<string, unknown>): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    name,
    graph,
    out: join(tmp, name),
    task: 'link',
    'link.edgeType': 'member__applied__job',
    'model.hidden': 16,
    'model.dropout': 0.1,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 100,
    'train.lr': 0.01,
    'train.maxStepsPerEpoch': STEPS_PER_EPOCH,
    'train.checkpointEvery': 0,
    'eval.maxNodes': 300,
    'cluster.nats': 'local',
    ...over,
  });
}

interface Line {
  type: string;
  kind?: string;
  detail?: string;
  epoch?: number;
  edges?: number;
  seeds?: number;
  syncs?: number;
  grad_steps?: number;
}

function lines(name: string): Line[] {
  return readFileSync(join(tmp, name, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

async function launch(s: JobSpec): Promise<DistributedResults> {
  const job = await LaunchedJob.start(s);
  try {
    return await job.wait();
  } finally {
    await job.stop();
  }
}

describe('speed-up switches between processes (pure parts)', () => {
  it('rejects the in-process hand-off choices and naming the field', () => {
    for (const [field, value] of [
      ['sampling.handoff', 'inline'],
      ['sampling.handoff', 'clone'],
      ['sampling.samplers', 2],
    ] as const) {
      let err: unknown;
      try {
        checkRemoteSpeedups(applyOverrides(defaultJobSpec(), { [field]: value }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(field);
    }
    expect(() => checkRemoteSpeedups(defaultJobSpec())).not.toThrow();
  });

  it('epoch fanouts: newest at or before the epoch; a fresh sampler knows none', () => {
    const f = new EpochFanouts();
    expect(f.of(0)).toBeUndefined();
    f.set(0, [2, 2]);
    f.set(3, [5, 5]);
    expect(f.of(2)).toEqual([2, 2]);
    expect(f.of(7)).toEqual([5, 5]);
    // A rollback re-sets an earlier epoch: the abandoned timeline's later entries go.
    f.set(1, [2, 2]);
    expect(f.of(7)).toEqual([2, 2]);
  });

  it('sub-round slices: every pair exactly once, the last sub-round holds every batch (many seeds)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const rng = new Xoshiro128Float(seed, 3);
      const S = 1 + Math.floor(rng.next() * 4);
      const src: number[] = [];
      for (let g = 0, n = 1 + Math.floor(rng.next() * 30); g < n; g++) {
        const m = 1 + Math.floor(rng.next() * 6);
        for (let k = 0; k < m; k++) src.push(g);
      }
      const link = { src: Int32Array.from(src), dst: Int32Array.from(src), numNegatives: 0 };
      const slices = subRoundSlices({ link } as unknown as BatchView, S);
      expect(slices.length).toBe(S);
      expect(slices[S - 1]).toBeDefined();
      const seen = new Uint8Array(src.length);
      for (const sl of slices) {
        if (sl === undefined) continue;
        const positions = sl ?? Int32Array.from(src.keys());
        for (const p of positions) seen[p]++;
      }
      expect([...seen].every((n) => n === 1)).toBe(true);
      expect(isLastSubRound(7 * S + S - 1, S)).toBe(true);
      if (S > 1) expect(isLastSubRound(7 * S, S)).toBe(false);
    }
  });
});

describe('speed-up switches over NATS, separate processes', () => {
  beforeAll(async () => {
    await synthMarketplace({ members: 800, applicationsPerMember: 10, seed: 6 }, graph);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  let grouped: DistributedResults;

  it('adaptive fanouts grow only after a stall and the samplers sample with them; grouping slices into S synchronous steps; MLPinit is version 0', async () => {
    const s = spec('all', {
      'train.epochs': 3,
      'sampling.adaptive.enabled': true,
      'sampling.adaptive.start': '2',
      'sampling.adaptive.step': 3,
      // Any gain under 1.0 is a stall: every evaluation after the first grows the fanouts.
      'sampling.adaptive.threshold': 1,
      'link.groupSize': 5,
      'link.stepsPerGroup': 2,
      'train.mlpInit.enabled': true,
      'cluster.samplers': 2,
    });
    grouped = await launch(s);
    const log = lines('all');
    const fanoutEvents = log.filter((l) => l.type === 'event' && l.kind === 'fanouts');
    // The start, then one growth per stall: after epoch 1's evaluation (epoch 0's only sets the
    // reference) and after epoch 2's.
    expect(fanoutEvents.map((e) => e.detail!.split(' ')[0])).toEqual(['2,2', '5,5', '8,8']);
    expect(grouped.speedups!.fanouts).toEqual([8, 8]);
    // From the batches: epochs 0 and 1 sampled at 2,2 (at most 2 + 3·2 edges per seed node: the
    // second hop expands the seeds and their ≤ 2 neighbours; a record has at most 3 seed nodes);
    // epoch 2 at 5,5 reads clearly more.
    const steps = log.filter((l) => l.type === 'step');
    const byEpoch = (e: number) => steps.filter((l) => l.epoch === e);
    for (const e of [0, 1]) {
      expect(byEpoch(e)).toHaveLength(STEPS_PER_EPOCH);
      for (const st of byEpoch(e)) expect(st.edges!).toBeLessThanOrEqual(3 * st.seeds! * 8);
    }
    const mean = (e: number) => byEpoch(e).reduce((a, st) => a + st.edges!, 0) / STEPS_PER_EPOCH;
    expect(mean(2)).toBeGreaterThan(1.5 * mean(1));
    expect(Math.abs(mean(1) - mean(0))).toBeLessThan(0.25 * mean(0));

    // Grouping and slicing: 2 gradient steps (2 synchronous sub-rounds) per group batch, each batch
    // still applied exactly once in the shards' ledger.
    for (const st of steps) {
      expect(st.grad_steps).toBe(2);
      expect(st.syncs).toBe(2);
    }
    expect(grouped.speedups!.syncs).toBe(3 * STEPS_PER_EPOCH * 2);
    expect(grouped.distributed.rounds).toBe(3 * STEPS_PER_EPOCH * 2);
    expect(grouped.distributed.batches_applied).toBe(3 * STEPS_PER_EPOCH);
    expect(grouped.distributed.batches_repeated).toBe(0);
    expect(grouped.distributed.batches_missing).toBe(0);

    // MLPinit: the shards' version 0 (checkpointed before epoch 0) is the MLP's result, not the
    // random initialisation.
    const ckpt = readCheckpoint(join(tmp, 'all', 'checkpoints', versionDirName(0)));
    expect(ckpt.step).toBe(0);
    const g = await openGraph(graph);
    const { initial } = shardPlanOf(s, g.dim, g.numClasses);
    const seeds = seedsOf(s, g);
    const mlp = await mlpInitParams(s, g, seeds.source, seeds.train, initial, seeds.negativeRange);
    let differsFromRandom = 0;
    for (const [name, v] of initial) {
      const got = ckpt.tensors.get(name)!;
      const want = mlp.params.get(name)!;
      expect(got.length).toBe(v.length);
      for (let i = 0; i < v.length; i++) {
        expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
        if (Math.abs(got[i] - v[i]) > 1e-6) differsFromRandom++;
      }
    }
    expect(differsFromRandom).toBeGreaterThan(0);
    expect(log.some((l) => l.type === 'event' && l.kind === 'mlp-init')).toBe(true);
    expect(grouped.speedups!.mlp_init_s).toBeGreaterThan(0);
    // Later checkpoints (the end) are newer versions of the same run.
    expect(readdirSync(join(tmp, 'all', 'checkpoints')).some((d) => d !== versionDirName(0))).toBe(
      true,
    );
  }, 120_000);

  it('grouped batches encode fewer members per record than ungrouped ones', async () => {
    expect(grouped).toBeDefined();
    const plain = await launch(spec('plain', { 'train.epochs': 1 }));
    const perRecordPlain = plain.speedups!.member_encodings_per_record!;
    const perRecordGrouped = grouped.speedups!.member_encodings_per_record!;
    expect(perRecordPlain).toBeGreaterThan(0.9);
    expect(perRecordGrouped).toBeLessThan(0.6 * perRecordPlain);
    for (const st of lines('plain').filter((l) => l.type === 'step')) expect(st.syncs).toBe(1);
  }, 90_000);
});
