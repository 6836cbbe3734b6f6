// `weft eval`: a run's newest checkpoint reproduces the metrics the trainer reported for it, through
// the API and the command; missing runs, checkpoints and graphs are errors that name the path.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { loadTrainedRun, modelParams } from '../../../actors/inference/trained-run.js';
import { run as evalCommand } from '../../../cli/commands/eval.js';
import { ConfigError, InputError } from '../../../runtime/errors.js';
import { trainedPairForFile } from './fixture.js';

const runs = trainedPairForFile('weft-eval-');

function expectUnitInterval(m: Record<string, number>, keys: string[]): void {
  for (const k of keys) {
    expect(m[k], k).toBeGreaterThanOrEqual(0);
    expect(m[k], k).toBeLessThanOrEqual(1);
  }
}

async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('evaluateRun', () => {
  it('reproduces the node-classification metrics of the (one-epoch) run exactly', async () => {
    const r = await evaluateRun(runs.node.runDir);
    expect(runs.node.results.best_epoch).toBe(1);
    expect(r.task).toBe('node');
    expect(r.epoch).toBe(1); // counted from 1, as results.json counts best_epoch;
    expect(r.val).toEqual(runs.node.results.val);
    expect(r.test).toEqual(runs.node.results.test);
    expectUnitInterval(r.val!, ['accuracy', 'macro_f1']);
    expect(r.val!.count).toBeGreaterThan(100);
    // Chance is 1/4: a model that trained (and whose parameters were loaded) does better.
    expect(r.val!.accuracy).toBeGreaterThan(0.3);
  });

  it('reproduces the link-prediction metrics of the run exactly', async () => {
    const r = await evaluateRun(runs.link.runDir, { split: 'val' });
    expect(r.task).toBe('link');
    expect(r.test).toBeUndefined();
    expect(r.val).toEqual(runs.link.results.val);
    expectUnitInterval(r.val!, ['auc', 'mrr', 'hits@10']);
    const t = await evaluateRun(runs.link.runDir, { split: 'test' });
    expect(t.val).toBeUndefined();
    expect(t.test).toEqual(runs.link.results.test);
  });

  it('adds exact ranking among every candidate with --ranking exact, the sampled numbers unchanged', async () => {
    const t = await evaluateRun(runs.link.runDir, { split: 'test', ranking: 'exact' });
    const sampled = Object.fromEntries(
      Object.entries(t.test!).filter(([k]) => !k.startsWith('exact_') && !k.includes('_exact_')),
    );
    expect(sampled).toEqual(runs.link.results.test);
    expect(t.test!.exact_count).toBe(runs.link.results.test!.count);
    expect(t.test!.exact_candidates).toBeGreaterThan(t.test!.negatives);
    expectUnitInterval(t.test!, [
      'exact_mrr',
      'exact_auc',
      'exact_hits@10',
      'exact_recall@10',
      'popularity_exact_mrr',
      'seen_before_exact_mrr',
    ]);
  });

  it('loads parameters only (no optimizer slots) and uses the --graph override', async () => {
    const run = await loadTrainedRun(runs.node.runDir);
    expect([...run.checkpoint.tensors.keys()].some((k) => k.includes('#'))).toBe(true);
    expect([...run.params.keys()].every((k) => !k.includes('#'))).toBe(true);
    expect(run.params.size).toBe(modelParams(run.checkpoint.tensors).size);
    expect(run.params.get('sage0.weight')!.length).toBe(2 * 16 * 16);
    const copy = join(runs.dir, 'graph-copy');
    cpSync(runs.node.graph, copy, { recursive: true });
    const r = await evaluateRun(runs.node.runDir, { graph: copy, split: 'val' });
    expect(r.graph).toBe(resolve(copy));
    expect(r.val).toEqual(runs.node.results.val);
  });

  it('names the path when the run, its checkpoint or its graph is missing', async () => {
    const missing = join(runs.dir, 'no-such-run');
    const e1 = await thrown(evaluateRun(missing));
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as ConfigError).file).toBe(missing);

    const empty = join(runs.dir, 'empty-run');
    mkdirSync(empty);
    const e2 = await thrown(evaluateRun(empty));
    expect(e2).toBeInstanceOf(ConfigError);
    expect((e2 as ConfigError).file).toBe(join(empty, 'checkpoints'));

    const noGraph = join(runs.dir, 'no-graph');
    const e3 = await thrown(evaluateRun(runs.node.runDir, { graph: noGraph }));
    expect(e3).toBeInstanceOf(ConfigError);
    expect((e3 as ConfigError).file).toBe(noGraph);
    expect((e3 as ConfigError).field).toBe('--graph');

    // The recorded graph moved away: the error names it and suggests --graph.
    const moved = join(runs.dir, 'run-moved');
    cpSync(runs.node.runDir, moved, { recursive: true });
    const g2 = join(runs.dir, 'powerlaw-2');
    cpSync(runs.node.graph, g2, { recursive: true });
    const spec = (await loadTrainedRun(moved)).spec;
    expect(spec.graph).toBe(runs.node.graph);
    renameSync(runs.node.graph, join(runs.dir, 'powerlaw-away'));
    try {
      const e4 = await thrown(evaluateRun(moved));
      expect(e4).toBeInstanceOf(ConfigError);
      expect((e4 as ConfigError).file).toBe(runs.node.graph);
      expect(e4.message).toMatch(/--graph/);
    } finally {
      renameSync(join(runs.dir, 'powerlaw-away'), runs.node.graph);
    }
  });

  it('names a corrupted checkpoint file', async () => {
    const copy = join(runs.dir, 'run-corrupt');
    cpSync(runs.node.runDir, copy, { recursive: true });
    const run = await loadTrainedRun(copy);
    const file = join(run.checkpoint.dir, 'sage1.weight.f32');
    const bytes = readFileSync(file);
    bytes[5] ^= 0x40;
    writeFileSync(file, bytes);
    const err = await thrown(evaluateRun(copy));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).file).toBe(file);
  });
});

describe('weft eval', () => {
  let log: MockInstance;
  beforeEach(() => {
    log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());
  const printed = (): string => log.mock.calls.map((c) => String(c[0])).join('\n');

  it('prints the metrics for humans and as JSON', async () => {
    expect(await evalCommand([runs.node.runDir, '--split', 'val'])).toBe(0);
    const acc = runs.node.results.val.accuracy.toFixed(4);
    expect(printed()).toMatch(new RegExp(`^val accuracy ${acc}, macro_f1 \\d\\.\\d{4}`, 'm'));
    expect(printed()).not.toMatch(/^test/m);
    log.mockClear();
    expect(await evalCommand([runs.link.runDir, '--json'])).toBe(0);
    const report = JSON.parse(printed()) as {
      val: Record<string, number>;
      test: Record<string, number>;
    };
    expect(report.val).toEqual(runs.link.results.val);
    expect(report.test).toEqual(runs.link.results.test);
  });

  it('rejects a bad --split', async () => {
    await expect(evalCommand([runs.node.runDir, '--split', 'train'])).rejects.toThrow(ConfigError);
  });

  it('is registered in the weft command and exits 1 naming a missing run', async () => {
    const bin = resolve(import.meta.dirname, '../../../bin/weft.js');
    const missing = join(runs.dir, 'nothing-here');
    const failed = await promisify(execFile)(process.execPath, [bin, 'eval', missing]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(missing);
    expect(failed?.stderr).toMatch(/run directory not found/);
  });
});
