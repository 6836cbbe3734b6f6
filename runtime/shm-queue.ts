// A ring of variable-size records in one SharedArrayBuffer carrying bulk data between threads of a process.
// Producers write a record in place and commit it; the one consumer reads it in place and releases it.
//
// Layout, memory-ordering argument and the multi-producer protocol: docs/shm-queue.md.
import { QueueClosedError, QueueRecordTooLargeError, QueueUsageError } from './shm-queue-errors.js';
import { waitAsyncFor, waitBlocking, type WaitSite } from './shm-wait.js';

/** Bytes before the ring: the Int32 header words, padded so producer and consumer words sit on separate cache lines. */
export const SHM_QUEUE_HEADER_BYTES = 256;
/** Bytes of the header in front of every record (state word + tag word). */
export const SHM_RECORD_HEADER_BYTES = 8;
/** Smallest and largest ring capacity (bytes). The upper bound keeps positions modulo >= 4 capacities in an Int32. */
export const SHM_QUEUE_MIN_CAPACITY_BYTES = 64;
export const SHM_QUEUE_MAX_CAPACITY_BYTES = 1 << 29;

const MAGIC = 0x57515545; // "WQUE"
const VERSION = 1;

// Header word indices (Int32Array over the first SHM_QUEUE_HEADER_BYTES).
const W_MAGIC = 0;
const W_VERSION = 1;
const W_CAPACITY = 2;
const W_MODULUS = 3;
const W_MODE = 4;
const W_CLOSED = 5;
const W_CONSUMER_CLAIMED = 6;
const W_PRODUCER_CLAIMED = 7;
// Written by producers (cache line 1).
const W_RESERVE = 16;
const W_DATA_SEQ = 17;
const W_PRODUCER_WAITERS = 18;
// Written by the consumer (cache line 2).
const W_HEAD = 32;
const W_SPACE_SEQ = 33;
const W_CONSUMER_WAITERS = 34;

// Record state word: 0 = not yet committed; otherwise (payloadBytes + 1) | FILL for records the consumer skips.
const LEN_MASK = 0x3fffffff;
const FILL = 0x40000000;

const MODE_SINGLE = 0;
const MODE_MULTI = 1;

/** Spins before a blocked commit in multi-producer mode falls back to 1 ms sleeps (see `commitWord`). */
const COMMIT_SPINS = 256;

export type ProducerMode = 'single' | 'multi';

export interface ShmQueueOptions {
  /** Ring size in bytes (rounded up to a multiple of 8, 64 .. 512 MiB). Largest payload = capacity - 16. */
  capacityBytes: number;
  /** 'single': one producer endpoint at a time (cheaper commit); 'multi': any number, in any threads. */
  producers?: ProducerMode;
  /** Used in error messages and metrics; defaults to 'shm-queue'. */
  name?: string;
}

/** Structured-cloneable description of a queue: post it to a worker and `ShmQueue.attach` it there. */
export interface ShmQueueHandle {
  readonly kind: 'weft-shm-queue';
  readonly sab: SharedArrayBuffer;
  readonly name: string;
}

export interface WaitOptions {
  /** Give up after this many milliseconds with QueueTimeoutError; absent = wait until data/space or close. */
  timeoutMs?: number;
}

export interface ReserveOptions extends WaitOptions {
  /** A 32-bit integer stored with the record (e.g. a message kind); the consumer reads it as `record.tag`. */
  tag?: number;
}

/** Counters of one endpoint (one producer or the consumer, in one thread). */
export interface ShmEndpointStats {
  records: number;
  payloadBytes: number;
  /** Times this endpoint had to block (ring full for a producer, empty for the consumer). */
  waits: number;
  /** Total time spent blocked, milliseconds. */
  waitMs: number;
}

export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes a record with this payload takes in the ring (header + payload rounded up to 8). */
export function shmRecordBytes(payloadBytes: number): number {
  return SHM_RECORD_HEADER_BYTES + align8(payloadBytes);
}

