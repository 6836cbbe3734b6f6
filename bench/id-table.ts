// Speed of the sparse ID-embedding table on the parameter server: rows pulled and pushed per second
// (Adagrad and lazy Adam), lazy creation vs existing rows, and snapshot time, at a modest size.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { ownerOf, splitIdsByOwner } from '../actors/parameter-server/id-shard.js';
import { SparseTable, type SparseOptimizerKind } from '../actors/parameter-server/sparse-table.js';
import { uniqueIds } from '../actors/parameter-server/unique-ids.js';
import { Mulberry32 } from '../runtime/prng.js';
import { gitCommit } from './git-commit.js';

const out = join(import.meta.dirname, 'results', 'id-table.json');
const UNIVERSE = 2_000_000;
const BATCH_IDS = 8192;
const DIM = 64;
const BATCHES = 60;

function batches(seed: number): Int32Array[] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: BATCHES }, () => {
    const ids = new Int32Array(BATCH_IDS);
    // Skewed ids (popular members and jobs): squares of uniforms concentrate near 0.
    for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(rng.next() ** 2 * UNIVERSE);
    return ids;
  });
}

function run(kind: SparseOptimizerKind) {
  const table = new SparseTable({ dim: DIM, optimizer: kind, lr: 0.05, seed: 1, initScale: 0.05 });
  const bs = batches(7);
  const grads = new Float32Array(BATCH_IDS * DIM).fill(0.01);
  let rows = 0;
  const t0 = performance.now();
  let pullMs = 0;
  let pushMs = 0;
  for (const ids of bs) {
    const a = performance.now();
    table.pull(ids);
    const b = performance.now();
    table.push(ids, grads);
    pushMs += performance.now() - b;
    pullMs += b - a;
    rows += ids.length;
  }
  const firstPassMs = performance.now() - t0;
  // Second pass over the same ids: every row exists (no creation).
  let warmPullMs = 0;
  for (const ids of bs) {
    const a = performance.now();
    table.pull(ids);
    warmPullMs += performance.now() - a;
  }
  const s0 = performance.now();
  const snap = table.snapshot();
  const snapshotMs = performance.now() - s0;
  return {
    optimizer: kind,
    rows_created: table.size,
    table_bytes: table.bytes(),
    pull_rows_per_s_with_creation: Math.round(rows / (pullMs / 1000)),
    pull_rows_per_s_existing: Math.round(rows / (warmPullMs / 1000)),
    push_rows_per_s: Math.round(rows / (pushMs / 1000)),
    first_pass_ms: Math.round(firstPassMs),
    snapshot_ms: Math.round(snapshotMs),
    snapshot_rows: snap.ids.length,
  };
}

function wire() {
  // What one batch moves: its id list vs the unique ids split by owner (4 shards).
  const ids = batches(3)[0];
  const { unique } = uniqueIds(ids);
  const parts = splitIdsByOwner(unique, 4);
  const t0 = performance.now();
  for (let r = 0; r < 200; r++) for (const id of unique) ownerOf(id, 4);
  const hashNs = ((performance.now() - t0) * 1e6) / (200 * unique.length);
  return {
    batch_ids: ids.length,
    unique_ids: unique.length,
    per_shard_ids: parts.map((p) => p.ids.length),
    pull_bytes_unique: unique.length * (DIM + 1) * 4,
    pull_bytes_if_not_deduplicated: ids.length * (DIM + 1) * 4,
    owner_hash_ns_per_id: Number(hashNs.toFixed(1)),
  };
}

const loadavgAtStart = os.loadavg();
const results = { adagrad: run('adagrad'), lazyAdam: run('lazy-adam'), wire: wire() };
const commit = gitCommit();
const record = {
  machine: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  commit,
  loadavgAtStart,
  config: { universe: UNIVERSE, batchIds: BATCH_IDS, dim: DIM, batches: BATCHES },
  results,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
