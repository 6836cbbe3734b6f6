// The parameters of cold-start densification, their defaults and their checks: shared by
// `weft graph densify` (flags) and the job spec's densify section, each naming its own fields.
import { ConfigError } from '../runtime/errors.js';
import { DEFAULT_HNSW } from './hnsw-neighbours.js';

export type DensifyIndex = 'auto' | 'hnsw' | 'exact';
export const DENSIFY_INDEXES: readonly DensifyIndex[] = ['auto', 'hnsw', 'exact'];
/** An added edge's time: its high node's first activity, or the later of both ends' (docs/densification.md). */
export type DensifyEdgeTime = 'neighbour' | 'both';
export const DENSIFY_EDGE_TIMES: readonly DensifyEdgeTime[] = ['neighbour', 'both'];

export interface DensifyOptions {
  /** Node type whose low out-degree nodes get new edges ('' = the graph's only type). */
  nodeType: string;
  /** Name of the added relation nodeType__relation__nodeType. */
  relation: string;
  /** Nodes with out-degree at or below this percentile of their type's out-degrees get edges. */
  lowPercentile: number;
  /** Relations whose out-edges the degree counts, comma-separated ('' = every relation). */
  degreeRelations: string;
  /** ... to nodes with out-degree at or above this percentile. */
  highPercentile: number;
  /** Edges added per low-degree node (fewer where fewer nodes are allowed by the time rule). */
  k: number;
  /** 'input': the graph's node features; otherwise a .npy file of content embeddings. */
  features: string;
  /** auto: exact search up to AUTO_EXACT_PAIRS query-base pairs, HNSW above. */
  index: DensifyIndex;
  /** Queries whose approximate lists are checked against exact search (0 = no check). */
  recallSample: number;
  /** HNSW search breadth (ef); at least k is used. */
  efSearch: number;
  /** Seed of the HNSW build and the recall sample. */
  seed: number;
  /** Time an added edge carries on a temporal graph. */
  edgeTime: DensifyEdgeTime;
}

export const DEFAULT_DENSIFY: DensifyOptions = {
  nodeType: '',
  relation: 'similar',
  lowPercentile: 30,
  degreeRelations: '',
  highPercentile: 90,
  k: 50,
  features: 'input',
  index: 'auto',
  recallSample: 200,
  efSearch: DEFAULT_HNSW.efSearch,
  seed: 1,
  edgeTime: 'neighbour',
};

/** Query-base pairs up to which `index: auto` searches exactly (about 20 s of 32-wide dot products on a loaded core; measured in bench/NOTES.md). */
export const AUTO_EXACT_PAIRS = 200_000_000;

/** Where each option came from, for error messages: a flag name or a spec field. */
export type DensifyFieldNames = Record<keyof DensifyOptions, string>;

/** The spec section's field names: densify.<option>. */
export function specFieldNames(section: string): DensifyFieldNames {
  const keys = Object.keys(DEFAULT_DENSIFY) as (keyof DensifyOptions)[];
  return Object.fromEntries(keys.map((k) => [k, `${section}.${k}`])) as DensifyFieldNames;
}

/** Throws a ConfigError naming the first bad option. */
export function checkDensifyOptions(o: DensifyOptions, field: DensifyFieldNames): void {
  const percent = (v: number, key: 'lowPercentile' | 'highPercentile'): void => {
    if (!(Number.isFinite(v) && v >= 0 && v <= 100))
      throw new ConfigError(`must be a percentile in [0, 100], got ${v}`, { field: field[key] });
  };
  percent(o.lowPercentile, 'lowPercentile');
  percent(o.highPercentile, 'highPercentile');
  if (o.lowPercentile >= o.highPercentile)
    throw new ConfigError(
      `must be below highPercentile (${o.highPercentile}), got ${o.lowPercentile}: the low-degree nodes would link to nodes no better connected than themselves`,
      { field: field.lowPercentile },
    );
  const whole = (v: number, key: keyof DensifyOptions, min: number, max: number): void => {
    if (!(Number.isSafeInteger(v) && v >= min && v <= max))
      throw new ConfigError(`must be an integer in [${min}, ${max}], got ${v}`, {
        field: field[key],
      });
  };
  whole(o.k, 'k', 1, 1000);
  whole(o.recallSample, 'recallSample', 0, 100_000);
  whole(o.efSearch, 'efSearch', 1, 100_000);
  whole(o.seed, 'seed', 0, 2 ** 32 - 1);
  if (!/^[A-Za-z0-9_-]+$/.test(o.relation) || o.relation.includes('__'))
    throw new ConfigError(`must be letters, digits, _ or - (no "__"), got '${o.relation}'`, {
      field: field.relation,
    });
  if (!DENSIFY_INDEXES.includes(o.index))
    throw new ConfigError(`must be one of ${DENSIFY_INDEXES.join(', ')}, got '${o.index}'`, {
      field: field.index,
    });
  if (!DENSIFY_EDGE_TIMES.includes(o.edgeTime))
    throw new ConfigError(`must be one of ${DENSIFY_EDGE_TIMES.join(', ')}, got '${o.edgeTime}'`, {
      field: field.edgeTime,
    });
  if (o.features === '')
    throw new ConfigError("must be 'input' or a .npy file of embeddings", {
      field: field.features,
    });
}
