// Batch records: several named typed arrays packed into one queue record behind a small header of
// counts, dtypes and offsets (each array 8-aligned), decoded in place as views — how mini-batches travel.
import { BatchFormatError } from './shm-queue-errors.js';
import type { ReserveOptions, ShmProducer, ShmReservation } from './shm-queue.js';
import { TYPED_ARRAY_CLASSES, type TypedArrayKind, type TypedArrayKinds } from './typed-arrays.js';

/** The kinds a batch record carries: every typed array but Uint8ClampedArray. */
export type BatchDType = Exclude<TypedArrayKind, 'uint8clamped'>;

export type BatchArray = TypedArrayKinds[BatchDType];

/** Named arrays of one batch, e.g. `{ seeds: Int32Array, features: Float32Array }`. */
export type BatchArrays = Record<string, BatchArray>;

/** The shape of one field when a batch is written in place: its dtype and element count. */
export interface BatchField {
  dtype: BatchDType;
  length: number;
}
export type BatchShape = Record<string, BatchField>;

/** The tag `pushBatch` and `reserveBatch` give a record, so a consumer can tell batches from other records. */
export const BATCH_RECORD_TAG = 0x57424154; // "WBAT"

const MAGIC = 0x57424131; // "WBA1"
const FIXED_BYTES = 8; // magic, field count
const ENTRY_BYTES = 16; // dataOffset u32, length u32, dtype u16, nameBytes u16, nameOffset u32

const DTYPES: readonly BatchDType[] = [
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
  'bigint64',
  'biguint64',
];

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => BatchArray;

function viewOf(dtype: BatchDType, buffer: ArrayBufferLike, byteOffset: number, length: number) {
  return new (TYPED_ARRAY_CLASSES[dtype] as unknown as ViewCtor)(buffer, byteOffset, length);
}

/** The dtype name of a typed array, or undefined for unsupported kinds (Uint8ClampedArray, DataView, …). */
export function batchDTypeOf(a: ArrayBufferView): BatchDType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigInt64Array) return 'bigint64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof BigUint64Array) return 'biguint64';
  return undefined;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

const encoder = new TextEncoder();

/** Where each field of a batch goes; computed once per shape. */
export interface BatchLayout {
  /** Total bytes of the encoded batch (the record payload). */
  byteLength: number;
  fields: readonly {
    name: string;
    dtype: BatchDType;
    length: number;
    /** Offset of the field's data from the batch start (multiple of 8). */
    byteOffset: number;
  }[];
  /** Header bytes including names, before the first field (multiple of 8). */
  headerBytes: number;
  /** UTF-8 names, concatenated, as written after the entries. */
  names: Uint8Array;
  nameOffsets: readonly number[];
  nameLengths: readonly number[];
}

/** Computes the layout of a batch with these fields (in the object's key order). */
export function batchLayout(shape: BatchShape): BatchLayout {
  const names = Object.keys(shape);
  const encoded = names.map((n) => encoder.encode(n));
  let nameBytes = 0;
  for (const e of encoded) {
    if (e.length > 0xffff) throw new BatchFormatError('field name longer than 65535 bytes');
    nameBytes += e.length;
  }
  const namesStart = FIXED_BYTES + ENTRY_BYTES * names.length;
  const headerBytes = align8(namesStart + nameBytes);
  const allNames = new Uint8Array(nameBytes);
  const nameOffsets: number[] = [];
  const nameLengths: number[] = [];
  let at = 0;
  for (const e of encoded) {
    allNames.set(e, at);
    nameOffsets.push(namesStart + at);
    nameLengths.push(e.length);
    at += e.length;
  }
  let offset = headerBytes;
  const fields = names.map((name) => {
    const { dtype, length } = shape[name];
    const ctor = TYPED_ARRAY_CLASSES[dtype];
    if (ctor === undefined) throw new BatchFormatError(`unknown dtype '${String(dtype)}'`, name);
    if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
      throw new BatchFormatError(`length must be an integer in 0 .. 2^32-1, got ${length}`, name);
    }
    const field = { name, dtype, length, byteOffset: offset };
    offset = align8(offset + length * ctor.BYTES_PER_ELEMENT);
    return field;
  });
  if (offset > 0xffffffff) throw new BatchFormatError(`batch of ${offset} bytes exceeds 4 GiB`);
  return { byteLength: offset, fields, headerBytes, names: allNames, nameOffsets, nameLengths };
}