/** The shared pieces every endpoint of one queue in one thread works on. */
class QueueCore {
  readonly sab: SharedArrayBuffer;
  readonly name: string;
  readonly header: Int32Array;
  /** Int32 view of the ring; record headers are read and written through it with Atomics. */
  readonly ring: Int32Array;
  readonly u8: Uint8Array;
  readonly capacityBytes: number;
  readonly modulus: number;
  readonly multi: boolean;

  constructor(sab: SharedArrayBuffer, name: string) {
    this.sab = sab;
    this.name = name;
    this.header = new Int32Array(sab, 0, SHM_QUEUE_HEADER_BYTES / 4);
    if (this.header[W_MAGIC] !== MAGIC || this.header[W_VERSION] !== VERSION) {
      throw new QueueUsageError(name, 'buffer is not a shared-memory queue of this version');
    }
    this.capacityBytes = this.header[W_CAPACITY];
    this.modulus = this.header[W_MODULUS] >>> 0;
    this.multi = this.header[W_MODE] === MODE_MULTI;
    if (sab.byteLength < SHM_QUEUE_HEADER_BYTES + this.capacityBytes) {
      throw new QueueUsageError(name, 'buffer is shorter than its header says');
    }
    this.ring = new Int32Array(sab, SHM_QUEUE_HEADER_BYTES, this.capacityBytes / 4);
    this.u8 = new Uint8Array(sab);
  }

  /** Distance from position b forward to position a (positions run modulo `modulus`). */
  ahead(a: number, b: number): number {
    const d = a - b;
    return d < 0 ? d + this.modulus : d;
  }

  /** Largest payload a single record may carry: capacity - 16 bytes. */
  get maxPayloadBytes(): number {
    return this.capacityBytes - 2 * SHM_RECORD_HEADER_BYTES;
  }

  get closed(): boolean {
    return Atomics.load(this.header, W_CLOSED) !== 0;
  }

  /** Sets CLOSED, then wakes both sides: producers throw QueueClosedError, the consumer drains. */
  close(): void {
    const h = this.header;
    Atomics.store(h, W_CLOSED, 1);
    Atomics.add(h, W_DATA_SEQ, 1);
    Atomics.notify(h, W_DATA_SEQ);
    Atomics.add(h, W_SPACE_SEQ, 1);
    Atomics.notify(h, W_SPACE_SEQ);
  }

  closedError(): QueueClosedError {
    return new QueueClosedError(this.name);
  }

  /** Where one side sleeps on this queue (waiting for space or for data), its waits counted in `stats`. */
  waitSite(side: 'producer' | 'consumer', stats: ShmEndpointStats): WaitSite {
    const producer = side === 'producer';
    return {
      header: this.header,
      queue: this.name,
      side,
      waitersWord: producer ? W_PRODUCER_WAITERS : W_CONSUMER_WAITERS,
      seqWord: producer ? W_SPACE_SEQ : W_DATA_SEQ,
      stats,
    };
  }
}

/** What both endpoints keep: the queue, their counters, and where they sleep when they must wait. */
abstract class QueueEndpoint {
  protected disposed = false;
  protected readonly counters: ShmEndpointStats = {
    records: 0,
    payloadBytes: 0,
    waits: 0,
    waitMs: 0,
  };
  protected readonly waitSite: WaitSite;

  constructor(
    protected readonly core: QueueCore,
    side: 'producer' | 'consumer',
  ) {
    this.waitSite = core.waitSite(side, this.counters);
  }

  /** Whether the queue was closed (by any endpoint or the queue itself). */
  get closed(): boolean {
    return this.core.closed;
  }

  stats(): ShmEndpointStats {
    return { ...this.counters };
  }
}

/**
 * A shared-memory queue as seen from one thread. Create it once (`ShmQueue.create`), post `handle` to
 * other threads and `ShmQueue.attach` it there; then take a `producer()` or the `consumer()` endpoint.
 */
export class ShmQueue {
  private readonly core: QueueCore;

  private constructor(core: QueueCore) {
    this.core = core;
  }

