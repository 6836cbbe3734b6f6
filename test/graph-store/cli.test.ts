// `weft graph` subcommands through run(argv): exit codes, help, JSON output, flag errors, and that a
// malformed edges file exits non-zero with the file and line named and no output directory.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { run } from '../../cli/commands/graph.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let log: MockInstance;
beforeEach(() => {
  log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => log.mockRestore());
const printed = (): string => log.mock.calls.map((c) => String(c[0])).join('\n');

describe('weft graph', () => {
  it('prints help for every subcommand', async () => {
    expect(await run(['--help'])).toBe(0);
    for (const sub of ['build', 'synth', 'info', 'partition'])
      expect(await run([sub, '--help'])).toBe(0);
    expect(printed()).toMatch(/--edges FILE/);
    expect(printed()).toMatch(/--kind powerlaw\|marketplace/);
  });

  it('synthesizes, describes and partitions a marketplace', async () => {
    const out = join(tmp.dir, 'market');
    expect(
      await run([
        'synth',
        '--kind',
        'marketplace',
        '--members',
        '500',
        '--seed',
        '3',
        '--feature-dim',
        '8',
        '--out',
        out,
      ]),
    ).toBe(0);
    expect(printed()).toMatch(/wrote .*market: 814 nodes/);
    log.mockClear();
    expect(await run(['info', out, '--json', '--verify'])).toBe(0);
    const info = JSON.parse(printed());
    expect(info.nodeTypes.map((t: { name: string }) => t.name)).toEqual([
      'member',
      'job',
      'skill',
      'company',
    ]);
    expect(info.edgeTypes).toHaveLength(10);
    expect(info.features).toEqual({ dim: 8, dtype: 'float32' });
    expect(info.degree.max).toBeGreaterThanOrEqual(info.degree.p99);
    log.mockClear();
    expect(await run(['info', out])).toBe(0);
    expect(printed()).toMatch(/member__applied__job .* \(timestamps\)/);
    const parts = join(tmp.dir, 'market-parts');
    expect(await run(['partition', out, '--parts', '3', '--out', parts])).toBe(0);
    log.mockClear();
    expect(await run(['info', parts, '--json'])).toBe(0);
    expect(JSON.parse(printed())).toMatchObject({ count: 3, numNodes: info.numNodes });
  });

  it('synthesizes a powerlaw graph with float16 features', async () => {
    const out = join(tmp.dir, 'pl');
    const args = [
      'synth',
      '--kind',
      'powerlaw',
      '--nodes',
      '1000',
      '--edges',
      '5000',
      '--feature-dim',
      '4',
      '--classes',
      '3',
    ];
    expect(await run([...args, '--feature-dtype', 'float16', '--seed', '1', '--out', out])).toBe(0);
    log.mockClear();
    await run(['info', out, '--json']);
    expect(JSON.parse(printed())).toMatchObject({
      numNodes: 1000,
      numEdges: 5000,
      features: { dim: 4, dtype: 'float16' },
      numClasses: 3,
    });
    // An existing output is kept unless --force.
    await expect(run([...args, '--out', out])).rejects.toBeInstanceOf(ConfigError);
    expect(await run([...args, '--force', '--out', out])).toBe(0);
  });

  it('fails on a malformed edges file with file and line, leaving no directory', async () => {
    const edges = join(tmp.dir, 'bad.tsv');
    writeFileSync(edges, '0\t1\n1\t2\n2\n');
    const out = join(tmp.dir, 'bad-out');
    const err = await run(['build', '--edges', edges, '--out', out]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${edges}:3 [columns]: expected 2 fields, found 1`);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects unknown flags, kinds and bad numbers as ConfigErrors naming the flag', async () => {
    await expect(run(['build', '--edgez', 'x'])).rejects.toMatchObject({ field: '--edgez' });
    await expect(
      run(['synth', '--kind', 'tree', '--out', join(tmp.dir, 't')]),
    ).rejects.toMatchObject({ field: '--kind' });
    await expect(
      run([
        'synth',
        '--kind',
        'powerlaw',
        '--nodes',
        'ten',
        '--edges',
        '3',
        '--out',
        join(tmp.dir, 't'),
      ]),
    ).rejects.toMatchObject({ field: '--nodes' });
    await expect(
      run(['build', '--edges', 'x', '--out', join(tmp.dir, 'y'), '--feature-dtype', 'float64']),
    ).rejects.toMatchObject({ field: '--feature-dtype' });
    await expect(run(['info'])).rejects.toBeInstanceOf(ConfigError);
    await expect(run(['frobnicate'])).rejects.toThrow(/unknown subcommand 'frobnicate'/);
  });
});
