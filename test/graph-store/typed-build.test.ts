// Typed graphs from users' files: CSV (gzip) and Parquet node and edge tables with string and 64-bit
// ids, per-type feature widths, featureless and edge-only types, unlabelled nodes, missing values and
// unseen ids, each error at its file and line (or row group and row).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  Table,
  TimestampMillisecond,
  tableFromJSON,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/graph.js';
import { buildTypedGraph } from '../../graph-store/build-typed-graph.js';
import { readIdMap } from '../../graph-store/id-map.js';
import { readManifest } from '../../graph-store/manifest.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let k = 0;

function file(name: string, text: string | Buffer): string {
  const p = join(tmp.dir, `${k++}-${name}`);
  writeFileSync(p, text);
  return p;
}

const BIG = 9007199254740993n; // above 2^53: must survive as text, not a float

/** users (gzip CSV, string ids, 2 features, labels with -1 and empty), items (Parquet, int64 ids, 3 features). */
function nodeFiles(): { users: string; items: string } {
  const users = file(
    'users.csv.gz',
    gzipSync(
      'id,age,score,label,split\n' +
        'u-alice,30,0.5,1,train\n' +
        'u-bob,41,1.5,-1,\n' +
        '"u,carol",22,2.5,,test\n' +
        'u-dave,35,3.5,0,val\n',
    ),
  );
  const items = join(tmp.dir, `${k++}-items.parquet`);
  parquetWriteFile({
    filename: items,
    columnData: [
      { name: 'item_id', data: [BIG, 7n, 12n], type: 'INT64' },
      { name: 'f0', data: [1, 4, 7], type: 'DOUBLE' },
      { name: 'f1', data: [2, 5, 8], type: 'DOUBLE' },
      { name: 'f2', data: [3, 6, 9], type: 'DOUBLE' },
    ],
    rowGroupSize: 2,
  });
  return { users, items };
}

function clicksParquet(users: string[], items: bigint[], ts: number[]): string {
  const p = join(tmp.dir, `${k++}-clicks.parquet`);
  parquetWriteFile({
    filename: p,
    columnData: [
      { name: 'user', data: users, type: 'STRING' },
      { name: 'item', data: items, type: 'INT64' },
      { name: 'ts', data: ts, type: 'DOUBLE' },
    ],
    rowGroupSize: 2,
  });
  return p;
}

function describeInputs(yaml: string): string {
  return file('graph.yaml', yaml);
}

const NODES_YAML = (users: string, items: string) => `
nodes:
  - type: user
    file: ${users}
    features: [age, score]
    label: label
    split: split
  - type: item
    file: ${items}
    id: item_id
    features: [f0, f1, f2]
`;

function neighbours(g: SharedGraph, v: number, relId: number): number[] {
  const out: number[] = [];
  for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
    if (g.csr.edgeType?.[e] === relId) out.push(g.csr.indices[e]);
  return out.sort((a, b) => a - b);
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the build to fail');
}

