// `weft bench ablation`: the LiGNN speed-up ablation (bench/ablation.ts) from the command line;
// prints the table for humans or the report as JSON.
import {
  ablationTable,
  DEFAULT_ABLATION,
  parseAblationArgs,
  runAblation,
} from '../../bench/ablation.js';
import {
  natsAblationTable,
  parseNatsAblationArgs,
  runNatsAblation,
} from '../../bench/ablation-nats.js';
import { ConfigError } from '../../runtime/errors.js';
import {
  intFlag,
  numFlag,
  parseCommandLine,
  unknownSubcommand,
  valueFlags,
} from '../command-line.js';
import {
  DEFAULT_QUALITY,
  type QualityDataset,
  qualityTable,
  runQualityAblation,
} from '../../bench/quality-ablation.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const d = DEFAULT_ABLATION;
const USAGE = `usage: weft bench ablation [options]

Runs one link-prediction job on a synthetic job marketplace in seven configurations on the same
data and seeds (embedded transport): the baseline (fanout at the cap, inline sampling, one record
per query, per-step sync), then worker prefetch with postMessage clone, the shared-memory queue,
grouping and slicing, adaptive sampling and local gradient aggregation added in turn, then all of
them with MLPinit. Writes bench/results/ablation-<date>.json and .svg (see docs/speedups.md).

options:
  --members N               marketplace members (default ${d.members}; the paper's scale is 1000000)
  --applications-per-member N   mean applications per member (default ${d.applicationsPerMember})
  --epochs N                epochs per configuration (default ${d.epochs})
  --steps-per-epoch N       batches per epoch, 0 = all training edges (default ${d.stepsPerEpoch})
  --batch-size N            records per batch (default ${d.batchSize})
  --cap N                   fanout cap; the baseline's fanout (default ${d.cap})
  --adaptive-start N        adaptive sampling's first fanout (default ${d.adaptiveStart})
  --adaptive-step N         neighbours added on a stall (default ${d.adaptiveStep})
  --threshold X             stall threshold of the validation AUC (default ${d.threshold})
  --samplers N              sampler worker threads (default ${d.samplers})
  --group-size N            grouping: items per group (default ${d.groupSize})
  --steps-per-group N       grouping: gradient steps per group (default ${d.stepsPerGroup})
  --local-steps N           batches aggregated per sync (default ${d.localSteps})
  --eval-max-nodes N        validation edges per evaluation (default ${d.evalMaxNodes})
  --target-auc X            time-to-AUC target (default: baseline's final AUC - 0.01)
  --only a,b                run only these configurations (names as in the table)
  --work-dir DIR            keep the graph and runs here (reused by later runs)
  --out PATH                results stem (default bench/results/ablation-<date>)
  --json                    print the report as JSON
  --transport nats, --nats  every actor its own process over NATS (weft launch with its own
                            nats-server); writes bench/results/ablation-nats-<date>.{json,svg}
  --no-embedded             with --nats: skip the embedded run of each configuration beside it
  --parameter-servers N     with --nats: parameter-server shards (default 1)
  --help                    this text`;

/** Entry point of `weft bench`. */
export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'quality') return quality(rest);
  if (!what || what === '--help' || what === '-h' || rest.includes('--help')) {
    console.log(USAGE);
    return what ? 0 : 2;
  }
  if (what === 'quality') return quality(rest);
  if (what !== 'ablation') throw unknownSubcommand(what, ['ablation', 'quality']);
  const at = rest.indexOf('--transport');
  const transport = rest.includes('--nats') ? 'nats' : at >= 0 ? rest[at + 1] : 'inproc';
  if (transport !== 'nats' && transport !== 'inproc')
    throw new ConfigError(`expected inproc or nats, got ${transport}`, {
      file: 'command line',
      field: '--transport',
    });
  if (transport === 'nats')
    await runAndPrint(parseNatsAblationArgs(rest), runNatsAblation, natsAblationTable);
  else
    await runAndPrint(
      parseAblationArgs(at >= 0 ? [...rest.slice(0, at), ...rest.slice(at + 2)] : rest),
      runAblation,
      ablationTable,
    );
  return 0;
}

const QUALITY_USAGE = `usage: weft bench quality [--dataset marketplace|collegemsg] [--members N] [--cold-members F] [--intent-drift F]
       [--seeds N] [--epochs N] [--only 'static sage,+ densification'] [--work-dir DIR] [--out STEM]

The modelling ablation on a synthetic marketplace with planted cold members and intent drift
(default), or on CollegeMsg (../shared/data/collegemsg, chronological 70/15/15): rows
static GraphSAGE, + ID embeddings, + temporal model, + long-term loss, + target recency,
+ densification, + PPR neighbours, all, each a spec overlay over one base link job (rows whose fields this build does not
know are reported as skipped). Test AUC, MRR, recall@10 overall and on the cold-start slice, and
training time, mean ± std over seeds. Writes STEM.json and STEM.svg (default
bench/results/quality-<date>).`;

/** \`weft bench quality\`: flags over DEFAULT_QUALITY, then the table. */
async function quality(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    valueFlags('dataset members cold-members intent-drift seeds epochs only work-dir out'),
    QUALITY_USAGE,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const date = new Date().toISOString().slice(0, 10);
  const dataset = v.dataset ?? 'marketplace';
  if (dataset !== 'marketplace' && dataset !== 'collegemsg')
    throw new ConfigError(`expected marketplace or collegemsg, got '${dataset}'`, {
      file: 'command line',
      field: '--dataset',
    });
  const o = {
    ...DEFAULT_QUALITY,
    dataset: dataset as QualityDataset,
    members: intFlag(v.members, '--members', 1) ?? DEFAULT_QUALITY.members,
    coldMembers: numFlag(v['cold-members'], '--cold-members') ?? DEFAULT_QUALITY.coldMembers,
    intentDrift: numFlag(v['intent-drift'], '--intent-drift') ?? DEFAULT_QUALITY.intentDrift,
    seeds: intFlag(v.seeds, '--seeds', 1) ?? DEFAULT_QUALITY.seeds,
    epochs: intFlag(v.epochs, '--epochs', 1) ?? DEFAULT_QUALITY.epochs,
    only: v.only?.split(',').map((x) => x.trim()),
    workDir: v['work-dir'] ?? join(tmpdir(), 'weft-bench-quality'),
    out: v.out ?? join('bench', 'results', `quality-${dataset}-${date}`),
  };
  const report = await runQualityAblation(o);
  console.log(`${qualityTable(report.rows)}\n\nwrote ${o.out}.json and ${o.out}.svg`);
  return 0;
}

/** Runs one ablation with progress lines (none with --json), then prints its report or table. */
async function runAndPrint<A extends { json?: boolean }, R>(
  args: A,
  runOne: (
    options: A & { onLog?: (line: string) => void },
  ) => Promise<{ report: R; jsonPath: string; svgPath: string }>,
  table: (report: R) => string,
): Promise<void> {
  const json = args.json === true;
  const { report, jsonPath, svgPath } = await runOne({
    ...args,
    onLog: json ? undefined : (l) => console.log(l),
  });
  if (json) console.log(JSON.stringify(report, null, 2));
  else console.log(`\n${table(report)}\n\nwrote ${jsonPath} and ${svgPath}`);
}
