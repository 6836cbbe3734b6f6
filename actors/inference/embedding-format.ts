// The on-disk format of node embeddings: DIR/<model>/<version>/{embeddings.f32, ids.i32, manifest.json}
// with DIR/<model>/LATEST naming the newest complete version; reading verifies sizes and checksums.
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatChecksum, Xxh32 } from '../../graph-store/checksum.js';
import { InputError } from '../../runtime/errors.js';
import { readFormatManifest } from '../../runtime/format-manifest.js';

export const EMBEDDINGS_FORMAT = 'weft-embeddings';
export const EMBEDDINGS_FORMAT_VERSION = 1;
export const EMBEDDINGS_FILE = 'embeddings.f32';
export const IDS_FILE = 'ids.i32';
/** `type<TAB>original id` per row, for graphs built from typed inputs (graph-store/id-map.ts). */
export const ORIGINAL_IDS_FILE = 'original_ids.tsv';
export const EMBEDDINGS_MANIFEST = 'manifest.json';
export const LATEST_FILE = 'LATEST';

export interface EmbeddingFileEntry {
  file: string;
  dtype: 'float32' | 'int32' | 'utf8-lines';
  /** Elements (not bytes); lines for utf8-lines. */
  length: number;
  bytes: number;
  /** XXH32 of the file's bytes, `xxh32:` + 8 hex digits (graph-store/checksum.ts). */
  checksum: string;
}

export interface EmbeddingManifest {
  format: typeof EMBEDDINGS_FORMAT;
  version: typeof EMBEDDINGS_FORMAT_VERSION;
  /** Model name: the job spec's `name`. */
  model: string;
  /** This output's version directory, e.g. v000002. */
  outputVersion: string;
  /** Rows. */
  count: number;
  /** Values per row. */
  dim: number;
  dtype: 'float32';
  /** Which nodes: 'all', or one node type's name. */
  nodes: string;
  /** What a row holds: class logits (node task) or the final hidden layer (link task). */
  output: 'logits' | 'hidden';
  source: {
    runDir: string;
    checkpointStep: number;
    checkpointDir: string;
    epoch: number;
    task: 'node' | 'link';
    graph: string;
  };
  /** How neighbourhoods were sampled to compute the rows. */
  sampling: {
    strategy: string;
    fanouts: number[];
    batchSize: number;
    seed: number;
    /** Temporal sampling: every edge is visible (query time +infinity). */
    queryTime?: 'latest';
  };
  backend: string;
  files: {
    embeddings: EmbeddingFileEntry;
    ids: EmbeddingFileEntry;
    originalIds?: EmbeddingFileEntry;
  };
  createdAt: string;
}

export interface Embeddings {
  manifest: EmbeddingManifest;
  /** Node ids: row i of `embeddings` belongs to node ids[i]. */
  ids: Int32Array;
  /** Row-major [count × dim]. */
  embeddings: Float32Array;
  /** Row i's node as `[type, original id]`, when the graph keeps its original ids. */
  originalIds?: [string, string][];
  /** The version directory read. */
  dir: string;
}

const VERSION_RE = /^v\d{6}$/;

/** Directory name of output version n (1-based): v000001, v000002, ... */
export function versionName(n: number): string {
  return `v${String(n).padStart(6, '0')}`;
}

/** A model name as a directory name: anything outside [A-Za-z0-9_.-] becomes '_'. */
export function modelDirName(model: string): string {
  const safe = model.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}

/** Complete versions of a model under `dir`, oldest first (temporary directories are skipped). */
export function listEmbeddingVersions(dir: string, model: string): string[] {
  const modelDir = join(dir, modelDirName(model));
  if (!existsSync(modelDir)) return [];
  return readdirSync(modelDir)
    .filter((d) => VERSION_RE.test(d))
    .sort();
}

/** The version LATEST points at, or undefined when the model has no complete version. */
export function latestEmbeddingVersion(dir: string, model: string): string | undefined {
  const pointer = join(dir, modelDirName(model), LATEST_FILE);
  if (!existsSync(pointer)) return undefined;
  const name = readFileSync(pointer, 'utf8').trim();
  if (!VERSION_RE.test(name)) {
    throw new InputError(`LATEST names ${JSON.stringify(name)}, not a version like v000001`, {
      file: pointer,
    });
  }
  return name;
}

/**
 * Reads a whole file into `buffer`, checking its size and streaming its checksum; chunk views keep
 * every Uint8Array short whatever the file size.
 */
