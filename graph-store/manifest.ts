// The `manifest.json` of a graph directory: its TypeScript shape, the format name and version, and the
// checks that turn a hand-edited or foreign manifest into a GraphFormatError naming the bad field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphFormatError } from './errors.js';
import type { FeatureDtype } from './types.js';

export const FORMAT_NAME = 'weft-graph';
export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
/** Name and version of the index file of a partitioned graph (a folder of part directories). */
export const PARTITIONS_FORMAT_NAME = 'weft-graph-partitions';
export const PARTITIONS_FILE = 'partitions.json';

/** Element types of the raw arrays, all little-endian. */
export type ArrayDtype = 'u8' | 'i8' | 'u16' | 'f16' | 'i32' | 'u32' | 'f32' | 'u64' | 'f64';

export const DTYPE_BYTES: Record<ArrayDtype, number> = {
  u8: 1,
  i8: 1,
  u16: 2,
  f16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  u64: 8,
  f64: 8,
};

/** One raw array file: path relative to the graph directory, element type and count, size, checksum. */
export interface FileEntry {
  path: string;
  dtype: ArrayDtype;
  length: number;
  bytes: number;
  /** `xxh32:` + 8 hex digits of the whole file (XXH32, seed 0). */
  checksum: string;
}

export interface ManifestNodeType {
  name: string;
  offset: number;
  count: number;
  /** Original ids (UTF-8 text, one per line in row order) when the graph was built from typed inputs. */
  ids?: FileEntry;
  /**
   * The feature columns this type fills (typed inputs): `[start, start + width)` of every row; all other
   * columns of its rows are 0. `input` says where the values came from ('constant': a featureless type,
   * one column of 1s).
   */
  features?: { start: number; width: number; input: 'table' | 'npy' | 'constant' };
}

/** A link split stored as edge order (graph-store/link-split-order.ts): edge counts per part. */
export interface ManifestLinkSplit {
  mode: 'random' | 'column';
  seed: number;
  train: number;
  val: number;
  test: number;
}

export interface ManifestEdgeType {
  src: string;
  rel: string;
  dst: string;
  count: number;
  hasTimestamps: boolean;
  hasWeights: boolean;
  /** Present when the relation's times are its stored link split's order, not real times. */
  linkSplit?: ManifestLinkSplit;
  files: {
    /** Row offsets over the source type's rows: length = rows + 1; u32, or u64 when count >= 2^32. */
    indptr: FileEntry;
    /** Global destination ids (u32). */
    indices: FileEntry;
    /** Seconds (f64), ascending within each row. */
    timestamps?: FileEntry;
    /** Edge weights (f32, > 0). */
    weights?: FileEntry;
  };
}

/** An edge type's manifest entry less its files: what it says about the relation itself. */
export function edgeTypeFacts(e: ManifestEdgeType): Omit<ManifestEdgeType, 'files'> {
  return {
    src: e.src,
    rel: e.rel,
    dst: e.dst,
    count: e.count,
    hasTimestamps: e.hasTimestamps,
    hasWeights: e.hasWeights,
    ...(e.linkSplit ? { linkSplit: e.linkSplit } : {}),
  };
}

export interface ManifestFeatures {
  dim: number;
  dtype: FeatureDtype;
  /** Row-major [numNodes, dim] of f32, f16 or i8. */
  file: FileEntry;
  /** int8 only: one f32 scale per row; value = int8 * scale[row]. */
  scales?: FileEntry;
  /** NaN or infinite values kept by `weft graph build --allow-non-finite` (absent: none). */
  nonFinite?: number;
}

export interface ManifestLabels {
  numClasses: number;
  /** Nodes per class, index = class id. */
  classCounts: number[];
  /** i32 per node, -1 = unlabelled. */
  file: FileEntry;
}

export interface ManifestSplit {
  train: number;
  val: number;
  test: number;
  /** u8 per node: 0 none, 1 train, 2 val, 3 test. */
  file: FileEntry;
}

/** Present when this directory is one part of a hash-partitioned graph. */
export interface ManifestPartition {
  index: number;
  count: number;
  /** Rule that assigns a global node id to a part; see graph-store/partition.ts. */
  rule: 'fmix32-mod';
  numNodesGlobal: number;
  numEdgesGlobal: number;
  /** Node types of the whole graph (global id ranges); `nodeTypes` of this manifest are local ranges. */
  nodeTypesGlobal: ManifestNodeType[];
  /** u32 global id of each local row, ascending. */
  nodes: FileEntry;
}

