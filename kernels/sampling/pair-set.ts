// A per-batch set of directed node pairs (the seed edges of link prediction) so a row sampler can
// skip them; open addressing with a stamp per slot, so emptying it between batches is O(1).
import { hashPair } from './hash-pair.js';

/** A set of directed (a, b) node pairs for one batch; used to hide seed edges from their endpoints. */
export class PairSet {
  private keyA: Int32Array;
  private keyB: Int32Array;
  private used: Int32Array;
  private mask: number;
  private stamp = 1;

  constructor(initialCapacity = 1 << 10) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.keyA = new Int32Array(cap);
    this.keyB = new Int32Array(cap);
    this.used = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Empties the set and makes room for `total` pairs. */
  reset(total: number): void {
    this.stamp++;
    if (total * 2 > this.mask + 1 || this.stamp > 0x3fffffff) {
      let cap = this.mask + 1;
      while (total * 2 > cap) cap *= 2;
      this.keyA = new Int32Array(cap);
      this.keyB = new Int32Array(cap);
      this.used = new Int32Array(cap);
      this.mask = cap - 1;
      this.stamp = 1;
    }
  }

  add(a: number, b: number): void {
    const mask = this.mask;
    let s = hashPair(a, b) & mask;
    while (this.used[s] === this.stamp) {
      if (this.keyA[s] === a && this.keyB[s] === b) return;
      s = (s + 1) & mask;
    }
    this.keyA[s] = a;
    this.keyB[s] = b;
    this.used[s] = this.stamp;
  }

  has(a: number, b: number): boolean {
    const mask = this.mask;
    let s = hashPair(a, b) & mask;
    while (this.used[s] === this.stamp) {
      if (this.keyA[s] === a && this.keyB[s] === b) return true;
      s = (s + 1) & mask;
    }
    return false;
  }
}
