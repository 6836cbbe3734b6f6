// Ingest benchmark: TSV -> graph store in edges/s (one core), load of the 1M-node / 20M-edge powerlaw
// graph into shared memory in GB/s (with and without checksums), XXH32 speed, and feature gather rates.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildGraph } from '../graph-store/build-graph.js';
import { readEdgeList } from '../graph-store/edge-list-reader.js';
import { Xxh32 } from '../graph-store/checksum.js';
import { gatherFloat16, gatherFloat32, gatherInt8 } from '../graph-store/feature-gather.js';
import { toFloat16Bits } from '../graph-store/float16.js';
import { openGraph } from '../graph-store/open-graph.js';
import { Xoshiro128Float } from '../runtime/prng.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { gitCommit } from './git-commit.js';

const { values: args } = parseArgs({
  options: {
    'tsv-edges': { type: 'string', default: '5000000' },
    'tsv-nodes': { type: 'string', default: '1000000' },
    nodes: { type: 'string', default: '1000000' },
    edges: { type: 'string', default: '20000000' },
    'feature-dim': { type: 'string', default: '64' },
    repeats: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/results/ingest.json' },
  },
});
const tsvEdges = Number(args['tsv-edges']);
const tsvNodes = Number(args['tsv-nodes']);
const repeats = Number(args.repeats);
const work = path.join(os.tmpdir(), `weft-bench-ingest-${process.pid}`);
mkdirSync(work, { recursive: true });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Writes a TSV edge list (optionally with a timestamp column) without building strings per line. */
function writeTsv(
  file: string,
  edges: number,
  nodes: number,
  withTs: boolean,
  seed: number,
): number {
  const rng = new Xoshiro128Float(seed);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(1 << 22);
  let used = 0;
  let bytes = 0;
  const put = (n: number, end: number): void => {
    const s = String(n);
    used += buf.write(s, used, 'latin1');
    buf[used++] = end;
  };
  for (let i = 0; i < edges; i++) {
    if (used > buf.length - 64) {
      writeSync(fd, buf, 0, used);
      bytes += used;
      used = 0;
    }
    put(rng.below(nodes), 0x09);
    put(rng.below(nodes), withTs ? 0x09 : 0x0a);
    if (withTs) put(1_600_000_000 + rng.below(50_000_000), 0x0a);
  }
  writeSync(fd, buf, 0, used);
  closeSync(fd);
  return bytes + used;
}

async function ingest(
  withTs: boolean,
  undirected: boolean,
): Promise<Record<string, number | boolean>> {
  const file = path.join(work, `edges${withTs ? '-ts' : ''}.tsv`);
  if (!existsSync(file)) writeTsv(file, tsvEdges, tsvNodes, withTs, 7);
  const bytes = statSync(file).size;
  const secs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const out = path.join(work, `built-${r}`);
    rmSync(out, { recursive: true, force: true });
    const t = performance.now();
    await buildGraph({ edges: file, out, undirected });
    secs.push((performance.now() - t) / 1000);
    rmSync(out, { recursive: true, force: true });
  }
  const s = median(secs);
  return {
    edges: tsvEdges,
    timestamps: withTs,
    undirected,
    fileBytes: bytes,
    medianSeconds: s,
    bestSeconds: Math.min(...secs),
    edgesPerSecond: tsvEdges / s,
  };
}

/** The edge-list parser alone (no CSR, no writes), best of the repeats. */
function parseOnly(withTs: boolean): Record<string, number | boolean> {
  const file = path.join(work, `edges${withTs ? '-ts' : ''}.tsv`);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    readEdgeList({ file, onChunk: () => undefined });
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return { timestamps: withTs, bestSeconds: best, linesPerSecond: tsvEdges / best };
}

function checksumRate(): number {
  const data = new Uint8Array(256 << 20);
  for (let i = 0; i < data.length; i += 4093) data[i] = i & 255;
  const secs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    new Xxh32().update(data).digest();
    secs.push((performance.now() - t) / 1000);
  }
  return data.length / median(secs) / 1e9;
}

