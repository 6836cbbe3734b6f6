// Non-finite feature values at `weft graph build`: refused naming the file, row (or line) and column,
// leaving no output; kept and counted only with --allow-non-finite; overflow of the storage dtype refused.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/graph.js';
import { buildGraph, type BuildGraphOptions } from '../../graph-store/build-graph.js';
import { formatGraphInfo, graphInfo, type GraphInfo } from '../../graph-store/graph-info.js';
import { readManifest } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { InputError } from '../../runtime/errors.js';
import { tempDir, writeNpy } from './helpers.js';

const tmp = tempDir('weft-nonfinite-');
afterAll(tmp.cleanup);
let k = 0;

function file(name: string, text = ''): string {
  const p = join(tmp.dir, `${k++}-${name}`);
  writeFileSync(p, text);
  return p;
}
const edges = (): string => file('e.tsv', '0\t1\n1\t2\n2\t3\n3\t0\n');

async function refused(opts: Omit<BuildGraphOptions, 'out'>): Promise<InputError> {
  const out = join(tmp.dir, `out-${k++}`);
  const error = await buildGraph({ ...opts, out }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  expect(existsSync(out)).toBe(false);
  return error as InputError;
}

describe('non-finite features at graph build', () => {
  it('refuses NaN and infinity in a .npy, naming the file, row and column', async () => {
    const values = new Float32Array(4 * 3).fill(0.5);
    values[2 * 3 + 1] = NaN;
    const f = file('nan.npy');
    writeNpy(f, values, [4, 3]);
    const e = await refused({ edges: edges(), features: f });
    expect(e.file).toBe(f);
    expect(e.field).toBe('row 2, column 1');
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/NaN is not a finite number.*--allow-non-finite/);

    values[2 * 3 + 1] = 0;
    values[3 * 3 + 2] = -Infinity;
    const g = file('inf.npy');
    writeNpy(g, values, [4, 3], 'float64');
    const e2 = await refused({ edges: edges(), features: g });
    expect(e2.field).toBe('row 3, column 2');
    expect(e2.message).toMatch(/-Infinity is not a finite number/);
  });

  it('refuses finite values that overflow the storage dtype', async () => {
    const values = new Float64Array(4 * 2).fill(1);
    values[1 * 2 + 0] = 1e39;
    const f = file('big.npy');
    writeNpy(f, values, [4, 2], 'float64');
    const e = await refused({ edges: edges(), features: f });
    expect(e.field).toBe('row 1, column 0');
    expect(e.message).toMatch(/1e\+39 overflows float32 storage/);

    const h = file('half.csv', '1,1\n1,1\n1,70000\n1,1\n');
    const e2 = await refused({ edges: edges(), features: h, featureDtype: 'float16' });
    expect(e2.field).toBe('row 2, column 1');
    expect(e2.message).toMatch(/70000 overflows float16 storage/);
  });

  it('refuses nan and inf in text rows with the line and column', async () => {
    const f = file('f.csv', '# features\n1,2\n3,nan\n5,6\n7,8\n');
    const e = await refused({ edges: edges(), features: f });
    expect(e.line).toBe(3);
    expect(e.field).toBe('column 1');
    expect(e.message).toMatch(
      /'nan' is not a finite number \(or keep it with --allow-non-finite\)/,
    );
    const g = file('g.csv', '1,2\n3,4\n-inf,6\n7,8\n');
    const e2 = await refused({ edges: edges(), features: g });
    expect([e2.line, e2.field]).toEqual([3, 'column 0']);
  });

  it('keeps and counts non-finite values with allowNonFinite, but never as int8', async () => {
    const f = file('keep.csv', 'nan,1\n2,3\n4,-Infinity\n5,6\n');
    const out = join(tmp.dir, 'kept');
    const m = await buildGraph({ edges: edges(), features: f, allowNonFinite: true, out });
    expect(m.features!.nonFinite).toBe(2);
    expect(readManifest(out).features!.nonFinite).toBe(2);
    const info = await graphInfo(out);
    expect((info as GraphInfo).features).toEqual({ dim: 2, dtype: 'float32', nonFinite: 2 });
    expect(formatGraphInfo(info)).toMatch(/features 2 x float32 \(2 non-finite values\)/);
    const g = await openGraph(out);
    const rows = g.features as Float32Array;
    expect(Number.isNaN(rows[0])).toBe(true);
    expect(rows[5]).toBe(-Infinity);
    expect(Array.from(rows.subarray(1, 5))).toEqual([1, 2, 3, 4]);
    // Garbage is still garbage.
    const h = file('junk.csv', '1,2\n3,abc\n5,6\n7,8\n');
    const e = await refused({ edges: edges(), features: h, allowNonFinite: true });
    expect([e.line, e.field]).toEqual([2, 'column 1']);
    const e2 = await refused({
      edges: edges(),
      features: f,
      allowNonFinite: true,
      featureDtype: 'int8',
    });
    expect(e2.field).toBe('row 0, column 0');
    expect(e2.message).toMatch(/int8 storage cannot hold it/);
  });

  it('weft graph build fails naming the row, and --allow-non-finite says what it kept', async () => {
    const values = new Float32Array(4 * 2).fill(1);
    values[5] = NaN;
    const f = file('cli.npy');
    writeNpy(f, values, [4, 2]);
    const e = edges();
    const out = join(tmp.dir, 'cli-out');
    const error = await run(['build', '--edges', e, '--features', f, '--out', out]).catch(
      (x: unknown) => x,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `${f} [row 2, column 1]: feature value NaN is not a finite number (clean the input, or keep it with --allow-non-finite)`,
    );
    expect(existsSync(out)).toBe(false);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const args = ['build', '--edges', e, '--features', f, '--out', out, '--allow-non-finite'];
      expect(await run(args)).toBe(0);
      expect(String(log.mock.calls[0][0])).toMatch(
        /features 2 x float32 \(1 non-finite values kept\)/,
      );
    } finally {
      log.mockRestore();
    }
  });
});