describe('typed graph from CSV (gzip) and Parquet with original ids', () => {
  it('builds node types, relations with reverses, per-type feature columns and id maps', async () => {
    const { users, items } = nodeFiles();
    const clicks = clicksParquet(['u-alice', 'u,carol', 'u-bob'], [BIG, 12n, 7n], [10, 20, 30]);
    const tags = file('tags.tsv', 'item\ttag\n' + `${BIG}\tred\n12\tblue\n7\tred\n`);
    const inputs = describeInputs(
      NODES_YAML(users, items) +
        `edges:
  - file: ${clicks}
    relation: clicked
    src: user
    dst: item
    srcColumn: user
    dstColumn: item
    timestamp: ts
  - file: ${tags}
    relation: tagged
    src: item
    dst: tag
    srcColumn: item
    dstColumn: tag
`,
    );
    const out = join(tmp.dir, 'typed');
    const m = await buildTypedGraph({ inputs, out });
    expect(m.nodeTypes.map((t) => [t.name, t.offset, t.count])).toEqual([
      ['user', 0, 4],
      ['item', 4, 3],
      ['tag', 7, 2],
    ]);
    expect(m.edgeTypes.map((e) => `${e.src}__${e.rel}__${e.dst}`)).toEqual([
      'user__clicked__item',
      'item__tagged__tag',
      'item__rev_clicked__user',
      'tag__rev_tagged__item',
    ]);
    expect(m.features!.dim).toBe(2 + 3 + 1);
    expect(m.nodeTypes.map((t) => t.features)).toEqual([
      { start: 0, width: 2, input: 'table' },
      { start: 2, width: 3, input: 'table' },
      { start: 5, width: 1, input: 'constant' },
    ]);
    expect(m.labels!.numClasses).toBe(2);
    expect(m.split).toMatchObject({ train: 1, val: 1, test: 1 });

    const dir = out;
    const ids = m.nodeTypes.map((t, i) => readIdMap(dir, t.ids!, t.count, `nodeTypes[${i}].ids`));
    expect(ids).toEqual([
      ['u-alice', 'u-bob', 'u,carol', 'u-dave'],
      [BIG.toString(), '7', '12'],
      ['red', 'blue'],
    ]);
    expect(readManifest(dir).nodeTypes[0].ids!.checksum).toMatch(/^xxh32:/);

    const g = await openGraph(dir);
    const row = new Float32Array(6);
    g.gather([2], 1, row); // u,carol
    expect(Array.from(row)).toEqual([22, 2.5, 0, 0, 0, 0]);
    g.gather([4], 1, row); // item BIG
    expect(Array.from(row)).toEqual([0, 0, 1, 2, 3, 0]);
    g.gather([8], 1, row); // tag blue: featureless, constant input
    expect(Array.from(row)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(g.labels!)).toEqual([1, -1, -1, 0, -1, -1, -1, -1, -1]);
    // u,carol (2) clicked item 12 (6); item 7 (5) was clicked by u-bob (1); item BIG (4) is red (7).
    expect(neighbours(g, 2, 0)).toEqual([6]);
    expect(neighbours(g, 5, 2)).toEqual([1]);
    expect(neighbours(g, 4, 1)).toEqual([7]);
    expect(neighbours(g, 7, 3)).toEqual([4, 5]);
    expect(g.csr.timestamps![g.csr.indptr[2]]).toBe(20);
  });

  it('names the Parquet row group and row of an id its node file lacks, or skips and counts it', async () => {
    const { users, items } = nodeFiles();
    const clicks = clicksParquet(['u-alice', 'u-bob', 'u-bob'], [BIG, 7n, 99n], [1, 2, 3]);
    const edgesYaml = `edges:
  - { file: ${clicks}, relation: clicked, src: user, dst: item, srcColumn: user, dstColumn: item, timestamp: ts }
`;
    const inputs = describeInputs(NODES_YAML(users, items) + edgesYaml);
    const out = join(tmp.dir, 'unseen');
    const err = await caught(buildTypedGraph({ inputs, out }));
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect([e.file, e.rowGroup, e.row, e.field]).toEqual([clicks, 1, 0, 'item']);
    expect(e.message).toContain(`${clicks}:1:0 [item]`);
    expect(e.message).toContain("'99'");

    const skipping = describeInputs(NODES_YAML(users, items) + 'unknownIds: skip\n' + edgesYaml);
    const m = await buildTypedGraph({ inputs: skipping, out });
    expect(m.edgeTypes[0].count).toBe(2);
    expect(m.source!.edgeFiles).toEqual([
      { file: clicks, relation: 'clicked', split: 'time', skippedUnknownIds: 1 },
    ]);
  });

  it('refuses a missing feature value at its line unless told to read it as 0', async () => {
    const users = file('u.csv', 'id,a,b\nx,1,2\ny,,4\n');
    const edges = file('e.csv', 'src,dst\nx,y\n');
    const yaml = (missing: string) => `
nodes:
  - { type: user, file: ${users}, features: [a, b]${missing} }
edges:
  - { file: ${edges}, relation: knows, src: user, dst: user }
`;
    const err = await caught(
      buildTypedGraph({ inputs: describeInputs(yaml('')), out: join(tmp.dir, 'miss') }),
    );
    expect(err).toBeInstanceOf(InputError);
    expect([(err as InputError).line, (err as InputError).field]).toEqual([3, 'a']);
    const m = await buildTypedGraph({
      inputs: describeInputs(yaml(', missing: zero')),
      out: join(tmp.dir, 'miss'),
    });
    expect(m.source!.nodeFiles).toEqual([
      { type: 'user', file: users, missingFeatureRowsFilled: 1 },
    ]);
    const g = await openGraph(join(tmp.dir, 'miss'));
    const row = new Float32Array(2);
    g.gather([1], 1, row);
    expect(Array.from(row)).toEqual([0, 4]);
  });

  it('refuses a duplicate node id, a missing column and a bad description with where it is', async () => {
    const users = file('u.tsv', 'id\tx\na\t1\nb\t2\na\t3\n');
    const edges = file('e.csv', 'src,dst\na,b\n');
    const yaml = `
nodes:
  - { type: user, file: ${users}, features: [x] }
edges:
  - { file: ${edges}, relation: knows, src: user, dst: user }
`;
    const dup = await caught(
      buildTypedGraph({ inputs: describeInputs(yaml), out: join(tmp.dir, 'dup') }),
    );
    expect(dup).toBeInstanceOf(InputError);
    expect([(dup as InputError).file, (dup as InputError).line]).toEqual([users, 4]);
    const col = await caught(
      buildTypedGraph({
        inputs: describeInputs(yaml.replace('features: [x]', 'features: [x, y]')),
        out: join(tmp.dir, 'dup'),
      }),
    );
    expect(col).toBeInstanceOf(ConfigError);
    expect(col.message).toMatch(/no column 'y'/);
    const bad = describeInputs(yaml.replace('relation: knows', 'relation: "kno__ws"'));
    const spec = await caught(buildTypedGraph({ inputs: bad, out: join(tmp.dir, 'dup') }));
    expect(spec).toBeInstanceOf(ConfigError);
    expect((spec as ConfigError).field).toBe('edges[0].relation');
  });

  it('reads a featureless web graph from edges alone: ids in order of appearance, constant input', async () => {
    const edges = file(
      'web.csv.gz',
      gzipSync('src,dst\nhttp://a,http://b\nhttp://b,http://c\nhttp://c,http://a\n'),
    );
    const inputs = describeInputs(`
edges:
  - { file: ${edges}, relation: links, src: page, dst: page }
`);
    const out = join(tmp.dir, 'web');
    const m = await buildTypedGraph({ inputs, out });
    expect(m.nodeTypes.map((t) => [t.name, t.count])).toEqual([['page', 3]]);
    expect(m.features!.dim).toBe(1);
    expect(readIdMap(out, m.nodeTypes[0].ids!, 3, 'ids')).toEqual([
      'http://a',
      'http://b',
      'http://c',
    ]);
    expect(m.labels).toBeUndefined();
  });
});