/** Rows per second for the element loop and for out.set(subarray) at several row widths. */
function gatherVariants(): Record<string, unknown>[] {
  const results: Record<string, unknown>[] = [];
  for (const dim of [16, 32, 64, 256, 1024]) {
    const rows = Math.floor((256 << 20) / (4 * dim));
    // Shared memory, as the loaded store holds it.
    const src = new Float32Array(new SharedArrayBuffer(rows * dim * 4));
    for (let i = 0; i < src.length; i++) src[i] = i & 1023;
    const rng = new Xoshiro128Float(dim);
    const batch = 4096;
    const ids = new Uint32Array(batch).map(() => rng.below(rows));
    const out = new Float32Array(batch * dim);
    const loop = (): void => {
      for (let i = 0; i < batch; i++) {
        const base = ids[i] * dim;
        const o = i * dim;
        for (let k = 0; k < dim; k++) out[o + k] = src[base + k];
      }
    };
    const set = (): void => {
      for (let i = 0; i < batch; i++) {
        const base = ids[i] * dim;
        out.set(src.subarray(base, base + dim), i * dim);
      }
    };
    const rate = (fn: () => void): number => {
      for (let w = 0; w < 20; w++) fn();
      const t = performance.now();
      let n = 0;
      while (performance.now() - t < 400) {
        fn();
        n++;
      }
      return (n * batch) / ((performance.now() - t) / 1000);
    };
    const loopRows = rate(loop);
    const setRows = rate(set);
    const lib = rate(() => gatherFloat32(src, dim, ids, batch, out, 0));
    results.push({
      dim,
      loopRowsPerSecond: loopRows,
      setRowsPerSecond: setRows,
      libraryRowsPerSecond: lib,
      libraryGBps: (lib * dim * 4) / 1e9,
      faster: loopRows > setRows ? 'loop' : 'set',
    });
  }
  return results;
}

function decodeRates(dim: number): Record<string, number> {
  const rows = 200_000;
  const rng = new Xoshiro128Float(4);
  const f32 = new Float32Array(rows * dim).map(() => rng.normal());
  const f16 = Uint16Array.from(f32, (x) => toFloat16Bits(x));
  const i8 = Int8Array.from(f32, (x) => Math.max(-127, Math.min(127, Math.round(x * 40))));
  const scales = new Float32Array(rows).fill(1 / 40);
  const batch = 4096;
  const ids = new Uint32Array(batch).map(() => rng.below(rows));
  const out = new Float32Array(batch * dim);
  const rate = (fn: () => void): number => {
    for (let w = 0; w < 20; w++) fn();
    const t = performance.now();
    let n = 0;
    while (performance.now() - t < 400) {
      fn();
      n++;
    }
    return (n * batch) / ((performance.now() - t) / 1000);
  };
  return {
    dim,
    float32RowsPerSecond: rate(() => gatherFloat32(f32, dim, ids, batch, out, 0)),
    float16RowsPerSecond: rate(() => gatherFloat16(f16, dim, ids, batch, out, 0)),
    int8RowsPerSecond: rate(() => gatherInt8({ values: i8, scales }, dim, ids, batch, out, 0)),
  };
}

async function load(): Promise<Record<string, unknown>> {
  const dir = path.join(work, 'powerlaw');
  const o = {
    nodes: Number(args.nodes),
    edges: Number(args.edges),
    featureDim: Number(args['feature-dim']),
    classes: 8,
    seed: 1,
  };
  const t0 = performance.now();
  await synthPowerlaw(o, dir);
  const synthSeconds = (performance.now() - t0) / 1000;
  const runs: Record<string, number>[] = [];
  for (const verify of [true, false]) {
    const secs: number[] = [];
    let bytes = 0;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      const g = await openGraph(dir, { verifyChecksums: verify });
      secs.push((performance.now() - t) / 1000);
      bytes = g.sharedBytes();
    }
    const s = median(secs);
    runs.push({ verifyChecksums: verify ? 1 : 0, bytes, medianSeconds: s, GBps: bytes / s / 1e9 });
  }
  return { graph: { ...o }, synthSeconds, pageCache: 'warm (files just written)', runs };
}

const loadavgAtStart = os.loadavg();
const results = {
  ingest: [await ingest(false, false), await ingest(false, true), await ingest(true, false)],
  parseOnly: [parseOnly(false), parseOnly(true)],
  checksumGBps: checksumRate(),
  load: await load(),
  gather: gatherVariants(),
  decode: decodeRates(64),
};
rmSync(work, { recursive: true, force: true });
const commit = gitCommit();
const report = {
  machine: os.cpus()[0]?.model,
  cores: os.cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  commit,
  loadavgAtStart,
  note: 'one process, one core of work; other work was using the machine at the same time',
  results,
};
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