/** Present when this directory also holds its hash partitions (in `dir`, relative). */
export interface ManifestPartitions {
  count: number;
  rule: 'fmix32-mod';
  dir: string;
}

export interface GraphManifest {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  checksum: 'xxh32';
  /** How the graph was made (command and parameters); informational. */
  source?: Record<string, unknown>;
  numNodes: number;
  numEdges: number;
  nodeTypes: ManifestNodeType[];
  edgeTypes: ManifestEdgeType[];
  features?: ManifestFeatures;
  labels?: ManifestLabels;
  split?: ManifestSplit;
  partition?: ManifestPartition;
  partitions?: ManifestPartitions;
}

/** `partitions.json` of a folder of part directories `part-0000`, `part-0001`, … */
export interface PartitionsIndex {
  format: typeof PARTITIONS_FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  count: number;
  rule: 'fmix32-mod';
  numNodes: number;
  numEdges: number;
  parts: { dir: string; numNodes: number; numEdges: number }[];
}

/** Reads and validates `dir/manifest.json`. */
export function readManifest(dir: string): GraphManifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GraphFormatError('cannot read the graph manifest', { file }, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GraphFormatError('manifest is not valid JSON', { file }, { cause: err });
  }
  return validateManifest(raw, file);
}

function fail(file: string, field: string, message: string): never {
  throw new GraphFormatError(message, { file, field });
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkFileEntry(
  v: unknown,
  file: string,
  field: string,
  dtypes: readonly ArrayDtype[],
  length?: number,
): FileEntry {
  const e = v as FileEntry;
  if (typeof e !== 'object' || e === null) fail(file, field, 'missing file entry');
  if (typeof e.path !== 'string' || e.path === '' || e.path.includes('..'))
    fail(file, `${field}.path`, 'must be a relative path inside the graph directory');
  if (!dtypes.includes(e.dtype))
    fail(file, `${field}.dtype`, `expected one of ${dtypes.join(', ')}, got ${String(e.dtype)}`);
  if (!isCount(e.length)) fail(file, `${field}.length`, 'must be a non-negative integer');
  if (length !== undefined && e.length !== length)
    fail(file, `${field}.length`, `expected ${length} elements, manifest says ${e.length}`);
  if (e.bytes !== e.length * DTYPE_BYTES[e.dtype])
    fail(
      file,
      `${field}.bytes`,
      `expected ${e.length * DTYPE_BYTES[e.dtype]} bytes for ${e.length} ${e.dtype}`,
    );
  if (typeof e.checksum !== 'string' || !/^xxh32:[0-9a-f]{8}$/.test(e.checksum))
    fail(file, `${field}.checksum`, 'must be "xxh32:" and 8 hex digits');
  return e;
}

function checkNodeTypes(
  v: unknown,
  file: string,
  field: string,
  numNodes: number,
): ManifestNodeType[] {
  if (!Array.isArray(v) || v.length === 0) fail(file, field, 'must be a non-empty array');
  let next = 0;
  const names = new Set<string>();
  v.forEach((t: ManifestNodeType, i: number) => {
    const f = `${field}[${i}]`;
    if (typeof t?.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(t.name) || t.name.includes('__'))
      fail(file, `${f}.name`, 'must be letters, digits, _ or - (no "__")');
    if (names.has(t.name)) fail(file, `${f}.name`, `duplicate node type '${t.name}'`);
    names.add(t.name);
    if (t.offset !== next) fail(file, `${f}.offset`, `expected ${next} (types are contiguous)`);
    if (!isCount(t.count)) fail(file, `${f}.count`, 'must be a non-negative integer');
    next += t.count;
    if (t.ids !== undefined) checkFileEntry(t.ids, file, `${f}.ids`, ['u8']);
  });
  if (next !== numNodes) fail(file, field, `counts sum to ${next}, numNodes is ${numNodes}`);
  return v as ManifestNodeType[];
}

/** Checks every field the loader relies on; throws GraphFormatError naming the first bad one. */
export function validateManifest(raw: unknown, file: string): GraphManifest {
  const m = raw as GraphManifest;
  if (typeof m !== 'object' || m === null) fail(file, 'format', 'manifest must be a JSON object');
  if (m.format !== FORMAT_NAME)
    fail(file, 'format', `expected "${FORMAT_NAME}", got ${JSON.stringify(m.format)}`);
  if (m.version !== FORMAT_VERSION)
    fail(
      file,
      'version',
      `this Weft reads version ${FORMAT_VERSION}, got ${JSON.stringify(m.version)}`,
    );
  if (m.checksum !== 'xxh32')
    fail(file, 'checksum', `unknown checksum ${JSON.stringify(m.checksum)}`);
  if (!isCount(m.numNodes) || m.numNodes >= 2 ** 32 - 1)
    fail(file, 'numNodes', 'must be an integer below 2^32 - 1');
  if (!isCount(m.numEdges)) fail(file, 'numEdges', 'must be a non-negative integer');
  const nodeTypes = checkNodeTypes(m.nodeTypes, file, 'nodeTypes', m.numNodes);
  const byName = new Map(nodeTypes.map((t) => [t.name, t]));
  if (!Array.isArray(m.edgeTypes)) fail(file, 'edgeTypes', 'must be an array');
  if (m.edgeTypes.length > 255) fail(file, 'edgeTypes', 'at most 255 edge types');
  let edges = 0;
  const keys = new Set<string>();
  m.edgeTypes.forEach((e, i) => {
    const f = `edgeTypes[${i}]`;
    const src = byName.get(e?.src);
    if (!src) fail(file, `${f}.src`, `unknown node type ${JSON.stringify(e?.src)}`);
    if (!byName.has(e.dst)) fail(file, `${f}.dst`, `unknown node type ${JSON.stringify(e.dst)}`);
    if (typeof e.rel !== 'string' || !/^[A-Za-z0-9_-]+$/.test(e.rel) || e.rel.includes('__'))
      fail(file, `${f}.rel`, 'must be letters, digits, _ or - (no "__")');
    const key = `${e.src}__${e.rel}__${e.dst}`;
    if (keys.has(key)) fail(file, f, `duplicate edge type ${key}`);
    keys.add(key);
    if (!isCount(e.count)) fail(file, `${f}.count`, 'must be a non-negative integer');
    if (typeof e.hasTimestamps !== 'boolean') fail(file, `${f}.hasTimestamps`, 'must be a boolean');
    if (typeof e.hasWeights !== 'boolean') fail(file, `${f}.hasWeights`, 'must be a boolean');
    const files = e.files ?? fail(file, `${f}.files`, 'missing');
    checkFileEntry(files.indptr, file, `${f}.files.indptr`, ['u32', 'u64'], src.count + 1);
    if (files.indptr.dtype === 'u32' && e.count >= 2 ** 32)
      fail(file, `${f}.files.indptr.dtype`, 'u64 offsets are required from 2^32 edges');
    checkFileEntry(files.indices, file, `${f}.files.indices`, ['u32'], e.count);
    if (e.hasTimestamps)
      checkFileEntry(files.timestamps, file, `${f}.files.timestamps`, ['f64'], e.count);
    else if (files.timestamps)
      fail(file, `${f}.files.timestamps`, 'present but hasTimestamps is false');
    if (e.hasWeights) checkFileEntry(files.weights, file, `${f}.files.weights`, ['f32'], e.count);
    else if (files.weights) fail(file, `${f}.files.weights`, 'present but hasWeights is false');
    if (e.linkSplit !== undefined)
      checkLinkSplit(e.linkSplit, e.hasTimestamps, file, `${f}.linkSplit`);
    edges += e.count;
  });
  if (edges !== m.numEdges)
    fail(file, 'numEdges', `edge type counts sum to ${edges}, numEdges is ${m.numEdges}`);
  if (m.features !== undefined) {
    const ft = m.features;
    if (!isCount(ft.dim) || ft.dim === 0) fail(file, 'features.dim', 'must be a positive integer');
    const dt = { float32: 'f32', float16: 'f16', int8: 'i8' } as const;
    const want = dt[ft.dtype];
    if (!want)
      fail(
        file,
        'features.dtype',
        `unknown dtype ${JSON.stringify(ft.dtype)} (float32, float16, int8)`,
      );
    checkFileEntry(ft.file, file, 'features.file', [want], m.numNodes * ft.dim);
    if (ft.dtype === 'int8')
      checkFileEntry(ft.scales, file, 'features.scales', ['f32'], m.numNodes);
    else if (ft.scales) fail(file, 'features.scales', 'only int8 features carry scales');
  }
  nodeTypes.forEach((t, i) => {
    const ft = t.features;
    if (ft === undefined) return;
    const f = `nodeTypes[${i}].features`;
    const dim =
      m.features?.dim ?? fail(file, f, 'names feature columns but the graph has no features');
    if (!isCount(ft.start) || !isCount(ft.width) || ft.width === 0 || ft.start + ft.width > dim)
      fail(
        file,
        f,
        `columns [${ft.start}, ${ft.start + ft.width}) are not inside the ${dim} features`,
      );
    if (!['table', 'npy', 'constant'].includes(ft.input))
      fail(file, `${f}.input`, `unknown input ${JSON.stringify(ft.input)}`);
  });
  if (m.labels !== undefined) {
    if (!isCount(m.labels.numClasses))
      fail(file, 'labels.numClasses', 'must be a non-negative integer');
    if (!Array.isArray(m.labels.classCounts) || m.labels.classCounts.length !== m.labels.numClasses)
      fail(file, 'labels.classCounts', 'must list one count per class');
    checkFileEntry(m.labels.file, file, 'labels.file', ['i32'], m.numNodes);
  }
  if (m.split !== undefined) {
    for (const k of ['train', 'val', 'test'] as const)
      if (!isCount(m.split[k])) fail(file, `split.${k}`, 'must be a non-negative integer');
    checkFileEntry(m.split.file, file, 'split.file', ['u8'], m.numNodes);
  }
  if (m.partition !== undefined) {
    const p = m.partition;
    if (!isCount(p.count) || p.count < 1)
      fail(file, 'partition.count', 'must be a positive integer');
    if (!isCount(p.index) || p.index >= p.count)
      fail(file, 'partition.index', `must be in [0, ${p.count})`);
    if (p.rule !== 'fmix32-mod')
      fail(file, 'partition.rule', `unknown rule ${JSON.stringify(p.rule)}`);
    if (!isCount(p.numNodesGlobal))
      fail(file, 'partition.numNodesGlobal', 'must be a non-negative integer');
    if (!isCount(p.numEdgesGlobal))
      fail(file, 'partition.numEdgesGlobal', 'must be a non-negative integer');
    checkNodeTypes(p.nodeTypesGlobal, file, 'partition.nodeTypesGlobal', p.numNodesGlobal);
    checkFileEntry(p.nodes, file, 'partition.nodes', ['u32'], m.numNodes);
  }
  if (m.partitions !== undefined) {
    const p = m.partitions;
    if (!isCount(p.count) || p.count < 1)
      fail(file, 'partitions.count', 'must be a positive integer');
    if (p.rule !== 'fmix32-mod')
      fail(file, 'partitions.rule', `unknown rule ${JSON.stringify(p.rule)}`);
    if (typeof p.dir !== 'string' || p.dir.includes('..'))
      fail(file, 'partitions.dir', 'must be a relative path');
  }
  return m;
}

function checkLinkSplit(
  s: ManifestLinkSplit,
  hasTimestamps: boolean,
  file: string,
  field: string,
): void {
  if (s.mode !== 'random' && s.mode !== 'column')
    fail(file, `${field}.mode`, `unknown mode ${JSON.stringify(s.mode)}`);
  for (const k of ['seed', 'train', 'val', 'test'] as const)
    if (!isCount(s[k])) fail(file, `${field}.${k}`, 'must be a non-negative integer');
  if (s.train === 0) fail(file, `${field}.train`, 'no training edges');
  if (!hasTimestamps)
    fail(file, field, 'a stored split is kept as edge times; hasTimestamps is false');
}

/** All raw array files a manifest names, with the field that names each. */
export function manifestFiles(m: GraphManifest): { field: string; entry: FileEntry }[] {
  const out: { field: string; entry: FileEntry }[] = [];
  m.nodeTypes.forEach((t, i) => {
    if (t.ids) out.push({ field: `nodeTypes[${i}].ids`, entry: t.ids });
  });
  m.edgeTypes.forEach((e, i) => {
    for (const [k, entry] of Object.entries(e.files))
      if (entry) out.push({ field: `edgeTypes[${i}].files.${k}`, entry });
  });
  if (m.features) {
    out.push({ field: 'features.file', entry: m.features.file });
    if (m.features.scales) out.push({ field: 'features.scales', entry: m.features.scales });
  }
  if (m.labels) out.push({ field: 'labels.file', entry: m.labels.file });
  if (m.split) out.push({ field: 'split.file', entry: m.split.file });
  if (m.partition) out.push({ field: 'partition.nodes', entry: m.partition.nodes });
  return out;
}
