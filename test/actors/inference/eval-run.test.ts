// `weft eval`: a run's newest checkpoint reproduces the metrics the trainer reported for it, through
// the API and the command; missing runs, checkpoints and graphs are errors that name the path.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { loadTrainedRun, modelParams } from '../../../actors/inference/trained-run.js';
import { run as evalCommand } from '../../../cli/commands/eval.js';
import { ConfigError, InputError } from '../../../runtime/errors.js';
import { tempRoot, trainLinkRun, trainNodeRun, type TrainedFixture } from './fixture.js';

const tmp = tempRoot('weft-eval-');
let nodeRun: TrainedFixture;
let linkRun: TrainedFixture;

beforeAll(async () => {
  nodeRun = await trainNodeRun(tmp.dir);
  linkRun = await trainLinkRun(tmp.dir);
}, 60_000);
afterAll(tmp.cleanup);

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
    const r = await evaluateRun(nodeRun.runDir);
    expect(nodeRun.results.best_epoch).toBe(1);
    expect(r.task).toBe('node');
    expect(r.epoch).toBe(1); // counted from 1, as results.json counts best_epoch;
    expect(r.val).toEqual(nodeRun.results.val);
    expect(r.test).toEqual(nodeRun.results.test);
    expectUnitInterval(r.val!, ['accuracy', 'macro_f1']);
    expect(r.val!.count).toBeGreaterThan(100);
    // Chance is 1/4: a model that trained (and whose parameters were loaded) does better.
    expect(r.val!.accuracy).toBeGreaterThan(0.3);
  });

  it('reproduces the link-prediction metrics of the run exactly', async () => {
    const r = await evaluateRun(linkRun.runDir, { split: 'val' });
    expect(r.task).toBe('link');
    expect(r.test).toBeUndefined();
    expect(r.val).toEqual(linkRun.results.val);
    expectUnitInterval(r.val!, ['auc', 'mrr', 'hits@10']);
    const t = await evaluateRun(linkRun.runDir, { split: 'test' });
    expect(t.val).toBeUndefined();
    expect(t.test).toEqual(linkRun.results.test);
  });

  it('adds exact ranking among every candidate with --ranking exact, the sampled numbers unchanged', async () => {
    const t = await evaluateRun(linkRun.runDir, { split: 'test', ranking: 'exact' });
    const sampled = Object.fromEntries(
      Object.entries(t.test!).filter(([k]) => !k.startsWith('exact_') && !k.includes('_exact_')),
    );
    expect(sampled).toEqual(linkRun.results.test);
    expect(t.test!.exact_count).toBe(linkRun.results.test!.count);
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
    const run = await loadTrainedRun(nodeRun.runDir);
    expect([...run.checkpoint.tensors.keys()].some((k) => k.includes('#'))).toBe(true);
    expect([...run.params.keys()].every((k) => !k.includes('#'))).toBe(true);
    expect(run.params.size).toBe(modelParams(run.checkpoint.tensors).size);
    expect(run.params.get('sage0.weight')!.length).toBe(2 * 16 * 16);
    const copy = join(tmp.dir, 'graph-copy');
    cpSync(nodeRun.graph, copy, { recursive: true });
    const r = await evaluateRun(nodeRun.runDir, { graph: copy, split: 'val' });
    expect(r.graph).toBe(resolve(copy));
    expect(r.val).toEqual(nodeRun.results.val);
  });

  it('names the path when the run, its checkpoint or its graph is missing', async () => {
    const missing = join(tmp.dir, 'no-such-run');
    const e1 = await thrown(evaluateRun(missing));
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as ConfigError).file).toBe(missing);

    const empty = join(tmp.dir, 'empty-run');
    mkdirSync(empty);
    const e2 = await thrown(evaluateRun(empty));
    expect(e2).toBeInstanceOf(ConfigError);
    expect((e2 as ConfigError).file).toBe(join(empty, 'checkpoints'));

    const noGraph = join(tmp.dir, 'no-graph');
    const e3 = await thrown(evaluateRun(nodeRun.runDir, { graph: noGraph }));
    expect(e3).toBeInstanceOf(ConfigError);
    expect((e3 as ConfigError).file).toBe(noGraph);
    expect((e3 as ConfigError).field).toBe('--graph');

    // The recorded graph moved away: the error names it and suggests --graph.
    const moved = join(tmp.dir, 'run-moved');
    cpSync(nodeRun.runDir, moved, { recursive: true });
    const g2 = join(tmp.dir, 'powerlaw-2');
    cpSync(nodeRun.graph, g2, { recursive: true });
    const spec = (await loadTrainedRun(moved)).spec;
    expect(spec.graph).toBe(nodeRun.graph);
    renameSync(nodeRun.graph, join(tmp.dir, 'powerlaw-away'));
    try {
      const e4 = await thrown(evaluateRun(moved));
      expect(e4).toBeInstanceOf(ConfigError);
      expect((e4 as ConfigError).file).toBe(nodeRun.graph);
      expect(e4.message).toMatch(/--graph/);
    } finally {
      renameSync(join(tmp.dir, 'powerlaw-away'), nodeRun.graph);
    }
  });

  it('names a corrupted checkpoint file', async () => {
    const copy = join(tmp.dir, 'run-corrupt');
    cpSync(nodeRun.runDir, copy, { recursive: true });
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
    expect(await evalCommand([nodeRun.runDir, '--split', 'val'])).toBe(0);
    const acc = nodeRun.results.val.accuracy.toFixed(4);
    expect(printed()).toMatch(new RegExp(`^val accuracy ${acc}, macro_f1 \\d\\.\\d{4}`, 'm'));
    expect(printed()).not.toMatch(/^test/m);
    log.mockClear();
    expect(await evalCommand([linkRun.runDir, '--json'])).toBe(0);
    const report = JSON.parse(printed()) as {
      val: Record<string, number>;
      test: Record<string, number>;
    };
    expect(report.val).toEqual(linkRun.results.val);
    expect(report.test).toEqual(linkRun.results.test);
  });

  it('rejects a bad --split', async () => {
    await expect(evalCommand([nodeRun.runDir, '--split', 'train'])).rejects.toThrow(ConfigError);
  });

  it('is registered in the weft command and exits 1 naming a missing run', async () => {
    const bin = resolve(import.meta.dirname, '../../../bin/weft.js');
    const missing = join(tmp.dir, 'nothing-here');
    const failed = await promisify(execFile)(process.execPath, [bin, 'eval', missing]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(missing);
    expect(failed?.stderr).toMatch(/run directory not found/);
  });
});
