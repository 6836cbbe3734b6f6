import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/print-error.js';
import { REPO, weftAsync } from './weft-cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every error of every command: exactly these two lines, nothing else on stderr or stdout. */
function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, cmd: string) {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0].startsWith(`weft ${cmd}: `), r.stderr).toBe(true);
  expect(lines[1]).toBe(`Run 'weft ${cmd} --help' for usage.`);
  expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|at .*\.ts:\d+|command line \[/);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(EXIT.usage);
  return lines[0];
}

describe('weft command-line errors', () => {
  it('an unknown flag on any command: one line naming it, a usage hint, exit 2', async () => {
    const commands = [
      ['train'],
      ['eval', 'runs/x'],
      ['embed', 'runs/x'],
      ['launch', 'job.yaml'],
      ['actor'],
      ['report', 'runs/x'],
      ['graph', 'build'],
      ['graph', 'synth'],
      ['graph', 'info'],
      ['graph', 'partition'],
      ['deploy', 'render'],
    ];
    const results = await Promise.all(commands.map((c) => weftAsync([...c, '--bogus-flag'])));
    results.forEach((r, i) => {
      const cmd = commands[i].filter((w) => !w.includes('/') && !w.includes('.')).join(' ');
      expect(expectUsageError(r, cmd)).toBe(`weft ${cmd}: --bogus-flag: unknown option`);
    });
  });

  it('names the nearest flag, field or command', async () => {
    const [flag, field, section, command, sub, value, missing] = await Promise.all([
      weftAsync(['train', '--batchsize', '64']),
      weftAsync(['train', '--set', 'train.epoch=1']),
      weftAsync(['train', '--set', 'train.zzzzzzzz=1']),
      weftAsync(['trian']),
      weftAsync(['graph', 'bild']),
      weftAsync(['train', '--epochs']),
      weftAsync(['eval']),
    ]);
    expect(expectUsageError(flag, 'train')).toBe(
      'weft train: --batchsize: unknown option (did you mean --batch-size?)',
    );
    const f = expectUsageError(field, 'train');
    expect(f).toMatch(/^weft train: train\.epoch: unknown field; did you mean train\.epochs\?/);
    expect(f).toContain('fields of train: epochs, lr, optimizer');
    const s = expectUsageError(section, 'train');
    expect(s).not.toContain('did you mean');
    expect(s).toContain('fields of train: epochs, lr');
    expect(command.stderr).toBe(
      "weft: unknown command 'trian' (did you mean train?)\nRun 'weft --help' for the commands.\n",
    );
    expect(command.code).toBe(EXIT.usage);
    expect(expectUsageError(sub, 'graph')).toBe(
      "weft graph: unknown subcommand 'bild' (did you mean build?)",
    );
    expect(expectUsageError(value, 'train')).toBe('weft train: --epochs: needs a value');
    expect(expectUsageError(missing, 'eval')).toBe('weft eval: RUN_DIR: is required');
  });

  it('a failure that is not the command line: one line, exit 1; --json: one object', async () => {
    const [human, json] = await Promise.all([
      weftAsync(['report', path.join(tmp, 'absent')]),
      weftAsync(['report', path.join(tmp, 'absent'), '--json']),
    ]);
    expect(human.stderr).toBe(`weft report: ${path.join(tmp, 'absent')}: not a run directory\n`);
    expect(human.code).toBe(EXIT.failed);
    const body = JSON.parse(json.stderr) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'InputError', file: path.join(tmp, 'absent') });
    expect(body.exit_code).toBe(EXIT.failed);
    expect(json.code).toBe(EXIT.failed);
  });
});

// A small or read-only file system of our own: a tmpfs mounted in a user and mount namespace.
const canMount = spawnSync('unshare', ['-rm', 'true']).status === 0;
const NO_MOUNT = 'unshare -rm is not permitted here (user namespaces disabled)';

/** Runs `weft args` with `dir` a tmpfs of `size` (read-only when `readOnly`). */
function weftOnTmpfs(dir: string, size: string, readOnly: boolean, args: string[]) {
  mkdirSync(dir, { recursive: true });
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const script = [
    `mount -t tmpfs -o size=${size} tmpfs '${dir}'`,
    readOnly ? `mount -o remount,ro '${dir}'` : ':',
    `'${process.execPath}' bin/weft.js ${quoted}; code=$?`,
    `ls -A '${dir}' >&3`,
    'exit $code',
  ].join(' && ');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `${script}`], {
    cwd: REPO,
    env: { ...process.env, WEFT_SOURCE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  const left = (r.output[3] as unknown as string) ?? '';
  return { code: r.status, stderr: r.stderr, left: left.split('\n').filter(Boolean) };
}

describe.skipIf(!canMount)(
  `writes that the file system refuses${canMount ? '' : ` (skipped: ${NO_MOUNT})`}`,
  () => {
    const runDir = path.join(tmp, 'run');
    mkdirSync(runDir, { recursive: true });
    const metrics = Array.from({ length: 400 }, (_, s) =>
      JSON.stringify({
        type: 'step',
        t: 1e9 + s,
        epoch: 0,
        step: s,
        loss: 1 / (s + 1),
        seeds: 8,
        wall_s: 0.1,
      }),
    );
    spawnSync('sh', ['-c', `cat > '${path.join(runDir, 'metrics.jsonl')}'`], {
      input: metrics.join('\n') + '\n',
    });

    it('ENOSPC: one line naming the file, exit 74, no partial file left', () => {
      const dir = path.join(tmp, 'full');
      const r = weftOnTmpfs(dir, '8k', false, ['report', runDir, '--out', `${dir}/report.html`]);
      expect(r.stderr).toBe(
        `weft report: cannot write ${dir}/report.html: no space left on device (ENOSPC)\n`,
      );
      expect(r.code).toBe(EXIT.io);
      expect(r.left).toEqual([]);
    });

    it('ENOSPC while building a graph names the output directory and leaves no temporary one', () => {
      const dir = path.join(tmp, 'full-graph');
      const edges = path.join(tmp, 'edges.tsv');
      const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\t${(i * 7919) % 20_000}`);
      spawnSync('sh', ['-c', `cat > '${edges}'`], { input: lines.join('\n') + '\n' });
      const r = weftOnTmpfs(dir, '16k', false, [
        'graph',
        'build',
        '--edges',
        edges,
        '--out',
        `${dir}/g`,
      ]);
      expect(r.stderr).toMatch(
        new RegExp(
          `^weft graph build: cannot write (under )?${dir}/g\\S*: no space left on device \\(ENOSPC\\)\\n$`,
        ),
      );
      expect(r.code).toBe(EXIT.io);
      expect(r.left).toEqual([]);
    });

    it('EROFS: one line naming the file, exit 74', () => {
      const dir = path.join(tmp, 'ro');
      const r = weftOnTmpfs(dir, '1m', true, ['report', runDir, '--out', `${dir}/report.html`]);
      expect(r.stderr).toBe(
        `weft report: cannot write ${dir}/report.html: read-only file system (EROFS)\n`,
      );
      expect(r.code).toBe(EXIT.io);
      expect(readdirSync(runDir)).toEqual(['metrics.jsonl']);
    });
  },
);
