// eval.relations outside a training run: names resolved against the graph's relations (refused at the
// field, listing the relations there are), the spec's cross-field rules, the per-relation blocks a flat
// result record is grouped into, and how the CLI and the report show those blocks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverrides, defaultJobSpec, parseJobSpec } from '../../../actors/job-spec.js';
import {
  evalRelationKeys,
  relationBlocks,
  withRelationBlocks,
  withRelationPrefix,
} from '../../../actors/plan/eval-relations.js';
import { JobStatusBoard } from '../../../actors/coordinator/job-status.js';
import { renderReport } from '../../../actors/report/html-report.js';
import { readRun } from '../../../actors/report/run-data.js';
import { formatMetrics, relationLines } from '../../../cli/format-metrics.js';
import { InputError } from '../../../runtime/errors.js';
import { configErrorOf } from '../../helpers/config-error.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-eval-rel-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TYPES = [
  { src: 'user', rel: 'bought', dst: 'item', hasTimestamps: true },
  { src: 'user', rel: 'viewed', dst: 'item', hasTimestamps: true },
  { src: 'user', rel: 'viewed', dst: 'ad', hasTimestamps: true },
  { src: 'item', rel: 'tagged', dst: 'tag', hasTimestamps: false },
];

const withRelations = (names: string) =>
  applyOverrides(defaultJobSpec(), { task: 'link', 'eval.relations': names });

describe('eval.relations names', () => {
  it('takes keys and unambiguous relation names, each once, in order', () => {
    const spec = withRelations('bought, user__viewed__ad,user__bought__item');
    expect(spec.eval.relations).toEqual(['bought', 'user__viewed__ad', 'user__bought__item']);
    expect(evalRelationKeys(spec, { edgeTypes: TYPES })).toEqual([
      'user__bought__item',
      'user__viewed__ad',
    ]);
  });

  it('refuses unknown, ambiguous and untimed relations at the field, listing what exists', () => {
    const all = 'user__bought__item, user__viewed__item, user__viewed__ad, item__tagged__tag';
    for (const [name, what] of [
      ['clicked', "no edge type 'clicked'"],
      ['viewed', "more than one edge type 'viewed'"],
    ]) {
      const e = configErrorOf(() => evalRelationKeys(withRelations(name), { edgeTypes: TYPES }));
      expect(e.field).toBe('eval.relations');
      expect(e.message).toContain(`${what}; the graph has ${all}`);
    }
    const untimed = configErrorOf(() =>
      evalRelationKeys(withRelations('tagged'), { edgeTypes: TYPES }),
    );
    expect(untimed.field).toBe('eval.relations');
    expect(untimed.message).toMatch(/item__tagged__tag has no timestamps/);
  });

  it('is a link-task field, scored where the trainer holds the whole graph', () => {
    const node = configErrorOf(() =>
      parseJobSpec('task: node\neval:\n  relations: [bought]\n', 'job.yaml'),
    );
    expect(node.field).toBe('eval.relations');
    expect(node.file).toBe('job.yaml:3');
    const parts = configErrorOf(() =>
      applyOverrides(defaultJobSpec(), {
        task: 'link',
        'eval.relations': 'bought',
        'cluster.partitions': 'auto',
      }),
    );
    expect(parts.field).toBe('eval.relations');
    expect(parts.message).toMatch(/cluster\.partitions/);
  });
});

describe('per-relation result blocks', () => {
  const own = { auc: 0.8, count: 10 };
  const viewed = { auc: 0.5, 'hits@10': 0.2 };
  const flat: Record<string, number> = {
    ...own,
    ...withRelationPrefix('user__viewed__item', viewed),
  };

  it('travel flat beside the trained relation and are grouped into one block each', () => {
    expect(flat['user__viewed__item/hits@10']).toBe(0.2);
    expect(relationBlocks(flat)).toEqual({ own, relations: { user__viewed__item: viewed } });
    const test = { ...own, ...withRelationPrefix('user__viewed__item', { auc: 0.45 }) };
    expect(withRelationBlocks(flat, test)).toEqual({
      val: own,
      test: own,
      relations: { user__viewed__item: { val: viewed, test: { auc: 0.45 } } },
    });
    // Without listed relations the records are as before: no relations key at all.
    expect(withRelationBlocks(own, own)).toEqual({ val: own, test: own });
    expect(withRelationBlocks(undefined, test).relations).toEqual({
      user__viewed__item: { test: { auc: 0.45 } },
    });
  });

  it('reach /status as blocks too', () => {
    const board = new JobStatusBoard({ job: 'j', epochs: 1, actors: [] });
    board.evaluated(0, flat);
    expect(board.snapshot().last_eval).toMatchObject({
      val: own,
      relations: { user__viewed__item: { val: viewed } },
    });
  });

  it('print on lines of their own, off the job line', () => {
    expect(formatMetrics(flat)).toBe('auc 0.8000');
    expect(
      relationLines({
        user__viewed__item: {
          val: { auc: 0.5, popularity_auc: 0.6, count: 4, negatives: 20, filtered_negatives: 1 },
          test: { auc: 0.25 },
        },
      }),
    ).toEqual([
      'relation user__viewed__item:',
      '  val auc 0.5000',
      '    baseline popularity: auc 0.6000',
      '    (4 positives, 20 negatives each from the destination type, 1 true pairs filtered out)',
      '  test auc 0.2500',
    ]);
  });

  it('are read from results.json into the report, one table per relation', async () => {
    const dir = join(tmp, 'run');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const results = {
      task: 'link',
      val: own,
      test: own,
      relations: { user__viewed__item: { val: viewed, test: { auc: 0.45 } } },
    };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const run = await readRun(dir);
    expect(run.results!.relations).toEqual(results.relations);
    const html = renderReport(run);
    expect(html).toContain('<h3>relation user__viewed__item</h3>');
    expect(html).toMatch(/0\.45/);
    writeFileSync(
      join(dir, 'results.json'),
      JSON.stringify({ ...results, relations: { r: { val: { auc: 'high' } } } }),
    );
    const err = await readRun(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).field).toBe('relations.r.val.auc');
  });
});
