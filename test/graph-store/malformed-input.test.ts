// Bad inputs to `graph build`: each fails with an InputError naming the file and line (or field), and
// leaves neither the output directory nor its temporary folder behind.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../runtime/errors.js';
import { buildGraph, type BuildGraphOptions } from '../../graph-store/build-graph.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { tempDir, writeNpy } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let k = 0;

function file(name: string, text: string): string {
  const p = join(tmp.dir, `${k++}-${name}`);
  writeFileSync(p, text);
  return p;
}

async function expectInputError(
  opts: Omit<BuildGraphOptions, 'out'>,
  where: { file: string; line?: number; field?: string; message?: RegExp },
): Promise<void> {
  const out = join(tmp.dir, `out-${k++}`);
  let caught: unknown;
  try {
    await buildGraph({ ...opts, out });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const e = caught as InputError;
  expect(e.file).toBe(where.file);
  if (where.line !== undefined) expect(e.line).toBe(where.line);
  if (where.field !== undefined) expect(e.field).toBe(where.field);
  if (where.message) expect(e.message).toMatch(where.message);
  expect(e.message).toContain(where.file);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(tmp.dir).filter((n) => n.startsWith(basename(out)))).toEqual([]);
}

const good = (): string => file('good.tsv', '0\t1\n1\t2\n2\t0\n');

describe('malformed edge lists', () => {
  it('rejects a non-numeric id with its line and column', async () => {
    const f = file('e.tsv', '0\t1\n1\t2\n2\tabc\n');
    await expectInputError(
      { edges: f },
      { file: f, line: 3, field: 'dst', message: /'abc' is not a node id/ },
    );
    const g = file('e.csv', 'src,dst\n0,1\nx1,2\n');
    await expectInputError({ edges: g }, { file: g, line: 3, field: 'src' });
  });

  it('rejects negative and fractional ids', async () => {
    const f = file('e.tsv', '0\t1\n-4\t2\n');
    await expectInputError({ edges: f }, { file: f, line: 2, field: 'src', message: /negative/ });
    const g = file('e.tsv', '0\t1.5\n');
    await expectInputError({ edges: g }, { file: g, line: 1, field: 'dst' });
  });

  it('rejects ids beyond --num-nodes', async () => {
    const f = file('e.tsv', '0\t1\n\n1\t9\n');
    await expectInputError(
      { edges: f, numNodes: 5 },
      { file: f, line: 3, field: 'dst', message: /out of range.*5 nodes/ },
    );
  });

  it('rejects a wrong column count', async () => {
    const f = file('e.tsv', '0\t1\n1\t2\t3\n');
    await expectInputError(
      { edges: f },
      { file: f, line: 2, field: 'columns', message: /expected 2 fields, found 3/ },
    );
    const g = file('e.tsv', 'a\tb\tts\n0\t1\t5\n1\t2\n');
    await expectInputError({ edges: g }, { file: g, line: 3, field: 'columns' });
    const h = file('e.tsv', '7\n');
    await expectInputError({ edges: h }, { file: h, line: 1 });
  });

  it('rejects bad timestamps and weights', async () => {
    const f = file('e.tsv', '0\t1\t5\n1\t2\tlater\n');
    await expectInputError({ edges: f }, { file: f, line: 2, field: 'timestamp' });
    const g = file('e.tsv', 'src\tdst\tweight\n0\t1\t-2\n');
    await expectInputError({ edges: g }, { file: g, line: 2, field: 'weight' });
  });

  it('rejects a missing or empty edges file', async () => {
    const missing = join(tmp.dir, 'nope.tsv');
    await expectInputError(
      { edges: missing },
      { file: missing, field: '--edges', message: /not found/ },
    );
    const empty = file('empty.tsv', '# only a comment\n\n');
    await expectInputError({ edges: empty }, { file: empty, message: /no edges/ });
  });
});

