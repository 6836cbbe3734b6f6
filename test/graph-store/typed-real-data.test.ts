// Real data through the typed build: CollegeMsg (SNAP, headerless, timestamped) and Cora (its
// original paper ids as string ids, labels, split, .npy features) give the same graph as the plain
// build, node for node through the id maps. Skips, saying why, when ../shared/data is absent.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../graph-store/build-graph.js';
import { buildTypedGraph } from '../../graph-store/build-typed-graph.js';
import { readIdMap } from '../../graph-store/id-map.js';
import { openGraph } from '../../graph-store/open-graph.js';
import type { SharedGraph } from '../../graph-store/shared-graph.js';
import { CORA_DIR, coraMissing, haveCora } from '../helpers/cora.js';
import { tempDir } from './helpers.js';

const MSG_DIR = resolve(CORA_DIR, '../collegemsg');
const haveMsg = existsSync(join(MSG_DIR, 'edges.tsv'));
if (!haveMsg) console.warn(`skipping the CollegeMsg typed-build test: ${MSG_DIR} is absent`);
if (!haveCora) console.warn(`skipping the Cora typed-build test: ${coraMissing}`);

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Each node's neighbours of edge type `rel`, as original ids, keyed by original id. */
function adjacency(g: SharedGraph, ids: (v: number) => string, rel: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let v = 0; v < g.numNodes; v++) {
    const row: string[] = [];
    for (let e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; e++)
      if (!g.csr.edgeType || g.csr.edgeType[e] === rel)
        row.push(`${ids(g.csr.indices[e])}@${g.csr.timestamps?.[e] ?? ''}`);
    out.set(ids(v), row.sort());
  }
  return out;
}

describe('typed build on real data', () => {
  it.skipIf(!haveMsg)(
    'CollegeMsg: headerless SNAP columns, real timestamps, same edges as the plain build',
    async () => {
      const yaml = join(tmp.dir, 'msg.yaml');
      writeFileSync(
        yaml,
        `edges:\n  - { file: ${join(MSG_DIR, 'edges.tsv')}, relation: messaged, src: user, dst: user, header: false, timestamp: "2" }\n`,
      );
      const typed = join(tmp.dir, 'msg-typed');
      const m = await buildTypedGraph({ inputs: yaml, out: typed });
      const plain = join(tmp.dir, 'msg-plain');
      await buildGraph({ edges: join(MSG_DIR, 'edges.tsv'), tsCol: 2, out: plain });
      const p = await openGraph(plain);
      const t = await openGraph(typed);
      expect(m.edgeTypes[0].count).toBe(p.numEdges);
      const ids = readIdMap(typed, m.nodeTypes[0].ids!, m.nodeTypes[0].count, 'ids');
      const typedAdj = adjacency(t, (v) => ids[v], 0);
      const plainAdj = adjacency(p, (v) => String(v), 0);
      // The plain build counts ids up to the largest; the typed one only the users that appear.
      for (const [id, row] of plainAdj) expect(typedAdj.get(id) ?? [], id).toEqual(row);
      expect(typedAdj.size).toBeLessThanOrEqual(plainAdj.size);
    },
  );

  it.skipIf(!haveCora)(
    'Cora under its paper ids: features, labels and split follow each paper',
    async () => {
      // nodes.tsv maps row -> paper id; write the tables as a user would have them, keyed by paper id.
      const paper = readFileSync(join(CORA_DIR, 'nodes.tsv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => `p${l.split('\t')[1]}`);
      const labels = readFileSync(join(CORA_DIR, 'labels.tsv'), 'utf8').trim().split('\n');
      const split = new Map(
        readFileSync(join(CORA_DIR, 'split.tsv'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('\t') as [string, string]),
      );
      const nodeRows = ['paper\tlabel\tsplit'];
      for (const l of labels) {
        const [row, label] = l.split('\t');
        nodeRows.push(`${paper[Number(row)]}\t${label}\t${split.get(row) ?? ''}`);
      }
      writeFileSync(join(tmp.dir, 'papers.tsv'), nodeRows.join('\n') + '\n');
      const cites = ['citing\tcited'];
      for (const l of readFileSync(join(CORA_DIR, 'edges.tsv'), 'utf8').trim().split('\n')) {
        const [a, b] = l.split('\t');
        cites.push(`${paper[Number(a)]}\t${paper[Number(b)]}`);
      }
      writeFileSync(join(tmp.dir, 'cites.tsv'), cites.join('\n') + '\n');
      writeFileSync(
        join(tmp.dir, 'cora.yaml'),
        `nodes:
  - { type: paper, file: papers.tsv, id: paper, label: label, split: split, features: { npy: ${join(CORA_DIR, 'features.npy')} } }
edges:
  - { file: cites.tsv, relation: cites, src: paper, dst: paper, srcColumn: citing, dstColumn: cited, undirected: true }
`,
      );
      const out = join(tmp.dir, 'cora-typed');
      const m = await buildTypedGraph({ inputs: join(tmp.dir, 'cora.yaml'), out });
      expect(m.numNodes).toBe(2708);
      expect(m.numEdges).toBe(10556); // as the plain --undirected build (docs/graph-format.md)
      expect(m.features!.dim).toBe(1433);
      expect(m.split).toMatchObject({ train: 140, val: 500, test: 1000 });
      const g = await openGraph(out);
      const ids = readIdMap(out, m.nodeTypes[0].ids!, 2708, 'ids');
      // labels.tsv lists rows in order, so typed row r is Cora row r: same label, same features.
      expect(ids.slice(0, 3)).toEqual(paper.slice(0, 3));
      const a = new Float32Array(1433);
      g.gather([5], 1, a);
      const plainDir = join(tmp.dir, 'cora-plain');
      await buildGraph({
        edges: join(CORA_DIR, 'edges.tsv'),
        features: join(CORA_DIR, 'features.npy'),
        labels: join(CORA_DIR, 'labels.tsv'),
        undirected: true,
        out: plainDir,
      });
      const plain = await openGraph(plainDir);
      const b = new Float32Array(1433);
      plain.gather([5], 1, b);
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(g.labels!)).toEqual(Array.from(plain.labels!));
    },
  );
});