  /** Allocates a new queue (one SharedArrayBuffer of header + ring). */
  static create(options: ShmQueueOptions): ShmQueue {
    const name = options.name ?? 'shm-queue';
    const requested = options.capacityBytes;
    if (!Number.isInteger(requested) || requested <= 0) {
      throw new QueueUsageError(name, `capacityBytes must be a positive integer, got ${requested}`);
    }
    const capacityBytes = Math.max(SHM_QUEUE_MIN_CAPACITY_BYTES, align8(requested));
    if (capacityBytes > SHM_QUEUE_MAX_CAPACITY_BYTES) {
      throw new QueueUsageError(
        name,
        `capacityBytes ${requested} exceeds ${SHM_QUEUE_MAX_CAPACITY_BYTES}; use several queues`,
      );
    }
    const mode = options.producers ?? 'single';
    if (mode !== 'single' && mode !== 'multi') {
      throw new QueueUsageError(
        name,
        `producers must be 'single' or 'multi', got '${String(mode)}'`,
      );
    }
    // Positions count modulo the largest capacity * 2^k <= 2^31 (>= 4 capacities), so they fit an Int32.
    let modulus = capacityBytes;
    while (modulus * 2 <= 0x80000000) modulus *= 2;
    const sab = new SharedArrayBuffer(SHM_QUEUE_HEADER_BYTES + capacityBytes);
    const header = new Int32Array(sab, 0, SHM_QUEUE_HEADER_BYTES / 4);
    header[W_CAPACITY] = capacityBytes;
    header[W_MODULUS] = modulus | 0; // 2^31 reads back via >>> 0
    header[W_MODE] = mode === 'multi' ? MODE_MULTI : MODE_SINGLE;
    header[W_VERSION] = VERSION;
    Atomics.store(header, W_MAGIC, MAGIC);
    return new ShmQueue(new QueueCore(sab, name));
  }

  /** Opens a queue created elsewhere (usually in another thread) from its handle. */
  static attach(handle: ShmQueueHandle): ShmQueue {
    if (
      handle === null ||
      typeof handle !== 'object' ||
      handle.kind !== 'weft-shm-queue' ||
      !(handle.sab instanceof SharedArrayBuffer)
    ) {
      throw new QueueUsageError(
        String((handle as { name?: unknown } | null)?.name ?? 'shm-queue'),
        'attach() needs the handle of a queue (ShmQueue.handle)',
      );
    }
    return new ShmQueue(new QueueCore(handle.sab, handle.name));
  }

  /** Structured-cloneable: postMessage it or put it in workerData. */
  get handle(): ShmQueueHandle {
    return { kind: 'weft-shm-queue', sab: this.core.sab, name: this.core.name };
  }

  get name(): string {
    return this.core.name;
  }

  /** The SharedArrayBuffer holding header and ring; record offsets index into it. */
  get buffer(): SharedArrayBuffer {
    return this.core.sab;
  }

  get capacityBytes(): number {
    return this.core.capacityBytes;
  }

  /** Largest payload a single record may carry: capacity - 16 bytes. */
  get maxPayloadBytes(): number {
    return this.core.maxPayloadBytes;
  }

  get producerMode(): ProducerMode {
    return this.core.multi ? 'multi' : 'single';
  }

  get closed(): boolean {
    return this.core.closed;
  }

  /** Bytes reserved and not yet released (includes wrap skips and record headers). */
  get usedBytes(): number {
    const h = this.core.header;
    const head = Atomics.load(h, W_HEAD);
    return this.core.ahead(Atomics.load(h, W_RESERVE), head);
  }

  /**
   * A producer endpoint. In 'single' mode only one may exist at a time across all threads (dispose it to
   * hand over); in 'multi' mode take one per thread or per task.
   */
  producer(): ShmProducer {
    return new ShmProducer(this.core);
  }

  /** The consumer endpoint: exactly one across all threads at a time (dispose it to hand over). */
  consumer(): ShmConsumer {
    return new ShmConsumer(this.core);
  }

