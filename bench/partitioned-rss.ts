// Memory of a partitioned `weft launch` on the 1M-node / 20M-edge power-law graph in 4 parts: per
// process (coordinator, shard, trainer, each partition-owning sampler) the graph bytes it loaded
// (its weft_graph_loaded_bytes gauge) against the whole graph's, and its peak resident set; and, as
// an upper bound, the peak minus the same actor's in the same job on a tiny graph (that difference
// also holds the larger batches in flight).
// Run: npx tsx bench/partitioned-rss.ts [--nodes N] [--edges E] [--parts P] [--steps S]
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LaunchedJob } from '../actors/distributed/launcher.js';
import { applyOverrides, defaultJobSpec } from '../actors/job-spec.js';
import { synthPowerlaw } from '../graph-store/synth-powerlaw.js';
import { gitCommit } from './git-commit.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000000' },
    edges: { type: 'string', default: '20000000' },
    parts: { type: 'string', default: '4' },
    steps: { type: 'string', default: '20' },
  },
});
const nodes = Number(values.nodes);
const edges = Number(values.edges);
const parts = Number(values.parts);

/** Bytes of every file under `dir`, `skip` folders left out. */
function bytesUnder(dir: string, skip: string[] = []): number {
  let n = 0;
  for (const e of readdirSync(dir)) {
    if (skip.includes(e)) continue;
    const p = join(dir, e);
    const s = statSync(p);
    n += s.isDirectory() ? bytesUnder(p) : s.size;
  }
  return n;
}

/** Peak resident set of a process (VmHWM), 0 once it has exited. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function graphOf(n: number, e: number): Promise<string> {
  const dir = join(os.tmpdir(), `weft-bench-powerlaw-${n}-${e}-p${parts}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    const t = performance.now();
    await synthPowerlaw({ nodes: n, edges: e, featureDim: 64, classes: 8, seed: 1 }, dir, {
      partitions: parts,
    });
    console.error(`synthesised ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return dir;
}

/** The gauge `weft_graph_loaded_bytes` on an actor's metrics endpoint (undefined while it is down). */
async function loadedBytes(url: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^weft_graph_loaded_bytes\{[^}]*\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface Observed {
  peaks: Record<string, number>;
  loaded: Record<string, number>;
}

/** Runs one partitioned job to the end; per actor (`role index`) its peak RSS and graph bytes. */
async function peaksOf(graph: string, name: string): Promise<Observed> {
  const spec = applyOverrides(defaultJobSpec(), {
    name,
    graph,
    out: mkdtempSync(join(os.tmpdir(), `weft-${name}-`)),
    'model.hidden': 128,
    'sampling.fanouts': '15,10',
    'sampling.batchSize': 1024,
    'train.epochs': 1,
    'train.maxStepsPerEpoch': Number(values.steps),
    'train.checkpointEvery': 0,
    'eval.maxNodes': 2048,
    'cluster.trainers': 1,
    'cluster.parameterServers': 1,
    'cluster.samplers': parts,
    'cluster.partitions': 'auto',
    'cluster.nats': 'local',
    'runtime.metricsPort': 1, // on: each process binds a free port and reports it
  });
  const job = await LaunchedJob.start(spec);
  const roles: [string, number][] = [
    ['coordinator', 0],
    ['ps', 0],
    ['trainer', 0],
    ...Array.from({ length: parts }, (_, j) => ['sampler', j] as [string, number]),
  ];
  const peaks: Record<string, number> = {};
  const loaded: Record<string, number> = {};
  const poll = setInterval(() => {
    for (const [role, index] of roles) {
      const pid = job.pidOf(role as never, index);
      const key = `${role} ${index}`;
      if (pid) peaks[key] = Math.max(peaks[key] ?? 0, peakRss(pid));
      const url = job.metricsUrlOf(role as never, index);
      if (url === undefined) continue;
      void loadedBytes(url).then((b) => {
        if (b !== undefined) loaded[key] = Math.max(loaded[key] ?? 0, b);
      });
    }
  }, 300);
  try {
    await job.wait();
  } finally {
    clearInterval(poll);
    await job.stop();
  }
  return { peaks, loaded };
}

const big = await graphOf(nodes, edges);
const tiny = await graphOf(4000, 40_000);
const graphBytes = bytesUnder(big, ['parts']);
const { peaks, loaded } = await peaksOf(big, 'rss-big');
const baseline = (await peaksOf(tiny, 'rss-tiny')).peaks;
const mib = (b: number) => (b / 2 ** 20).toFixed(0).padStart(5);
const rows = Object.keys(peaks).map((actor) => {
  const growth = Math.max(0, peaks[actor] - (baseline[actor] ?? 0));
  return {
    actor,
    graph_bytes_loaded: loaded[actor] ?? 0,
    share_of_graph: (loaded[actor] ?? 0) / graphBytes,
    peak_rss_bytes: peaks[actor],
    tiny_graph_peak_rss_bytes: baseline[actor] ?? 0,
    peak_growth_over_tiny_graph: growth,
  };
});
const worst = Math.max(...rows.map((r) => r.share_of_graph));
for (const r of rows)
  console.log(
    `${r.actor.padEnd(12)} graph loaded ${mib(r.graph_bytes_loaded)} MiB = ` +
      `${(100 * r.share_of_graph).toFixed(1).padStart(4)} % of ${mib(graphBytes)} MiB;  ` +
      `peak RSS ${mib(r.peak_rss_bytes)} MiB (${mib(r.peak_growth_over_tiny_graph)} MiB over the tiny graph's)`,
  );
console.log(
  `largest share of the graph loaded by one process: ${(100 * worst).toFixed(1)} % (bound: 35 %)`,
);
writeFileSync(
  'bench/results/partitioned-rss.json',
  `${JSON.stringify(
    {
      benchmark: 'partitioned-rss',
      machine: os.cpus()[0]?.model,
      cores: os.cpus().length,
      node: process.version,
      date: new Date().toISOString(),
      commit: gitCommit(),
      graph: { nodes, edges, featureDim: 64, parts, bytes: graphBytes },
      model:
        'GraphSAGE 2x128, fanout [15,10], batch 1024; 1 trainer, 1 shard, one sampler per part',
      steps: Number(values.steps),
      note: 'graph_bytes_loaded: the weft_graph_loaded_bytes gauge of the actor; peak_growth_over_tiny_graph: peak RSS minus the same actor on a 4k-node graph in the same layout (graph arrays plus larger batches in flight)',
      processes: rows,
      largest_share: worst,
      bound: 0.35,
    },
    null,
    2,
  )}\n`,
);
