// eval.relations in weft train and weft eval: a typed graph with a learnable relation (users buy items
// of their own class) and a random one (users view any item); training on the first, both are scored
// on their own held-out pairs. The learnable one ranks well, the random one at chance, and the random
// relation's popularity baseline among all candidates equals the one computed here from its edges.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTraining } from '../../../actors/coordinator/train-job.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { applyOverrides, defaultJobSpec } from '../../../actors/job-spec.js';
import { buildTypedGraph } from '../../../graph-store/build-typed-graph.js';
import { ConfigError } from '../../../runtime/errors.js';
import { tempRoot } from '../inference/fixture.js';
import {
  PER_USER,
  USERS,
  popularityByHand,
  writeGraph,
  type Edge,
} from './two-relations-fixture.js';

const tmp = tempRoot('weft-eval-relations-');
afterAll(tmp.cleanup);

describe('eval.relations', () => {
  const graph = join(tmp.dir, 'typed');
  const out = join(tmp.dir, 'run');
  let viewed: Edge[] = [];
  const spec = (overrides: Record<string, unknown> = {}) =>
    applyOverrides(defaultJobSpec(), {
      graph,
      out,
      task: 'link',
      'link.edgeType': 'user__bought__item',
      'eval.relations': 'user__bought__item,viewed',
      'eval.ranking': 'exact',
      'eval.cutoffs': '1,10',
      'model.hidden': 16,
      'sampling.fanouts': '5,5',
      'sampling.batchSize': 64,
      'sampling.handoff': 'inline',
      'train.epochs': 3,
      'train.lr': 0.02,
      'train.seed': 3,
      ...overrides,
    });

  it('scores each listed relation on its own pairs: learnable well, random at chance', async () => {
    ({ viewed } = writeGraph(tmp.dir));
    await buildTypedGraph({ inputs: join(tmp.dir, 'graph.yaml'), out: graph });
    const r = await runTraining(spec());
    const rel = r.relations!;
    expect(Object.keys(rel).sort()).toEqual(['user__bought__item', 'user__viewed__item']);
    // The trained relation's block is the top-level record (kept for existing readers).
    expect(rel.user__bought__item.test).toEqual(r.test);
    expect(rel.user__bought__item.val).toEqual(r.val);
    // Items of the user's class are half the candidates: a perfect class match scores AUC 0.75.
    expect(r.test.auc).toBeGreaterThan(0.7);
    const random = rel.user__viewed__item.test!;
    expect(random.auc).toBeGreaterThan(0.35);
    expect(random.auc).toBeLessThan(0.65);
    expect(r.test.auc - random.auc).toBeGreaterThan(0.1);
    expect(random.count).toBe(Math.floor(USERS * PER_USER * 0.1));
    // Both baselines and the exact ranking are there per relation.
    for (const key of ['popularity_auc', 'seen_before_auc', 'exact_mrr', 'popularity_exact_mrr'])
      expect(Number.isFinite(random[key]), key).toBe(true);
    // The popularity baseline of viewed among all items, as computed by hand from its edges.
    const hand = popularityByHand(viewed);
    expect(random.popularity_exact_mrr).toBeCloseTo(hand.mrr, 10);
    expect(random['popularity_exact_hits@1']).toBeCloseTo(hand.hits1, 10);
    // results.json and metrics.jsonl carry the same blocks.
    const written = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(written.relations.user__viewed__item.test.auc).toBe(random.auc);
    expect(Object.keys(written.test).some((k) => k.includes('/'))).toBe(false);
    const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'eval');
    expect(evals.length).toBe(3);
    for (const e of evals) expect(Object.keys(e.relations).length).toBe(2);
  }, 180_000);

  it('weft eval scores the relations asked for with --relations, the same as training did', async () => {
    const trained = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const r = await evaluateRun(out, { relations: ['viewed'] });
    expect(Object.keys(r.relations!)).toEqual(['user__viewed__item']);
    const test = r.relations!.user__viewed__item.test!;
    expect(test.popularity_exact_mrr).toBe(
      trained.relations.user__viewed__item.test.popularity_exact_mrr,
    );
    expect(test.auc).toBeCloseTo(trained.relations.user__viewed__item.test.auc, 6);
    expect(r.test!.auc).toBeCloseTo(trained.test.auc, 6);
  }, 60_000);

  it('refuses a name the graph does not have, naming the field and the relations there are', async () => {
    const bad = spec({ 'eval.relations': 'clicked', out: join(tmp.dir, 'bad') });
    const err = await runTraining(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('eval.relations');
    expect((err as Error).message).toContain('user__bought__item, user__viewed__item');
    await expect(evaluateRun(out, { relations: ['nope'] })).rejects.toThrow(
      /no edge type 'nope'; the graph has user__bought__item, user__viewed__item/,
    );
  }, 60_000);
});
