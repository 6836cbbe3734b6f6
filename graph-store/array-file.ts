// Reads one raw array file of a graph directory straight into a (Shared)ArrayBuffer, checking its size
// against the manifest and, unless told not to, its XXH32 checksum; damage is named in a GraphFormatError.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nativeAddon } from '../runtime/native-addon.js';
import { Xxh32, bytePieces, formatChecksum } from './checksum.js';
import { GraphFormatError } from './errors.js';
import type { ArrayDtype, FileEntry } from './manifest.js';

export type AnyTypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | BigUint64Array
  | Float64Array;

/** The typed array class of each stored dtype (float16 is read as its raw 16-bit words). */
const VIEW_CLASSES: Record<
  ArrayDtype,
  new (buffer: ArrayBufferLike, byteOffset: number, length: number) => AnyTypedArray
> = {
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  f16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  u64: BigUint64Array,
  f64: Float64Array,
};

/** A typed view of `dtype` over `length` elements of `buffer` from `byteOffset`. */
export function typedView(
  dtype: ArrayDtype,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): AnyTypedArray {
  return new VIEW_CLASSES[dtype](buffer, byteOffset, length);
}

const READ_CHUNK_BYTES = 16 << 20;

export interface ReadArrayOptions {
  /** Verify the XXH32 checksum (default true). */
  verify?: boolean;
  /** Read into a SharedArrayBuffer (default true); false gives a plain ArrayBuffer. */
  shared?: boolean;
  /** Called with the bytes read so far by this call, after each chunk. */
  onBytes?: (bytes: number) => void;
}

/** Shared arrays from this size on are asked for 2 MiB pages before they are filled. */
const HUGE_PAGES_FROM_BYTES = 8 << 20;

/**
 * Asks for 2 MiB pages over a large shared buffer before the file is read into it, so its pages are
 * faulted in huge: the producer's later collapse of the graph's arrays (kernels/native/huge-pages.ts)
 * then finds nothing to merge, where merging 4 KiB pages cost ~0.6 CPU s at start-up for the 1M/20M
 * graph. Only with the native addon (none under WEFT_KERNELS=wasm); contents are unaffected.
 */
function adviseHugePagesBeforeFill(buffer: SharedArrayBuffer): void {
  if (buffer.byteLength < HUGE_PAGES_FROM_BYTES) return;
  const addon = nativeAddon().module as {
    hugePages?: (array: ArrayBufferView, collapse: boolean) => number;
  } | null;
  const advise = addon?.hugePages;
  if (advise === undefined) return;
  // Views of at most 1 GiB (a Uint8Array is shorter than 4 GiB); the few small pages left at their
  // joins are merged by the producer's collapse.
  for (const piece of bytePieces(buffer, 0, buffer.byteLength)) advise.call(addon, piece, false);
}

/**
 * Reads `dir/entry.path` into a new buffer, in 16 MiB reads straight into views of that buffer (no
 * intermediate copy), hashing each chunk while it is still in cache.
 */
export async function readArrayFile(
  dir: string,
  entry: FileEntry,
  field: string,
  opts: ReadArrayOptions = {},
): Promise<{ buffer: ArrayBufferLike; view: AnyTypedArray }> {
  const path = join(dir, entry.path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new GraphFormatError('file is missing', { file: path, field }, { cause: err });
  }
  if (size !== entry.bytes)
    throw new GraphFormatError(
      size < entry.bytes
        ? `file is truncated: ${size} bytes, manifest says ${entry.bytes}`
        : `file is too long: ${size} bytes, manifest says ${entry.bytes}`,
      { file: path, field },
    );
  let buffer: ArrayBuffer | SharedArrayBuffer;
  if (opts.shared === false) buffer = new ArrayBuffer(size);
  else adviseHugePagesBeforeFill((buffer = new SharedArrayBuffer(size)));
  const hash = opts.verify === false ? undefined : new Xxh32();
  const fh = await open(path, 'r');
  // Reads one chunk completely into its view of the buffer.
  const readChunk = async (pos: number): Promise<Uint8Array> => {
    const len = Math.min(READ_CHUNK_BYTES, size - pos);
    const view = new Uint8Array(buffer, pos, len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(view, got, len - got, pos + got);
      if (bytesRead === 0)
        throw new GraphFormatError(`file shrank while reading, at byte ${pos + got}`, {
          file: path,
          field,
        });
      got += bytesRead;
    }
    return view;
  };
  try {
    // The next chunk is read (on the I/O thread pool) while this one is hashed.
    let next: Promise<Uint8Array> | undefined = size > 0 ? readChunk(0) : undefined;
    let pos = 0;
    while (next) {
      const view = await next;
      const after = pos + view.length;
      next = after < size ? readChunk(after) : undefined;
      hash?.update(view);
      pos = after;
      opts.onBytes?.(pos);
    }
  } finally {
    await fh.close();
  }
  if (hash) {
    const actual = formatChecksum(hash.digest());
    if (actual !== entry.checksum)
      throw new GraphFormatError(
        `checksum mismatch: file has ${actual}, manifest says ${entry.checksum}`,
        {
          file: path,
          field,
        },
      );
  }
  return { buffer, view: typedView(entry.dtype, buffer, 0, entry.length) };
}
