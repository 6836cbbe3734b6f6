// The memory limit the memory alert compares resident memory with: a cgroup limit when set, else the
// machine's memory; "no limit" spellings of cgroup v1 and v2 fall back to the machine.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryLimitBytes, parseCgroupLimit } from '../../runtime/memory-limit.js';

const GIB = 1024 ** 3;

describe('memory limit', () => {
  it('reads cgroup limits and treats the no-limit spellings as none', () => {
    expect(parseCgroupLimit('2147483648\n', 16 * GIB)).toBe(2 * GIB);
    expect(parseCgroupLimit('max\n', 16 * GIB)).toBeUndefined();
    // cgroup v1 says "no limit" with a page-rounded 2^63.
    expect(parseCgroupLimit('9223372036854771712', 16 * GIB)).toBeUndefined();
    expect(parseCgroupLimit('', 16 * GIB)).toBeUndefined();
    expect(parseCgroupLimit('0', 16 * GIB)).toBeUndefined();
  });

  it('never exceeds the machine’s memory', () => {
    const limit = memoryLimitBytes();
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(os.totalmem());
  });
});
