// `weft bench quality`: rows are spec overlays; a row whose fields the spec does not know is reported
// as skipped with the field named, every row of the issue runs, and the table and chart show
// mean ± std of what ran.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_QUALITY,
  QUALITY_ROWS,
  qualityBaseSpec,
  qualityChart,
  qualityTable,
  runQualityAblation,
  runRow,
} from '../../bench/quality-ablation.js';
import { tempDir } from '../graph-store/helpers.js';

const tmp = tempDir('weft-bench-quality-');
afterAll(tmp.cleanup);

describe('weft bench quality', () => {
  it('has the issue rows in order, each overlay over one base spec', () => {
    expect(QUALITY_ROWS.map((r) => r.name)).toEqual([
      'static sage',
      '+ ID embeddings',
      '+ temporal model',
      '+ long-term loss',
      '+ target recency',
      '+ target recency (static)',
      '+ densification',
      '+ PPR neighbours',
      'all',
    ]);
    const base = qualityBaseSpec('marketplace', 'g', 'o', 2, 1);
    expect([base.task, base.sampling.strategy, base.train.seed]).toEqual(['link', 'temporal', 2]);
    expect(base.densify).toMatchObject({ enabled: false, nodeType: 'member' });
    // The control row is the target-recency row with the temporal model off, nothing else.
    const row = (name: string) => QUALITY_ROWS.find((r) => r.name === name)!.overlay;
    expect(row('+ target recency (static)')).toEqual({ 'model.temporal.targetRecency': true });
    expect(row('+ target recency')).toEqual({
      'model.temporal.enabled': true,
      'model.temporal.targetRecency': true,
    });
  });

  it('skips a row whose fields the spec does not know, naming the field', async () => {
    const row = { name: 'unknown', overlay: { 'sampling.nonsense': 1 } };
    const o = { ...DEFAULT_QUALITY, seeds: 1, workDir: join(tmp.dir, 'skip') };
    const r = await runRow(row, o, join(tmp.dir, 'no-graph'));
    expect(r.skipped).toMatch(/sampling\.nonsense.*unknown field/);
    expect(r.stats).toBeUndefined();
  });

  it('runs the PPR row (sampling.ppr.topK) and writes JSON and SVG', async () => {
    const out = join(tmp.dir, 'q');
    const report = await runQualityAblation({
      ...DEFAULT_QUALITY,
      members: 200,
      seeds: 1,
      epochs: 1,
      only: ['+ PPR neighbours'],
      workDir: join(tmp.dir, 'work'),
      out,
    });
    expect(report.rows.map((r) => r.name)).toEqual(['+ PPR neighbours']);
    expect(report.rows[0].overlay).toEqual({ 'sampling.ppr.topK': 8 });
    const stats = report.rows[0].stats!;
    expect(stats.auc.mean).toBeGreaterThan(0.5);
    expect(stats.auc.mean).toBeLessThanOrEqual(1);
    expect(existsSync(`${out}.svg`)).toBe(true);
    const json = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(json.bench).toBe('quality/marketplace');
    expect(json.rows[0].runs).toHaveLength(1);
  }, 300_000);

  it('prints mean ± std per metric and draws both recall bars of a row that ran', () => {
    const stats = Object.fromEntries(
      ['auc', 'mrr', 'recall@10', 'cold_auc', 'cold_mrr', 'cold_recall@10', 'train_s'].map((k) => [
        k,
        { mean: 0.5, std: 0.25 },
      ]),
    );
    const rows = [{ name: 'static sage', overlay: {}, stats }];
    expect(qualityTable(rows)).toContain('0.5000±0.2500');
    expect(qualityChart(rows).match(/<line /g)?.length).toBe(2);
  });
});