/** The shape of a set of arrays (dtype and length of each). */
export function batchShapeOf(arrays: BatchArrays): BatchShape {
  const shape: BatchShape = {};
  for (const name of Object.keys(arrays)) {
    const a = arrays[name];
    const dtype = batchDTypeOf(a);
    if (dtype === undefined) {
      throw new BatchFormatError(
        `unsupported array type ${a?.constructor?.name ?? typeof a}`,
        name,
      );
    }
    shape[name] = { dtype, length: a.length };
  }
  return shape;
}

/** Encoded size in bytes of a batch of these arrays. */
export function batchByteLength(arrays: BatchArrays): number {
  return batchLayout(batchShapeOf(arrays)).byteLength;
}

function checkTarget(target: Uint8Array, byteLength: number): void {
  if (target.byteOffset % 8 !== 0) {
    throw new BatchFormatError(
      `target must start 8-byte aligned (byteOffset ${target.byteOffset})`,
    );
  }
  if (target.byteLength < byteLength) {
    throw new BatchFormatError(
      `target of ${target.byteLength} bytes is smaller than the batch (${byteLength})`,
    );
  }
}

/** Writes the header of `layout` into `target` and returns views of its (unfilled) fields. */
export function writeBatchHeader(target: Uint8Array, layout: BatchLayout): BatchArrays {
  checkTarget(target, layout.byteLength);
  const dv = new DataView(target.buffer, target.byteOffset, layout.headerBytes);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, layout.fields.length, true);
  const out: BatchArrays = {};
  for (let k = 0; k < layout.fields.length; k++) {
    const f = layout.fields[k];
    const e = FIXED_BYTES + ENTRY_BYTES * k;
    dv.setUint32(e, f.byteOffset, true);
    dv.setUint32(e + 4, f.length, true);
    dv.setUint16(e + 8, DTYPES.indexOf(f.dtype), true);
    dv.setUint16(e + 10, layout.nameLengths[k], true);
    dv.setUint32(e + 12, layout.nameOffsets[k], true);
    out[f.name] = viewOf(f.dtype, target.buffer, target.byteOffset + f.byteOffset, f.length);
  }
  target.set(layout.names, FIXED_BYTES + ENTRY_BYTES * layout.fields.length);
  return out;
}

/** Encodes `arrays` into `target` (8-aligned, at least batchByteLength bytes); returns bytes written. */
export function encodeBatch(target: Uint8Array, arrays: BatchArrays): number {
  const layout = batchLayout(batchShapeOf(arrays));
  const views = writeBatchHeader(target, layout);
  for (const f of layout.fields) copyInto(views[f.name], arrays[f.name]);
  return layout.byteLength;
}

function copyInto(dst: BatchArray, src: BatchArray): void {
  // Byte copy: works for every dtype and whatever buffer kind the source lives in.
  new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(
    new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
  );
}

function readName(bytes: Uint8Array, at: number, n: number): string {
  let ascii = true;
  for (let k = 0; k < n; k++) if (bytes[at + k] > 0x7f) ascii = false;
  if (ascii) {
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(bytes[at + k]);
    return s;
  }
  // TextDecoder refuses views of shared memory: decode a copy.
  return new TextDecoder().decode(bytes.slice(at, at + n));
}

/**
 * Decodes a batch in place: every field is a typed-array view into `bytes`' buffer (no copy).
 * `bytes` must start 8-aligned (queue records always do).
 */
