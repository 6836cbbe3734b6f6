// XXH32 (seed 0) over raw bytes, incremental: the per-file checksum recorded in a graph manifest. The
// bulk of the stripes goes to the native addon's loop when it is built (native/xxh32-impl.h, the same
// bits); this TypeScript loop, four 32-bit lanes over little-endian words, is the fallback.
import { nativeAddon } from '../runtime/native-addon.js';

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1)
  throw new Error('graph-store requires a little-endian host');

/** Scratch for the lanes on their way through the addon (one thread, never re-entered). */
const LANES = new Uint32Array(4);

/** Below this many stripe bytes an update stays in TypeScript: a native call costs more. */
const NATIVE_MIN_BYTES = 4096;

type StripeKernel = (lanes: Uint32Array, bytes: Uint8Array) => void;
let nativeStripes: StripeKernel | null | undefined;

/** The addon's stripe loop, or null without the addon (or an older build without it). */
function stripeKernel(): StripeKernel | null {
  if (nativeStripes === undefined) {
    const m = nativeAddon().module as { xxh32Stripes?: StripeKernel } | null;
    nativeStripes = typeof m?.xxh32Stripes === 'function' ? m.xxh32Stripes.bind(m) : null;
  }
  return nativeStripes;
}

export interface Xxh32Options {
  /** Use the native stripe loop when the addon has one (default true; false: TypeScript only). */
  native?: boolean;
  /** Stripe bytes from which one update goes native (default 4096; tests lower it). */
  nativeFromBytes?: number;
}

/** Streaming XXH32: feed any number of byte chunks, then read `digest()`. */
export class Xxh32 {
  private v1 = (P1 + P2) | 0;
  private v2 = P2 | 0;
  private v3 = 0;
  private v4 = -P1 | 0;
  private totalBytes = 0;
  // Up to 15 bytes that did not fill a 16-byte stripe yet.
  private readonly pending = new Uint8Array(16);
  private readonly pendingWords = new Uint32Array(this.pending.buffer);
  private pendingBytes = 0;
  private readonly native: StripeKernel | null;
  private readonly nativeFromBytes: number;

  constructor(options: Xxh32Options = {}) {
    this.native = options.native === false ? null : stripeKernel();
    this.nativeFromBytes = Math.max(16, options.nativeFromBytes ?? NATIVE_MIN_BYTES);
  }

  update(bytes: Uint8Array): this {
    let pos = 0;
    const len = bytes.length;
    this.totalBytes += len;
    if (this.pendingBytes > 0) {
      const take = Math.min(16 - this.pendingBytes, len);
      this.pending.set(bytes.subarray(0, take), this.pendingBytes);
      this.pendingBytes += take;
      pos = take;
      if (this.pendingBytes < 16) return this;
      this.stripes(this.pendingWords, 0, 4);
      this.pendingBytes = 0;
    }
    const stripeBytes = (len - pos) & ~15;
    if (stripeBytes > 0) {
      const start = bytes.byteOffset + pos;
      if (this.native !== null && stripeBytes >= this.nativeFromBytes) {
        this.nativeStripes(this.native, bytes.subarray(pos, pos + stripeBytes));
      } else if ((start & 3) === 0) {
        // Aligned: read the stripes as words straight from the caller's buffer.
        const words = new Uint32Array(bytes.buffer, start, stripeBytes >>> 2);
        this.stripes(words, 0, words.length);
      } else {
        // Unaligned input is rare (a sub-view of a file chunk); copy through the pending block.
        for (let s = pos; s < pos + stripeBytes; s += 16) {
          this.pending.set(bytes.subarray(s, s + 16));
          this.stripes(this.pendingWords, 0, 4);
        }
      }
      pos += stripeBytes;
    }
    if (pos < len) {
      this.pending.set(bytes.subarray(pos), 0);
      this.pendingBytes = len - pos;
    }
    return this;
  }

  /** The lanes through the addon's loop (any alignment: it reads words with memcpy). */
  private nativeStripes(kernel: StripeKernel, stripes: Uint8Array): void {
    const lanes = LANES;
    lanes[0] = this.v1;
    lanes[1] = this.v2;
    lanes[2] = this.v3;
    lanes[3] = this.v4;
    kernel(lanes, stripes);
    this.v1 = lanes[0] | 0;
    this.v2 = lanes[1] | 0;
    this.v3 = lanes[2] | 0;
    this.v4 = lanes[3] | 0;
  }

  private stripes(w: Uint32Array, from: number, to: number): void {
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    for (let i = from; i < to; i += 4) {
      v1 = (v1 + Math.imul(w[i], P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(w[i + 1], P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(w[i + 2], P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(w[i + 3], P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  /** The 32-bit digest of everything fed so far, as an unsigned number. */
  digest(): number {
    let h: number;
    if (this.totalBytes >= 16) {
      const { v1, v2, v3, v4 } = this;
      h =
        (((v1 << 1) | (v1 >>> 31)) +
          ((v2 << 7) | (v2 >>> 25)) +
          ((v3 << 12) | (v3 >>> 20)) +
          ((v4 << 18) | (v4 >>> 14))) |
        0;
    } else {
      h = P5;
    }
    // XXH32 mixes in the length modulo 2^32.
    h = (h + (this.totalBytes % 0x100000000)) | 0;
    const p = this.pending;
    let i = 0;
    for (; i + 4 <= this.pendingBytes; i += 4) {
      const word = p[i] | (p[i + 1] << 8) | (p[i + 2] << 16) | (p[i + 3] << 24);
      h = (h + Math.imul(word, P3)) | 0;
      h = Math.imul((h << 17) | (h >>> 15), P4);
    }
    for (; i < this.pendingBytes; i++) {
      h = (h + Math.imul(p[i], P5)) | 0;
      h = Math.imul((h << 11) | (h >>> 21), P1);
    }
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/** Manifest spelling of a digest: `xxh32:` and eight lowercase hex digits. */
export function formatChecksum(digest: number): string {
  return `xxh32:${digest.toString(16).padStart(8, '0')}`;
}

/** XXH32 of one byte range, formatted for the manifest. */
export function checksumBytes(bytes: Uint8Array): string {
  return formatChecksum(new Xxh32().update(bytes).digest());
}

/** Byte views of a typed array, in pieces short enough for a Uint8Array (at most 2^31 bytes each). */
export function* bytePieces(
  buffer: ArrayBufferLike,
  byteOffset: number,
  byteLength: number,
  pieceBytes = 1 << 30,
): Generator<Uint8Array> {
  for (let done = 0; done < byteLength; done += pieceBytes)
    yield new Uint8Array(buffer, byteOffset + done, Math.min(pieceBytes, byteLength - done));
}

/** XXH32 of a typed array's bytes (any size), formatted for the manifest. */
export function checksumArray(a: ArrayBufferView): string {
  const h = new Xxh32();
  for (const piece of bytePieces(a.buffer, a.byteOffset, a.byteLength)) h.update(piece);
  return formatChecksum(h.digest());
}
