// The native XXH32 stripe loop gives the TypeScript digests on every instruction set: published
// vectors, every length 0..4099 at odd offsets, updates split at odd boundaries, views far into a
// buffer above 4 GiB; bad arguments throw; WEFT_KERNELS=wasm hashes in TypeScript.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Xxh32, checksumBytes, formatChecksum } from '../../../graph-store/checksum.js';
import { nativeKernels, type NativeIsa } from '../../../kernels/native/addon.js';
import { Mulberry32 } from '../../../runtime/prng.js';

const addon = nativeKernels();
if (addon === null)
  console.warn('native kernels not built (no compiler?): skipping the native XXH32 tests');

const ISAS = ['avx512', 'avx2', 'scalar'] as NativeIsa[];
const enc = new TextEncoder();

/** Every whole stripe through the addon (from 16 bytes), or none. */
const native = (): Xxh32 => new Xxh32({ nativeFromBytes: 16 });
const typescript = (): Xxh32 => new Xxh32({ native: false });

function randomBytes(n: number, seed: number, pad = 0): Uint8Array {
  const rng = new Mulberry32(seed);
  const out = new Uint8Array(n + pad);
  for (let i = 0; i < out.length; i++) out[i] = rng.nextU32() & 255;
  return out.subarray(pad);
}

describe.skipIf(addon === null)('native XXH32', () => {
  const best = addon?.bestIsa() ?? 'scalar';
  const isas = ISAS.filter((i) => ISAS.indexOf(i) >= ISAS.indexOf(best));
  afterAll(() => {
    addon?.isa(best);
  });

  it.each(ISAS)('%s: published vectors and every length 0..4099 at odd offsets', (isa) => {
    if (!isas.includes(isa)) return;
    addon!.isa(isa);
    const vectors: [string, string][] = [
      ['', 'xxh32:02cc5d05'],
      ['a', 'xxh32:550d7456'],
      ['abc', 'xxh32:32d153ff'],
      ['Nobody inspects the spammish repetition', 'xxh32:e2293b2f'],
    ];
    for (const [text, digest] of vectors)
      expect(formatChecksum(native().update(enc.encode(text)).digest())).toBe(digest);
    for (let n = 0; n <= 4099; n++) {
      // pad 0..3: the words start at every alignment.
      const bytes = randomBytes(n, n + 1, n % 4);
      const want = typescript().update(bytes).digest();
      expect(native().update(bytes).digest(), `length ${n}`).toBe(want);
    }
  });

  it.each(ISAS)('%s: updates split at odd boundaries give the one-shot digest', (isa) => {
    if (!isas.includes(isa)) return;
    addon!.isa(isa);
    for (let seed = 1; seed <= 30; seed++) {
      const rng = new Mulberry32(seed);
      const n = 20_000 + rng.int(50_000);
      const bytes = randomBytes(n, seed * 7);
      const want = typescript().update(bytes).digest();
      const h = new Xxh32(); // the default threshold: short pieces stay in TypeScript
      for (let pos = 0; pos < n;) {
        const take = 1 + 2 * rng.int(6000); // odd sizes, some below 4096
        h.update(bytes.subarray(pos, Math.min(n, pos + take)));
        pos += take;
      }
      expect(h.digest(), `seed ${seed}`).toBe(want);
    }
  });

  it('hashes a view 4.5 GiB into a buffer as its copy', () => {
    let big: SharedArrayBuffer;
    try {
      big = new SharedArrayBuffer(5 * 2 ** 30); // untouched pages: no memory until written
    } catch {
      console.warn('no 5 GiB of address space here: skipping the far-offset case');
      return;
    }
    const at = 4.5 * 2 ** 30 + 3;
    const view = new Uint8Array(big, at, 4099 + 4096);
    view.set(randomBytes(view.length, 99));
    expect(view.byteOffset).toBe(at);
    expect(native().update(view).digest()).toBe(typescript().update(view.slice()).digest());
  });

  it('refuses lanes of the wrong length and partial stripes', () => {
    expect(() => addon!.xxh32Stripes(new Uint32Array(3), new Uint8Array(16))).toThrow(
      /lanes must hold 4 values/,
    );
    expect(() => addon!.xxh32Stripes(new Uint32Array(4), new Uint8Array(17))).toThrow(
      /whole 16-byte stripes, got 17 bytes/,
    );
    expect(() =>
      addon!.xxh32Stripes(new Uint32Array(4), new Int32Array(4) as unknown as Uint8Array),
    ).toThrow(/bytes must be a Uint8Array/);
  });
});

describe('XXH32 without the addon', () => {
  it('WEFT_KERNELS=wasm hashes in TypeScript, to the same digests', () => {
    const script = [
      "const { nativeAddon } = await import('./runtime/native-addon.ts');",
      "const { checksumBytes } = await import('./graph-store/checksum.ts');",
      'const bytes = new Uint8Array(100_003).map((_, i) => (i * 2654435761) >>> 24);',
      'console.log(JSON.stringify({ module: nativeAddon().module, reason: nativeAddon().reason, digest: checksumBytes(bytes) }));',
    ].join('\n');
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, WEFT_KERNELS: 'wasm' }, encoding: 'utf8' },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    const bytes = new Uint8Array(100_003).map((_, i) => (i * 2654435761) >>> 24);
    expect(r).toEqual({
      module: null,
      reason: 'forced by WEFT_KERNELS=wasm',
      digest: checksumBytes(bytes),
    });
  });
});