  /**
   * Closes the queue for new records. Producers blocked for space wake with QueueClosedError; records
   * already reserved may still be committed; the consumer drains what was committed, then gets `null`.
   */
  close(): void {
    this.core.close();
  }
}

/** In-place typed-array views over a region of the queue's buffer (a record or a reservation). */
abstract class RegionViews {
  /** Byte offset of the payload inside `buffer` (always a multiple of 8). */
  readonly offset: number;
  /** Payload length in bytes. */
  readonly byteLength: number;
  protected readonly core: QueueCore;
  private bytesCache: Uint8Array | null = null;

  constructor(core: QueueCore, offset: number, byteLength: number) {
    this.core = core;
    this.offset = offset;
    this.byteLength = byteLength;
  }

  protected abstract checkLive(): void;

  get buffer(): SharedArrayBuffer {
    return this.core.sab;
  }

  /** The payload bytes, in place. */
  get bytes(): Uint8Array {
    this.checkLive();
    if (this.bytesCache === null)
      this.bytesCache = new Uint8Array(this.core.sab, this.offset, this.byteLength);
    return this.bytesCache;
  }

  /**
   * A typed view at `byteOffset` into the payload (must be a multiple of the element size; the payload
   * itself starts 8-aligned). `length` defaults to as many elements as fit.
   */
  view<C extends TypedArrayConstructor>(ctor: C, byteOffset = 0, length?: number): InstanceType<C> {
    this.checkLive();
    const size = ctor.BYTES_PER_ELEMENT;
    const n = length ?? Math.floor((this.byteLength - byteOffset) / size);
    if (
      byteOffset < 0 ||
      byteOffset % size !== 0 ||
      n < 0 ||
      byteOffset + n * size > this.byteLength
    ) {
      throw new QueueUsageError(
        this.core.name,
        `view ${ctor.name}(offset ${byteOffset}, length ${n}) does not fit a ${this.byteLength}-byte ` +
          `payload or is not ${size}-byte aligned`,
      );
    }
    const make = ctor as unknown as new (b: SharedArrayBuffer, o: number, n: number) => unknown;
    return new make(this.core.sab, this.offset + byteOffset, n) as InstanceType<C>;
  }
}

/** Space claimed in the ring by a producer: fill the payload in place, then `commit()` (or `abort()`). */
export class ShmReservation extends RegionViews {
  readonly tag: number;
  private readonly producer: ShmProducer;
  /** Ring position of the record header. */
  private readonly position: number;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  /** @internal */
  constructor(
    producer: ShmProducer,
    core: QueueCore,
    position: number,
    payloadBytes: number,
    tag: number,
  ) {
    super(
      core,
      SHM_QUEUE_HEADER_BYTES + (position % core.capacityBytes) + SHM_RECORD_HEADER_BYTES,
      payloadBytes,
    );
    this.producer = producer;
    this.position = position;
    this.tag = tag;
  }

  protected checkLive(): void {
    if (this.state !== 'open') {
      throw new QueueUsageError(
        this.core.name,
        `reservation already ${this.state}; its views are no longer writable`,
      );
    }
  }

  get committed(): boolean {
    return this.state === 'committed';
  }

  /** Publishes the record to the consumer. Writes into the views after this are a bug. */
  commit(): void {
    this.checkLive();
    this.state = 'committed';
    this.producer.commitReserved(this.position, this.byteLength, this.tag, false);
  }

  /** Gives the space back as a filler the consumer skips (used when filling failed). */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.producer.commitReserved(this.position, this.byteLength, this.tag, true);
  }
}

/** One producer endpoint. Not shared between threads: each thread takes its own from an attached queue. */
export class ShmProducer extends QueueEndpoint {
  private readonly single: boolean;
  /** Single mode only: this endpoint is the only writer of RESERVE, so it keeps the value locally. */
  private tail = 0;
  /** Single mode only: a HEAD value read earlier; stale values are safe (they under-state free space). */
  private headCache = 0;

