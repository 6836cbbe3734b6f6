// Partition-owning samplers: sampled edges/s and bytes crossing partitions per batch, for the whole
// graph (P=1), 2 and 3 parts answered in-process, and 2 parts with the other owner across NATS.
import { inDegreeCounts } from '../actors/sampler/partition-structural.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PartitionPeerProtocol } from '../actors/sampler/partition-protocol.js';
import {
  PartitionBatchBuilder,
  type PartitionPeers,
} from '../actors/sampler/partition-sampler-builder.js';
import { PartitionOwner } from '../actors/sampler/partition-sampler-owner.js';
import { readBatchHeader, allocateArrays, type BatchFields } from '../actors/batch/batch-record.js';
import {
  BatchProducer,
  type BatchRequest,
  type ProducerConfig,
} from '../actors/batch/batch-producer.js';
import { openGraph } from '../graph-store/open-graph.js';
import { partitionGraph } from '../graph-store/partition.js';
import { partDirName } from '../graph-store/partition-rule.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { Xoshiro128 } from '../runtime/prng.js';
import { Actor, implement } from '../runtime/actor.js';
import { silentLogger } from '../runtime/actor-log.js';
import { ActorSystem } from '../runtime/actor-system.js';
import { startNatsServer } from '../runtime/nats-server.js';
import { gitCommit } from './git-commit.js';

/**
 * Run: npx tsx bench/partitioned-sampling.ts [--nodes N --edges E --dim D --seconds S --label L].
 * Earlier runs in the results file are kept under `runs`; this run's rows carry its label.
 */
const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    edges: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '64' },
    batch: { type: 'string', default: '512' },
    fanouts: { type: 'string', default: '10,5' },
    seconds: { type: 'string', default: '6' },
    label: { type: 'string', default: 'current' },
  },
});

/** The owner of one part in its own process, answering the peer verbs as a sampler does. */
export class PartOwnerActor extends Actor<{ dir: string }> {
  private owner!: PartitionOwner;
  override async onStart(): Promise<void> {
    this.owner = new PartitionOwner(await openGraph(this.ctx.config.dir));
  }
  readonly handlers = implement(PartitionPeerProtocol, {
    rows: (req) => this.owner.rows(req),
    expand: (req) => this.owner.expand(req),
    splitSeeds: ({ split }) => ({ ids: this.owner.splitSeeds(split) }),
    linkEdges: ({ edgeType }) => this.owner.linkEdges(edgeType),
    inDegrees: ({ part, cutoff }) => inDegreeCounts(this.owner.part, cutoff, part),
    maxDegrees: () => {
      throw new Error('the bench runs no structural features');
    },
  });
}

interface Row {
  label?: string;
  config: string;
  parts: number;
  wire: 'none' | 'in-process' | 'nats';
  batches: number;
  seconds: number;
  sampledEdgesPerSec: number;
  batchesPerSec: number;
  remoteBytesPerBatch: number;
  remoteFeatureBytesPerBatch: number;
  requestsPerBatch: number;
}

/** Batches from a fixed seed stream until `seconds` pass (after two warm-up batches). */
async function run(
  config: string,
  parts: number,
  wire: Row['wire'],
  make: (req: BatchRequest) => Promise<BatchFields> | BatchFields,
  traffic: () => { bytes: number; featureBytes: number; requests: number },
  numNodes: number,
): Promise<Row> {
  const rng = new Xoshiro128(42);
  const batchSize = Number(args.batch);
  const request = (b: number): BatchRequest => {
    const seeds = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) seeds[i] = rng.below(numNodes);
    return { kind: 'node', epoch: 0, batch: b, batchSeed: rng.nextU32(), seeds };
  };
  for (let b = 0; b < 2; b++) await make(request(b));
  const t0Traffic = traffic();
  const budgetMs = Number(args.seconds) * 1000;
  const t0 = performance.now();
  let batches = 0;
  let edges = 0;
  while (performance.now() - t0 < budgetMs) {
    const f = await make(request(batches + 2));
    edges += readBatchHeader(f.meta).edges;
    batches++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const t = traffic();
  const row: Row = {
    label: args.label,
    config,
    parts,
    wire,
    batches,
    seconds: Number(seconds.toFixed(2)),
    sampledEdgesPerSec: Math.round(edges / seconds),
    batchesPerSec: Number((batches / seconds).toFixed(2)),
    remoteBytesPerBatch: Math.round((t.bytes - t0Traffic.bytes) / batches),
    remoteFeatureBytesPerBatch: Math.round((t.featureBytes - t0Traffic.featureBytes) / batches),
    requestsPerBatch: Number(((t.requests - t0Traffic.requests) / batches).toFixed(2)),
  };
  console.log(JSON.stringify(row));
  return row;
}

