// Seeded pseudo-random numbers for the generators: xoshiro128** seeded through splitmix32, so the same
// seed gives the same graph on every machine. Plain 32-bit integer arithmetic, no allocation per draw.

function splitmix32(state: Uint32Array): number {
  state[0] = (state[0] + 0x9e3779b9) | 0;
  let z = state[0];
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128**: period 2^128 - 1, good equidistribution, fast in 32-bit JavaScript arithmetic. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = 0;
  private hasSpare = false;

  /** `seed` and an optional `stream` number: distinct streams of one seed are independent. */
  constructor(seed: number, stream = 0) {
    const st = new Uint32Array([seed >>> 0]);
    const high = Math.floor(seed / 4294967296) >>> 0;
    st[0] = splitmix32(st) ^ high ^ Math.imul(stream + 1, 0x632be5ab);
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    let r = Math.imul(s1, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [0, 1) with 53 bits of resolution (for sums over millions of weights). */
  next53(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (multiply-shift; bias below 2^-32 * n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: Uint32Array | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