  /** @internal */
  constructor(core: QueueCore) {
    super(core, 'producer');
    this.single = !core.multi;
    if (this.single) {
      if (Atomics.compareExchange(core.header, W_PRODUCER_CLAIMED, 0, 1) !== 0) {
        throw new QueueUsageError(
          core.name,
          "a 'single'-producer queue already has a producer; dispose it first or create the queue with producers: 'multi'",
        );
      }
      this.tail = Atomics.load(core.header, W_RESERVE);
      this.headCache = Atomics.load(core.header, W_HEAD);
    }
  }

  get maxPayloadBytes(): number {
    return this.core.maxPayloadBytes;
  }

  /** Closes the whole queue (see ShmQueue.close). */
  close(): void {
    this.core.close();
  }

  /** Gives up the single-producer claim so another endpoint (maybe in another thread) may produce. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.single) Atomics.store(this.core.header, W_PRODUCER_CLAIMED, 0);
  }

  /** Claims a record of `payloadBytes` without waiting; null when the ring has no room right now. */
  tryReserve(payloadBytes: number, tag = 0): ShmReservation | null {
    const total = this.recordTotal(payloadBytes);
    const position = this.claim(total);
    if (position < 0) return null;
    return new ShmReservation(this, this.core, position, payloadBytes, tag);
  }

  /**
   * Claims a record of `payloadBytes`, blocking the thread (Atomics.wait) while the ring is full.
   * Throws QueueClosedError, QueueTimeoutError or QueueRecordTooLargeError.
   */
  reserve(payloadBytes: number, options: ReserveOptions = {}): ShmReservation {
    const total = this.recordTotal(payloadBytes);
    let position = this.claim(total);
    if (position < 0)
      position = waitBlocking(this.waitSite, options.timeoutMs, this.claimOrWait(total));
    return new ShmReservation(this, this.core, position, payloadBytes, options.tag ?? 0);
  }

  /** As `reserve`, but waits with Atomics.waitAsync so the calling thread's event loop keeps running. */
  async reserveAsync(payloadBytes: number, options: ReserveOptions = {}): Promise<ShmReservation> {
    const total = this.recordTotal(payloadBytes);
    let position = this.claim(total);
    if (position < 0)
      position = await waitAsyncFor(this.waitSite, options.timeoutMs, this.claimOrWait(total));
    return new ShmReservation(this, this.core, position, payloadBytes, options.tag ?? 0);
  }

  /** Copies `parts` back to back into one record and commits it; blocks while the ring is full. */
  push(parts: ArrayBufferView | readonly ArrayBufferView[], options: ReserveOptions = {}): void {
    const list = partsList(parts);
    const r = this.reserve(partsBytes(list), options);
    this.fill(r, list);
  }

  /** As `push` without waiting: false when the ring has no room right now. */
  tryPush(parts: ArrayBufferView | readonly ArrayBufferView[], tag = 0): boolean {
    const list = partsList(parts);
    const r = this.tryReserve(partsBytes(list), tag);
    if (r === null) return false;
    this.fill(r, list);
    return true;
  }

  /** As `push`, waiting asynchronously for space. */
  async pushAsync(
    parts: ArrayBufferView | readonly ArrayBufferView[],
    options: ReserveOptions = {},
  ): Promise<void> {
    const list = partsList(parts);
    const r = await this.reserveAsync(partsBytes(list), options);
    this.fill(r, list);
  }

