// eval.relations under `weft launch`: coordinator, sampler, two trainers and two shards as processes
// over a real nats-server score the listed relations as the single-process run does, and write the
// same per-relation blocks into results.json and metrics.jsonl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { tempRoot } from '../inference/fixture.js';
import { popularityByHand, writeGraph } from '../coordinator/two-relations-fixture.js';
import { metricsOf, singleAndLaunched } from '../../helpers/launched-job.js';

const tmp = tempRoot('weft-launch-eval-relations-');
afterAll(tmp.cleanup);

describe('eval.relations under weft launch', () => {
  it('scores each listed relation as the embedded run does', async () => {
    const { viewed } = writeGraph(tmp.dir);
    const graph = join(tmp.dir, 'typed');
    await buildTypedGraph({ inputs: join(tmp.dir, 'graph.yaml'), out: graph });
    const base = {
      graph,
      task: 'link',
      'link.edgeType': 'user__bought__item',
      'eval.relations': 'viewed,bought',
      'eval.ranking': 'exact',
      'eval.cutoffs': '1,10',
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 64,
      'train.epochs': 2,
      'train.lr': 0.02,
      'train.seed': 3,
    };
    const { single, launched: r } = await singleAndLaunched(
      base,
      tmp.dir,
      'eval-relations-launch-test',
    );
    const out = join(tmp.dir, 'run');
    expect(Object.keys(r.relations!)).toEqual(['user__viewed__item', 'user__bought__item']);
    const got = r.relations!.user__viewed__item.test!;
    const want = single.relations!.user__viewed__item.test!;
    // Model-free numbers are equal; the model's within the single-process run's tolerance.
    expect(got.popularity_exact_mrr).toBeCloseTo(popularityByHand(viewed).mrr, 10);
    expect(got.popularity_auc).toBe(want.popularity_auc);
    expect(got.count).toBe(want.count);
    expect(Math.abs(got.auc - want.auc)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(r.test.auc - single.test.auc)).toBeLessThanOrEqual(0.01);
    expect(r.relations!.user__bought__item.test).toEqual(r.test);
    const written = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(written.relations.user__viewed__item.test.auc).toBe(got.auc);
    const evals = metricsOf(out).filter((l) => l.type === 'eval');
    expect(evals.length).toBe(2);
    for (const e of evals)
      expect(Object.keys(e.relations as object)).toEqual([
        'user__viewed__item',
        'user__bought__item',
      ]);
  }, 480_000);
});
