// The documented Cora command: `weft graph build … --undirected` then `weft graph info --json` reports
// 2708 nodes, 10556 directed edges, 1433 features, 7 classes and the 140/500/1000 split.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/graph.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { needsCora } from '../helpers/cora.js';
import { tempDir } from './helpers.js';

const cora = resolve(import.meta.dirname, '../../../shared/data/cora');
const present = existsSync(join(cora, 'edges.tsv')) && existsSync(join(cora, 'features.npy'));
const tmp = tempDir();
afterAll(tmp.cleanup);

describe.skipIf(!present)(needsCora('Cora'), () => {
  it('builds and reports the published numbers', async () => {
    const out = join(tmp.dir, 'cora');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const build = await run([
        'build',
        '--edges',
        join(cora, 'edges.tsv'),
        '--features',
        join(cora, 'features.npy'),
        '--labels',
        join(cora, 'labels.tsv'),
        '--split',
        join(cora, 'split.tsv'),
        '--undirected',
        '--out',
        out,
      ]);
      expect(build).toBe(0);
      log.mockClear();
      expect(await run(['info', out, '--json'])).toBe(0);
      const info = JSON.parse(String(log.mock.calls[0][0]));
      expect(info).toMatchObject({
        numNodes: 2708,
        numEdges: 10556,
        features: { dim: 1433, dtype: 'float32' },
        numClasses: 7,
        split: { train: 140, val: 500, test: 1000 },
      });
      expect(info.classCounts).toEqual([351, 217, 418, 818, 426, 298, 180]);
      expect(info.degree).toMatchObject({ min: 1, max: 168, median: 3 });
      expect(info.nodeTypes).toEqual([{ name: 'node', offset: 0, count: 2708 }]);
      expect(info.edgeTypes[0]).toMatchObject({ count: 10556, hasTimestamps: false });
    } finally {
      log.mockRestore();
    }
    // Undirected: every edge has its mirror, and no pair appears twice.
    const g = await openGraph(out);
    const pairs = new Set<string>();
    for (let v = 0; v < g.numNodes; v++)
      for (let i = g.csr.indptr[v]; i < g.csr.indptr[v + 1]; i++)
        pairs.add(`${v},${g.csr.indices[i]}`);
    expect(pairs.size).toBe(10556);
    for (const p of pairs) {
      const [a, b] = p.split(',');
      expect(pairs.has(`${b},${a}`)).toBe(true);
    }
    const row = new Float32Array(1433);
    g.gather([0], 1, row);
    expect(row.every((x) => x === 0 || x === 1)).toBe(true);
  });
});
