import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { ConfigError } from '../../../runtime/errors.js';
import { buildCora, haveCora, needsCora } from '../../helpers/cora.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-train-'));

function spec(over: Record<string, unknown>): JobSpec {
  return applyOverrides(defaultJobSpec(), over);
}

describe('training job (embedded transport)', () => {
  const small = join(tmp, 'powerlaw');
  beforeAll(async () => {
    await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 3 }, small);
  });

  it('learns a node task and writes results, metrics and a checkpoint', async () => {
    const out = join(tmp, 'run-small');
    const r = await runTraining(
      spec({
        graph: small,
        out,
        'train.epochs': 3,
        'model.hidden': 32,
        'sampling.fanouts': '5,5',
        'sampling.batchSize': 256,
      }),
    );
    expect(r.val.accuracy).toBeGreaterThan(0.5); // 4 classes: chance is 0.25
    expect(r.test.accuracy).toBeGreaterThan(0.5);
    expect(r.throughput.seeds_per_s).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.test.accuracy).toBe(r.test.accuracy);
    expect(saved.config.model.hidden).toBe(32);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = lines.filter((l) => l.type === 'step');
    const g = await openGraph(small);
    const numTrain = g.split!.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
    expect(steps.length).toBe(3 * Math.ceil(numTrain / 256));
    expect(steps.every((s) => Number.isFinite(s.loss) && s.seeds > 0)).toBe(true);
    expect(lines.filter((l) => l.type === 'eval').length).toBe(3);
    expect(latestCheckpoint(join(out, 'checkpoints'))!.meta.epoch).toBe(2);
  });

  it('resumes from a checkpoint to exactly the uninterrupted result', async () => {
    const base = {
      graph: small,
      'train.epochs': 4,
      'model.hidden': 16,
      'sampling.fanouts': '4,4',
      'sampling.batchSize': 300,
      'train.seed': 9,
    };
    const full = await runTraining(spec({ ...base, out: join(tmp, 'full') }));
    const half = join(tmp, 'half');
    await runTraining(spec({ ...base, out: half, 'train.epochs': 2 }));
    const resumed = await runTraining(spec({ ...base, out: half }), { resume: true });
    expect(resumed.epochs).toBe(4);
    expect(resumed.val).toEqual(full.val);
    expect(resumed.test).toEqual(full.test);
    expectSameParameters(join(tmp, 'full'), half, 0);
  });

  it('predicts marketplace applications far better than job popularity', async () => {
    const g = join(tmp, 'market');
    await synthMarketplace({ members: 6000, seed: 5 }, g);
    const r = await runTraining(
      spec({
        graph: g,
        task: 'link',
        out: join(tmp, 'run-market'),
        'train.epochs': 2,
        'model.hidden': 32,
        'model.dropout': 0.1,
        'sampling.fanouts': '10,5',
        'sampling.batchSize': 256,
        'train.lr': 0.005,
        'eval.maxNodes': 2000,
      }),
    );
    expect(r.test.auc).toBeGreaterThan(0.85);
    expect(r.test.auc).toBeGreaterThan(r.test.degree_auc + 0.02);
    expect(r.test.mrr).toBeGreaterThan(0.3);
  });

  it('names the field or path of bad input', async () => {
    await expect(
      runTraining(spec({ graph: join(tmp, 'nope'), out: join(tmp, 'x') })),
    ).rejects.toThrow(/nope/);
    await expect(runTraining(spec({ graph: '', out: join(tmp, 'x') }))).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(
      runTraining(spec({ graph: small, out: join(tmp, 'fresh') }), { resume: true }),
    ).rejects.toThrow(/nothing to resume/);
    const linkNoTime = await runTraining(
      spec({ graph: small, task: 'link', out: join(tmp, 'y') }),
    ).catch((e: unknown) => e);
    expect(linkNoTime).toBeInstanceOf(ConfigError);
    expect((linkNoTime as ConfigError).field).toBe('link.edgeType');
    const nodeTemporal = await runTraining(
      spec({ graph: small, 'sampling.strategy': 'temporal', out: join(tmp, 'z') }),
    ).catch((e: unknown) => e);
    expect((nodeTemporal as ConfigError).field).toBe('sampling.strategy');
  });

  it.skipIf(!haveCora)(
    needsCora('reaches the published GraphSAGE accuracy on Cora (median of 3 seeds >= 0.79)'),
    async () => {
      const g = join(tmp, 'cora');
      await buildCora(g);
      const accs: number[] = [];
      for (const seed of [1, 2, 3]) {
        const r = await runTraining(
          spec({
            graph: g,
            out: join(tmp, `cora${seed}`),
            'train.seed': seed,
            'train.epochs': 60,
            'model.hidden': 64,
            'sampling.fanouts': '25,10',
            'sampling.batchSize': 140,
            'train.lr': 0.01,
            'train.weightDecay': 0.0005,
            'eval.fullNeighbors': true,
          }),
        );
        accs.push(r.test.accuracy);
      }
      accs.sort((a, b) => a - b);
      expect(accs[1]).toBeGreaterThanOrEqual(0.79);
    },
  );
});