describe('malformed features', () => {
  it('rejects a .npy whose rows do not match the node count', async () => {
    const f = file('f.npy', '');
    writeNpy(f, new Float32Array(2 * 4), [2, 4]);
    await expectInputError(
      { edges: good(), features: f },
      { file: f, field: 'shape', message: /2 feature rows.*3 nodes/ },
    );
    const g = file('g.npy', '');
    writeNpy(g, new Float32Array(4 * 2), [4, 2]);
    await expectInputError(
      { edges: good(), features: g, numNodes: 3 },
      { file: g, field: 'shape' },
    );
  });

  it('rejects a truncated .npy', async () => {
    const f = file('f.npy', '');
    writeNpy(f, new Float32Array(3 * 4), [3, 4], 'float32', { truncateBytes: 5 });
    await expectInputError(
      { edges: good(), features: f },
      { file: f, field: 'shape', message: /truncated/ },
    );
  });

  it('rejects unknown dtypes, Fortran order and non-npy bytes', async () => {
    const f = file('f.npy', '');
    writeNpy(f, new Float64Array(3 * 2), [3, 2], 'float64', { descr: '<i8' });
    await expectInputError(
      { edges: good(), features: f },
      { file: f, field: 'descr', message: /unsupported dtype '<i8'/ },
    );
    const g = file('g.npy', '');
    writeNpy(g, new Float32Array(6), [3, 2], 'float32', { fortran: true });
    await expectInputError({ edges: good(), features: g }, { file: g, field: 'fortran_order' });
    const h = file('h.npy', 'not numpy at all');
    await expectInputError({ edges: good(), features: h }, { file: h, message: /magic/ });
  });

  it('rejects text feature rows of the wrong width or count', async () => {
    const f = file('f.csv', '1,2\n3\n5,6\n');
    await expectInputError({ edges: good(), features: f }, { file: f, line: 2, field: 'columns' });
    const g = file('g.csv', '1,2\n3,4\n');
    await expectInputError(
      { edges: good(), features: g },
      { file: g, field: 'rows', message: /2 feature rows/ },
    );
    const h = file('h.csv', '1,2\n3,zz\n5,6\n');
    await expectInputError({ edges: good(), features: h }, { file: h, line: 2, field: 'column 1' });
  });

  it('rejects a missing features file before reading edges', async () => {
    const missing = join(tmp.dir, 'missing.npy');
    await expectInputError(
      { edges: good(), features: missing },
      { file: missing, field: '--features' },
    );
  });
});

describe('malformed labels and split', () => {
  it('names the line of a bad label, node or duplicate', async () => {
    const a = file('l.tsv', '0\t1\n1\tcat\n');
    await expectInputError({ edges: good(), labels: a }, { file: a, line: 2, field: 'label' });
    const b = file('l.tsv', '0\t1\n7\t1\n');
    await expectInputError(
      { edges: good(), labels: b },
      { file: b, line: 2, field: 'node', message: /out of range/ },
    );
    const c = file('l.tsv', '0\t1\n\n0\t2\n');
    await expectInputError(
      { edges: good(), labels: c },
      { file: c, line: 3, field: 'node', message: /twice/ },
    );
    const d = file('l.tsv', '0\t1\t2\n');
    await expectInputError({ edges: good(), labels: d }, { file: d, line: 1, field: 'columns' });
  });

  it('reads -1 as unlabelled, as the format stores it, and still refuses -2', async () => {
    const a = file('l.tsv', '0\t1\n1\t-1\n2\t0\n');
    const out = join(tmp.dir, 'g-unlabelled');
    const m = await buildGraph({ edges: good(), labels: a, out });
    expect(m.labels!.numClasses).toBe(2);
    expect(m.labels!.classCounts).toEqual([1, 1]);
    const g = await openGraph(out);
    expect(Array.from(g.labels!.subarray(0, 3))).toEqual([1, -1, 0]);
    const b = file('l.tsv', '0\t1\n1\t-2\n');
    await expectInputError({ edges: good(), labels: b }, { file: b, line: 2, field: 'label' });
  });

  it('names the line of a bad split value', async () => {
    const a = file('s.tsv', '0\ttrain\n1\ttraining\n');
    await expectInputError({ edges: good(), split: a }, { file: a, line: 2, field: 'split' });
  });
});
