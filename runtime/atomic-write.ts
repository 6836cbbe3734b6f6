// Crash-safe writes: a file or a whole directory is written under a temporary name, flushed, then
// renamed into place, so readers see the old version or the new one and never half of either.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

function tempName(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
}

/**
 * A failed write of `path` names `path` itself (not the temporary file, and not nothing, as a failed
 * write(2) does), so the error printed says which file could not be written.
 */
function naming(err: unknown, path: string): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof Error && typeof code === 'string') {
    Object.assign(err, { path, syscall: 'write' });
    err.message = `${code}: cannot write ${path}`;
  }
  return err;
}

/** Writes `data` to `path` through a temporary file + fsync + rename. */
export function writeFileAtomic(path: string, data: string | ArrayBufferView): void {
  const tmp = tempName(path);
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw naming(err, path);
  }
  try {
    const bytes =
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw naming(err, path);
  }
}

/**
 * Builds a directory atomically: `fill(tmpDir)` writes into a temporary sibling, which is renamed
 * to `finalDir` only if fill succeeds; on failure the temporary directory is removed and the error
 * rethrown. An existing `finalDir` is replaced only when `replace` is set.
 */
export async function writeDirAtomic(
  finalDir: string,
  fill: (tmpDir: string) => void | Promise<void>,
  options: { replace?: boolean } = {},
): Promise<void> {
  mkdirSync(dirname(finalDir), { recursive: true });
  const tmp = tempName(finalDir);
  mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(finalDir)) {
    if (!options.replace) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${finalDir} already exists`);
    }
    const old = tempName(finalDir);
    renameSync(finalDir, old);
    renameSync(tmp, finalDir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, finalDir);
  }
}
