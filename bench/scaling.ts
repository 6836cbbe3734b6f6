// Scaling of distributed training over NATS: seeds/s, bytes on the wire per step and the share of a
// step spent on parameter sync, versus trainers × samplers (processes), local aggregation N, local
// SGD's K and async updates. Config TxSxN[-mode[-bound]]: mode agg (default), lsgd (N is K) or async.
// Run: npx tsx bench/scaling.ts [--nodes 100000 --edges 1000000 --steps 48 --configs 2x2x4-lsgd]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LaunchedJob } from '../actors/distributed/launcher.js';
import { applyOverrides, defaultJobSpec } from '../actors/job-spec.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { gitCommit } from './git-commit.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    edges: { type: 'string', default: '1000000' },
    steps: { type: 'string', default: '48' },
    configs: {
      type: 'string',
      default:
        '1x1x1,2x2x1,1x1x4,2x2x4,2x2x16,2x2x1-lsgd,2x2x4-lsgd,2x2x16-lsgd,2x2x1-async-4,4x2x1-async-4',
    },
  },
});
const nodes = Number(values.nodes);
const edges = Number(values.edges);
const graph = join(os.tmpdir(), `weft-bench-scaling-${nodes}-${edges}`);
if (!existsSync(join(graph, 'manifest.json'))) {
  await synthPowerlaw({ nodes, edges, featureDim: 64, classes: 8, seed: 1 }, graph);
}
const loadStart = os.loadavg()[0];

interface Row {
  config: string;
  trainers: number;
  samplers: number;
  local_steps: number;
  /** train.sync (rows without it: aggregate). */
  sync?: string;
  staleness_bound?: number;
  max_staleness?: number;
  stale_rejections?: number;
  seeds_per_s: number;
  wall_s: number;
  bytes_per_step: number;
  bytes_per_round: number;
  sync_share: number;
  rounds: number;
  val_accuracy: number;
}
const rows: Row[] = [];
for (const c of values.configs!.split(',')) {
  const [shape, modeName = 'agg', boundText = '4'] = c.split('-');
  const [trainers, samplers, localSteps] = shape.split('x').map(Number);
  const sync = ({ agg: 'aggregate', lsgd: 'local-sgd', async: 'async' } as const)[modeName];
  if (!sync) throw new Error(`config ${c}: mode must be agg, lsgd or async`);
  const spec = applyOverrides(defaultJobSpec(), {
    name: `bench-scaling-${c}`,
    graph,
    out: join(os.tmpdir(), `weft-bench-scaling-${c}`),
    'model.hidden': 64,
    'sampling.fanouts': '10,5',
    'sampling.batchSize': 256,
    'train.epochs': 1,
    'train.maxStepsPerEpoch': Number(values.steps),
    'train.localSteps': localSteps,
    // Local SGD's K steps each use train.lr; gradient aggregation scales it with √N.
    'train.lrScaling': sync === 'local-sgd' ? 'none' : 'sqrt',
    'train.sync': sync,
    'train.staleness': Number(boundText),
    'train.checkpointEvery': 0,
    'eval.maxNodes': 1024,
    'cluster.trainers': trainers,
    'cluster.samplers': samplers,
    'cluster.parameterServers': 2,
    'cluster.nats': 'local',
  });
  const t0 = performance.now();
  // A measurement is of a whole run: a run directory left by an earlier bench is started over.
  const job = await LaunchedJob.start(spec, { fresh: true });
  let r;
  try {
    r = await job.wait();
  } finally {
    await job.stop();
  }
  const d = r.distributed;
  const steps = d.batches_applied;
  const row: Row = {
    config: c,
    trainers,
    samplers,
    local_steps: localSteps,
    ...(sync === 'aggregate'
      ? {}
      : {
          sync,
          ...(sync === 'async'
            ? {
                staleness_bound: Number(boundText),
                max_staleness: d.max_staleness,
                stale_rejections: d.stale_rejections,
              }
            : {}),
        }),
    seeds_per_s: r.throughput.seeds_per_s,
    wall_s: (performance.now() - t0) / 1000,
    bytes_per_step: steps > 0 ? (d.push_bytes + d.pull_bytes + d.batch_bytes) / steps : 0,
    bytes_per_round: d.bytes_per_round,
    sync_share: d.sync_share,
    rounds: d.rounds,
    val_accuracy: r.val.accuracy,
  };
  rows.push(row);
  console.log(
    `${c.padEnd(14)} T=${trainers} S=${samplers} ${sync === 'local-sgd' ? 'K' : 'N'}=${localSteps} ${sync}: ${Math.round(row.seeds_per_s).toLocaleString('en-US')} seeds/s, ` +
      `${(row.bytes_per_step / 2 ** 20).toFixed(2)} MiB/step, sync ${(row.sync_share * 100).toFixed(0)} % of step, ${row.rounds} rounds, val acc ${row.val_accuracy.toFixed(3)}` +
      (sync === 'async'
        ? `, staleness max ${row.max_staleness} (bound ${row.staleness_bound}), ${row.stale_rejections} refused`
        : ''),
  );
}

const commit = gitCommit();
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/scaling.json',
  `${JSON.stringify(
    {
      benchmark: 'scaling',
      machine: os.cpus()[0]?.model,
      cores: os.cpus().length,
      node: process.version,
      date: new Date().toISOString(),
      commit,
      loadavg_start: loadStart,
      loadavg_end: os.loadavg()[0],
      graph: { nodes, edges, featureDim: 64 },
      setup:
        'weft launch with its own nats-server; config TxSxN[-mode[-bound]] = trainers x sampler processes x local steps (aggregation N, or local-SGD K with mode lsgd), mode agg (default) / lsgd / async with its staleness bound; rounds = versions applied (async: one per update); lrScaling sqrt except local SGD (none); 2 parameter-server shards, coordinator; GraphSAGE hidden 64, fanout [10,5], batch 256; every process on the same 2 cores',
      rows,
    },
    null,
    2,
  )}\n`,
);
