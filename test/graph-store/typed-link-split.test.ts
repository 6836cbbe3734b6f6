// Link splits stored by `weft graph build --inputs`: random (seeded, one edge per pair) and given by a
// column; the job's link split holds out exactly those edges, training never samples a held-out pair,
// and a pair both held out and trained on (in the column, or through another relation) is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkSplit } from '../../actors/plan/link-split.js';
import {
  chooseLinkRelation,
  linkNegativeRange,
  splitPartitionedLinks,
} from '../../actors/sampler/partition-link-seeds.js';
import { PartitionOwner } from '../../actors/sampler/partition-sampler-owner.js';
import { buildTypedGraph } from '../../graph-store/build-typed-graph.js';
import { formatGraphInfo, graphInfo } from '../../graph-store/graph-info.js';
import { readIdMap } from '../../graph-store/id-map.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { partDirName } from '../../graph-store/partition-rule.js';
import { edgeTypeKey } from '../../graph-store/types.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let k = 0;

function file(name: string, text: string): string {
  const p = join(tmp.dir, `${k++}-${name}`);
  writeFileSync(p, text);
  return p;
}

/** 60 distinct user->item pairs, the first 10 repeated. */
function clicks(): string {
  const rows = ['user,item'];
  for (let i = 0; i < 60; i++) rows.push(`u${i % 15},i${(i * 7) % 40}`);
  for (let i = 0; i < 10; i++) rows.push(`u${i % 15},i${(i * 7) % 40}`);
  return file('clicks.csv', rows.join('\n') + '\n');
}

async function build(split: string, extra = '', partitions?: number): Promise<string> {
  const inputs = file(
    'g.yaml',
    `edges:
  - file: ${clicks()}
    relation: clicked
    src: user
    dst: item
    srcColumn: user
    dstColumn: item
    split: ${split}
${extra}`,
  );
  const out = join(tmp.dir, `g${k++}`);
  await buildTypedGraph({ inputs, out, partitions });
  return out;
}

const pairKey = (s: Int32Array, d: Int32Array, e: number) => `${s[e]}>${d[e]}`;