export function decodeBatch<T extends BatchArrays = BatchArrays>(bytes: Uint8Array): T {
  if (bytes.byteOffset % 8 !== 0) {
    throw new BatchFormatError(`batch must start 8-byte aligned (byteOffset ${bytes.byteOffset})`);
  }
  if (bytes.byteLength < FIXED_BYTES)
    throw new BatchFormatError(`record of ${bytes.byteLength} bytes is no batch`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC)
    throw new BatchFormatError('bad batch magic (not a batch record)');
  const count = dv.getUint32(4, true);
  if (FIXED_BYTES + ENTRY_BYTES * count > bytes.byteLength) {
    throw new BatchFormatError(
      `batch header of ${count} fields overruns the ${bytes.byteLength}-byte record`,
    );
  }
  const out: BatchArrays = {};
  for (let k = 0; k < count; k++) {
    const e = FIXED_BYTES + ENTRY_BYTES * k;
    const dataOffset = dv.getUint32(e, true);
    const length = dv.getUint32(e + 4, true);
    const dtype = DTYPES[dv.getUint16(e + 8, true)];
    const nameBytes = dv.getUint16(e + 10, true);
    const nameOffset = dv.getUint32(e + 12, true);
    if (nameOffset + nameBytes > bytes.byteLength) {
      throw new BatchFormatError(`name of field ${k} lies outside the record`);
    }
    const name = readName(bytes, nameOffset, nameBytes);
    if (dtype === undefined) throw new BatchFormatError('unknown dtype code', name);
    const ctor = TYPED_ARRAY_CLASSES[dtype];
    if (dataOffset % 8 !== 0 || dataOffset + length * ctor.BYTES_PER_ELEMENT > bytes.byteLength) {
      throw new BatchFormatError(
        `data (offset ${dataOffset}, ${length} x ${dtype}) lies outside the record`,
        name,
      );
    }
    out[name] = viewOf(dtype, bytes.buffer, bytes.byteOffset + dataOffset, length);
  }
  return out as T;
}

/** A batch being written straight into the ring: fill `arrays`, then `commit()`. */
export interface BatchReservation<T extends BatchArrays = BatchArrays> {
  reservation: ShmReservation;
  arrays: T;
  commit(): void;
}

/**
 * Reserves a record shaped for these fields and returns views to fill in place (no copy on the producer
 * side either). Blocks while the ring is full, like `producer.reserve`.
 */
export function reserveBatch<T extends BatchArrays = BatchArrays>(
  producer: ShmProducer,
  shape: BatchShape,
  options: ReserveOptions = {},
): BatchReservation<T> {
  const layout = batchLayout(shape);
  const reservation = producer.reserve(layout.byteLength, { tag: BATCH_RECORD_TAG, ...options });
  return wrapReservation<T>(reservation, layout);
}

/** As `reserveBatch`, waiting with Atomics.waitAsync. */
export async function reserveBatchAsync<T extends BatchArrays = BatchArrays>(
  producer: ShmProducer,
  shape: BatchShape,
  options: ReserveOptions = {},
): Promise<BatchReservation<T>> {
  const layout = batchLayout(shape);
  const reservation = await producer.reserveAsync(layout.byteLength, {
    tag: BATCH_RECORD_TAG,
    ...options,
  });
  return wrapReservation<T>(reservation, layout);
}

function wrapReservation<T extends BatchArrays>(
  reservation: ShmReservation,
  layout: BatchLayout,
): BatchReservation<T> {
  let arrays: T;
  try {
    arrays = writeBatchHeader(reservation.bytes, layout) as T;
  } catch (err) {
    reservation.abort();
    throw err;
  }
  return { reservation, arrays, commit: () => reservation.commit() };
}

/** Copies `arrays` into one batch record and commits it (blocking while the ring is full). */
export function pushBatch(
  producer: ShmProducer,
  arrays: BatchArrays,
  options: ReserveOptions = {},
): void {
  const b = reserveBatch(producer, batchShapeOf(arrays), options);
  for (const name of Object.keys(arrays)) copyInto(b.arrays[name], arrays[name]);
  b.commit();
}

/** As `pushBatch`, waiting asynchronously for space. */
export async function pushBatchAsync(
  producer: ShmProducer,
  arrays: BatchArrays,
  options: ReserveOptions = {},
): Promise<void> {
  const b = await reserveBatchAsync(producer, batchShapeOf(arrays), options);
  for (const name of Object.keys(arrays)) copyInto(b.arrays[name], arrays[name]);
  b.commit();
}

/** Decodes a queue record holding a batch (views valid until `record.release()`). */
export function readBatch<T extends BatchArrays = BatchArrays>(record: { bytes: Uint8Array }): T {
  return decodeBatch<T>(record.bytes);
}
