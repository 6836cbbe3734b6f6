// Fast seeded pseudo-random numbers for the samplers: xoshiro128** on four int32 words, seeded through
// splitmix32, with Lemire's bounded integers. State in an Int32Array so hot loops can hold it in locals.

export const TWO_POW_32 = 4294967296;
export const INV_TWO_POW_32 = 1 / TWO_POW_32;
/** Below this bound r * bound stays under 2^53, so Lemire's method is exact in float64. */
export const EXACT_BOUND = 1 << 21;

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
    // splitmix32 expansion of one word into four; never all zero.
    const s = this.state;
    for (let i = 0; i < 4; i++) {
      st = (st + 0x9e3779b9) | 0;
      s[i] = mix32(st);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    const s = this.state;
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
    return Math.floor((x / 9007199254740992) * bound);
  }

  /** Uniform float in the open interval (0, 1): safe to take the logarithm of. */
  nextOpen01(): number {
    return (this.nextU32() + 0.5) * INV_TWO_POW_32;
  }
}
