// Cold-start densification (LiGNN): nodes of one type with few out-edges get edges to their most
// similar well-connected nodes of that type, by cosine similarity of content features, as a relation of
// their own in a new graph version. Time-aware on temporal graphs (see `mayLink`).
import { ConfigError } from '../runtime/errors.js';
import { Xoshiro128Float } from '../runtime/prng.js';
import { allocOffsets } from './csr-builder.js';
import {
  AUTO_EXACT_PAIRS,
  checkDensifyOptions,
  type DensifyEdgeTime,
  type DensifyFieldNames,
  type DensifyOptions,
} from './densify-options.js';
import { DEFAULT_HNSW, hnswNeighbours } from './hnsw-neighbours.js';
import { writeGraphVersion } from './graph-version.js';
import type { GraphManifest } from './manifest.js';
import {
  exactNeighbours,
  normalizeRows,
  recallOf,
  type NeighbourLists,
  type NeighbourSearch,
} from './nearest-neighbours.js';
import { readNpyHeader, readNpyRows } from './npy.js';
import { openGraph } from './open-graph.js';
import { sortRows, type CsrArrays } from './row-sort.js';
import type { SharedGraph } from './shared-graph.js';

/** What a densification did: the provenance stored in the new version's manifest. */
export interface DensifyReport {
  nodeType: string;
  relation: string;
  /** Out-degree thresholds the percentiles gave: low nodes have <= low, high nodes >= high. */
  degreeThresholds: { low: number; high: number };
  lowNodes: number;
  highNodes: number;
  edgesAdded: number;
  /** Low nodes that got fewer than k edges (the time rule left fewer candidates). */
  shortLists: number;
  temporal: boolean;
  index: { used: 'hnsw' | 'exact'; recallAtK: number | null; recallQueries: number };
  seconds: number;
}

/**
 * Out-degree over the counted edge types (all when `counted` is undefined) and first activity time
 * (over every timed relation; 0: none) of one type's nodes.
 */
function degreesAndTimes(g: SharedGraph, offset: number, count: number, counted?: boolean[]) {
  const { indptr, timestamps, edgeType } = g.csr;
  const timed = g.edgeTypes.map((e) => e.hasTimestamps);
  const degree = new Float64Array(count);
  const first = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const lo = indptr[offset + i];
    const hi = indptr[offset + i + 1];
    if (!counted) degree[i] = hi - lo;
    else for (let e = lo; e < hi; e++) if (counted[edgeType ? edgeType[e] : 0]) degree[i]++;
    if (!timestamps) continue;
    let t = Infinity;
    for (let e = lo; e < hi; e++)
      if ((edgeType ? timed[edgeType[e]] : timed[0]) && timestamps[e] < t) t = timestamps[e];
    first[i] = t === Infinity ? 0 : t;
  }
  const temporal = timestamps !== undefined && timed.some((x) => x);
  return { degree, first, temporal };
}

/**
 * The edge types `degreeRelations` names (a relation's name, or its full src__rel__dst), as a mask
 * over the graph's edge types; undefined when it is empty (every relation counts).
 */
function countedTypes(g: SharedGraph, names: string, field: string): boolean[] | undefined {
  if (names.trim() === '') return undefined;
  const counted = g.edgeTypes.map(() => false);
  for (const name of names.split(',').map((x) => x.trim())) {
    const hit = g.edgeTypes.filter(
      (e) => e.rel === name || `${e.src}__${e.rel}__${e.dst}` === name,
    );
    if (hit.length === 0)
      throw new ConfigError(
        `unknown relation '${name}'; the graph has ${g.edgeTypes.map((e) => e.rel).join(', ')}`,
        { field },
      );
    for (const e of hit) counted[e.id] = true;
  }
  return counted;
}

/** Nearest-rank percentile of the values (p in [0, 100]). */
export function percentileOf(values: Float64Array, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * (sorted.length - 1)))];
}

