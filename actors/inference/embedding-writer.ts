// Writes one version of a model's embeddings: rows stream to disk batch by batch (with running
// checksums) inside a temporary directory that is renamed when complete; then LATEST moves to it.
import { closeSync, existsSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bytePieces, formatChecksum, Xxh32 } from '../../graph-store/checksum.js';
import { writeDirAtomic, writeFileAtomic } from '../../runtime/atomic-write.js';
import { WeftError } from '../../runtime/errors.js';
import {
  EMBEDDINGS_FILE,
  EMBEDDINGS_FORMAT,
  EMBEDDINGS_FORMAT_VERSION,
  EMBEDDINGS_MANIFEST,
  IDS_FILE,
  LATEST_FILE,
  ORIGINAL_IDS_FILE,
  latestEmbeddingVersion,
  listEmbeddingVersions,
  modelDirName,
  versionName,
  type EmbeddingManifest,
} from './embedding-format.js';

/** One file written front to back, hashed as it goes. */
class StreamedFile {
  private readonly fd: number;
  private readonly hash = new Xxh32();
  private bytes = 0;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  append(a: Float32Array | Int32Array | Uint8Array): void {
    for (const piece of bytePieces(a.buffer, a.byteOffset, a.byteLength)) {
      let off = 0;
      while (off < piece.byteLength) off += writeSync(this.fd, piece, off, piece.byteLength - off);
      this.hash.update(piece);
      this.bytes += piece.byteLength;
    }
  }

  /** Flushes to disk and closes; returns the byte count and checksum. */
  finish(): { bytes: number; checksum: string } {
    fsyncSync(this.fd);
    this.close();
    return { bytes: this.bytes, checksum: formatChecksum(this.hash.digest()) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Receives the rows of one output in id order: `append` as many times as there are batches. */
export class EmbeddingSink {
  private readonly embeddings: StreamedFile;
  private readonly ids: StreamedFile;
  private readonly originalIds?: StreamedFile;
  private readonly encoder = new TextEncoder();
  private rows = 0;

  constructor(
    dir: string,
    readonly dim: number,
    /** The `type<TAB>original id` of a node id, when the graph keeps its original ids. */
    private readonly originalIdOf?: (id: number) => string,
  ) {
    this.embeddings = new StreamedFile(join(dir, EMBEDDINGS_FILE));
    this.ids = new StreamedFile(join(dir, IDS_FILE));
    if (originalIdOf) this.originalIds = new StreamedFile(join(dir, ORIGINAL_IDS_FILE));
  }

  /** Rows written so far. */
  get count(): number {
    return this.rows;
  }

  /** Appends `ids.length` rows; `rows` holds at least ids.length × dim values, row-major. */
  append(ids: Int32Array, rows: Float32Array): void {
    const n = ids.length;
    if (rows.length < n * this.dim) {
      throw new RangeError(`${rows.length} values for ${n} rows of width ${this.dim}`);
    }
    this.ids.append(ids);
    this.embeddings.append(rows.subarray(0, n * this.dim));
    if (this.originalIds) {
      let text = '';
      for (let i = 0; i < n; i++) text += this.originalIdOf!(ids[i]) + '\n';
      this.originalIds.append(this.encoder.encode(text));
    }
    this.rows += n;
  }

  /** Flushes both files; returns their manifest entries. */
  finish(): EmbeddingManifest['files'] {
    const e = this.embeddings.finish();
    const i = this.ids.finish();
    const files: EmbeddingManifest['files'] = {
      embeddings: { file: EMBEDDINGS_FILE, dtype: 'float32', length: this.rows * this.dim, ...e },
      ids: { file: IDS_FILE, dtype: 'int32', length: this.rows, ...i },
    };
    if (this.originalIds) {
      const o = this.originalIds.finish();
      files.originalIds = { file: ORIGINAL_IDS_FILE, dtype: 'utf8-lines', length: this.rows, ...o };
    }
    return files;
  }

  /** Closes the files without flushing (the temporary directory is removed anyway). */
  abort(): void {
    this.embeddings.close();
    this.ids.close();
    this.originalIds?.close();
  }
}

/** Everything in the manifest that the writer does not fill in itself. */
export type EmbeddingHeader = Omit<
  EmbeddingManifest,
  'format' | 'version' | 'outputVersion' | 'count' | 'files' | 'createdAt'
>;

export interface WrittenEmbeddings {
  /** The version directory, e.g. DIR/<model>/v000002. */
  dir: string;
  version: string;
  manifest: EmbeddingManifest;
}

/** A version directory another writer took first while this one was filling its own. */
export class EmbeddingVersionTakenError extends WeftError {
  constructor(readonly file: string) {
    super(
      'embeddings',
      `${file}: written by another process meanwhile; run again for the next version`,
    );
  }
}

/**
 * Writes the next version of `header.model` under `outDir`: `fill(sink)` appends every row, then the
 * manifest is written, the directory renamed into place, and LATEST moved to it (never backwards).
 */
export async function writeEmbeddingVersion(
  outDir: string,
  header: EmbeddingHeader,
  fill: (sink: EmbeddingSink) => void | Promise<void>,
  originalIdOf?: (id: number) => string,
): Promise<WrittenEmbeddings> {
  const modelDir = join(outDir, modelDirName(header.model));
  const existing = listEmbeddingVersions(outDir, header.model);
  const last = existing.length > 0 ? Number(existing[existing.length - 1].slice(1)) : 0;
  const version = versionName(last + 1);
  const dir = join(modelDir, version);
  let manifest: EmbeddingManifest | undefined;
  try {
    await writeDirAtomic(dir, async (tmp) => {
      const sink = new EmbeddingSink(tmp, header.dim, originalIdOf);
      let files;
      try {
        await fill(sink);
        files = sink.finish();
      } catch (err) {
        sink.abort();
        throw err;
      }
      const { model, ...rest } = header;
      manifest = {
        format: EMBEDDINGS_FORMAT,
        version: EMBEDDINGS_FORMAT_VERSION,
        model,
        outputVersion: version,
        count: sink.count,
        ...rest,
        files,
        createdAt: new Date().toISOString(),
      };
      writeFileAtomic(join(tmp, EMBEDDINGS_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    });
  } catch (err) {
    // The rename lost a race: the directory appeared after the version number was chosen.
    const code = (err as NodeJS.ErrnoException).code;
    const raced =
      code === 'ENOTEMPTY' || code === 'EEXIST' || /already exists$/.test((err as Error).message);
    if (manifest !== undefined && raced && existsSync(dir))
      throw new EmbeddingVersionTakenError(dir);
    throw err;
  }
  let current: string | undefined;
  try {
    current = latestEmbeddingVersion(outDir, header.model);
  } catch {
    current = undefined; // an unreadable pointer is replaced by one to this complete version
  }
  if (current === undefined || current < version) {
    writeFileAtomic(join(modelDir, LATEST_FILE), `${version}\n`);
  }
  return { dir, version, manifest: manifest! };
}
