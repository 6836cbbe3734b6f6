// 2 MiB pages for the graph arrays the producer reads at random (indptr, indices, features), so a
// random row read stops paying a page walk as well as a cache miss (bench/NOTES.md, "The producer").
import { nativeKernels } from './addon.js';

/** A graph array the producer reads at random; absent arrays are skipped. */
export type RandomReadArray = Exclude<ArrayBufferView, DataView> | undefined;

/**
 * Asks the kernel for huge pages over each array's 2 MiB-aligned interior and has the pages already
 * filled merged now (Linux 6.1+; older kernels merge them in the background). Contents are unchanged.
 * Returns the bytes advised: 0 without the native addon, off Linux, or where the kernel refused.
 */
export function adviseHugePages(arrays: readonly RandomReadArray[]): number {
  const addon = nativeKernels();
  if (addon === null) return 0;
  let bytes = 0;
  for (const a of arrays) {
    if (a === undefined) continue;
    bytes += Math.max(0, addon.hugePages(a, true));
  }
  return bytes;
}