/**
 * The time rule: a low-degree node u whose first timed activity is at t(u) may link to v only when
 * t(v) <= t(u), i.e. v existed when u appeared; a node with no timed activity has t = 0 and, as u, may
 * link to any v. The edge's timestamp (`edgeTimeOf`) is t(v) by default: the similarity is of u's
 * content, which u has before it first acts, so the edge may serve that first interaction.
 */
export function mayLink(tu: number, tv: number): boolean {
  return tu === 0 || tv <= tu;
}

/** Content rows of the type's nodes: the graph's features, or a .npy file (all nodes, or the type's). */
function contentRows(g: SharedGraph, o: DensifyOptions, offset: number, count: number, f: string) {
  if (o.features === 'input') {
    if (g.dim === 0)
      throw new ConfigError(`graph ${g.dir} has no node features; give a .npy file instead`, {
        field: f,
      });
    const rows = new Float32Array(count * g.dim);
    const ids = Int32Array.from({ length: count }, (_, i) => offset + i);
    g.gather(ids, count, rows);
    return { rows, dim: g.dim };
  }
  const h = readNpyHeader(o.features, f);
  if (h.rows !== count && h.rows !== g.numNodes)
    throw new ConfigError(
      `${o.features} has ${h.rows} rows; expected ${count} (the type's nodes) or ${g.numNodes} (all nodes)`,
      { field: f },
    );
  const dim = h.cols;
  const rows = new Float32Array(count * dim);
  // Row r of the file is node r of the type, or global node r.
  const first = h.rows === count ? 0 : offset;
  let r = 0;
  readNpyRows(
    o.features,
    (values, n) => {
      for (let i = 0; i < n; i++, r++)
        if (r >= first && r < first + count)
          rows.set(values.subarray(i * dim, (i + 1) * dim), (r - first) * dim);
    },
    { field: f },
  );
  return { rows, dim };
}

/** The search of the chosen index, and its recall against exact search on a sample of queries. */
function searchWithRecall(s: NeighbourSearch, o: DensifyOptions, field: string) {
  const useExact =
    o.index === 'exact' || (o.index === 'auto' && s.numQueries * s.numBase <= AUTO_EXACT_PAIRS);
  if (useExact) return { lists: exactNeighbours(s), used: 'exact' as const, recall: 1, sampled: 0 };
  const lists = hnswNeighbours(s, { ...DEFAULT_HNSW, efSearch: o.efSearch, seed: o.seed }, field);
  const n = Math.min(o.recallSample, s.numQueries);
  if (n === 0) return { lists, used: 'hnsw' as const, recall: null, sampled: 0 };
  const all = Int32Array.from({ length: s.numQueries }, (_, q) => q);
  new Xoshiro128Float(o.seed, 31).shuffle(all);
  const sample = all.slice(0, n).sort();
  const recall = recallOf(lists, exactNeighbours(s, sample), sample);
  return { lists, used: 'hnsw' as const, recall, sampled: n };
}

/** An added edge's time from its ends' first activities (edgeTime 'both': the later of the two). */
export function edgeTimeOf(rule: DensifyEdgeTime, tu: number, tv: number): number {
  return rule === 'both' ? Math.max(tu, tv) : tv;
}

/** The added relation's rows: k edges per low node (global ids), timestamped on a temporal graph. */
function relationOf(
  lists: NeighbourLists,
  low: Int32Array,
  high: Int32Array,
  count: number,
  offset: number,
  time: { first: Float64Array; temporal: boolean; rule: DensifyEdgeTime },
): CsrArrays {
  const deg = new Uint32Array(count);
  for (let q = 0; q < low.length; q++) deg[low[q]] = lists.count[q];
  let total = 0;
  for (const d of deg) total += d;
  const indptr = allocOffsets(count, total);
  for (let i = 0; i < count; i++) indptr[i + 1] = indptr[i] + deg[i];
  const indices = new Uint32Array(total);
  const timestamps = time.temporal ? new Float64Array(total) : undefined;
  for (let q = 0; q < low.length; q++) {
    const u = low[q];
    for (let j = 0; j < lists.count[q]; j++) {
      const v = high[lists.rows[q * lists.k + j]];
      const e = indptr[u] + j;
      indices[e] = offset + v;
      if (timestamps) timestamps[e] = edgeTimeOf(time.rule, time.first[u], time.first[v]);
    }
  }
  const csr: CsrArrays = { numRows: count, indptr, indices, timestamps };
  sortRows(csr, true);
  return csr;
}

