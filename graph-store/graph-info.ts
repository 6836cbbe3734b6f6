// `weft graph info`: a summary of a graph directory (or a folder of partitions) from its manifest and
// offsets only: counts per type, out-degree statistics of the merged CSR, features, classes, split.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArrayFile } from './array-file.js';
import { GraphFormatError } from './errors.js';
import {
  MANIFEST_FILE,
  PARTITIONS_FILE,
  PARTITIONS_FORMAT_NAME,
  edgeTypeFacts,
  manifestFiles,
  readManifest,
  type ManifestEdgeType,
  type PartitionsIndex,
} from './manifest.js';
import { edgeTypeKey, type FeatureDtype } from './types.js';

export interface DegreeStats {
  min: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
}

export interface GraphInfo {
  dir: string;
  format: string;
  version: number;
  numNodes: number;
  numEdges: number;
  nodeTypes: { name: string; offset: number; count: number }[];
  /** Each edge type's manifest entry, less its files, with its key. */
  edgeTypes: ({ key: string } & Omit<ManifestEdgeType, 'files'>)[];
  /** `nonFinite`: NaN or infinite values kept by --allow-non-finite (absent: none). */
  features: { dim: number; dtype: FeatureDtype; nonFinite?: number } | null;
  numClasses: number;
  classCounts: number[];
  split: { train: number; val: number; test: number } | null;
  /** Out-degree over the merged CSR (all relations), per node. */
  degree: DegreeStats;
  partitions: { count: number; rule: string; dir: string } | null;
  partition: {
    index: number;
    count: number;
    numNodesGlobal: number;
    numEdgesGlobal: number;
  } | null;
  bytes: number;
  source?: Record<string, unknown>;
}

export interface PartitionsInfo {
  dir: string;
  format: typeof PARTITIONS_FORMAT_NAME;
  version: number;
  count: number;
  rule: string;
  numNodes: number;
  numEdges: number;
  parts: PartitionsIndex['parts'];
}

