// The LiGNN ablation over NATS: the embedded ablation's configurations with every actor its own OS
// process (weft launch: its own nats-server, coordinator, parameter server, samplers, trainer).
//
//   npx tsx bench/ablation-nats.ts [--members N] ...   (or: weft bench ablation --transport nats)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { runTraining } from '../actors/coordinator/train-job.js';
import { LaunchedJob } from '../actors/distributed/launcher.js';
import { applyOverrides } from '../actors/job-spec.js';
import { synthMarketplace } from '../graph-store/synth-marketplace.js';
import {
  ablationChart,
  ablationConfigs,
  DEFAULT_ABLATION,
  jobSpec,
  meanSplit,
  parseAblationArgs,
  setSpeedups,
  timeToAuc,
  type AucCurve,
  type AblationConfig,
  type AblationOptions,
  type AblationReport,
  type AblationRow,
} from './ablation.js';
import { gitCommit } from './git-commit.js';

/** What a configuration becomes when every actor is a process of its own. */
export interface NatsMapping {
  /** The embedded configuration's name. */
  name: string;
  /** run: as on the embedded path; mapped: run with the settings below; same-as: not run (identical to that row). */
  status: 'run' | 'mapped' | 'same-as';
  /** Overrides replacing the in-process ones (mapped), or the row it equals (same-as). */
  overrides?: Record<string, unknown>;
  sameAs?: string;
  why?: string;
}

/**
 * The embedded configurations over NATS. A trainer process never samples, and a sampler process
 * hands each batch over as one NATS message, so: inline sampling becomes one sampler process asked
 * for each batch only when the trainer needs it (prefetch 1, sampling on the critical path); worker
 * prefetch becomes `samplers` sampler processes with `prefetch` batches of credit; and the
 * shared-memory queue has nothing to replace (no memory is shared between processes), so that row
 * equals the prefetch row.
 */
export function natsMappings(o: AblationOptions): { config: AblationConfig; map: NatsMapping }[] {
  const toNats = (over: Record<string, unknown>, onDemand: boolean): Record<string, unknown> => ({
    ...over,
    'sampling.handoff': 'shm',
    'sampling.samplers': 1,
    'sampling.prefetch': onDemand ? 1 : o.prefetch,
    'cluster.samplers': onDemand ? 1 : o.samplers,
  });
  return ablationConfigs(o).map((config) => {
    if (config.name === 'baseline')
      return {
        config,
        map: {
          name: config.name,
          status: 'mapped',
          overrides: toNats(config.overrides, true),
          why: 'inline sampling has no meaning over NATS (the trainer process never samples): one sampler process, each batch fetched only when the trainer needs it (prefetch 1)',
        },
      };
    if (config.name === '+prefetch(clone)')
      return {
        config,
        map: {
          name: config.name,
          status: 'mapped',
          overrides: toNats(config.overrides, false),
          why: `${o.samplers} sampler processes, ${o.prefetch} batches of credit; the hand-off is a NATS message (encoded by the sampler, decoded by the trainer: a copy each way, like clone)`,
        },
      };
    if (config.name === '+shm queue')
      return {
        config,
        map: {
          name: config.name,
          status: 'same-as',
          sameAs: '+prefetch(clone)',
          why: 'no memory is shared between processes: the batch crosses as a NATS message either way, so this configuration is the previous one',
        },
      };
    return {
      config,
      map: { name: config.name, status: 'run', overrides: toNats(config.overrides, false) },
    };
  });
}

export interface NatsAblationOptions extends AblationOptions {
  /** Also run every configuration embedded in the same invocation (same load, same data). */
  embedded: boolean;
  parameterServers: number;
}

export interface NatsAblationRow extends AblationRow {
  mapping: NatsMapping;
  /** The same configuration on the embedded transport in this invocation (when `embedded`). */
  embedded?: {
    recordsPerS: number;
    timeToAucS: number | null;
    finalValAuc: number;
    trainSeconds: number;
  };
  /** Wall seconds from launch to results (process start-up and evaluation included). */
  launchSeconds: number;
  batchBytes: number;
}

export interface NatsAblationReport extends Omit<AblationReport, 'results'> {
  cluster: { trainers: number; parameterServers: number; samplers: number };
  results: NatsAblationRow[];
  /** Rows not run, with why (configurations equal to another over NATS). */
  notRun: NatsMapping[];
}

