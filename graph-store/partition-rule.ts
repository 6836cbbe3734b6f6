// The rule that assigns each global node id to one of P parts: murmur3's 32-bit finalizer (fmix32) of
// the id, modulo P. Hashing first spreads hubs and id-ordered communities evenly over the parts.

/** fmix32 of a 32-bit unsigned integer. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Part (0..count-1) that owns a global node id. */
export function partOf(globalId: number, count: number): number {
  return fmix32(globalId) % count;
}

/** Directory name of part `index` inside a partitioned graph folder. */
export function partDirName(index: number): string {
  return `part-${String(index).padStart(4, '0')}`;
}