/** Min, mean, median, 99th percentile and max of a degree array (sorted in place). */
export function degreeStats(deg: Uint32Array): DegreeStats {
  const n = deg.length;
  if (n === 0) return { min: 0, mean: 0, median: 0, p99: 0, max: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += deg[i];
  deg.sort();
  const at = (q: number): number => deg[Math.min(n - 1, Math.floor(q * (n - 1)))];
  return { min: deg[0], mean: sum / n, median: at(0.5), p99: at(0.99), max: deg[n - 1] };
}

/** Summary of a graph directory, or of a folder written by `weft graph partition`. */
export async function graphInfo(
  dir: string,
  opts: { verify?: boolean } = {},
): Promise<GraphInfo | PartitionsInfo> {
  if (!existsSync(join(dir, MANIFEST_FILE)) && existsSync(join(dir, PARTITIONS_FILE))) {
    const file = join(dir, PARTITIONS_FILE);
    let idx: PartitionsIndex;
    try {
      idx = JSON.parse(readFileSync(file, 'utf8')) as PartitionsIndex;
    } catch (err) {
      throw new GraphFormatError('cannot read the partitions index', { file }, { cause: err });
    }
    if (idx.format !== PARTITIONS_FORMAT_NAME)
      throw new GraphFormatError(`not a ${PARTITIONS_FORMAT_NAME} index`, {
        file,
        field: 'format',
      });
    return {
      dir,
      format: idx.format,
      version: idx.version,
      count: idx.count,
      rule: idx.rule,
      numNodes: idx.numNodes,
      numEdges: idx.numEdges,
      parts: idx.parts,
    };
  }
  const m = readManifest(dir);
  const verify = opts.verify === true;
  if (verify)
    for (const { field, entry } of manifestFiles(m))
      await readArrayFile(dir, entry, field, { verify: true, shared: false });
  const deg = new Uint32Array(m.numNodes);
  for (let k = 0; k < m.edgeTypes.length; k++) {
    const e = m.edgeTypes[k];
    const off = m.nodeTypes.find((t) => t.name === e.src)!.offset;
    const p = (
      await readArrayFile(dir, e.files.indptr, `edgeTypes[${k}].files.indptr`, {
        verify,
        shared: false,
      })
    ).view;
    if (p instanceof BigUint64Array)
      for (let r = 0; r + 1 < p.length; r++) deg[off + r] += Number(p[r + 1] - p[r]);
    else {
      const q = p as Uint32Array;
      for (let r = 0; r + 1 < q.length; r++) deg[off + r] += q[r + 1] - q[r];
    }
  }
  let bytes = 0;
  for (const { entry } of manifestFiles(m)) bytes += entry.bytes;
  return {
    dir,
    format: m.format,
    version: m.version,
    numNodes: m.numNodes,
    numEdges: m.numEdges,
    nodeTypes: m.nodeTypes.map((t) => ({ name: t.name, offset: t.offset, count: t.count })),
    edgeTypes: m.edgeTypes.map((e) => ({ key: edgeTypeKey(e), ...edgeTypeFacts(e) })),
    features: m.features
      ? {
          dim: m.features.dim,
          dtype: m.features.dtype,
          ...(m.features.nonFinite ? { nonFinite: m.features.nonFinite } : {}),
        }
      : null,
    numClasses: m.labels?.numClasses ?? 0,
    classCounts: m.labels?.classCounts ?? [],
    split: m.split ? { train: m.split.train, val: m.split.val, test: m.split.test } : null,
    degree: degreeStats(deg),
    partitions: m.partitions ? { ...m.partitions } : null,
    partition: m.partition
      ? {
          index: m.partition.index,
          count: m.partition.count,
          numNodesGlobal: m.partition.numNodesGlobal,
          numEdgesGlobal: m.partition.numEdgesGlobal,
        }
      : null,
    bytes,
    source: m.source,
  };
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Human-readable lines for `weft graph info`. */
export function formatGraphInfo(info: GraphInfo | PartitionsInfo): string {
  if (info.format === PARTITIONS_FORMAT_NAME) {
    const p = info as PartitionsInfo;
    const lines = [
      `${p.dir}: ${p.count} partitions (${p.rule}) of ${fmtInt(p.numNodes)} nodes, ${fmtInt(p.numEdges)} edges`,
    ];
    for (const part of p.parts)
      lines.push(`  ${part.dir}  nodes ${fmtInt(part.numNodes)}  edges ${fmtInt(part.numEdges)}`);
    return lines.join('\n');
  }
  const g = info as GraphInfo;
  const lines: string[] = [];
  lines.push(
    `${g.dir}: ${g.format} v${g.version}, ${(g.bytes / 2 ** 20).toFixed(1)} MiB of arrays`,
  );
  if (g.partition)
    lines.push(
      `  partition ${g.partition.index} of ${g.partition.count} (graph: ${fmtInt(g.partition.numNodesGlobal)} nodes, ${fmtInt(g.partition.numEdgesGlobal)} edges)`,
    );
  lines.push(`  nodes ${fmtInt(g.numNodes)}`);
  for (const t of g.nodeTypes)
    lines.push(
      `    ${t.name.padEnd(24)} ${fmtInt(t.count).padStart(14)}  ids [${fmtInt(t.offset)}, ${fmtInt(t.offset + t.count)})`,
    );
  lines.push(`  edges ${fmtInt(g.numEdges)}`);
  for (const e of g.edgeTypes) {
    const s = e.linkSplit;
    const times = s
      ? `${s.mode} link split stored as edge order: train ${fmtInt(s.train)}, val ${fmtInt(s.val)}, test ${fmtInt(s.test)}`
      : e.hasTimestamps
        ? 'timestamps'
        : '';
    const extra = [times, e.hasWeights ? 'weights' : ''].filter(Boolean).join(', ');
    lines.push(
      `    ${e.key.padEnd(32)} ${fmtInt(e.count).padStart(14)}${extra ? `  (${extra})` : ''}`,
    );
  }
  const d = g.degree;
  lines.push(
    `  out-degree min ${d.min}  mean ${d.mean.toFixed(2)}  median ${d.median}  p99 ${d.p99}  max ${d.max}`,
  );
  const kept = g.features?.nonFinite ? ` (${g.features.nonFinite} non-finite values)` : '';
  lines.push(
    g.features ? `  features ${g.features.dim} x ${g.features.dtype}${kept}` : '  features none',
  );
  if (g.numClasses > 0)
    lines.push(`  classes ${g.numClasses}: ${g.classCounts.map((c, i) => `${i}:${c}`).join(' ')}`);
  else lines.push('  labels none');
  lines.push(
    g.split
      ? `  split train ${fmtInt(g.split.train)}  val ${fmtInt(g.split.val)}  test ${fmtInt(g.split.test)}`
      : '  split none',
  );
  if (g.partitions)
    lines.push(`  partitions ${g.partitions.count} (${g.partitions.rule}) in ${g.partitions.dir}/`);
  return lines.join('\n');
}
