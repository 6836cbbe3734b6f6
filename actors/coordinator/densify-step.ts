// The job's densify step: with densify.enabled, the job trains on a densified version of its graph,
// written once beside it (GRAPH.versions/densify-<key>) and reused by every later job and process.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { densifyGraph } from '../../graph-store/densify.js';
import {
  DEFAULT_DENSIFY,
  specFieldNames,
  type DensifyOptions,
} from '../../graph-store/densify-options.js';
import { parentRef } from '../../graph-store/graph-version.js';
import { MANIFEST_FILE, readManifest } from '../../graph-store/manifest.js';
import type { JobSpec } from '../job-spec.js';

/** The densify section as the graph store's options (the seed is fixed: versions are shared by seeds). */
export function densifyOptionsOf(spec: JobSpec): DensifyOptions {
  const { enabled: _enabled, ...fields } = spec.densify;
  return { ...DEFAULT_DENSIFY, ...fields };
}

/** Names a version by its parent (manifest checksum) and parameters: a changed input, a new version. */
function versionKey(parentChecksum: string, o: DensifyOptions): string {
  const text = JSON.stringify({ parentChecksum, ...o });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * The spec to train with: unchanged without densify.enabled, or when its graph already is the asked
 * version (a process of a launched job); otherwise with `graph` pointing at the version, written now
 * when no job wrote it before.
 */
export async function withGraphVersion(spec: JobSpec): Promise<JobSpec> {
  if (!spec.densify.enabled || !spec.graph) return spec;
  const o = densifyOptionsOf(spec);
  const parent = readManifest(spec.graph);
  const own = parent.source as { versionKey?: string; parent?: { manifestChecksum?: string } };
  if (own?.versionKey && own.parent?.manifestChecksum) {
    if (own.versionKey === versionKey(own.parent.manifestChecksum, o)) return spec;
  }
  const key = versionKey(parentRef(spec.graph, parent).manifestChecksum, o);
  const dir = resolve(spec.graph);
  const out = join(dirname(dir), `${basename(dir)}.versions`, `densify-${key}`);
  if (!existsSync(join(out, MANIFEST_FILE))) {
    try {
      await densifyGraph(dir, o, out, {
        fields: specFieldNames('densify'),
        outField: 'densify',
        extraSource: { versionKey: key },
      });
    } catch (err) {
      // Another process of the job wrote the same version first: use it.
      if (!existsSync(join(out, MANIFEST_FILE))) throw err;
    }
  }
  return { ...spec, graph: out };
}