  private fill(r: ShmReservation, list: readonly ArrayBufferView[]): void {
    const u8 = this.core.u8;
    let at = r.offset;
    for (let k = 0; k < list.length; k++) {
      const p = list[k];
      u8.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    r.commit();
  }

  private recordTotal(payloadBytes: number): number {
    if (this.disposed) throw new QueueUsageError(this.core.name, 'producer endpoint was disposed');
    if (!Number.isInteger(payloadBytes) || payloadBytes < 0) {
      throw new QueueUsageError(
        this.core.name,
        `payload size must be a non-negative integer, got ${payloadBytes}`,
      );
    }
    if (payloadBytes > this.maxPayloadBytes) {
      throw new QueueRecordTooLargeError(this.core.name, payloadBytes, this.maxPayloadBytes);
    }
    return shmRecordBytes(payloadBytes);
  }

  /**
   * One attempt to claim `total` bytes: returns the record's ring position, or -1 when there is no room.
   * Writes a skip filler first when the record would not fit before the end of the ring.
   */
  private claim(total: number): number {
    const core = this.core;
    const h = core.header;
    const ring = core.ring;
    const capacity = core.capacityBytes;
    const modulus = core.modulus;
    for (;;) {
      if (Atomics.load(h, W_CLOSED) !== 0) throw core.closedError();
      let head: number;
      let t: number;
      if (this.single) {
        t = this.tail;
        head = this.headCache;
      } else {
        // HEAD before RESERVE: then head <= t, so a stale pair can only under-state free space.
        head = Atomics.load(h, W_HEAD);
        t = Atomics.load(h, W_RESERVE);
      }
      const o = t % capacity;
      const wrap = o + total > capacity;
      let e = wrap ? t - o + capacity : t + total;
      if (e >= modulus) e -= modulus;
      // The record plus the next record's header word must fit before HEAD comes round again.
      if (core.ahead(e, head) + SHM_RECORD_HEADER_BYTES > capacity) {
        if (!this.single) return -1;
        head = this.headCache = Atomics.load(h, W_HEAD);
        if (core.ahead(e, head) + SHM_RECORD_HEADER_BYTES > capacity) return -1;
      }
      const next = (e % capacity) >> 2;
      if (this.single) {
        // Nobody else writes the ring beyond RESERVE: clear the next header, then publish the claim.
        Atomics.store(ring, next, 0);
        Atomics.store(h, W_RESERVE, e);
        this.tail = e;
      } else {
        // The word that becomes the next record's header still holds old payload bytes. Read it before the
        // claim (nobody writes free space), clear it after: its next owner commits only with CAS(0 -> state).
        const stale = Atomics.load(ring, next);
        if (Atomics.compareExchange(h, W_RESERVE, t, e) !== t) continue;
        if (stale !== 0) Atomics.compareExchange(ring, next, stale, 0);
      }
      if (wrap) {
        // The tail of the ring becomes a skip record; the record itself goes to offset 0 on the next try.
        this.commitWord(t, FILL | (capacity - o - SHM_RECORD_HEADER_BYTES + 1), 0);
        continue;
      }
      if (Atomics.load(h, W_CLOSED) !== 0) {
        // Claimed after close: the consumer may already have finished, so never publish data here.
        this.commitWord(t, FILL | (total - SHM_RECORD_HEADER_BYTES + 1), 0);
        throw core.closedError();
      }
      return t;
    }
  }

  /** One claim attempt as the wait loop takes it: the position, or undefined when there is no room. */
  private claimOrWait(total: number): () => number | undefined {
    return () => {
      const position = this.claim(total);
      return position < 0 ? undefined : position;
    };
  }

  /** @internal Called by ShmReservation.commit/abort. */
  commitReserved(position: number, payloadBytes: number, tag: number, filler: boolean): void {
    if (filler) {
      this.commitWord(position, FILL | (align8(payloadBytes) + 1), tag);
      return;
    }
    this.commitWord(position, payloadBytes + 1, tag);
    this.counters.records++;
    this.counters.payloadBytes += payloadBytes;
  }

  /** Writes the tag, then publishes the record's state word and wakes a waiting consumer. */
  private commitWord(position: number, state: number, tag: number): void {
    const core = this.core;
    const ring = core.ring;
    const i = (position % core.capacityBytes) >> 2;
    ring[i + 1] = tag | 0;
    if (this.single) {
      Atomics.store(ring, i, state);
    } else if (Atomics.compareExchange(ring, i, 0, state) !== 0) {
      // The producer before us has not cleared this word yet (it does so right after its claim).
      let spins = 0;
      while (Atomics.compareExchange(ring, i, 0, state) !== 0) {
        if (++spins > COMMIT_SPINS) Atomics.wait(ring, i, Atomics.load(ring, i), 1);
      }
    }
    const h = core.header;
    Atomics.add(h, W_DATA_SEQ, 1);
    if (Atomics.load(h, W_CONSUMER_WAITERS) !== 0) Atomics.notify(h, W_DATA_SEQ);
  }
}

function partsList(
  parts: ArrayBufferView | readonly ArrayBufferView[],
): readonly ArrayBufferView[] {
  return Array.isArray(parts) ? (parts as readonly ArrayBufferView[]) : [parts as ArrayBufferView];
}

function partsBytes(list: readonly ArrayBufferView[]): number {
  let n = 0;
  for (let k = 0; k < list.length; k++) n += list[k].byteLength;
  return n;
}

interface PendingEntry {
  /** Ring position just after the entry; HEAD moves here once this and all earlier entries are released. */
  end: number;
  released: boolean;
}

/** A record read in place. Its views are valid until `release()`; after that the space is reused. */
export class ShmRecord extends RegionViews implements PendingEntry {
  /** The producer's tag (ReserveOptions.tag). */
  readonly tag: number;
  /** @internal */
  end: number;
  released = false;
  private readonly consumer: ShmConsumer;

