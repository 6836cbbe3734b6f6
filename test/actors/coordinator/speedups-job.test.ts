// The speed-up switches inside a whole training job (embedded transport): the shared-memory path
// clones nothing, local aggregation syncs less, adaptive fanouts are logged and exported.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { threadMetrics } from '../../../runtime/metrics.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-speedups-job-'));
const graph = join(tmp, 'market');

function spec(name: string, over: Record<string, unknown>) {
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
    'train.maxStepsPerEpoch': 6,
    'train.checkpointEvery': 0,
    'eval.maxNodes': 300,
    ...over,
  });
}

function events(name: string): { kind: string; detail: string }[] {
  return readFileSync(join(tmp, name, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'event');
}

describe('speed-up switches in a training job', () => {
  beforeAll(async () => {
    await synthMarketplace({ members: 1500, applicationsPerMember: 10, seed: 6 }, graph);
  });

  it('shm hand-off clones no batch; per-step sync pushes every step; stalls grow the fanouts', async () => {
    const r = await runTraining(
      spec('shm-adaptive', {
        'sampling.handoff': 'shm',
        'sampling.samplers': 2,
        'train.epochs': 3,
        'sampling.adaptive.enabled': true,
        'sampling.adaptive.start': '2',
        'sampling.adaptive.step': 3,
        // Any gain under 1.0 is a stall: every evaluation after the first grows the fanouts.
        'sampling.adaptive.threshold': 1,
      }),
    );
    expect(r.speedups!.cloned_bytes).toBe(0);
    expect(r.speedups!.syncs).toBe(3 * 6);
    expect(r.speedups!.fanouts).toEqual([8, 8]);
    const grown = events('shm-adaptive').filter((e) => e.kind === 'fanouts');
    expect(grown.map((e) => e.detail.split(' ')[0])).toEqual(['2,2', '5,5', '8,8']);
    const text = await threadMetrics().text();
    // The sampler exports what it sampled the last epoch with (5); the growth to 8 after the last
    // evaluation never reached a batch.
    expect(text).toMatch(/weft_sampler_fanout\{[^}]*weft_job="shm-adaptive"[^}]*hop="0"[^}]*\} 5/);
    // Only the sampler exports its fanouts: the coordinator no longer repeats them.
    const fanoutLines = text.split('\n').filter((l) => l.startsWith('weft_sampler_fanout{'));
    const mine = fanoutLines.filter((l) => l.includes('weft_job="shm-adaptive"'));
    expect(mine.map((l) => /hop="(\d)"/.exec(l)?.[1])).toEqual(['0', '1']);
    expect(Number.isFinite(r.val.auc)).toBe(true);
  });

  it('a threshold of 0 with an improving metric keeps the starting fanouts', async () => {
    const r = await runTraining(
      spec('adaptive-off', {
        'sampling.handoff': 'inline',
        'train.epochs': 1,
        'sampling.adaptive.enabled': true,
        'sampling.adaptive.start': '4',
        'sampling.adaptive.threshold': 0,
      }),
    );
    // One evaluation only sets the reference: nothing to compare, so nothing grows.
    expect(r.speedups!.fanouts).toEqual([4, 4]);
  });

  it('clone hand-off posts batches; grouping, S steps, N-step sync and MLPinit still train', async () => {
    const r = await runTraining(
      spec('clone-grouped', {
        'sampling.handoff': 'clone',
        'sampling.samplers': 2,
        'train.epochs': 2,
        'link.groupSize': 4,
        'link.stepsPerGroup': 2,
        'train.localSteps': 4,
        'train.mlpInit.enabled': true,
      }),
    );
    expect(r.speedups!.cloned_bytes).toBeGreaterThan(2 * 6 * 10_000);
    // 6 batches per epoch in rounds of 4 (2 rounds), each round 2 sub-rounds of one push: 4 per epoch.
    expect(r.speedups!.syncs).toBe(2 * 4);
    expect(r.speedups!.member_encodings_per_record).toBeLessThan(0.45);
    expect(r.speedups!.mlp_init_s).toBeGreaterThan(0);
    expect(events('clone-grouped').some((e) => e.kind === 'mlp-init')).toBe(true);
    expect(r.val.auc).toBeGreaterThan(0.5);
  });
});
