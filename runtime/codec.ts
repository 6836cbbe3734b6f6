// Wire codec for messages between processes: msgpack (msgpackr) plus one extension that carries typed
// arrays as raw element bytes aligned to 8 within the message, so decoding can hand out views, not copies.
import { endianness } from 'node:os';
import { Packr, Unpackr, addExtension, type Options } from 'msgpackr';
import { WeftError } from './errors.js';
import type { TypedArray } from './typed-arrays.js';

export type { TypedArray };

/** msgpack extension type of a typed array ('W'). */
export const TYPED_ARRAY_EXTENSION = 0x57;

type TypedArrayClass = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

// The code written on the wire is the position in this list; append only, never reorder.
const CLASSES: readonly TypedArrayClass[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/** Bytes of the extension payload besides the elements: code, pad count, and 7 bytes of pad/slack. */
const OVERHEAD_BYTES = 9;
/** ext32 header: 0xc9, 4-byte length, type. Always ext32, so the header size is known before writing. */
const HEADER_BYTES = 6;

/** Malformed bytes, or a value the codec cannot carry. */
export class CodecError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('codec', message, options);
  }
}

if (endianness() !== 'LE') {
  // Elements are written in host order and read back as views: both ends must be little-endian.
  throw new CodecError('the wire codec needs a little-endian host');
}

export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

type AllocateForWrite = (size: number) => { target: Uint8Array; position: number };

/**
 * Writes `value` as ext32 with payload [code][pad][pad × 0][elements][(7 - pad) × 0]. The elements start
 * at a multiple of 8 from the start of the message: msgpackr starts every message at a multiple of 8 in
 * its buffer and keeps that when it grows the buffer, so `position mod 8` is the offset within the message.
 * The decoder checks the real alignment anyway; a wrong guess costs a copy, never a wrong value.
 */
function packTypedArray(value: TypedArray, allocateForWrite: AllocateForWrite): void {
  const code = CLASSES.indexOf(value.constructor as TypedArrayClass);
  const byteLength = value.byteLength;
  const extLength = byteLength + OVERHEAD_BYTES;
  if (extLength > 0xffffffff)
    throw new CodecError(`typed array of ${byteLength} bytes is too large`);
  const { target, position } = allocateForWrite(HEADER_BYTES + extLength);
  target[position] = 0xc9;
  target[position + 1] = extLength >>> 24;
  target[position + 2] = (extLength >>> 16) & 0xff;
  target[position + 3] = (extLength >>> 8) & 0xff;
  target[position + 4] = extLength & 0xff;
  target[position + 5] = TYPED_ARRAY_EXTENSION;
  target[position + 6] = code;
  const unpadded = position + HEADER_BYTES + 2;
  const pad = (8 - (unpadded & 7)) & 7;
  target[position + 7] = pad;
  const dataStart = unpadded + pad;
  target.fill(0, unpadded, dataStart);
  target.set(new Uint8Array(value.buffer, value.byteOffset, byteLength), dataStart);
  target.fill(0, dataStart + byteLength, position + HEADER_BYTES + extLength);
}

function unpackTypedArray(data: Uint8Array): TypedArray {
  if (data.length < OVERHEAD_BYTES) throw new CodecError('typed array extension is truncated');
  const cls = CLASSES[data[0]];
  if (!cls) throw new CodecError(`unknown typed array code ${data[0]}`);
  const pad = data[1];
  if (pad > 7) throw new CodecError(`typed array padding ${pad} is out of range`);
  const byteLength = data.length - OVERHEAD_BYTES;
  const bytesPerElement = cls.BYTES_PER_ELEMENT;
  if (byteLength % bytesPerElement !== 0) {
    throw new CodecError(`${byteLength} bytes is not a whole number of ${cls.name} elements`);
  }
  const length = byteLength / bytesPerElement;
  const start = data.byteOffset + 2 + pad;
  if (start % bytesPerElement === 0) return new cls(data.buffer, start, length);
  // Misaligned (the transport handed us bytes at an odd offset): one copy into fresh memory.
  const copy = new cls(length);
  new Uint8Array(copy.buffer, 0, byteLength).set(data.subarray(2 + pad, 2 + pad + byteLength));
  return copy;
}

// msgpackr keeps extensions in a process-wide table: registering here makes this the one wire format for
// typed arrays in every Packr of the process, which is what we want (both ends must agree anyway).
for (const cls of CLASSES) {
  addExtension({
    Class: cls,
    type: TYPED_ARRAY_EXTENSION,
    pack: packTypedArray as unknown as (value: unknown) => Uint8Array,
    unpack: unpackTypedArray,
  });
}

// 'auto' (64-bit integers as numbers when safe, else bigint) is supported by msgpackr but missing from its types.
const options = { useRecords: false, moreTypes: false, int64AsType: 'auto' } as unknown as Options;
const packr = new Packr(options);
const unpackr = new Unpackr(options);

/**
 * Encodes any plain value (objects, arrays, strings, numbers, bigints, Maps, typed arrays) to bytes.
 * The result may share memory with later encodings' scratch space only past its own end; it stays valid.
 */
export function encode(value: unknown): Uint8Array {
  try {
    return packr.pack(value);
  } catch (error) {
    throw new CodecError(`cannot encode message: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Decodes bytes from encode(). Typed arrays come back as views into `bytes` where their element offset is
 * aligned for their type (always, when `bytes` starts at a multiple of 8 in its buffer), else as copies.
 * Keep `bytes` unchanged while the views are in use.
 */
export function decode<T = unknown>(bytes: Uint8Array): T {
  if (bytes.length === 0) return undefined as T;
  try {
    return unpackr.unpack(bytes) as T;
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(`cannot decode message: ${(error as Error).message}`, { cause: error });
  }
}

/** True when `view` shares memory with `bytes` (a zero-copy decode). */
export function isViewInto(view: ArrayBufferView, bytes: Uint8Array): boolean {
  return (
    view.buffer === bytes.buffer &&
    view.byteOffset >= bytes.byteOffset &&
    view.byteOffset + view.byteLength <= bytes.byteOffset + bytes.byteLength
  );
}
