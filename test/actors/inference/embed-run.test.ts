// `weft embed`: versioned embedding outputs (LATEST, manifest, checksums), streaming in batches,
// determinism, corruption detection, node-type selection, and agreement with evaluation.
import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { embedRun } from '../../../actors/inference/embed-run.js';
import {
  listEmbeddingVersions,
  latestEmbeddingVersion,
  readEmbeddings,
  versionName,
} from '../../../actors/inference/embedding-format.js';
import {
  writeEmbeddingVersion,
  type EmbeddingHeader,
} from '../../../actors/inference/embedding-writer.js';
import { evaluateRun } from '../../../actors/inference/evaluate-run.js';
import { run as embedCommand } from '../../../cli/commands/embed.js';
import { checksumArray } from '../../../graph-store/checksum.js';
import { openGraph } from '../../../graph-store/open-graph.js';
import { ConfigError, InputError } from '../../../runtime/errors.js';
import { trainedPairForFile } from './fixture.js';

const runs = trainedPairForFile('weft-embed-', (s) => {
  // Full neighbourhoods at evaluation: a node's rows then do not depend on its batch-mates.
  s.eval.fullNeighbors = true;
});

async function thrown(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

function argmax(rows: Float32Array, row: number, dim: number): number {
  let best = 0;
  for (let k = 1; k < dim; k++) if (rows[row * dim + k] > rows[row * dim + best]) best = k;
  return best;
}

describe('embedRun', () => {
  it('writes two versions, moves LATEST to the second, and both verify and agree bit for bit', async () => {
    const out = join(runs.dir, 'emb');
    const a = await embedRun(runs.node.runDir, { out });
    const b = await embedRun(runs.node.runDir, { out });
    expect(a.version).toBe('v000001');
    expect(b.version).toBe('v000002');
    expect(a.dir).toBe(join(out, 'inf-node', 'v000001'));
    expect(readFileSync(join(out, 'inf-node', 'LATEST'), 'utf8').trim()).toBe('v000002');
    expect(latestEmbeddingVersion(out, 'inf-node')).toBe('v000002');
    expect(listEmbeddingVersions(out, 'inf-node')).toEqual(['v000001', 'v000002']);
    expect(readdirSync(join(out, 'inf-node')).some((d) => d.includes('tmp'))).toBe(false);

    const latest = readEmbeddings(out, 'inf-node');
    const first = readEmbeddings(out, 'inf-node', 'v000001');
    expect(latest.dir).toBe(b.dir);
    const m = latest.manifest;
    expect(m.format).toBe('weft-embeddings');
    expect(m.version).toBe(1);
    expect(m.model).toBe('inf-node');
    expect(m.outputVersion).toBe('v000002');
    expect(m.count).toBe(3000);
    expect(m.dim).toBe(4); // node task: one logit per class
    expect(m.output).toBe('logits');
    expect(m.dtype).toBe('float32');
    expect(m.nodes).toBe('all');
    expect(m.source.runDir).toBe(runs.node.runDir);
    expect(m.source.checkpointStep).toBeGreaterThan(0);
    expect(m.source.task).toBe('node');
    expect(m.sampling.fanouts).toEqual([-1, -1]);
    expect(m.sampling.batchSize).toBe(runs.node.spec.eval.batchSize);
    expect(Number.isNaN(Date.parse(m.createdAt))).toBe(false);
    expect(m.files.embeddings.checksum).toBe(checksumArray(latest.embeddings));
    expect(m.files.ids.checksum).toBe(checksumArray(latest.ids));
    expect(m.files.embeddings.bytes).toBe(3000 * 4 * 4);
    expect(latest.embeddings.length).toBe(3000 * 4);

    // Every node exactly once, row i = node ids[i] (ids ascending for 'all').
    const seen = new Uint8Array(3000);
    for (const id of latest.ids) seen[id]++;
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(Array.from(latest.ids.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(latest.embeddings.every(Number.isFinite)).toBe(true);

    // Deterministic: the two runs wrote identical bytes.
    expect(Buffer.from(first.embeddings.buffer).equals(Buffer.from(latest.embeddings.buffer))).toBe(
      true,
    );
    expect(Buffer.from(first.ids.buffer).equals(Buffer.from(latest.ids.buffer))).toBe(true);
  });

  it('streams in batches of any size to the same rows (full neighbourhoods)', async () => {
    const ref = readEmbeddings(join(runs.dir, 'emb'), 'inf-node', 'v000001');
    for (const batchSize of [97, 1000]) {
      const out = join(runs.dir, `emb-bs${batchSize}`);
      const r = await embedRun(runs.node.runDir, { out, batchSize });
      expect(r.manifest.sampling.batchSize).toBe(batchSize);
      const e = readEmbeddings(out, 'inf-node');
      expect(e.ids).toEqual(ref.ids);
      let maxDiff = 0;
      for (let i = 0; i < e.embeddings.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(e.embeddings[i] - ref.embeddings[i]));
      }
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  it('gives the class logits that evaluation scores: argmax accuracy on val equals weft eval', async () => {
    const e = readEmbeddings(join(runs.dir, 'emb'), 'inf-node');
    const graph = await openGraph(runs.node.graph);
    const report = await evaluateRun(runs.node.runDir, { split: 'val' });
    let right = 0;
    let total = 0;
    for (let i = 0; i < e.manifest.count; i++) {
      const id = e.ids[i];
      if (graph.split![id] !== 2 || graph.labels![id] < 0) continue; // 2 = validation
      total++;
      if (argmax(e.embeddings, i, e.manifest.dim) === graph.labels![id]) right++;
    }
    expect(total).toBe(report.val!.count);
    expect(right / total).toBeCloseTo(report.val!.accuracy, 10);
  });

  it('detects a corrupted or truncated file and names it', async () => {
    const out = join(runs.dir, 'emb');
    const dir = join(out, 'inf-node', 'v000001');
    const file = join(dir, 'embeddings.f32');
    const bytes = readFileSync(file);
    bytes[1234] ^= 0x01;
    writeFileSync(file, bytes);
    const e1 = await thrown(() => readEmbeddings(out, 'inf-node', 'v000001'));
    expect(e1).toBeInstanceOf(InputError);
    expect((e1 as InputError).file).toBe(file);
    expect(e1.message).toMatch(/checksum mismatch/);

    const ids = join(dir, 'ids.i32');
    truncateSync(ids, 4 * 2999);
    const e2 = await thrown(() => readEmbeddings(out, 'inf-node', 'v000001'));
    expect(e2).toBeInstanceOf(InputError);
    expect((e2 as InputError).file).toBe(ids);
    expect(e2.message).toMatch(/expected 12000 bytes/);

    writeFileSync(ids, Buffer.concat([readFileSync(ids), Buffer.alloc(8)]));
    const e3 = await thrown(() => readEmbeddings(out, 'inf-node', 'v000001'));
    expect((e3 as InputError).file).toBe(ids);

    // The newest version is untouched and still reads.
    expect(readEmbeddings(out, 'inf-node').manifest.outputVersion).toBe('v000002');
    const e4 = await thrown(() => readEmbeddings(out, 'no-such-model'));
    expect(e4).toBeInstanceOf(InputError);
    expect((e4 as InputError).file).toBe(join(out, 'no-such-model', 'LATEST'));
  });

  it('embeds one node type of a link-prediction run (hidden layer, every edge visible)', async () => {
    const graph = await openGraph(runs.link.graph);
    const jobs = graph.nodeTypes.find((t) => t.name === 'job')!;
    const out = join(runs.dir, 'emb-link');
    const a = await embedRun(runs.link.runDir, { out, nodes: 'job', batchSize: 128 });
    const b = await embedRun(runs.link.runDir, { out, nodes: 'job', batchSize: 128 });
    const m = b.manifest;
    expect(m.count).toBe(jobs.count);
    expect(m.dim).toBe(16);
    expect(m.output).toBe('hidden');
    expect(m.nodes).toBe('job');
    expect(m.sampling.strategy).toBe('temporal');
    expect(m.sampling.queryTime).toBe('latest');
    const e = readEmbeddings(out, 'inf-link');
    for (let i = 0; i < e.ids.length; i++) expect(e.ids[i]).toBe(jobs.offset + i);
    const first = readEmbeddings(out, 'inf-link', a.version);
    expect(first.embeddings).toEqual(e.embeddings);
    // Hidden rows of different nodes differ (the model is not constant).
    expect(e.embeddings.subarray(0, 16)).not.toEqual(e.embeddings.subarray(16, 32));

    const err = await thrown(embedRun(runs.link.runDir, { out, nodes: 'recruiter' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('--nodes');
    expect(err.message).toMatch(/member, job, skill, company/);
  });
});

describe('writeEmbeddingVersion', () => {
  const header = (dim: number): EmbeddingHeader => ({
    model: 'team/model v2',
    dim,
    dtype: 'float32',
    nodes: 'all',
    output: 'hidden',
    source: {
      runDir: '/r',
      checkpointStep: 1,
      checkpointDir: '/r/c',
      epoch: 0,
      task: 'link',
      graph: '/g',
    },
    sampling: { strategy: 'uniform', fanouts: [2], batchSize: 8, seed: 0 },
    backend: 'cpu',
  });

  it('reads back exactly what was appended, for random batch splits (20 seeds)', async () => {
    const out = join(runs.dir, 'writer');
    for (let seed = 1; seed <= 20; seed++) {
      let s = seed * 2654435761;
      const rand = () =>
        ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) | 0) >>> 0) / 2 ** 32;
      const dim = 1 + Math.floor(rand() * 9);
      const count = Math.floor(rand() * 300);
      const ids = Int32Array.from({ length: count }, () => Math.floor(rand() * 1e6));
      const rows = Float32Array.from({ length: count * dim }, () => rand() * 2 - 1);
      const w = await writeEmbeddingVersion(out, header(dim), (sink) => {
        for (let at = 0; at < count;) {
          const n = Math.min(count - at, 1 + Math.floor(rand() * 50));
          sink.append(ids.slice(at, at + n), rows.slice(at * dim, (at + n) * dim));
          at += n;
        }
      });
      expect(w.version).toBe(versionName(seed));
      const back = readEmbeddings(out, 'team/model v2');
      expect(back.manifest.outputVersion).toBe(versionName(seed));
      expect(back.manifest.count).toBe(count);
      expect(back.ids).toEqual(ids);
      expect(back.embeddings).toEqual(rows);
    }
    // The model name becomes a safe directory name; the manifest keeps it as given.
    expect(existsSync(join(out, 'team_model_v2', 'LATEST'))).toBe(true);
  });

  it('leaves no version and keeps LATEST when filling fails', async () => {
    const out = join(runs.dir, 'writer-fail');
    await writeEmbeddingVersion(out, header(2), (sink) =>
      sink.append(Int32Array.of(1), Float32Array.of(1, 2)),
    );
    const err = await thrown(
      writeEmbeddingVersion(out, header(2), (sink) => {
        sink.append(Int32Array.of(2), Float32Array.of(3, 4));
        throw new Error('model failed');
      }),
    );
    expect(err.message).toBe('model failed');
    expect(readdirSync(join(out, 'team_model_v2')).sort()).toEqual(['LATEST', 'v000001']);
    expect(readEmbeddings(out, 'team/model v2').ids).toEqual(Int32Array.of(1));
    // The next successful write takes the next number.
    const w = await writeEmbeddingVersion(out, header(2), (sink) =>
      sink.append(Int32Array.of(3), Float32Array.of(5, 6)),
    );
    expect(w.version).toBe('v000002');
  });
});

describe('weft embed', () => {
  let log: MockInstance;
  beforeEach(() => {
    log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());
  const printed = (): string => log.mock.calls.map((c) => String(c[0])).join('\n');

  it('writes a version and prints it, or its manifest as JSON', async () => {
    const out = join(runs.dir, 'emb-cli');
    expect(
      await embedCommand([runs.node.runDir, '--out', out, '--batch-size', '500', '--quiet']),
    ).toBe(0);
    expect(printed()).toMatch(/^wrote .*inf-node\/v000001: 3,000 nodes x 4 \(logits\)/);
    log.mockClear();
    expect(
      await embedCommand([runs.link.runDir, '--out', out, '--nodes', 'member', '--json']),
    ).toBe(0);
    const m = JSON.parse(printed()) as { outputVersion: string; count: number; nodes: string };
    expect(m.outputVersion).toBe('v000001');
    expect(m.nodes).toBe('member');
    expect(m.count).toBe(1500);
  });

  it('rejects missing --out and a bad --batch-size', async () => {
    await expect(embedCommand([runs.node.runDir])).rejects.toThrow(/--out/);
    await expect(
      embedCommand([runs.node.runDir, '--out', runs.dir, '--batch-size', '0']),
    ).rejects.toThrow(ConfigError);
  });
});
