// Partition-owning samplers in one process: every part's owner opened, in-process peers that count
// their asks, and the byte-for-byte comparison of two batch records.
import { join } from 'node:path';
import { expect } from 'vitest';
import { setBatchTimings, type BatchFields } from '../../actors/batch/batch-record.js';
import type { PartitionPeers } from '../../actors/sampler/partition-sampler-builder.js';
import { PartitionOwner } from '../../actors/sampler/partition-sampler-owner.js';
import { openGraph } from '../../graph-store/open-graph.js';
import { partDirName } from '../../graph-store/partition-rule.js';

/** The owners of parts 0..parts-1 of a partition folder. */
export async function openParts(dir: string, parts: number): Promise<PartitionOwner[]> {
  const owners: PartitionOwner[] = [];
  for (let p = 0; p < parts; p++)
    owners.push(new PartitionOwner(await openGraph(join(dir, partDirName(p)))));
  return owners;
}

/** In-process owners as a sampler's peers (each call answers as the owner would); calls[p] counts. */
export function peersOf(owners: PartitionOwner[], calls: number[]): PartitionPeers {
  return {
    rows: async (p, req) => {
      calls[p]++;
      return owners[p].rows(req);
    },
    expand: async (p, req) => {
      calls[p]++;
      return owners[p].expand(req);
    },
  };
}

/** Every field byte-equal, except the two timings in meta. */
export function expectSameBatch(a: BatchFields, b: BatchFields, what: string): void {
  expect(Object.keys(b).sort(), what).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    const u = a[k] as ArrayBufferView;
    const v = b[k] as ArrayBufferView;
    expect(v.constructor, `${what} ${k}`).toBe(u.constructor);
    if (k === 'meta') {
      const m = Float64Array.from(u as Float64Array);
      const n = Float64Array.from(v as Float64Array);
      setBatchTimings(m, 0, 0);
      setBatchTimings(n, 0, 0);
      expect(Array.from(n), `${what} meta`).toEqual(Array.from(m));
      continue;
    }
    const bu = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    const bv = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    expect(bv.equals(bu), `${what} ${k} (${u.byteLength} bytes)`).toBe(true);
  }
}