function readVerified(path: string, entry: EmbeddingFileEntry, buffer: ArrayBuffer): void {
  if (!existsSync(path)) throw new InputError('embedding file missing', { file: path });
  const total = buffer.byteLength;
  const fd = openSync(path, 'r');
  const h = new Xxh32();
  let done = 0;
  try {
    const chunkBytes = 1 << 24;
    while (done < total) {
      const chunk = new Uint8Array(buffer, done, Math.min(chunkBytes, total - done));
      const n = readSync(fd, chunk, 0, chunk.byteLength, done);
      if (n === 0) break;
      h.update(chunk.subarray(0, n));
      done += n;
    }
    // One byte past the manifest's size means the file is longer than it should be.
    const extra = readSync(fd, new Uint8Array(1), 0, 1, done);
    if (done !== total || extra !== 0) {
      throw new InputError(
        `expected ${entry.bytes} bytes, found ${extra === 0 ? done : 'more'} (truncated or overwritten?)`,
        { file: path },
      );
    }
  } finally {
    closeSync(fd);
  }
  if (formatChecksum(h.digest()) !== entry.checksum) {
    throw new InputError('checksum mismatch (corrupted file)', { file: path });
  }
}

function checkEntry(
  entry: EmbeddingFileEntry | undefined,
  name: string,
  dtype: EmbeddingFileEntry['dtype'],
  length: number,
  manifestPath: string,
): EmbeddingFileEntry {
  const field = `files.${name}`;
  if (
    !entry ||
    typeof entry.file !== 'string' ||
    entry.file.includes('/') ||
    entry.file.includes('\\')
  ) {
    throw new InputError('missing or invalid file entry', { file: manifestPath, field });
  }
  if (entry.dtype !== dtype) {
    throw new InputError(`expected dtype ${dtype}, got ${entry.dtype}`, {
      file: manifestPath,
      field,
    });
  }
  const sized =
    dtype === 'utf8-lines' ? Number.isSafeInteger(entry.bytes) : entry.bytes === length * 4;
  if (entry.length !== length || !sized) {
    throw new InputError(
      `length ${entry.length} (${entry.bytes} bytes) does not match count and dim`,
      {
        file: manifestPath,
        field,
      },
    );
  }
  return entry;
}

/** Reads and validates a version's manifest. */
export function readEmbeddingManifest(versionDir: string): EmbeddingManifest {
  const path = join(versionDir, EMBEDDINGS_MANIFEST);
  const m = readFormatManifest<EmbeddingManifest>(
    path,
    'embedding',
    EMBEDDINGS_FORMAT,
    EMBEDDINGS_FORMAT_VERSION,
  );
  for (const k of ['count', 'dim'] as const) {
    if (!Number.isSafeInteger(m[k]) || m[k] < 0) {
      throw new InputError(`expected a non-negative integer, got ${JSON.stringify(m[k])}`, {
        file: path,
        field: k,
      });
    }
  }
  if (m.dtype !== 'float32')
    throw new InputError(`unsupported dtype ${JSON.stringify(m.dtype)}`, {
      file: path,
      field: 'dtype',
    });
  checkEntry(m.files?.embeddings, 'embeddings', 'float32', m.count * m.dim, path);
  checkEntry(m.files?.ids, 'ids', 'int32', m.count, path);
  if (m.files.originalIds !== undefined)
    checkEntry(m.files.originalIds, 'originalIds', 'utf8-lines', m.count, path);
  return m;
}

/**
 * Reads one version of a model's embeddings (default: the one LATEST points at), verifying every
 * file's size and checksum; a damaged file is named in the InputError.
 */
export function readEmbeddings(dir: string, model: string, version?: string): Embeddings {
  const modelDir = join(dir, modelDirName(model));
  const name = version ?? latestEmbeddingVersion(dir, model);
  if (name === undefined) {
    throw new InputError(`no complete embeddings of model '${model}' (LATEST missing)`, {
      file: join(modelDir, LATEST_FILE),
    });
  }
  const versionDir = join(modelDir, name);
  if (!existsSync(versionDir))
    throw new InputError('embedding version not found', { file: versionDir });
  const manifest = readEmbeddingManifest(versionDir);
  const ids = new Int32Array(manifest.count);
  const embeddings = new Float32Array(manifest.count * manifest.dim);
  const f = manifest.files;
  readVerified(join(versionDir, f.ids.file), f.ids, ids.buffer);
  readVerified(join(versionDir, f.embeddings.file), f.embeddings, embeddings.buffer);
  const out: Embeddings = { manifest, ids, embeddings, dir: versionDir };
  if (f.originalIds) {
    const bytes = new Uint8Array(f.originalIds.bytes);
    readVerified(join(versionDir, f.originalIds.file), f.originalIds, bytes.buffer);
    const lines = new TextDecoder().decode(bytes).split('\n').slice(0, manifest.count);
    out.originalIds = lines.map((l) => {
      const tab = l.indexOf('\t');
      return [l.slice(0, tab), l.slice(tab + 1)];
    });
  }
  return out;
}
