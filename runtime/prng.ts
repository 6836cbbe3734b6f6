// Every seeded pseudo-random generator of Weft, so a seed means the same stream everywhere: hashes for
// seeds, mulberry32 for parameters, and xoshiro128** (seeded by splitmix32) for samplers and generators.

export const TWO_POW_32 = 4294967296;
export const INV_TWO_POW_32 = 1 / TWO_POW_32;
const TWO_POW_53 = 9007199254740992;
/** Below this bound r * bound stays under 2^53, so Lemire's method is exact in float64. */
export const EXACT_BOUND = 1 << 21;
/** splitmix32's increment, the 32-bit golden ratio. */
const GOLDEN_32 = 0x9e3779b9;

/** A 32-bit integer hash with good avalanche (Wellons' "lowbias32" constants). */
export function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Combines several integers (seed, step, layer, ...) into one well-mixed 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = hash32((h ^ hash32(p >>> 0 || 0)) + 0x6d2b79f5);
  return h;
}

/** FNV-1a of a string, to derive per-parameter seeds from names (independent of order). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** splitmix32's output mix (murmur3's finaliser), as a signed 32-bit integer. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Folds any finite number (any sign, up to 2^53) into 32 well-mixed bits. */
function fold(seed: number): number {
  const v = Math.trunc(seed);
  const lo = v | 0;
  const hi = Math.floor(v / TWO_POW_32) | 0;
  return mix32(lo ^ mix32(hi + 0x632be5ab));
}

/**
 * Expands one 32-bit word into the four xoshiro128** state words by splitmix32 (never all zero).
 * `st` is the splitmix32 counter before its first step.
 */
function splitmixFill(st: number, s: Int32Array): void {
  for (let i = 0; i < 4; i++) {
    st = (st + GOLDEN_32) | 0;
    s[i] = mix32(st);
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
}

/**
 * One xoshiro128** step on the four state words: returns a uniform unsigned 32-bit integer. Hot loops
 * may copy the words into locals and inline this (see kernels/sampling/uniform-pick.ts).
 */
function xoshiroNext(s: Int32Array): number {
  const s0 = s[0];
  let s1 = s[1];
  let s2 = s[2];
  let s3 = s[3];
  const m = Math.imul(s1, 5);
  const r = Math.imul((m << 7) | (m >>> 25), 9);
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s[0] = s0 ^ s3;
  s[1] = s1;
  s[2] = s2 ^ t;
  s[3] = (s3 << 11) | (s3 >>> 21);
  return r >>> 0;
}

/** mulberry32: a small sequential generator for parameter init and test data (floats, integers). */
export class Mulberry32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * xoshiro128** for the samplers: seeded from (seed, stream, lane), exact bounded integers (Lemire).
 * Period 2^128 - 1, plain 32-bit integer arithmetic, no allocation per draw.
 */
export class Xoshiro128 {
  /**
   * The four state words. Hot loops may copy them into locals, step inline (see uniform-pick.ts) and
   * write them back: the same sequence as nextU32, without a load and store per draw.
   */
  readonly state = new Int32Array(4);

  constructor(seed = 0, stream?: number, lane = 0) {
    this.reseed(seed, stream, lane);
  }

  /**
   * Restarts the sequence from (seed, stream, lane); distinct streams or lanes give unrelated
   * sequences (a batch seed is a stream; a lane separates two uses of one batch).
   */
  reseed(seed: number, stream?: number, lane = 0): void {
    let st = fold(seed);
    if (stream !== undefined) st = mix32(st ^ fold(stream) ^ 0x2545f491);
    if (lane !== 0) st = mix32(st ^ mix32(lane + 0x1b873593));
    splitmixFill(st, this.state);
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    return xoshiroNext(this.state);
  }

  /** Uniform integer in [0, bound), bound >= 1 (exact for bound < 2^21, bias < 2^-31 beyond). */
  below(bound: number): number {
    if (bound < EXACT_BOUND) {
      let m = this.nextU32() * bound;
      let hi = Math.floor(m * INV_TWO_POW_32);
      let lo = m - hi * TWO_POW_32;
      if (lo < bound) {
        // Lemire's rejection: drop the few low words that would bias small results.
        const threshold = (TWO_POW_32 - bound) % bound;
        while (lo < threshold) {
          m = this.nextU32() * bound;
          hi = Math.floor(m * INV_TWO_POW_32);
          lo = m - hi * TWO_POW_32;
        }
      }
      return hi;
    }
    // 53 random bits scaled: the bias is bound / 2^53, far below any statistic we could observe.
    const x = (this.nextU32() >>> 11) * TWO_POW_32 + this.nextU32();
    return Math.floor((x / TWO_POW_53) * bound);
  }

  /** Uniform float in the open interval (0, 1): safe to take the logarithm of. */
  nextOpen01(): number {
    return (this.nextU32() + 0.5) * INV_TWO_POW_32;
  }
}

/**
 * xoshiro128** drawing floats, for graph generators, epoch plans and test data: seeded from
 * (seed, stream); uniforms of 32 or 53 bits, scaled integers, normals, exponentials, shuffles.
 */
export class Xoshiro128Float {
  private readonly state = new Int32Array(4);
  private spareNormal = 0;
  private hasSpare = false;

  /** `seed` and an optional `stream` number: distinct streams of one seed are independent. */
  constructor(seed: number, stream = 0) {
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    const first = mix32(((seed >>> 0) + GOLDEN_32) | 0);
    splitmixFill(first ^ high ^ Math.imul(stream + 1, 0x632be5ab), this.state);
  }

  /** Uniform unsigned 32-bit integer. */
  nextU32(): number {
    return xoshiroNext(this.state);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits of resolution (for sums over millions of weights). */
  next53(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / TWO_POW_53;
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
