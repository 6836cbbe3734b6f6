// Approximate cosine top-k through an HNSW index (hnswlib-node, an optional dependency built by node-gyp
// at install): the same question and answer shape as the exact search in nearest-neighbours.ts.
import { createRequire } from 'node:module';
import { ConfigError } from '../runtime/errors.js';
import { emptyLists, type NeighbourLists, type NeighbourSearch } from './nearest-neighbours.js';

/** HNSW build and search parameters (hnswlib's M, efConstruction, ef). */
export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
}

export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 200, efSearch: 128, seed: 1 };

interface HnswIndex {
  initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(
    query: number[],
    k: number,
    filter?: (label: number) => boolean,
  ): { distances: number[]; neighbors: number[] };
}
type HnswModule = { HierarchicalNSW: new (space: 'cosine', dim: number) => HnswIndex };

let loaded: HnswModule | Error | undefined;

/** The hnswlib-node module, or the reason it cannot load (not installed, or its addon not built). */
function hnswModule(): HnswModule | Error {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('hnswlib-node') as HnswModule;
    } catch (err) {
      loaded = err instanceof Error ? err : new Error(String(err));
    }
  }
  return loaded;
}

/** Whether an HNSW index can be built on this machine. */
export function hnswAvailable(): boolean {
  return !(hnswModule() instanceof Error);
}

/** Approximate top-k of every query; `field` names the setting that asked for HNSW in errors. */
export function hnswNeighbours(
  s: NeighbourSearch,
  params: HnswParams = DEFAULT_HNSW,
  field = 'index',
): NeighbourLists {
  const mod = hnswModule();
  if (mod instanceof Error)
    throw new ConfigError(
      `hnsw needs the optional package hnswlib-node, which did not load (${mod.message.split('\n')[0]}); reinstall with a C++ toolchain, or use exact`,
      { field },
      { cause: mod },
    );
  const out = emptyLists(s.numQueries, s.k);
  if (s.numBase === 0) return out;
  const index = new mod.HierarchicalNSW('cosine', s.dim);
  index.initIndex(s.numBase, params.m, params.efConstruction, params.seed);
  for (let b = 0; b < s.numBase; b++)
    index.addPoint(Array.from(s.base.subarray(b * s.dim, (b + 1) * s.dim)), b);
  index.setEf(Math.max(params.efSearch, s.k));
  const k = Math.min(s.k, s.numBase);
  for (let q = 0; q < s.numQueries; q++) {
    const query = Array.from(s.queries.subarray(q * s.dim, (q + 1) * s.dim));
    const allowed = s.allowed;
    const filter = allowed ? (b: number) => allowed(q, b) : undefined;
    const { distances, neighbors } = index.searchKnn(query, k, filter);
    // hnswlib answers nearest last or first depending on version: order by similarity here.
    const order = neighbors.map((_, i) => i);
    order.sort((a, b) => distances[a] - distances[b] || neighbors[a] - neighbors[b]);
    const o = q * s.k;
    order.forEach((i, r) => {
      out.rows[o + r] = neighbors[i];
      out.scores[o + r] = 1 - distances[i];
    });
    out.count[q] = order.length;
  }
  return out;
}