describe('headerless text tables', () => {
  it('reads a SNAP-style edge list: comment lines, whitespace columns named by position', async () => {
    const edges = file(
      'web-NotreDame.txt',
      '# Directed graph: web-NotreDame.txt\n# FromNodeId\tToNodeId\n0\t11\n11   7\n7 0\n0\tx\ty\n',
    );
    const inputs = (extra: string) =>
      describeInputs(`
edges:
  - { file: ${edges}, relation: links, src: page, dst: page, delimiter: space, header: false${extra} }
`);
    const err = await caught(buildTypedGraph({ inputs: inputs(''), out: join(tmp.dir, 'snap') }));
    expect(err).toBeInstanceOf(InputError);
    expect([(err as InputError).line, (err as InputError).field]).toEqual([6, 'columns']);
    writeFileSync(edges, '# Directed graph\n0\t11\n11   7\n7 0\n');
    const out = join(tmp.dir, 'snap');
    const m = await buildTypedGraph({ inputs: inputs(', srcColumn: "1", dstColumn: "0"'), out });
    expect(readIdMap(out, m.nodeTypes[0].ids!, 3, 'ids')).toEqual(['11', '0', '7']);
    const g = await openGraph(out);
    // Columns swapped: 11 -> 0 is stored, so page '11' (row 0) links to page '0' (row 1).
    expect(neighbours(g, 0, 0)).toEqual([1]);
  });
});