async function main(): Promise<void> {
  const loadavgStart = os.loadavg();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-partitioned-'));
  const rows: Row[] = [];
  const fanouts = args.fanouts.split(',').map(Number);
  const config: ProducerConfig = {
    sampler: { strategy: 'uniform', fanouts, seed: 1 },
    fuseFirstLayer: true,
    numNegatives: 0,
  };
  const none = () => ({ bytes: 0, featureBytes: 0, requests: 0 });
  try {
    const g = path.join(tmp, 'g');
    const nodes = Number(args.nodes);
    await synthPowerlaw(
      { nodes, edges: Number(args.edges), featureDim: Number(args.dim), classes: 8, seed: 1 },
      g,
    );
    const whole = await openGraph(g);
    const producer = new BatchProducer(whole, config);
    rows.push(
      await run(
        'P=1 whole graph',
        1,
        'none',
        (req) => producer.produce(req, (shape) => allocateArrays<BatchFields>(shape)),
        none,
        nodes,
      ),
    );
    for (const parts of [2, 3]) {
      const dir = path.join(tmp, `p${parts}`);
      await partitionGraph(g, parts, dir);
      const owners: PartitionOwner[] = [];
      for (let p = 0; p < parts; p++)
        owners.push(new PartitionOwner(await openGraph(path.join(dir, partDirName(p)))));
      const peers: PartitionPeers = {
        rows: async (p, req) => owners[p].rows(req),
        expand: async (p, req) => owners[p].expand(req),
      };
      const b = new PartitionBatchBuilder(owners[0], peers, config);
      const traffic = () => ({
        bytes: b.traffic.wireBytes,
        featureBytes: b.traffic.remoteFeatureBytes,
        requests: b.traffic.rowRequests + b.traffic.expandRequests,
      });
      rows.push(
        await run(
          `P=${parts} in-process peers`,
          parts,
          'in-process',
          (r) => b.produce(r),
          traffic,
          nodes,
        ),
      );
    }
    // P=2 with part 1 in another process behind a real nats-server.
    const server = await startNatsServer({ maxPayloadBytes: 8 * 1024 * 1024 });
    const system = await ActorSystem.start({
      transport: 'nats',
      nats: { servers: server.url },
      logger: silentLogger,
    });
    try {
      const dir = path.join(tmp, 'p2');
      const owner0 = new PartitionOwner(await openGraph(path.join(dir, partDirName(0))));
      const peer = await system.spawn(
        { module: new URL(import.meta.url), export: 'PartOwnerActor' },
        { job: 'bench', role: 'part', index: 1 },
        { placement: 'process', config: { dir: path.join(dir, partDirName(1)) } },
      );
      const client = system.client(peer.address, PartitionPeerProtocol);
      const b = new PartitionBatchBuilder(
        owner0,
        {
          rows: (_p, req) => client.ask('rows', req, { timeoutMs: 60_000 }),
          expand: (_p, req) => client.ask('expand', req, { timeoutMs: 60_000 }),
        },
        config,
      );
      const traffic = () => ({
        bytes: b.traffic.wireBytes,
        featureBytes: b.traffic.remoteFeatureBytes,
        requests: b.traffic.rowRequests + b.traffic.expandRequests,
      });
      rows.push(await run('P=2 over NATS', 2, 'nats', (r) => b.produce(r), traffic, nodes));
    } finally {
      await system.shutdown();
      await server.stop();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const commit = gitCommit();
  const record = {
    label: args.label,
    machine: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    commit,
    loadavgStart,
    loadavgEnd: os.loadavg(),
    note:
      `Synth powerlaw ${args.nodes} nodes, ${args.edges} edges, ${args.dim}-d float32 features; batch ${args.batch} ` +
      `random seeds, fanouts [${args.fanouts}], fused first layer; one builder (owning part 0) per row, ` +
      `${args.seconds} s per row. Shared 2-core machine with other work running (see loadavg).`,
    results: rows,
  };
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    'results',
    'partitioned-sampling.json',
  );
  mkdirSync(path.dirname(file), { recursive: true });
  // Earlier runs stay: the newest run's header and rows on top, every run (oldest first) in `runs`.
  const runs: unknown[] = [];
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { runs?: unknown[]; label?: string };
    if (old.runs) runs.push(...old.runs);
    else runs.push({ label: 'initial', ...old });
  }
  runs.push(record);
  writeFileSync(file, `${JSON.stringify({ ...record, runs }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

const invokedPath = process.argv[1] ? pathToFileURL(path.resolve(process.argv[1])).href : '';
if (invokedPath === import.meta.url) await main();