function pickType(g: SharedGraph, name: string, field: string) {
  if (name === '' && g.nodeTypes.length === 1) return g.nodeTypes[0];
  const t = g.nodeTypes.find((x) => x.name === name);
  if (!t)
    throw new ConfigError(
      `${name === '' ? 'no node type given' : `unknown node type '${name}'`}; the graph has ${g.nodeTypes.map((x) => x.name).join(', ')}`,
      { field },
    );
  return t;
}

/** Chooses the low and high nodes, searches, and returns the relation with its report. */
export function densifyInMemory(g: SharedGraph, o: DensifyOptions, field: DensifyFieldNames) {
  const t0 = performance.now();
  checkDensifyOptions(o, field);
  const type = pickType(g, o.nodeType, field.nodeType);
  const { offset, count } = type;
  const counted = countedTypes(g, o.degreeRelations, field.degreeRelations);
  const { degree, first, temporal } = degreesAndTimes(g, offset, count, counted);
  const lowMax = percentileOf(degree, o.lowPercentile);
  const highMin = percentileOf(degree, o.highPercentile);
  const pick = (ok: (d: number) => boolean): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (ok(degree[i])) out.push(i);
    return Int32Array.from(out);
  };
  const low = pick((d) => d <= lowMax);
  const high = pick((d) => d >= highMin && d > lowMax);
  const { rows, dim } = contentRows(g, o, offset, count, field.features);
  normalizeRows(rows, dim);
  const take = (ids: Int32Array): Float32Array => {
    const out = new Float32Array(ids.length * dim);
    ids.forEach((v, i) => out.set(rows.subarray(v * dim, (v + 1) * dim), i * dim));
    return out;
  };
  const search: NeighbourSearch = {
    dim,
    k: o.k,
    base: take(high),
    numBase: high.length,
    queries: take(low),
    numQueries: low.length,
    allowed: temporal ? (q, b) => mayLink(first[low[q]], first[high[b]]) : undefined,
  };
  const found = searchWithRecall(search, o, field.index);
  const csr = relationOf(found.lists, low, high, count, offset, {
    first,
    temporal,
    rule: o.edgeTime,
  });
  let shortLists = 0;
  for (const c of found.lists.count) if (c < o.k) shortLists++;
  const report: DensifyReport = {
    nodeType: type.name,
    relation: o.relation,
    degreeThresholds: { low: lowMax, high: highMin },
    lowNodes: low.length,
    highNodes: high.length,
    edgesAdded: csr.indices.length,
    shortLists,
    temporal,
    index: { used: found.used, recallAtK: found.recall, recallQueries: found.sampled },
    seconds: (performance.now() - t0) / 1000,
  };
  return { relation: { src: type.name, rel: o.relation, dst: type.name, csr }, report };
}

/** Densifies the graph in `dir` into the new version `out`; returns its manifest and the report. */
export async function densifyGraph(
  dir: string,
  o: DensifyOptions,
  out: string,
  opts: {
    fields: DensifyFieldNames;
    replace?: boolean;
    outField?: string;
    /** More provenance (a job's version key). */
    extraSource?: Record<string, unknown>;
  },
): Promise<{ manifest: GraphManifest; report: DensifyReport }> {
  checkDensifyOptions(o, opts.fields);
  const g = await openGraph(dir, { features: o.features === 'input' });
  const { relation, report } = densifyInMemory(g, o, opts.fields);
  const source = {
    generator: 'weft graph densify',
    ...opts.extraSource,
    parameters: { ...o },
    result: report,
  };
  const manifest = await writeGraphVersion(dir, g.manifest, [relation], source, out, {
    replace: opts.replace,
    field: opts.outField,
  });
  return { manifest, report };
}