describe('stored link splits', () => {
  it('random: seeded, one edge per pair, exactly the held-out edges, none visible to training', async () => {
    const dir = await build('{ random: { val: 0.2, test: 0.1, seed: 5 } }');
    const g = await openGraph(dir);
    expect(g.edgeTypes[0].linkSplit).toEqual({
      mode: 'random',
      seed: 5,
      train: 42,
      val: 12,
      test: 6,
    });
    expect(formatGraphInfo(await graphInfo(dir))).toContain(
      'random link split stored as edge order: train 42, val 12, test 6',
    );
    const l = linkSplit(g, 'user__clicked__item', 0.5, 0.4); // fractions do not apply to a stored split
    expect([l.train.length, l.val.length, l.test.length]).toEqual([42, 12, 6]);
    const trainPairs = new Set(Array.from(l.train, (e) => pairKey(l.src, l.dst, e)));
    const held = [...l.val, ...l.test].map((e) => pairKey(l.src, l.dst, e));
    expect(trainPairs.size).toBe(42);
    expect(held.filter((p) => trainPairs.has(p))).toEqual([]);
    const lastTrain = Math.max(...Array.from(l.train, (e) => l.times[e]));
    expect(Math.min(...Array.from(l.val, (e) => l.times[e]))).toBeGreaterThan(lastTrain);
    // The reverse relation carries the same times: a training pair samples no held-out edge either way.
    const rev = g.edgeTypes.findIndex((e) => e.rel === 'rev_clicked');
    for (let v = 0; v < g.numNodes; v++)
      for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
        if (g.csr.edgeType![e] === rev && held.includes(`${g.csr.indices[e]}>${v}`))
          expect(g.csr.timestamps![e]).toBeGreaterThan(lastTrain);

    const again = await openGraph(await build('{ random: { val: 0.2, test: 0.1, seed: 5 } }'));
    const l2 = linkSplit(again, '', 0, 0);
    expect(Array.from(l2.test, (e) => pairKey(l2.src, l2.dst, e))).toEqual(
      Array.from(l.test, (e) => pairKey(l.src, l.dst, e)),
    );
    const other = await openGraph(await build('{ random: { val: 0.2, test: 0.1, seed: 6 } }'));
    const l3 = linkSplit(other, '', 0, 0);
    expect(Array.from(l3.test, (e) => pairKey(l3.src, l3.dst, e))).not.toEqual(
      Array.from(l.test, (e) => pairKey(l.src, l.dst, e)),
    );
  });

  it('partition-owning samplers hold out the same edges as the whole graph', async () => {
    const dir = await build('{ random: { val: 0.2, test: 0.1, seed: 5 } }', '', 3);
    const whole = linkSplit(await openGraph(dir), '', 0.1, 0.1);
    const owners = await Promise.all(
      [0, 1, 2].map(
        async (p) => new PartitionOwner(await openGraph(join(dir, 'parts', partDirName(p)))),
      ),
    );
    const chosen = chooseLinkRelation(owners[0].part.edgeTypes, '');
    const key = edgeTypeKey(chosen);
    const parted = splitPartitionedLinks(
      owners.map((o) => o.linkEdges(key)),
      key,
      0.1,
      0.1,
      linkNegativeRange(owners[0].part, chosen),
      chosen.linkSplit,
    );
    const pairs = (src: Int32Array, dst: Int32Array, ids: Int32Array) =>
      Array.from(ids, (e) => pairKey(src, dst, e));
    for (const part of ['train', 'val', 'test'] as const)
      expect(pairs(parted.source.src!, parted.source.dst!, parted[part])).toEqual(
        pairs(whole.src, whole.dst, whole[part]),
      );
  });

  it('column: holds out exactly the marked edges; a held-out pair also trained on is refused at its line', async () => {
    const edges = file(
      'e.csv',
      'src,dst,part\na,b,train\nb,c,\nc,d,val\nd,a,test\na,c,train\nb,d,test\n',
    );
    const yaml = (f: string) =>
      file(
        'g.yaml',
        `edges:\n  - { file: ${f}, relation: knows, src: p, dst: p, undirected: true, split: { column: part } }\n`,
      );
    const out = join(tmp.dir, `col${k++}`);
    const m = await buildTypedGraph({ inputs: yaml(edges), out });
    expect(m.edgeTypes.map((e) => e.rel)).toEqual(['knows']);
    expect(m.edgeTypes[0].linkSplit).toEqual({
      mode: 'column',
      seed: 0,
      train: 3,
      val: 1,
      test: 2,
    });
    const g = await openGraph(out);
    const ids = readIdMap(out, m.nodeTypes[0].ids!, 4, 'ids');
    const l = linkSplit(g, '', 0.1, 0.1);
    const named = (e: number) => [ids[l.src[e]], ids[l.dst[e]]].sort().join('-');
    // Undirected: both directions of each held-out edge are held out together.
    expect(Array.from(l.val, named)).toEqual(['c-d', 'c-d']);
    expect(Array.from(l.test, named).sort()).toEqual(['a-d', 'a-d', 'b-d', 'b-d']);

    const leaky = file('e.csv', 'src,dst,part\na,b,train\nc,d,val\nb,a,test\n');
    let err: unknown;
    try {
      await buildTypedGraph({ inputs: yaml(leaky), out: join(tmp.dir, `leak${k++}`) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect([(err as InputError).file, (err as InputError).line]).toEqual([leaky, 4]);
    expect((err as Error).message).toMatch(/\('b', 'a'\) is held out .* training edge \(line 2\)/);
  });

  it('refuses a held-out pair that another relation shows to training', async () => {
    const dir = await build(
      '{ random: { val: 0.2, test: 0.2, seed: 1 } }',
      `  - { file: ${clicks()}, relation: viewed, src: user, dst: item, srcColumn: user, dstColumn: item }\n`,
    );
    const g = await openGraph(dir);
    expect(() => linkSplit(g, 'user__clicked__item', 0, 0)).toThrow(ConfigError);
    expect(() => linkSplit(g, 'user__clicked__item', 0, 0)).toThrow(
      /also an edge of user__viewed__item/,
    );
  });
});
