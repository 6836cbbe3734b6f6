// Uniform choice of k distinct edges out of a row of deg > k: Floyd's algorithm with a stamped
// membership array (O(k) for any k, no clearing), the PRNG stepped inline so its state stays in locals.
import { EXACT_BOUND, INV_TWO_POW_32, TWO_POW_32, type Xoshiro128 } from '../../runtime/prng.js';

/**
 * Reusable scratch for Floyd's algorithm: seen[x] === stamp marks offset x as chosen in the current
 * row. Sized to the largest row seen; one instance per sampler (per thread).
 */
export class UniformPicker {
  private seen = new Int32Array(1024);
  private stamp = 0;

  private nextStamp(deg: number): number {
    if (this.seen.length < deg) {
      let cap = this.seen.length;
      while (cap < deg) cap *= 2;
      this.seen = new Int32Array(cap);
      this.stamp = 0;
    }
    if (this.stamp >= 0x3fffffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  /**
   * Writes start + x for k distinct offsets x in [0, deg) (deg > k, each k-subset equally likely) into
   * pos[at..at+k). Draws exactly what k calls of rng.below(j + 1), j = deg-k .. deg-1, would.
   */
  pickPositions(
    rng: Xoshiro128,
    start: number,
    deg: number,
    k: number,
    pos: Float64Array,
    at: number,
  ): void {
    const cur = this.nextStamp(deg);
    const seen = this.seen;
    if (deg >= EXACT_BOUND) {
      // Rows past 2^21 edges: the float64 product of Lemire's method is no longer exact.
      for (let j = deg - k; j < deg; j++) {
        let x = rng.below(j + 1);
        if (seen[x] === cur) x = j;
        seen[x] = cur;
        pos[at++] = start + x;
      }
      return;
    }
    const st = rng.state;
    let s0 = st[0];
    let s1 = st[1];
    let s2 = st[2];
    let s3 = st[3];
    for (let j = deg - k; j < deg; j++) {
      const bound = j + 1;
      let x: number;
      while (true) {
        // xoshiro128** step, as Xoshiro128.nextU32.
        const m5 = Math.imul(s1, 5);
        const r = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        // Lemire's bounded draw, as Xoshiro128.below: accept unless the low word falls in the
        // biased sliver below (2^32 mod bound).
        const m = r * bound;
        x = Math.floor(m * INV_TWO_POW_32);
        const lo = m - x * TWO_POW_32;
        if (lo >= bound || lo >= (TWO_POW_32 - bound) % bound) break;
      }
      if (seen[x] === cur) x = j;
      seen[x] = cur;
      pos[at++] = start + x;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
  }

  /**
   * Writes k distinct offsets in [0, deg) (deg > k) into out[0..k) in uniformly random order, so any
   * prefix of the output is itself a uniform sample (the seed-edge filter relies on that).
   */
  pickOrdered(rng: Xoshiro128, deg: number, k: number, out: Int32Array): void {
    const cur = this.nextStamp(deg);
    const seen = this.seen;
    let c = 0;
    for (let j = deg - k; j < deg; j++) {
      let x = rng.below(j + 1);
      if (seen[x] === cur) x = j;
      seen[x] = cur;
      out[c++] = x;
    }
    // Floyd's order is not random (a late j lands last); a Fisher–Yates pass makes it so.
    for (let i = k - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
  }
}
