import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  latestCheckpoint,
  readCheckpoint,
  saveCheckpoint,
} from '../../../actors/parameter-server/checkpoint.js';
import { InputError } from '../../../runtime/errors.js';

describe('checkpoints', () => {
  it('round-trips tensors and meta, moves LATEST and keeps the newest versions', async () => {
    const root = mkdtempSync(join(tmpdir(), 'weft-ckpt-'));
    for (let step = 1; step <= 5; step++) {
      const t = new Map([
        ['w', Float32Array.from({ length: 10 }, (_, i) => i * step)],
        ['w.adam_m', new Float32Array(10).fill(step)],
      ]);
      await saveCheckpoint(root, step, t, { epoch: step }, 2);
    }
    const c = latestCheckpoint(root)!;
    expect(c.step).toBe(5);
    expect(c.meta.epoch).toBe(5);
    expect([...c.tensors.get('w')!]).toEqual(Array.from({ length: 10 }, (_, i) => i * 5));
    expect(readdirSync(root).filter((d) => d.startsWith('v')).length).toBe(2);
    expect(readdirSync(root).some((d) => d.includes('tmp'))).toBe(false);
  });

  it('detects a corrupted or truncated tensor file and names it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'weft-ckpt-'));
    const dir = await saveCheckpoint(root, 1, new Map([['w', new Float32Array(8).fill(1)]]), {});
    const file = join(dir, 'w.f32');
    const bytes = readFileSync(file);
    bytes[3] ^= 0xff;
    writeFileSync(file, bytes);
    expect(() => readCheckpoint(dir)).toThrow(/checksum mismatch/);
    writeFileSync(file, bytes.subarray(0, 12));
    try {
      readCheckpoint(dir);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).file).toBe(file);
    }
  });

  it('returns undefined when there is no checkpoint', () => {
    expect(latestCheckpoint(mkdtempSync(join(tmpdir(), 'weft-ckpt-')))).toBeUndefined();
  });
});
