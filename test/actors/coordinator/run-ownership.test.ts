// One owner per run directory under `weft train` (real processes): a second run of the same --out is
// refused while the first finishes alone; a killed run's stale lock is taken over and its rerun resumes
// to the uninterrupted result; a failed or refused start leaves the previous run byte for byte.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint } from '../../../actors/parameter-server/checkpoint.js';
import { synthPowerlaw } from '../../../graph-store/synth-powerlaw.js';
import { LOCK_FILE } from '../../../runtime/owner-lock.js';
import { until, untilFile, weft } from '../../helpers/weft-process.js';
import { expectSameParameters } from '../../helpers/same-parameters.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-run-owner-'));
const graph = join(tmp, 'g');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await synthPowerlaw({ nodes: 3000, edges: 30000, featureDim: 16, classes: 4, seed: 3 }, graph);
});

const BASE = ['--graph', graph, '--hidden', '16', '--fanouts', '5,5', '--batch-size', '256'];
/** `weft train` of the small job for `epochs` epochs into `out`, plus `more` flags. */
const train = (out: string, epochs: number, more: string[] = []) =>
  weft(['train', ...BASE, '--epochs', String(epochs), '--out', out, '--quiet', ...more]);

const lines = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step?: number; epoch?: number; kind?: string });

/** Every file under `dir` (relative path → bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      files.set(path.slice(dir.length), readFileSync(path));
    }
  return files;
}

describe('run directory ownership (weft train)', () => {
  it('two runs of one --out at once: the second is refused, the first finishes with its own metrics', async () => {
    const out = join(tmp, 'shared-out');
    const epochs = 16;
    const first = train(out, epochs);
    await untilFile(join(out, LOCK_FILE));
    const second = await train(out, epochs).exited;
    // The refusal came while the first was running, and names it.
    expect(first.proc.exitCode).toBeNull();
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(`is owned by`);
    expect(second.output).toContain(`pid ${first.proc.pid}`);
    const done = await first.exited;
    expect(done.code, done.output).toBe(0);
    const metrics = lines(out);
    const steps = metrics.filter((l) => l.type === 'step').map((l) => l.step!);
    // Each step once, in order: nobody else's records interleaved.
    expect(steps).toEqual(steps.map((_, i) => i));
    expect(metrics.filter((l) => l.type === 'eval').map((l) => l.epoch)).toEqual(
      Array.from({ length: epochs }, (_, e) => e),
    );
    expect(metrics.some((l) => l.kind === 'restore')).toBe(false);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it('a killed run: its stale lock is taken over and the rerun resumes to the uninterrupted result', async () => {
    const epochs = 6;
    const clean = join(tmp, 'clean');
    const unfailed = await train(clean, epochs).exited;
    expect(unfailed.code, unfailed.output).toBe(0);

    const out = join(tmp, 'killed');
    const victim = train(out, epochs);
    // Killed after its second checkpoint, mid-run: no chance to release anything.
    const savedEpoch = () => {
      try {
        return Number(latestCheckpoint(join(out, 'checkpoints'))?.meta.epoch ?? -1);
      } catch {
        return -1; // being written or rotated: asked again
      }
    };
    await until('a second checkpoint', () => savedEpoch() >= 1);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    expect(JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')).pid).toBe(victim.proc.pid);
    // The same command again, no --resume: it resumes its own job's checkpoint.
    const rerun = await weft(['train', ...BASE, '--epochs', String(epochs), '--out', out]).exited;
    expect(rerun.code, rerun.output).toBe(0);
    expect(rerun.output).toMatch(
      /resuming \S+ after epoch \d+\/\d+ \(step \d+\): parameters of version \d+/,
    );
    expectSameParameters(clean, out, 0);
    const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results(out).test).toEqual(results(clean).test);
  }, 300_000);

  it("a failed or refused start leaves the previous run's metrics and checkpoints byte-identical", async () => {
    const out = join(tmp, 'previous');
    const first = await train(out, 2).exited;
    expect(first.code, first.output).toBe(0);
    const before = snapshot(out);
    expect([...before.keys()].some((k) => k.includes('checkpoints'))).toBe(true);

    // An unreadable graph, even with --fresh (which would move the checkpoints aside).
    const bad = join(tmp, 'bad-graph');
    cpSync(graph, bad, { recursive: true });
    truncateSync(join(bad, 'features.f32'), 100);
    const failed = await weft([
      'train',
      ...BASE,
      '--graph',
      bad,
      '--epochs',
      '2',
      '--out',
      out,
      '--fresh',
    ]).exited;
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain('features.f32');
    expect(snapshot(out)).toEqual(before);

    // Another job (another width) in the same directory: refused, naming the field.
    const other = await train(out, 2, ['--hidden', '32']).exited;
    expect(other.code).not.toBe(0);
    expect(other.output).toMatch(
      /holds the checkpoints of job "weft-job".*differing in model\.hidden/,
    );
    expect(snapshot(out)).toEqual(before);

    // With --fresh it starts over and keeps the old checkpoints aside.
    const fresh = await train(out, 2, ['--hidden', '32', '--fresh']).exited;
    expect(fresh.code, fresh.output).toBe(0);
    const aside = readdirSync(out).filter((d) => d.startsWith('checkpoints.replaced-'));
    expect(aside).toHaveLength(1);
    for (const [path, bytes] of before)
      if (path.startsWith('/checkpoints/'))
        expect(
          readFileSync(join(out, aside[0], path.slice('/checkpoints/'.length))).equals(bytes),
          path,
        ).toBe(true);
    expect(
      (latestCheckpoint(join(out, 'checkpoints'))!.meta.spec as { model: { hidden: number } }).model
        .hidden,
    ).toBe(32);
  }, 300_000);
});
