// An open-addressing hash index from non-negative int32 ids to dense slot numbers 0..size-1, in typed
// arrays only (no per-id objects), growing by doubling; used by the sparse table and gradient sums.
import { hash32 } from '../../runtime/prng.js';

const EMPTY = -1;
/** Rehash when more than this share of buckets is taken (linear probing stays short below it). */
const MAX_LOAD = 0.6;

export class IdRowIndex {
  private keys: Int32Array;
  private slots: Int32Array;
  private mask: number;
  /** Ids in slot order: ids[slot] is the id stored at that slot. */
  private idsBySlot: Int32Array;
  size = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap * MAX_LOAD < expected) cap *= 2;
    this.keys = new Int32Array(cap).fill(EMPTY);
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.idsBySlot = new Int32Array(Math.max(8, expected));
  }

  /** The slot of `id`, or -1 when absent. */
  get(id: number): number {
    let b = hash32(id) & this.mask;
    for (;;) {
      const k = this.keys[b];
      if (k === id) return this.slots[b];
      if (k === EMPTY) return -1;
      b = (b + 1) & this.mask;
    }
  }

  /** The slot of `id`, adding it at slot `size` when absent (check `size` before and after to tell). */
  getOrAdd(id: number): number {
    if (id < 0 || !Number.isInteger(id))
      throw new RangeError(`id ${id} is not a non-negative int32`);
    let b = hash32(id) & this.mask;
    for (;;) {
      const k = this.keys[b];
      if (k === id) return this.slots[b];
      if (k === EMPTY) break;
      b = (b + 1) & this.mask;
    }
    const slot = this.size++;
    this.keys[b] = id;
    this.slots[b] = slot;
    if (slot >= this.idsBySlot.length) {
      const grown = new Int32Array(this.idsBySlot.length * 2);
      grown.set(this.idsBySlot);
      this.idsBySlot = grown;
    }
    this.idsBySlot[slot] = id;
    if (this.size > this.keys.length * MAX_LOAD) this.rehash(this.keys.length * 2);
    return slot;
  }

  /** The ids in slot order (a view; valid until the next add). */
  ids(): Int32Array {
    return this.idsBySlot.subarray(0, this.size);
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  /** Bytes held by the index arrays. */
  bytes(): number {
    return this.keys.byteLength + this.slots.byteLength + this.idsBySlot.byteLength;
  }

  private rehash(cap: number): void {
    const keys = new Int32Array(cap).fill(EMPTY);
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let s = 0; s < this.size; s++) {
      const id = this.idsBySlot[s];
      let b = hash32(id) & mask;
      while (keys[b] !== EMPTY) b = (b + 1) & mask;
      keys[b] = id;
      slots[b] = s;
    }
    this.keys = keys;
    this.slots = slots;
    this.mask = mask;
  }
}