describe('weft graph build --inputs', () => {
  it('builds from a description with relative paths and refuses edge-list flags beside it', async () => {
    const sub = join(tmp.dir, 'cli');
    mkdirSync(sub);
    writeFileSync(join(sub, 'e.tsv'), 'src\tdst\nx\ty\ny\tz\n');
    writeFileSync(
      join(sub, 'g.yaml'),
      'edges:\n  - { file: e.tsv, relation: to, src: n, dst: n }\n',
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const out = join(tmp.dir, 'cli-out');
      expect(await run(['build', '--inputs', join(sub, 'g.yaml'), '--out', out, '--json'])).toBe(0);
      const summary = JSON.parse(String(log.mock.calls.at(-1)![0]));
      expect(summary.numNodes).toBe(3);
      expect(readManifest(out).edgeTypes.map((e) => e.rel)).toEqual(['to', 'rev_to']);
      const err = await caught(
        run([
          'build',
          '--inputs',
          join(sub, 'g.yaml'),
          '--edges',
          'x',
          '--out',
          join(tmp.dir, 'c2'),
        ]),
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('--edges');
    } finally {
      log.mockRestore();
    }
  });
});

describe('Parquet list features and timestamps, partitions', () => {
  it('reads a list column as features and a TIMESTAMP column as seconds; parts keep the stored split', async () => {
    const nodes = join(tmp.dir, `${k++}-n.parquet`);
    parquetWriteFile({
      filename: nodes,
      columnData: [
        { name: 'id', data: ['a', 'b', 'c', 'd'], type: 'STRING' },
        { name: 'emb', data: [[1, 2], [3, 4], null, [7, 8]] },
      ],
    });
    const edges = join(tmp.dir, `${k++}-e.parquet`);
    parquetWriteFile({
      filename: edges,
      columnData: [
        { name: 'src', data: ['a', 'b', 'c', 'd'], type: 'STRING' },
        { name: 'dst', data: ['b', 'c', 'd', 'a'], type: 'STRING' },
        { name: 'at', data: [1, 2, 3, 4].map((s) => new Date(s * 1000)), type: 'TIMESTAMP' },
      ],
    });
    const yaml = (missing: string) =>
      describeInputs(`
nodes:
  - { type: n, file: ${nodes}, features: { list: emb }${missing} }
edges:
  - { file: ${edges}, relation: r, src: n, dst: n, timestamp: at }
`);
    const err = await caught(buildTypedGraph({ inputs: yaml(''), out: join(tmp.dir, 'list') }));
    expect(err).toBeInstanceOf(InputError);
    expect([(err as InputError).rowGroup, (err as InputError).row]).toEqual([0, 2]);
    const out = join(tmp.dir, 'list');
    const m = await buildTypedGraph({ inputs: yaml(', missing: zero'), out, partitions: 2 });
    expect(m.features!.dim).toBe(2);
    const g = await openGraph(out);
    const rows = new Float32Array(8);
    g.gather([0, 1, 2, 3], 4, rows);
    expect(Array.from(rows)).toEqual([1, 2, 3, 4, 0, 0, 7, 8]);
    const forward: number[] = [];
    for (let e = 0; e < g.numEdges; e++)
      if (g.csr.edgeType![e] === 0) forward.push(g.csr.timestamps![e]);
    expect(forward).toEqual([1, 2, 3, 4]); // a->b at 1 s, b->c at 2 s, …

    const split = describeInputs(`
edges:
  - { file: ${edges}, relation: r, src: n, dst: n, split: { random: { val: 0.25, test: 0.25, seed: 3 } } }
`);
    const parted = join(tmp.dir, 'parted');
    await buildTypedGraph({ inputs: split, out: parted, partitions: 2 });
    for (const p of ['part-0000', 'part-0001'])
      expect(readManifest(join(parted, 'parts', p)).edgeTypes[0].linkSplit).toEqual({
        mode: 'random',
        seed: 3,
        train: 2,
        val: 1,
        test: 1,
      });
  });
});

describe('Arrow IPC tables', () => {
  it('reads Arrow file and stream formats: int64 ids, list features, timestamps in seconds', async () => {
    const nodes = join(tmp.dir, `${k++}-nodes.arrow`);
    const n = tableFromJSON([
      { id: 'a', emb: [1, 2], label: 0 },
      { id: 'b', emb: [3, 4], label: null },
      { id: 'c', emb: [5, 6], label: 1 },
    ]);
    writeFileSync(nodes, tableToIPC(n, 'file'));
    const edges = join(tmp.dir, `${k++}-edges.arrows`);
    const e = new Table({
      src: vectorFromArray(['a', 'b', 'zz']),
      dst: vectorFromArray(['b', 'c', 'a']),
      at: vectorFromArray([1000, 2000, 3000], new TimestampMillisecond()),
    });
    writeFileSync(edges, tableToIPC(e, 'stream'));
    const yaml = (policy: string) =>
      describeInputs(`
nodes:
  - { type: n, file: ${nodes}, features: { list: emb }, label: label }
edges:
  - { file: ${edges}, relation: r, src: n, dst: n, timestamp: at }
unknownIds: ${policy}
`);
    const err = await caught(
      buildTypedGraph({ inputs: yaml('error'), out: join(tmp.dir, 'arrow') }),
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(`${edges}:0:2 [src]`);
    const out = join(tmp.dir, 'arrow');
    const m = await buildTypedGraph({ inputs: yaml('skip'), out });
    expect(m.edgeTypes[0].count).toBe(2);
    const g = await openGraph(out);
    const rows = new Float32Array(6);
    g.gather([0, 1, 2], 3, rows);
    expect(Array.from(rows)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(g.labels!)).toEqual([0, -1, 1]);
    const forward: number[] = [];
    for (let i = 0; i < g.numEdges; i++)
      if (g.csr.edgeType![i] === 0) forward.push(g.csr.timestamps![i]);
    expect(forward).toEqual([1, 2]);
  });
});
