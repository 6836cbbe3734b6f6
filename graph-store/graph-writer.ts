// Writes a graph directory atomically: raw arrays and their checksums go into `DIR.tmp-<pid>`, and only
// a complete directory is renamed to DIR. A failed or interrupted write removes the temporary folder.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../runtime/errors.js';
import { Xxh32, bytePieces, formatChecksum } from './checksum.js';
import { DTYPE_BYTES, MANIFEST_FILE, type ArrayDtype, type FileEntry } from './manifest.js';
import type { Offsets } from './types.js';

const liveTempDirs = new Set<string>();
let exitHookInstalled = false;

function trackTempDir(dir: string): void {
  liveTempDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits mid-write (process.exit, or a signal the CLI turns into exit) leaves no folder.
  process.once('exit', () => {
    for (const d of liveTempDirs) rmSync(d, { recursive: true, force: true });
  });
}

const STREAM_BUFFER_BYTES = 4 << 20;

/** Appends bytes to one array file through a buffer, hashing as it goes. */
export class ArrayFileStream {
  private readonly fd: number;
  private readonly buf: Uint8Array;
  private used = 0;
  private bytes = 0;
  private readonly hash = new Xxh32();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly path: string,
    private readonly dtype: ArrayDtype,
    bufferBytes = STREAM_BUFFER_BYTES,
  ) {
    this.buf = new Uint8Array(bufferBytes);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    this.fd = openSync(join(root, path), 'w');
  }

  private flush(): void {
    if (this.used === 0) return;
    const view = this.buf.subarray(0, this.used);
    this.hash.update(view);
    writeAll(this.fd, view, join(this.root, this.path));
    this.used = 0;
  }

  /** Appends a typed array's bytes. */
  write(a: ArrayBufferView): void {
    for (const piece of bytePieces(a.buffer, a.byteOffset, a.byteLength)) this.writeBytes(piece);
  }

  /** Appends bytes [start, end) of `b` without creating a view (for many short rows). */
  writeRange(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > this.buf.length - this.used) {
      this.writeBytes(b.subarray(start, end));
      return;
    }
    const buf = this.buf;
    let o = this.used;
    for (let i = start; i < end; i++) buf[o++] = b[i];
    this.used = o;
    this.bytes += n;
  }

  private writeBytes(b: Uint8Array): void {
    this.bytes += b.length;
    if (b.length >= this.buf.length) {
      this.flush();
      this.hash.update(b);
      writeAll(this.fd, b, join(this.root, this.path));
      return;
    }
    if (this.used + b.length > this.buf.length) this.flush();
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  /** Flushes and closes; returns the manifest entry. */
  close(): FileEntry {
    if (this.closed) throw new Error(`${this.path} already closed`);
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    const size = DTYPE_BYTES[this.dtype];
    if (this.bytes % size !== 0)
      throw new Error(`${this.path}: ${this.bytes} bytes is not whole ${this.dtype}s`);
    return {
      path: this.path,
      dtype: this.dtype,
      length: this.bytes / size,
      bytes: this.bytes,
      checksum: formatChecksum(this.hash.digest()),
    };
  }

  /** Closes without a manifest entry (the folder is being discarded). */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Writes all of `bytes`; a failed write(2) names `file`, which the error alone would not. */
function writeAll(fd: number, bytes: Uint8Array, file: string): void {
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (err) {
    if (err instanceof Error && !('path' in err)) Object.assign(err, { path: file });
    throw err;
  }
}

/** One graph directory being written. */
export class GraphWriter {
  readonly outDir: string;
  /** The folder renamed to outDir on commit. */
  readonly tempDir: string;
  /** Where this writer's files go: tempDir, or a folder inside it for a sub-writer. */
  readonly root: string;
  private readonly isSub: boolean;
  private finished = false;

  private constructor(outDir: string, tempDir: string, root: string, isSub: boolean) {
    this.outDir = outDir;
    this.tempDir = tempDir;
    this.root = root;
    this.isSub = isSub;
  }

  /** A writer for the sub-folder `name` (e.g. one part); it is committed with its parent. */
  sub(name: string): GraphWriter {
    const root = join(this.root, name);
    mkdirSync(root, { recursive: true });
    return new GraphWriter(join(this.outDir, name), this.tempDir, root, true);
  }

  /**
   * Starts writing `outDir`. It must not exist unless `replace` is set (then the old one is swapped out
   * only when the new one is complete).
   */
  static create(outDir: string, opts: { replace?: boolean; field?: string } = {}): GraphWriter {
    const out = resolve(outDir);
    if (existsSync(out) && !opts.replace)
      throw new ConfigError(`${outDir} already exists (remove it or pass --force)`, {
        field: opts.field ?? '--out',
      });
    const temp = `${out}.tmp-${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    trackTempDir(temp);
    return new GraphWriter(out, temp, temp, false);
  }

  /** Writes one whole array; `dtype` must match its element type. */
  writeArray(path: string, dtype: ArrayDtype, a: ArrayBufferView): FileEntry {
    const s = new ArrayFileStream(this.root, path, dtype);
    try {
      s.write(a);
      return s.close();
    } finally {
      s.discard();
    }
  }

  /** Writes CSR offsets: u32 while the edge count is below 2^32, else u64. */
  writeOffsets(path: string, offsets: Offsets, numEdges: number): FileEntry {
    if (numEdges < 2 ** 32) {
      const u32 = offsets instanceof Uint32Array ? offsets : Uint32Array.from(offsets);
      return this.writeArray(path, 'u32', u32);
    }
    const s = new ArrayFileStream(this.root, path, 'u64');
    const chunk = new BigUint64Array(1 << 16);
    try {
      for (let i = 0; i < offsets.length; i += chunk.length) {
        const n = Math.min(chunk.length, offsets.length - i);
        for (let k = 0; k < n; k++) chunk[k] = BigInt(offsets[i + k]);
        s.write(chunk.subarray(0, n));
      }
      return s.close();
    } finally {
      s.discard();
    }
  }

  /** Opens a file to append to; close it before `commit`. */
  stream(path: string, dtype: ArrayDtype, bufferBytes?: number): ArrayFileStream {
    return new ArrayFileStream(this.root, path, dtype, bufferBytes);
  }

  /** Writes a JSON file (the manifest by default) into this writer's folder. */
  writeJson(value: object, name = MANIFEST_FILE): void {
    const file = join(this.root, name);
    writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
    const fd = openSync(file, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }

  /** Writes the manifest (or another index file) and renames the finished folder to `outDir`. */
  commit(manifest: object, name = MANIFEST_FILE): void {
    if (this.isSub) throw new Error('a sub-writer is committed by its parent');
    this.writeJson(manifest, name);
    let old: string | undefined;
    if (existsSync(this.outDir)) {
      old = `${this.outDir}.old-${process.pid}`;
      renameSync(this.outDir, old);
    }
    renameSync(this.tempDir, this.outDir);
    liveTempDirs.delete(this.tempDir);
    this.finished = true;
    if (old) rmSync(old, { recursive: true, force: true });
  }

  /** Removes the temporary folder; safe to call after commit (then it does nothing). */
  abort(): void {
    if (this.finished || this.isSub) return;
    rmSync(this.tempDir, { recursive: true, force: true });
    liveTempDirs.delete(this.tempDir);
    this.finished = true;
  }
}

/** Runs `fn` with a writer; on any error the temporary folder is removed and the error rethrown. */
export async function writeGraphDir<T>(
  outDir: string,
  opts: { replace?: boolean; field?: string },
  fn: (w: GraphWriter) => Promise<T> | T,
): Promise<T> {
  const w = GraphWriter.create(outDir, opts);
  try {
    return await fn(w);
  } finally {
    w.abort();
  }
}
