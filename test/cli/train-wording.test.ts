import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint } from '../../actors/parameter-server/checkpoint.js';
import { EXIT } from '../../cli/print-error.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import { REPO, WEFT_BIN, weftAsync } from './weft-cli.js';

// `weft train` end to end on a small synthetic graph: the closing lines, --resume's wording and
// refusals, and the hint Ctrl-C leaves.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-train-wording-'));
const graph = path.join(tmp, 'graph');
const common = ['--graph', graph, '--set', 'sampling.batchSize=100', '--fanouts', '5,5'];
beforeAll(async () => {
  await synthPowerlaw({ nodes: 600, edges: 4000, featureDim: 8, classes: 3, seed: 5 }, graph);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const results = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;

describe('weft train wording', () => {
  it('one epoch, then resumed: counts, best epoch from 1, where it resumed', async () => {
    const run = path.join(tmp, 'run');
    const first = await weftAsync(['train', ...common, '--epochs', '1', '--out', run]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\): 1 epoch in \d/);
    expect(results(run).best_epoch).toBe(1);
    expect(first.stdout).toContain('best epoch 1 of 1: val accuracy');
    // Not a terminal: epoch lines only, each labelled, no live line.
    expect(first.stderr).toMatch(/^epoch 1\/1: mean loss \d\.\d{4} over \d+ steps?, /);
    expect(first.stderr).not.toContain('\r');

    const same = await weftAsync(['train', '--resume', run]);
    expect(same.code).toBe(EXIT.usage);
    expect(same.stderr).toContain(
      `weft train: --epochs: the run in ${run} has already trained 1 epoch; ask for more to continue it (--epochs 2 or above)`,
    );
    expect(same.stdout).toBe('');

    const more = await weftAsync(['train', '--resume', run, '--epochs', '3']);
    expect(more.code, more.stderr).toBe(0);
    const ckpt = latestCheckpoint(path.join(run, 'checkpoints'))!;
    expect(more.stderr.split('\n')[0]).toMatch(
      new RegExp(`^resuming ${run} after epoch 1/3 \\(step \\d+\\) from ${run}/checkpoints/v\\d+$`),
    );
    expect(more.stdout).toContain(': 3 epochs (2 after resuming) in ');
    const r = results(run);
    expect(r.epochs).toBe(3);
    expect(r.resumed_after_epoch).toBe(1);
    expect(r.best_epoch).toBeGreaterThanOrEqual(1);
    expect(more.stdout).toContain(`best epoch ${String(r.best_epoch)} of 3:`);
    expect(ckpt.meta.epoch).toBe(2);
  }, 180_000);

  it('Ctrl-C names the newest checkpoint and the command that continues it', async () => {
    const run = path.join(tmp, 'interrupted');
    const child = spawn(
      process.execPath,
      [WEFT_BIN, 'train', ...common, '--epochs', '500', '--out', run],
      { cwd: REPO, env: { ...process.env, WEFT_SOURCE: '1' } },
    );
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    // Interrupt once an epoch line is out: its checkpoint was written before the line.
    await new Promise<void>((ready) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^epoch 2\/500: /m.test(stderr)) ready();
      }),
    );
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(EXIT.interrupted);
    const ckpt = latestCheckpoint(path.join(run, 'checkpoints'))!;
    const hint = stderr.trimEnd().split('\n').at(-1);
    expect(hint).toBe(
      `interrupted; the newest checkpoint is after epoch ${Number(ckpt.meta.epoch) + 1} (${ckpt.dir}); continue with: weft train --resume ${run}`,
    );
    expect(existsSync(path.join(run, 'results.json'))).toBe(false);
  }, 180_000);

  // A real terminal: util-linux `script` gives weft a pseudo-terminal 50 columns wide.
  const haveScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!haveScript)(
    `on a 50-column terminal every redraw stays on its line${haveScript ? '' : ' (skipped: util-linux script not installed)'}`,
    () => {
      const run = path.join(tmp, 'tty');
      const cmd = [process.execPath, WEFT_BIN, 'train', ...common, '--epochs', '2', '--out', run]
        .map((a) => `'${a}'`)
        .join(' ');
      const out = path.join(tmp, 'tty.out');
      const r = spawnSync('script', ['-qfec', `stty cols 50; ${cmd}`, out], {
        cwd: REPO,
        env: { ...process.env, WEFT_SOURCE: '1' },
        timeout: 170_000,
      });
      expect(r.status).toBe(0);
      const text = readFileSync(out, 'utf8');
      const session = text.slice(text.indexOf('\n') + 1);
      const redraws = session
        .split('\n')
        .flatMap((line) => line.split('\r'))
        .map((seg) => seg.replaceAll('\x1b[K', ''))
        .filter((seg) => /^epoch \d+\/2 /.test(seg));
      expect(redraws.some((seg) => /^epoch \d\/2 evaluating val [|/\\-]/.test(seg))).toBe(true);
      for (const seg of redraws) expect(seg.length, seg).toBeLessThanOrEqual(49);
    },
    180_000,
  );
});
