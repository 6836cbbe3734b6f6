// A new version of a graph directory: the parent's arrays copied unchanged, relations added, and the
// manifest's `source` saying what was run on which parent (its manifest checksum) with what result.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../runtime/errors.js';
import { Xxh32, formatChecksum } from './checksum.js';
import { writeEdgeType } from './graph-arrays-writer.js';
import { writeGraphDir, type GraphWriter } from './graph-writer.js';
import {
  MANIFEST_FILE,
  manifestFiles,
  type FileEntry,
  type GraphManifest,
  type ManifestEdgeType,
} from './manifest.js';
import type { CsrArrays } from './row-sort.js';
import { edgeTypeKey } from './types.js';

/** A relation to add: its name and CSR over its source type's rows (global destination ids). */
export interface AddedRelation {
  src: string;
  rel: string;
  dst: string;
  csr: CsrArrays;
}

/** The parent a version was made from. */
export interface ParentRef {
  dir: string;
  /** XXH32 of the parent's manifest.json bytes: which exact graph the version derives from. */
  manifestChecksum: string;
  /** The parent's own provenance. */
  source?: Record<string, unknown>;
}

export function parentRef(dir: string, m: GraphManifest): ParentRef {
  const h = new Xxh32();
  h.update(readFileSync(join(dir, MANIFEST_FILE)));
  return { dir: resolve(dir), manifestChecksum: formatChecksum(h.digest()), source: m.source };
}

function copyInto(w: GraphWriter, from: string, f: FileEntry): void {
  const to = join(w.root, f.path);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(from, f.path), to);
}

/**
 * Writes `out` (atomically: a temporary folder renamed when complete) as the parent plus `added`;
 * `source` is the version's provenance, stored with the parent's reference.
 */
export async function writeGraphVersion(
  parentDir: string,
  parent: GraphManifest,
  added: AddedRelation[],
  source: Record<string, unknown>,
  out: string,
  opts: { replace?: boolean; field?: string } = {},
): Promise<GraphManifest> {
  if (parent.partition)
    throw new ConfigError(`${parentDir} is one part of a partitioned graph; use the whole graph`, {
      field: opts.field ?? 'graph',
    });
  const known = new Set(parent.edgeTypes.map(edgeTypeKey));
  for (const r of added)
    if (known.has(edgeTypeKey(r)))
      throw new ConfigError(`relation ${edgeTypeKey(r)} already exists in ${parentDir}`, {
        field: opts.field ?? 'relation',
      });
  const ref = parentRef(parentDir, parent);
  return writeGraphDir(out, opts, (w) => {
    for (const { entry } of manifestFiles(parent)) copyInto(w, parentDir, entry);
    const edgeTypes: ManifestEdgeType[] = [...parent.edgeTypes];
    for (const r of added) edgeTypes.push(writeEdgeType(w, r, r.csr));
    const m: GraphManifest = {
      ...parent,
      source: { ...source, parent: ref },
      numEdges: edgeTypes.reduce((s, e) => s + e.count, 0),
      edgeTypes,
    };
    delete m.partitions;
    w.commit(m);
    return m;
  });
}
