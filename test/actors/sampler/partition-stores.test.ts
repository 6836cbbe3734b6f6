// The two store interfaces over a graph held whole and over 3 hash partitions: for the same ids (owned
// by this part or another, without edges, none at all) both give the same windows, budget scores,
// draw weights, neighbours, features and labels.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionOwner } from '../../../actors/sampler/partition-sampler-owner.js';
import {
  emptyTraffic,
  PartitionFeatureSource,
  PartitionNeighborStore,
  type PartitionPeers,
} from '../../../actors/sampler/partition-stores.js';
import { buildGraph } from '../../../graph-store/build-graph.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { partitionGraph } from '../../../graph-store/partition.js';
import type { SharedGraph } from '../../../graph-store/shared-graph.js';
import {
  LocalFeatureSource,
  LocalNeighborStore,
} from '../../../kernels/sampling/local-neighbor-store.js';
import type {
  DrawnEdges,
  HopRows,
  NeighborStore,
  RowSources,
  RowWindows,
  ScoreRule,
} from '../../../kernels/sampling/neighbor-store.js';
import { Xoshiro128 } from '../../../runtime/prng.js';
import { expectSameBatch, openParts, peersOf } from '../../helpers/partitions.js';
import { BatchProducer, type ProducerConfig } from '../../../actors/batch/batch-producer.js';
import { allocateArrays, type BatchFields } from '../../../actors/batch/batch-record.js';
import { PartitionBatchBuilder } from '../../../actors/sampler/partition-sampler-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-partition-stores-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NODES = 600;
const DIM = 5;
const PARTS = 3;

/** Edges with weights and ascending timestamps; every 11th node has none; a few hubs; labels. */
function writeGraph(dir: string): { edges: string; features: string; labels: string } {
  const rng = new Xoshiro128(5);
  const lines: string[] = [];
  for (let v = 0; v < NODES; v++) {
    const deg = v % 11 === 4 ? 0 : v % 97 === 0 ? 150 + rng.below(50) : 1 + rng.below(9);
    for (let j = 0; j < deg; j++) {
      const w = 0.05 + rng.nextOpen01() * 10;
      lines.push(`${v}\t${rng.below(NODES)}\t${1000 + rng.below(500)}\t${w.toPrecision(6)}`);
    }
  }
  const edges = join(dir, 'edges.tsv');
  writeFileSync(edges, `${lines.join('\n')}\n`);
  const rows = Array.from({ length: NODES }, () =>
    Array.from({ length: DIM }, () => (rng.nextOpen01() * 2 - 1).toFixed(5)).join(','),
  );
  const features = join(dir, 'features.csv');
  writeFileSync(features, `${rows.join('\n')}\n`);
  const labels = join(dir, 'labels.tsv');
  const ys = ['node\tlabel'];
  for (let v = 0; v < NODES; v += 2) ys.push(`${v}\t${v % 4}`);
  writeFileSync(labels, `${ys.join('\n')}\n`);
  return { edges, features, labels };
}

let whole: SharedGraph;
let owners: PartitionOwner[];

const calls = [0, 0, 0];
let peers: PartitionPeers;

beforeAll(async () => {
  const src = join(tmp, 'src');
  mkdirSync(src, { recursive: true });
  const f = writeGraph(src);
  const g = join(tmp, 'g');
  await buildGraph({ ...f, tsCol: 2, weightCol: 3, numNodes: NODES, out: g });
  whole = await openGraph(g);
  await partitionGraph(g, PARTS, join(tmp, 'parts'));
  owners = await openParts(join(tmp, 'parts'), PARTS);
  peers = peersOf(owners, calls);
});

/** Ids of every kind: owned by part 0 and by the others, hubs, nodes without edges, repeats. */
function mixedIds(): Int32Array {
  const ids = [0, 97, 194, 4, 15, 26, 1, 2, 3, 599, 300, 301, 4];
  for (let v = 5; v < NODES; v += 37) ids.push(v);
  return Int32Array.from(ids);
}

function windowsOf(rows: number, rule: ScoreRule | null, weightsOver: number): RowWindows {
  return {
    start: new Float64Array(rows),
    avail: new Int32Array(rows),
    score: new Float32Array(rows),
    rule,
    weightsOver,
  };
}

/** Windows, then every row's first and last candidates (when it has any) read back. */
async function readBack(store: NeighborStore, rows: HopRows, over: number, rule: ScoreRule | null) {
  const m = rows.hi - rows.lo;
  const w = windowsOf(m, rule, over);
  await store.windows(rows, w);
  const weights = store.drawWeights();
  const rowW: number[][] = [];
  const rowPtr = new Int32Array(rows.hi + 1);
  const pos: number[] = [];
  for (let r = 0; r < m; r++) {
    const a = w.avail[r];
    if (over >= 0 && a > over) rowW.push(Array.from(weights!.subarray(w.start[r], w.start[r] + a)));
    // Rows longer than 3 take offsets 0 and avail-1 (drawn), the others every candidate (whole).
    if (a > 3) pos.push(w.start[r], w.start[r] + a - 1);
    else for (let q = 0; q < a; q++) pos.push(w.start[r] + q);
    rowPtr[rows.lo + r + 1] = pos.length;
  }
  const out: DrawnEdges = {
    edges: new Int32Array(pos.length),
    weights: new Float32Array(pos.length),
    edgeIds: null,
  };
  await store.neighbors(rows, rowPtr, Float64Array.from(pos), w.start, out);
  return {
    avail: Array.from(w.avail),
    score: rule ? Array.from(w.score) : [],
    rowW,
    edges: Array.from(out.edges),
    weights: Array.from(out.weights!),
  };
}