  /** @internal */
  constructor(
    consumer: ShmConsumer,
    core: QueueCore,
    offset: number,
    byteLength: number,
    tag: number,
    end: number,
  ) {
    super(core, offset, byteLength);
    this.consumer = consumer;
    this.tag = tag;
    this.end = end;
  }

  protected checkLive(): void {
    if (this.released)
      throw new QueueUsageError(this.core.name, 'record was released; its views are stale');
  }

  /** Gives the space back. Records may be released in any order; space is reclaimed in ring order. */
  release(): void {
    if (this.released) return;
    this.consumer.releaseEntry(this);
  }
}

const DONE = 1;
const EMPTY = 0;

/** What `poll` found, as `pop` returns it: the record, or null once the queue is closed and drained. */
function asRecord(r: ShmRecord | number): ShmRecord | null {
  return r === DONE ? null : (r as ShmRecord);
}

/** The single consumer endpoint. */
export class ShmConsumer extends QueueEndpoint implements AsyncIterable<ShmRecord> {
  /** Position of the next record to read (private: only this endpoint reads). */
  private cursor: number;
  /** Popped entries not yet reclaimed, in ring order, from `pendingStart`. */
  private pending: PendingEntry[] = [];
  private pendingStart = 0;
  private done = false;

  /** @internal */
  constructor(core: QueueCore) {
    super(core, 'consumer');
    if (Atomics.compareExchange(core.header, W_CONSUMER_CLAIMED, 0, 1) !== 0) {
      throw new QueueUsageError(
        core.name,
        'the queue already has a consumer (one consumer per queue)',
      );
    }
    this.cursor = Atomics.load(core.header, W_HEAD);
  }

  /** True once the queue is closed and every committed record has been popped. */
  get drained(): boolean {
    return this.done;
  }

  /** Records popped and not yet released. */
  get outstanding(): number {
    let n = 0;
    for (let k = this.pendingStart; k < this.pending.length; k++)
      if (!this.pending[k].released) n++;
    return n;
  }

  /** Releases every outstanding record and gives up the consumer claim. */
  dispose(): void {
    if (this.disposed) return;
    for (let k = this.pendingStart; k < this.pending.length; k++) this.pending[k].released = true;
    this.advanceHead();
    this.disposed = true;
    Atomics.store(this.core.header, W_CONSUMER_CLAIMED, 0);
  }

  /** The next record without waiting: a record, or null when none is ready (check `drained` for the end). */
  tryPop(): ShmRecord | null {
    const r = this.poll();
    return typeof r === 'number' ? null : r;
  }