/** Epoch seconds and validation AUCs of a run, from its metrics.jsonl (eval lines, epoch-start events). */
function curveOf(runDir: string, mlpS: number): AucCurve {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const epochS: number[] = [];
  const auc: number[] = [];
  let start = NaN;
  const steps = new Map<number, number>();
  for (const l of lines) {
    if (l.type === 'event' && l.kind === 'epoch-start') start = Number(l.t ?? NaN);
    if (l.type === 'step') steps.set(Number(l.epoch), Number(l.t));
    if (l.type === 'eval') {
      // Training time of the epoch: its first round's start to its last step's end (evaluation out).
      const end = steps.get(Number(l.epoch)) ?? Number(l.t);
      epochS.push(Number.isFinite(start) ? end - start : NaN);
      auc.push(Number((l.val as Record<string, number>).auc));
    }
  }
  return { epochS, auc, mlpS };
}

/** Runs the configurations over NATS (and embedded when asked); writes the JSON and the SVG chart. */
export async function runNatsAblation(options: Partial<NatsAblationOptions> = {}): Promise<{
  report: NatsAblationReport;
  jsonPath: string;
  svgPath: string;
}> {
  const o: NatsAblationOptions = {
    ...DEFAULT_ABLATION,
    embedded: true,
    parameterServers: 1,
    ...options,
  };
  const log = o.onLog ?? (() => undefined);
  const work = o.workDir ? resolve(o.workDir) : mkdtempSync(join(os.tmpdir(), 'weft-ablation-'));
  mkdirSync(work, { recursive: true });
  const loadavgStart = os.loadavg();
  const graphDir = join(work, `market-${o.members}-${o.applicationsPerMember}-${o.seed}`);
  try {
    if (!existsSync(join(graphDir, 'manifest.json'))) {
      log(`generating marketplace: ${o.members} members, ${o.applicationsPerMember} each`);
      await synthMarketplace(
        { members: o.members, applicationsPerMember: o.applicationsPerMember, seed: o.seed },
        graphDir,
      );
    }
    const all = natsMappings(o).filter(
      ({ config }) => o.only.length === 0 || o.only.includes(config.name),
    );
    const rows: NatsAblationRow[] = [];
    const curves: AucCurve[] = [];
    const embeddedCurves: AucCurve[] = [];
    const notRun: NatsMapping[] = [];
    for (const { config, map } of all) {
      if (map.status === 'same-as') {
        notRun.push(map);
        log(`${config.name}: not run over NATS (${map.why})`);
        continue;
      }
      const i = rows.length;
      const runDir = join(work, `nats-run-${i}`);
      rmSync(runDir, { recursive: true, force: true });
      const spec = applyOverrides(jobSpec(o, graphDir, runDir, map.overrides!), {
        name: `ablation-nats-${i}`,
        'cluster.trainers': 1,
        'cluster.parameterServers': o.parameterServers,
        'cluster.nats': 'local',
      });
      log(`${config.name} over NATS: ${map.why ?? config.adds}`);
      const t0 = performance.now();
      const job = await LaunchedJob.start(spec);
      let r;
      try {
        r = await job.wait();
      } finally {
        await job.stop();
      }
      const launchSeconds = (performance.now() - t0) / 1000;
      const mlpS = r.speedups?.mlp_init_s ?? 0;
      const curve = curveOf(runDir, mlpS);
      curves.push(curve);
      const row: NatsAblationRow = {
        name: config.name,
        adds: config.adds,
        mapping: map,
        recordsPerS: r.throughput.seeds_per_s,
        timeToAucS: null,
        trainSeconds: mlpS + curve.epochS.reduce((a, s) => a + s, 0),
        finalValAuc: curve.auc[curve.auc.length - 1],
        bestValAuc: Math.max(...curve.auc),
        aucByEpoch: curve.auc,
        split: meanSplit(runDir),
        speedupThroughput: 1,
        speedupTimeToAuc: null,
        fanouts: r.speedups?.fanouts ?? [],
        syncs: r.speedups?.syncs ?? 0,
        memberEncodingsPerRecord: r.speedups?.member_encodings_per_record ?? 1,
        clonedBytes: 0,
        mlpInitS: mlpS,
        launchSeconds,
        batchBytes: r.distributed.batch_bytes,
      };
      log(
        `  ${row.recordsPerS.toFixed(0)} records/s, val AUC ${curve.auc.map((a) => a.toFixed(4)).join(' ')}, fanouts ${row.fanouts.join(',')}, ${launchSeconds.toFixed(1)} s launch to end`,
      );
      if (o.embedded) {
        const embDir = join(work, `embedded-run-${i}`);
        rmSync(embDir, { recursive: true, force: true });
        const epochs: { seconds: number; auc: number }[] = [];
        const e = await runTraining(jobSpec(o, graphDir, embDir, config.overrides), {
          onEpoch: (s) => epochs.push({ seconds: s.seconds, auc: s.val?.auc ?? NaN }),
        });
        const eMlp = e.speedups?.mlp_init_s ?? 0;
        embeddedCurves.push({
          epochS: epochs.map((x) => x.seconds),
          auc: epochs.map((x) => x.auc),
          mlpS: eMlp,
        });
        row.embedded = {
          recordsPerS: e.throughput.seeds_per_s,
          timeToAucS: null,
          finalValAuc: epochs[epochs.length - 1]?.auc ?? NaN,
          trainSeconds: eMlp + epochs.reduce((a, x) => a + x.seconds, 0),
        };
        log(`  embedded: ${e.throughput.seeds_per_s.toFixed(0)} records/s`);
      }
      rows.push(row);
    }
    const baseline = rows.find((r) => r.name === 'baseline') ?? rows[0];
    const target = Number.isFinite(o.targetAuc) ? o.targetAuc : baseline.finalValAuc - 0.01;
    rows.forEach((row, i) => {
      row.timeToAucS = timeToAuc(curves[i], target);
      if (row.embedded) row.embedded.timeToAucS = timeToAuc(embeddedCurves[i], target);
    });
    setSpeedups(rows, baseline);
    const date = new Date().toISOString();
    const { onLog: _drop, ...recorded } = o;
    const report: NatsAblationReport = {
      machine: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
      date,
      commit: gitCommit(),
      loadavgStart,
      loadavgEnd: os.loadavg(),
      transport: 'nats',
      options: recorded,
      graph: { members: o.members, applications: o.members * o.applicationsPerMember },
      cluster: { trainers: 1, parameterServers: o.parameterServers, samplers: o.samplers },
      targetAuc: target,
      results: rows,
      notRun,
    };
    const stem = o.out || join('bench', 'results', `ablation-nats-${date.slice(0, 10)}`);
    const jsonPath = stem.endsWith('.json') ? stem : `${stem}.json`;
    const svgPath = jsonPath.replace(/\.json$/, '.svg');
    mkdirSync(resolve(jsonPath, '..'), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(svgPath, ablationChart(report));
    return { report, jsonPath, svgPath };
  } finally {
    if (!o.keep && !o.workDir) rmSync(work, { recursive: true, force: true });
  }
}

/** The NATS rows as a markdown table, with the embedded run of the same invocation beside them. */
export function natsAblationTable(report: NatsAblationReport): string {
  const f = (x: number | null | undefined, d = 1) =>
    x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);
  const lines = [
    '| configuration | over NATS | records/s | speed-up | time to AUC (s) | speed-up | val AUC (final) | fanouts | member enc./record | syncs | step split ms: sample / gather / hand-off / compute / sync | embedded records/s, time to AUC, AUC |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.results) {
    const s = r.split;
    const ms = (x: number) => (x * 1000).toFixed(1);
    const how = r.mapping.status === 'mapped' ? 'mapped (see notes)' : 'as embedded';
    const emb = r.embedded
      ? `${f(r.embedded.recordsPerS, 0)}, ${f(r.embedded.timeToAucS)} s, ${f(r.embedded.finalValAuc, 4)}`
      : '—';
    lines.push(
      `| ${r.name} | ${how} | ${f(r.recordsPerS, 0)} | ${f(r.speedupThroughput, 2)}x | ${f(r.timeToAucS)} | ${r.speedupTimeToAuc === null ? '—' : `${f(r.speedupTimeToAuc, 2)}x`} | ${f(r.finalValAuc, 4)} | ${r.fanouts.join(',')} | ${f(r.memberEncodingsPerRecord, 2)} | ${r.syncs} | ${ms(s.sample)} / ${ms(s.gather)} / ${ms(s.handoff)} / ${ms(s.compute)} / ${ms(s.sync)} | ${emb} |`,
    );
  }
  for (const m of report.notRun)
    lines.push(
      `| ${m.name} | not run: same as ${m.sameAs} | — | — | — | — | — | — | — | — | — | — |`,
    );
  return lines.join('\n');
}

/** Options of the NATS runner: the embedded runner's, plus --no-embedded and --parameter-servers N. */
export function parseNatsAblationArgs(
  argv: string[],
): Partial<NatsAblationOptions> & { json?: boolean } {
  const rest: string[] = [];
  const out: Partial<NatsAblationOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-embedded') out.embedded = false;
    else if (argv[i] === '--parameter-servers') out.parameterServers = Number(argv[++i]);
    else if (argv[i] === '--nats') continue;
    else if (argv[i] === '--transport') i++;
    else rest.push(argv[i]);
  }
  return { ...parseAblationArgs(rest), ...out };
}

if (process.argv[1]?.endsWith('bench/ablation-nats.ts')) {
  const args = parseNatsAblationArgs(process.argv.slice(2));
  const { report, jsonPath, svgPath } = await runNatsAblation({
    ...args,
    onLog: (l) => console.log(l),
  });
  console.log(`\n${natsAblationTable(report)}\n\nwrote ${jsonPath} and ${svgPath}`);
}