describe('neighbour stores', () => {
  it('local and partitioned give the same windows, scores, weights and neighbours', async () => {
    const ids = mixedIds();
    const rule: ScoreRule = { mode: 'weight', alpha: 0.5 };
    const local = new LocalNeighborStore(whole.csr);
    const times = Float64Array.from(ids, (_v, i) => 1100 + 30 * i);
    for (const [lo, t] of [
      [0, null],
      [3, times.subarray(3)],
    ] as const) {
      calls.fill(0);
      const rows: HopRows = { nodes: ids, lo, hi: ids.length, times: t };
      const store = new PartitionNeighborStore(owners[0], peers, emptyTraffic());
      const want = await readBack(local, rows, 3, rule);
      const got = await readBack(store, rows, 3, rule);
      expect(got).toEqual(want);
      // Rows without edges have empty windows; hub rows' weights crossed partitions.
      expect(want.avail[ids.indexOf(4) - lo]).toBe(0);
      expect(want.rowW.length).toBeGreaterThan(2);
      // Windows before the query times are shorter than whole rows somewhere.
      if (t)
        expect(
          want.avail.some(
            (a, r) => a < whole.csr.indptr[ids[lo + r] + 1] - whole.csr.indptr[ids[lo + r]],
          ),
        ).toBe(true);
      // One windows and one neighbours request per other owner (plus the budget mean, asked once).
      expect(calls).toEqual([0, 3, 3]);
    }
  });

  it('an empty frontier asks nobody and reads nothing', async () => {
    calls.fill(0);
    const store = new PartitionNeighborStore(owners[1], peers, emptyTraffic());
    const rows: HopRows = { nodes: mixedIds(), lo: 4, hi: 4, times: null };
    const got = await readBack(store, rows, -1, null);
    expect(got).toEqual({ avail: [], score: [], rowW: [], edges: [], weights: [] });
    expect(calls).toEqual([0, 0, 0]);
  });

  it('refuses PPR and what the part lacks, naming the field', () => {
    const store = new PartitionNeighborStore(owners[0], peers, emptyTraffic());
    expect(() => store.check('ppr', null)).toThrow(/sampling\.strategy|PPR/);
    expect(() => store.check('weighted', null)).not.toThrow();
    expect(() => store.check('temporal', { mode: 'degree', alpha: 1 })).not.toThrow();
  });
});

/** Located rows copied out in id order, row i at i·DIM. */
function rowsOf(loc: RowSources, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(...loc.rows[loc.src[i]].subarray(loc.off[i], loc.off[i] + DIM));
  return out;
}

describe('feature sources', () => {
  it('local and partitioned give the same rows and labels, for owned, foreign and repeated ids', async () => {
    const ids = mixedIds();
    const n = ids.length;
    const wantY = new Int32Array(n);
    const local = new LocalFeatureSource(whole, whole.labels).locate(ids, n, wantY);
    const want = rowsOf(local, n);
    // Float32 rows are read where they lie.
    expect(local.rows[0]).toBe(whole.features);
    calls.fill(0);
    const traffic = emptyTraffic();
    const source = new PartitionFeatureSource(owners[2], peers, traffic);
    const gotY = new Int32Array(n);
    const got = await source.locate(ids, n, gotY);
    expect(rowsOf(got, n)).toEqual(want);
    expect(want.length).toBe(n * DIM);
    expect(got.rows[2]).toBe(owners[2].part.features);
    expect(Array.from(gotY)).toEqual(Array.from(wantY));
    expect(Array.from(gotY).filter((y) => y === -1).length).toBeGreaterThan(0);
    // One request to each other owner; the rows that crossed are counted.
    expect(calls).toEqual([1, 1, 0]);
    const foreign = Array.from(ids).filter((v) => owners[2].localRow(v) < 0).length;
    expect(traffic.remoteFeatureRows).toBe(foreign);
    expect(traffic.remoteFeatureBytes).toBe(foreign * DIM * 4);
    // No ids: nothing asked, nothing located.
    calls.fill(0);
    expect(rowsOf(await source.locate(new Int32Array(0), 0), 0)).toEqual([]);
    expect(calls).toEqual([0, 0, 0]);
  });
});

describe('partition batch builder', () => {
  it('builds batches asked for at once one after another, each equal to the whole graph', async () => {
    const config: ProducerConfig = {
      sampler: { strategy: 'weighted', fanouts: [4, 3], seed: 9 },
      fuseFirstLayer: true,
      numNegatives: 0,
    };
    const producer = new BatchProducer(whole, config);
    const builder = new PartitionBatchBuilder(owners[1], peers, config);
    const reqs = [0, 1, 2, 3].map((b) => ({
      kind: 'node' as const,
      epoch: 0,
      batch: b,
      batchSeed: 100 + b,
      seeds: Int32Array.from({ length: 24 }, (_v, i) => (b * 131 + i * 7) % NODES),
    }));
    const got = await Promise.all(reqs.map((r) => builder.produce(r)));
    reqs.forEach((r, b) => {
      const want = producer.produce(r, (shape) => allocateArrays<BatchFields>(shape));
      expectSameBatch(want, got[b], `batch ${b}`);
    });
  });
});
