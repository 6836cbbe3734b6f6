// An embedded training job with sparse ID embeddings on the synthetic marketplace: it learns, the
// table holds only rows of ids a training batch touched, and a resumed run is bit-identical.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { applyOverrides, defaultJobSpec, type JobSpec } from '../../../actors/job-spec.js';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { ID_TABLE_PREFIX } from '../../../actors/parameter-server/id-table-spec.js';
import { snapshotFromTensors } from '../../../actors/parameter-server/sparse-table.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { synthMarketplace } from '../../../graph-store/synth-marketplace.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-idemb-'));
const market = join(tmp, 'market');

function spec(over: Record<string, unknown>): JobSpec {
  return applyOverrides(defaultJobSpec(), {
    graph: market,
    task: 'link',
    'model.hidden': 16,
    'model.dropout': 0.1,
    'sampling.fanouts': '5,5',
    'sampling.batchSize': 256,
    'sampling.handoff': 'inline',
    'train.lr': 0.01,
    'eval.maxNodes': 600,
    'model.idEmbedding.enabled': true,
    ...over,
  });
}

describe('ID embeddings in an embedded training job', () => {
  beforeAll(async () => {
    await synthMarketplace({ members: 2000, seed: 5 }, market);
  });

  it('learns links, with table rows only for ids of training batches', async () => {
    const out = join(tmp, 'run');
    const over = { 'train.epochs': 3, 'train.lr': 0.02 };
    const r = await runTraining(spec({ ...over, out }));
    const plain = await runTraining(
      spec({ ...over, out: join(tmp, 'plain'), 'model.idEmbedding.enabled': false }),
    );
    // Test links go to the newest jobs (a temporal split), whose rows training never saw: the GNN
    // carries the ranking, well above chance and far above the popularity baseline.
    expect(r.test.auc).toBeGreaterThan(0.58);
    expect(r.test.auc).toBeGreaterThan(r.test.degree_auc + 0.3);
    // The rows add memory of the training links: the last epoch's training loss drops below the
    // same model's without them.
    const lastEpochLoss = (dir: string) => {
      const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; epoch: number; loss: number })
        .filter((l) => l.type === 'step' && l.epoch === 2);
      return steps.reduce((a, l) => a + l.loss, 0) / steps.length;
    };
    expect(lastEpochLoss(out)).toBeLessThan(0.95 * lastEpochLoss(join(tmp, 'plain')));
    expect(plain.test.auc).toBeGreaterThan(0.6);
    const ckpt = latestCheckpoint(join(out, 'checkpoints'))!;
    const table = snapshotFromTensors(ID_TABLE_PREFIX, ckpt.tensors, 'adagrad')!;
    expect(table).toBeDefined();
    const g = await openGraph(market);
    const type = (id: number) =>
      g.nodeTypes.find((t) => id >= t.offset && id < t.offset + t.count)!;
    // Link seeds are members (sources) and jobs (destinations, negatives): no skill or company row.
    const types = new Set(Array.from(table.ids, (id) => type(id).name));
    expect([...types].sort()).toEqual(['job', 'member']);
    // Every row was pushed at least once: evaluation (which pulls without creating) added none.
    expect(table.steps.every((s) => s >= 1)).toBe(true);
    expect(table.ids.length).toBeGreaterThan(1000);
    expect(table.rows.length).toBe(table.ids.length * 16);
    // Trained rows moved away from their small initial values.
    let moved = 0;
    for (const v of table.rows) if (Math.abs(v) > 0.05) moved++;
    expect(moved).toBeGreaterThan(table.rows.length / 10);
  }, 300_000);

  it('resumes to exactly the uninterrupted run, table included (lazy Adam, projected rows)', async () => {
    const base = {
      'train.epochs': 2,
      'model.idEmbedding.optimizer': 'lazy-adam',
      'model.idEmbedding.dim': 8,
      'model.idEmbedding.lr': 0.01,
      'train.maxStepsPerEpoch': 6,
      'train.seed': 4,
    };
    const full = await runTraining(spec({ ...base, out: join(tmp, 'full') }));
    const half = join(tmp, 'half');
    await runTraining(spec({ ...base, out: half, 'train.epochs': 1 }));
    const resumed = await runTraining(spec({ ...base, out: half }), { resume: true });
    expect(resumed.test).toEqual(full.test);
    const b = expectSameParameters(join(tmp, 'full'), half, 0);
    expect(b.tensors.get('idEmbedding.proj')!.length).toBe(8 * 16);
    expect(b.tensors.get(`${ID_TABLE_PREFIX}.rows#m`)).toBeDefined();
    // `weft eval` reads the table from the checkpoint: the last epoch's validation metrics again,
    // and by default the best epoch's, which results.json reports.
    const best = await evaluateRun(join(tmp, 'full'), { split: 'val' });
    expect(best.val).toEqual(full.val);
    const again = await evaluateRun(join(tmp, 'full'), { split: 'val', checkpoint: 'latest' });
    const lastEval = readFileSync(join(tmp, 'full', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; val?: Record<string, number> })
      .filter((l) => l.type === 'eval')
      .pop()!;
    expect(again.val).toEqual(lastEval.val);
  }, 300_000);
});
