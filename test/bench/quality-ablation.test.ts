// `weft bench quality`: rows are spec overlays; a row whose fields the spec does not know is reported
// as skipped with the field named (the integrator adds the temporal rows' fields), and the table and
// chart show mean ± std of what ran.
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
      '+ densification',
      '+ PPR neighbours',
      'all',
    ]);
    const base = qualityBaseSpec('marketplace', 'g', 'o', 2, 1);
    expect([base.task, base.sampling.strategy, base.train.seed]).toEqual(['link', 'temporal', 2]);
    expect(base.densify).toMatchObject({ enabled: false, nodeType: 'member' });
  });

  it('skips rows whose fields the spec does not know, naming the field, and writes JSON and SVG', async () => {
    const out = join(tmp.dir, 'q');
    const report = await runQualityAblation({
      ...DEFAULT_QUALITY,
      members: 200,
      seeds: 1,
      only: ['+ PPR neighbours', 'all'],
      workDir: join(tmp.dir, 'work'),
      out,
    });
    expect(report.rows.map((r) => r.name)).toEqual(['+ PPR neighbours', 'all']);
    expect(report.rows[0].skipped).toMatch(/sampling\.ppr\.topK.*unknown field/);
    expect(report.rows[1].skipped).toMatch(/sampling\.ppr\.topK.*unknown field/);
    expect(existsSync(`${out}.svg`)).toBe(true);
    const json = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(json.bench).toBe('quality/marketplace');
  });

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