  /**
   * The next record, blocking the thread (Atomics.wait) until one is committed. Returns null once the
   * queue is closed and drained. Throws QueueTimeoutError after `timeoutMs`.
   */
  pop(options: WaitOptions = {}): ShmRecord | null {
    const first = this.poll();
    if (first !== EMPTY) return asRecord(first);
    return asRecord(waitBlocking(this.waitSite, options.timeoutMs, this.pollOrWait));
  }

  /** As `pop`, waiting with Atomics.waitAsync so this thread's event loop keeps running. */
  async popAsync(options: WaitOptions = {}): Promise<ShmRecord | null> {
    const first = this.poll();
    if (first !== EMPTY) return asRecord(first);
    return asRecord(await waitAsyncFor(this.waitSite, options.timeoutMs, this.pollOrWait));
  }

  /** One poll as the wait loop takes it: a record or DONE, or undefined when nothing is ready. */
  private readonly pollOrWait = (): ShmRecord | number | undefined => {
    const r = this.poll();
    return r === EMPTY ? undefined : r;
  };

  /** Yields records until the queue is closed and drained; the loop body must release each record. */
  async *[Symbol.asyncIterator](): AsyncIterator<ShmRecord> {
    for (;;) {
      const r = await this.popAsync();
      if (r === null) return;
      yield r;
    }
  }

  /** Reads the record at the cursor: a record, EMPTY, or DONE (closed and drained). Skips fillers. */
  private poll(): ShmRecord | number {
    if (this.done) return DONE;
    if (this.disposed) throw new QueueUsageError(this.core.name, 'consumer endpoint was disposed');
    const core = this.core;
    const ring = core.ring;
    const capacity = core.capacityBytes;
    for (;;) {
      const o = this.cursor % capacity;
      const i = o >> 2;
      const state = Atomics.load(ring, i);
      if (state === 0) {
        const h = core.header;
        // CLOSED before RESERVE: a producer that claims after our CLOSED read sees CLOSED and writes a filler.
        if (Atomics.load(h, W_CLOSED) !== 0 && Atomics.load(h, W_RESERVE) === this.cursor) {
          this.done = true;
          return DONE;
        }
        return EMPTY;
      }
      const payloadBytes = (state & LEN_MASK) - 1;
      let end = this.cursor + SHM_RECORD_HEADER_BYTES + align8(payloadBytes);
      if (end >= core.modulus) end -= core.modulus;
      if ((state & FILL) !== 0) {
        this.cursor = end;
        this.retireFiller(end);
        continue;
      }
      const tag = ring[i + 1];
      const rec = new ShmRecord(
        this,
        core,
        SHM_QUEUE_HEADER_BYTES + o + SHM_RECORD_HEADER_BYTES,
        payloadBytes,
        tag,
        end,
      );
      this.cursor = end;
      this.pending.push(rec);
      this.counters.records++;
      this.counters.payloadBytes += payloadBytes;
      return rec;
    }
  }

  private retireFiller(end: number): void {
    if (this.pendingStart === this.pending.length) this.publishHead(end);
    else this.pending.push({ end, released: true });
  }

  /** @internal */
  releaseEntry(rec: ShmRecord): void {
    rec.released = true;
    if (this.pending[this.pendingStart] === rec) this.advanceHead();
  }

  private advanceHead(): void {
    const pending = this.pending;
    let k = this.pendingStart;
    let end = -1;
    while (k < pending.length && pending[k].released) end = pending[k++].end;
    if (k === pending.length) {
      pending.length = 0;
      this.pendingStart = 0;
    } else {
      this.pendingStart = k;
      if (k > 1024 && k * 2 > pending.length) {
        this.pending = pending.slice(k);
        this.pendingStart = 0;
      }
    }
    if (end >= 0) this.publishHead(end);
  }

  private publishHead(position: number): void {
    const h = this.core.header;
    Atomics.store(h, W_HEAD, position);
    Atomics.add(h, W_SPACE_SEQ, 1);
    if (Atomics.load(h, W_PRODUCER_WAITERS) !== 0) Atomics.notify(h, W_SPACE_SEQ);
  }
}
