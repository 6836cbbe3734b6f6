// (global id, group) -> local id for temporal sampling, where one node under two query times is two
// nodes: an open-addressing table invalidated between batches by a moving base, never cleared.
import { hashPair } from './hash-pair.js';

/**
 * (global id, group) -> local id, for temporal sampling where a node reached under two different query
 * times is two nodes. Open addressing with linear probing; slots are invalidated by the same base trick.
 */
export class KeyedNodeMap {
  private keyId: Int32Array;
  private keyGroup: Int32Array;
  private val: Int32Array;
  private mask: number;
  private base = 0;
  private count = 0;

  constructor(initialCapacity = 1 << 12) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.keyId = new Int32Array(cap);
    this.keyGroup = new Int32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  begin(): void {
    this.base += this.count;
    this.count = 0;
    if (this.base > 0x3fffffff) {
      this.val.fill(-1);
      this.base = 0;
    }
  }

  /**
   * Makes room for `total` keys at load <= 1/2. The keys already inserted this batch are exactly
   * (ids[l], groups[l]) for l < count, so growing rehashes from them.
   */
  reserve(total: number, ids: Int32Array, groups: Int32Array): void {
    if (total * 2 <= this.mask + 1) return;
    let cap = (this.mask + 1) * 2;
    while (total * 2 > cap) cap *= 2;
    this.keyId = new Int32Array(cap);
    this.keyGroup = new Int32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.base = 0;
    const n = this.count;
    for (let l = 0; l < n; l++) this.place(ids[l], groups[l], l);
  }

  private place(id: number, group: number, local: number): void {
    const mask = this.mask;
    let s = hashPair(id, group) & mask;
    while (this.val[s] >= this.base) s = (s + 1) & mask;
    this.keyId[s] = id;
    this.keyGroup[s] = group;
    this.val[s] = this.base + local;
  }

  /** The local id of (id, group), or `next` after inserting it there (the caller then records it). */
  findOrInsert(id: number, group: number, next: number): number {
    const mask = this.mask;
    const base = this.base;
    const val = this.val;
    let s = hashPair(id, group) & mask;
    while (true) {
      const v = val[s];
      if (v < base) break;
      if (this.keyId[s] === id && this.keyGroup[s] === group) return v - base;
      s = (s + 1) & mask;
    }
    this.keyId[s] = id;
    this.keyGroup[s] = group;
    val[s] = base + next;
    this.count++;
    return next;
  }
}
