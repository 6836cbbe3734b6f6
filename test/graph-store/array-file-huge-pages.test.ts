// Large shared arrays are asked for 2 MiB pages before the file is read into them: the bytes and
// the checksum check are unchanged, and on Linux with transparent huge pages the array's pages are
// huge as soon as it is read (no collapse needed later).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArrayFile } from '../../graph-store/array-file.js';
import { checksumArray } from '../../graph-store/checksum.js';
import { GraphFormatError } from '../../graph-store/errors.js';
import type { FileEntry } from '../../graph-store/manifest.js';
import { nativeAddon } from '../../runtime/native-addon.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-array-huge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A float32 array file of `length` values, and its manifest entry. */
function arrayFile(name: string, length: number): { entry: FileEntry; values: Float32Array } {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = (i % 1013) * 0.25 - 7;
  writeFileSync(join(tmp, name), values);
  const entry: FileEntry = {
    path: name,
    dtype: 'f32',
    length,
    bytes: values.byteLength,
    checksum: checksumArray(values),
  };
  return { entry, values };
}

/** AnonHugePages of this process, KiB. */
function anonHugeKib(): number {
  const smaps = readFileSync('/proc/self/smaps_rollup', 'utf8');
  return Number(/AnonHugePages:\s+(\d+) kB/.exec(smaps)?.[1] ?? 0);
}

function thpMode(): string {
  try {
    return /\[(\w+)\]/.exec(
      readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'),
    )![1];
  } catch {
    return 'never';
  }
}

describe('readArrayFile of a large shared array', () => {
  it('reads the same values and still refuses a wrong checksum', async () => {
    const { entry, values } = arrayFile('a.f32', 9 * 262_144 + 1234); // 9 MiB and a bit
    const { view } = await readArrayFile(tmp, entry, 'a', { shared: true });
    expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(Buffer.from(view.buffer), Buffer.from(values.buffer))).toBe(0);
    await expect(
      readArrayFile(tmp, { ...entry, checksum: 'xxh32:00000000' }, 'a', { shared: true }),
    ).rejects.toThrow(GraphFormatError);
  });

  it.skipIf(nativeAddon().module === null || process.platform !== 'linux' || thpMode() === 'never')(
    'is on huge pages once read',
    async () => {
      const { entry } = arrayFile('b.f32', 32 * 262_144); // 32 MiB: at least 15 whole 2 MiB pages
      const before = anonHugeKib();
      const { view } = await readArrayFile(tmp, entry, 'b', { shared: true });
      expect(view.length).toBe(entry.length);
      expect(anonHugeKib() - before).toBeGreaterThanOrEqual(2048);
    },
  );
});
