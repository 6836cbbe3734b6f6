// `weft graph build|synth|info|partition`: flag parsing, progress display and summaries; the work is in
// graph-store/. Errors propagate to cli/main.ts, which prints them and exits non-zero.
import {
  commandLineError,
  intFlag,
  numFlag,
  parseCommandLine,
  onePositional,
  parseOneArgCommand,
  required,
  switchFlags,
  unknownSubcommand,
  valueFlags,
} from '../command-line.js';
import { noteOutput } from '../print-error.js';
import { buildGraph } from '../../graph-store/build-graph.js';
import { buildTypedGraph } from '../../graph-store/build-typed-graph.js';
import { densifyGraph } from '../../graph-store/densify.js';
import { DEFAULT_DENSIFY, type DensifyFieldNames } from '../../graph-store/densify-options.js';
import type { Delimiter } from '../../graph-store/edge-list-reader.js';
import { FEATURE_DTYPES, parseFeatureDtype } from '../../graph-store/feature-sink.js';
import { formatGraphInfo, graphInfo } from '../../graph-store/graph-info.js';
import type { GraphManifest } from '../../graph-store/manifest.js';
import { partitionGraph } from '../../graph-store/partition.js';
import { synthMarketplace } from '../../graph-store/synth-marketplace.js';
import { synthPowerlaw } from '../../graph-store/synth-powerlaw.js';
import type { FeatureDtype } from '../../graph-store/types.js';

const USAGE = `usage: weft graph <subcommand> [options]

subcommands:
  build      edge list (+ features, labels, split), or typed tables (--inputs) -> graph directory
  synth      generate a graph (--kind powerlaw | marketplace)
  info       summarize a graph directory
  partition  hash-partition a graph directory into P parts
  densify    add edges from low-degree nodes to similar well-connected ones (a new graph version)

Run \`weft graph <subcommand> --help\` for its options.`;

const BUILD_USAGE = `usage: weft graph build --edges FILE --out DIR [options]
       weft graph build --inputs graph.yaml --out DIR [--feature-dtype T] [--partitions P] [--force] [--json]

  --inputs FILE         YAML description of typed node and edge tables (CSV/TSV, .gz, Parquet, Arrow)
                        with original ids; see docs/graph-format.md, "Typed inputs"

  --edges FILE          edge list: CSV, TSV or space separated, optional header;
                        columns src, dst [, timestamp [, weight]]
  --features FILE       node features: .npy (float32/float64, [nodes, dim]) or text rows
  --labels FILE         node<TAB>class id
  --split FILE          node<TAB>train|val|test
  --undirected          store both directions of every edge (identical edges collapse)
  --dedupe              keep one edge per (src, dst) pair, the earliest
  --num-nodes N         node count (default: largest id + 1, or the feature rows)
  --delimiter D         tab | comma | space (default: detected)
  --header / --no-header  force or forbid a header line (default: detected)
  --ts-col C            timestamp column (index from 0, header name, or none)
  --weight-col C        weight column (index from 0, header name, or none)
  --feature-dtype T     float32 | float16 | int8 (default float32)
  --allow-non-finite    keep NaN / infinite feature values (refused by default, naming
                        row and column); a job that samples them stops on its non-finite
                        loss (train.onNonFinite). Not with int8.
  --partitions P        also write P hash partitions into DIR/parts
  --force               replace DIR if it exists
  --json                print the summary as JSON`;

const SYNTH_USAGE = `usage: weft graph synth --kind powerlaw|marketplace --out DIR [options]

powerlaw (directed Chung-Lu, homophilous classes):
  --nodes N --edges E --feature-dim D --classes C
  --alpha A             weight exponent, node of rank r has weight (r+1)^-A (default 0.8)
  --homophily H         share of edges drawn inside the source's class (default 0.8)
  --noise S             feature noise std around the class centroid (default sqrt(D/2)/1.3)
marketplace (members, jobs, skills, companies; every relation with its reverse):
  --members M [--jobs J] [--skills S] [--companies C] [--classes industries]
  [--applications-per-member A] [--skills-per-member K] [--skills-per-job K]
  [--feature-dim D]     (default 32)
  [--cold-members F]    share of members who join late with one or two applications (default 0)
  [--intent-drift F]    share of members whose later applications go to a second industry
                        (a planted temporal signal; default 0)
  [--views-per-member V]      mean jobs a member viewed: relation 'viewed', weakly related (default 0)
  [--dismissals-per-member X] mean jobs a member dismissed, all in one industry it dislikes:
                        relation 'dismissed', anti-related (default 0)
  [--typed-features]    each node type its own feature space and columns (widths D, D, D/2, D/4)
  [--member-content S]  members' features like a profile text embedding: industry, title and
                        skills at signal-to-noise S (std over std; 0 = off, the default)
  [--cold-profile-skills N]   cold members list only N of their skills as edges; their
                        applications and content still follow the whole profile (default: all)
common:
  --seed S              (default 1)
  --feature-dtype T     float32 | float16 | int8 (default float32)
  --partitions P        also write P hash partitions into DIR/parts
  --force               replace DIR if it exists
  --json                print the summary as JSON`;

const INFO_USAGE = `usage: weft graph info DIR [--json] [--verify]

  --json     machine-readable output
  --verify   also check every file's size and checksum`;

const PARTITION_USAGE = `usage: weft graph partition DIR --parts P --out DIR2 [--force] [--json]

Writes DIR2/part-0000 … each a graph directory loadable alone, and DIR2/partitions.json.
Node v belongs to part fmix32(v) mod P.`;

function dtypeFlag(v: string | undefined): FeatureDtype | undefined {
  if (v === undefined) return undefined;
  const d = parseFeatureDtype(v);
  if (!d)
    throw commandLineError(
      `unknown dtype '${v}' (${FEATURE_DTYPES.join(', ')})`,
      '--feature-dtype',
    );
  return d;
}

function columnFlag(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** A one-line progress bar on stderr, drawn only on a terminal and at most ten times a second. */
class ProgressBar {
  private lastDrawMs = 0;
  private drawn = false;
  private readonly enabled = process.stderr.isTTY === true;

  update = (stage: string, done: number, total: number): void => {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDrawMs < 100 && done < total) return;
    this.lastDrawMs = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const full = Math.round(frac * width);
    process.stderr.write(
      `\r${stage.padEnd(9)} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%`,
    );
    this.drawn = true;
  };

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Turns Ctrl-C into a normal exit, so the temporary folder of an unfinished write is removed. */
function exitCleanlyOnSignals(): () => void {
  const onInt = (): void => process.exit(130);
  const onTerm = (): void => process.exit(143);
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

/**
 * Runs one graph write with a progress bar and Ctrl-C as a clean exit (see above); returns its
 * result and the seconds it took.
 */
async function withProgress<T>(
  work: (onProgress: ProgressBar['update']) => Promise<T>,
): Promise<{ result: T; seconds: number }> {
  const bar = new ProgressBar();
  const release = exitCleanlyOnSignals();
  const t0 = performance.now();
  try {
    const result = await work(bar.update);
    return { result, seconds: (performance.now() - t0) / 1000 };
  } finally {
    bar.done();
    release();
  }
}

function summarize(m: GraphManifest, out: string, seconds: number, json: boolean): void {
  if (json) {
    console.log(
      JSON.stringify(
        { out, numNodes: m.numNodes, numEdges: m.numEdges, seconds, manifest: m },
        null,
        2,
      ),
    );
    return;
  }
  const parts = m.partitions ? `, ${m.partitions.count} partitions` : '';
  const kept = m.features?.nonFinite
    ? ` (${m.features.nonFinite.toLocaleString('en-US')} non-finite values kept)`
    : '';
  const feats = m.features ? `, features ${m.features.dim} x ${m.features.dtype}${kept}` : '';
  console.log(
    `wrote ${out}: ${m.numNodes.toLocaleString('en-US')} nodes, ${m.numEdges.toLocaleString('en-US')} edges${feats}${parts} in ${seconds.toFixed(2)} s`,
  );
}

/** Writes a graph with the progress display, then prints its summary (or JSON); the exit code. */
async function writeGraph(
  out: string,
  json: boolean,
  write: (onProgress: ProgressBar['update']) => Promise<GraphManifest>,
): Promise<number> {
  const { result, seconds } = await withProgress(write);
  summarize(result, out, seconds, json);
  return 0;
}

async function build(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      ...valueFlags('edges features labels split num-nodes delimiter ts-col weight-col inputs'),
      ...valueFlags('feature-dtype partitions out'),
      ...switchFlags('undirected dedupe header no-header force json allow-non-finite'),
    },
    BUILD_USAGE,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const delimiter = v.delimiter;
  if (delimiter !== undefined && !['tab', 'comma', 'space'].includes(delimiter))
    throw commandLineError(`expected tab, comma or space, got '${delimiter}'`, '--delimiter');
  if (v.header && v['no-header'])
    throw commandLineError('--header and --no-header exclude each other', '--header');
  const out = required(v.out, '--out');
  noteOutput(out);
  if (v.inputs !== undefined) return buildTyped(v, out);
  return writeGraph(out, v.json === true, (onProgress) =>
    buildGraph({
      edges: required(v.edges, '--edges'),
      features: v.features,
      labels: v.labels,
      split: v.split,
      undirected: v.undirected === true,
      dedupe: v.dedupe === true,
      numNodes: intFlag(v['num-nodes'], '--num-nodes'),
      delimiter: delimiter as Delimiter | undefined,
      header: v.header ? true : v['no-header'] ? false : undefined,
      tsCol: columnFlag(v['ts-col']),
      weightCol: columnFlag(v['weight-col']),
      featureDtype: dtypeFlag(v['feature-dtype']),
      allowNonFinite: v['allow-non-finite'] === true,
      partitions: intFlag(v.partitions, '--partitions', 1),
      out,
      replace: v.force === true,
      onProgress,
    }),
  );
}

/** The typed build: every input is in the description, so the edge-list flags do not apply. */
async function buildTyped(
  v: Record<string, string | boolean | undefined>,
  out: string,
): Promise<number> {
  const textOnly = ['edges', 'features', 'labels', 'split', 'num-nodes', 'delimiter', 'ts-col'];
  for (const f of [...textOnly, 'weight-col', 'undirected', 'dedupe', 'header', 'no-header'])
    if (v[f] !== undefined)
      throw commandLineError(
        `does not apply with --inputs (the description names every input)`,
        `--${f}`,
      );
  return writeGraph(out, v.json === true, (onProgress) =>
    buildTypedGraph({
      inputs: v.inputs as string,
      featureDtype: dtypeFlag(v['feature-dtype'] as string | undefined),
      partitions: intFlag(v.partitions as string | undefined, '--partitions', 1),
      out,
      replace: v.force === true,
      onProgress,
    }),
  );
}

async function synth(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      ...valueFlags('kind nodes edges feature-dim classes alpha homophily noise seed'),
      ...valueFlags('members jobs skills companies applications-per-member'),
      ...valueFlags('skills-per-member skills-per-job feature-dtype partitions out'),
      ...valueFlags('cold-members intent-drift views-per-member dismissals-per-member'),
      ...valueFlags('member-content cold-profile-skills'),
      ...switchFlags('force json typed-features'),
    },
    SYNTH_USAGE,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const s = (k: keyof typeof v): string | undefined => v[k] as string | undefined;
  const kind = required(s('kind'), '--kind');
  const out = required(s('out'), '--out');
  noteOutput(out);
  const seed = intFlag(s('seed'), '--seed') ?? 1;
  const common = {
    featureDtype: dtypeFlag(s('feature-dtype')),
    partitions: intFlag(s('partitions'), '--partitions', 1),
    replace: v.force === true,
  };
  return writeGraph(out, v.json === true, (onProgress) => {
    if (kind === 'powerlaw') {
      return synthPowerlaw(
        {
          nodes: required(intFlag(s('nodes'), '--nodes', 2), '--nodes'),
          edges: required(intFlag(s('edges'), '--edges'), '--edges'),
          featureDim: intFlag(s('feature-dim'), '--feature-dim') ?? 64,
          classes: intFlag(s('classes'), '--classes', 1) ?? 8,
          alpha: numFlag(s('alpha'), '--alpha'),
          homophily: numFlag(s('homophily'), '--homophily'),
          noise: numFlag(s('noise'), '--noise'),
          seed,
        },
        out,
        { ...common, onProgress },
      );
    } else if (kind === 'marketplace') {
      return synthMarketplace(
        {
          members: required(intFlag(s('members'), '--members', 1), '--members'),
          jobs: intFlag(s('jobs'), '--jobs', 1),
          skills: intFlag(s('skills'), '--skills', 1),
          companies: intFlag(s('companies'), '--companies', 1),
          industries: intFlag(s('classes'), '--classes', 1),
          applicationsPerMember: numFlag(s('applications-per-member'), '--applications-per-member'),
          skillsPerMember: numFlag(s('skills-per-member'), '--skills-per-member'),
          skillsPerJob: numFlag(s('skills-per-job'), '--skills-per-job'),
          featureDim: intFlag(s('feature-dim'), '--feature-dim'),
          coldMembers: numFlag(s('cold-members'), '--cold-members'),
          intentDrift: numFlag(s('intent-drift'), '--intent-drift'),
          viewsPerMember: numFlag(s('views-per-member'), '--views-per-member'),
          dismissalsPerMember: numFlag(s('dismissals-per-member'), '--dismissals-per-member'),
          typedFeatures: v['typed-features'] === true,
          memberContent: numFlag(s('member-content'), '--member-content'),
          coldProfileSkills: intFlag(s('cold-profile-skills'), '--cold-profile-skills'),
          seed,
        },
        out,
        { ...common, onProgress },
      );
    } else {
      throw commandLineError(`unknown kind '${kind}' (powerlaw, marketplace)`, '--kind');
    }
  });
}

/** The positional argument of `weft graph info` and `weft graph partition`. */
const GRAPH_DIR = { what: 'graph directory', name: 'DIR' };

async function info(argv: string[]): Promise<number> {
  const parsed = parseOneArgCommand(argv, '', 'json verify', INFO_USAGE, GRAPH_DIR);
  if (!parsed) return 0;
  const { values: v, arg: dir } = parsed;
  const result = await graphInfo(dir, { verify: v.verify === true });
  console.log(v.json ? JSON.stringify(result, null, 2) : formatGraphInfo(result));
  return 0;
}

async function partition(argv: string[]): Promise<number> {
  const parsed = parseOneArgCommand(argv, 'parts out', 'force json', PARTITION_USAGE, GRAPH_DIR);
  if (!parsed) return 0;
  const { values: v, arg: dir } = parsed;
  const parts = required(intFlag(v.parts, '--parts', 1), '--parts');
  const out = required(v.out, '--out');
  noteOutput(out);
  const { result: idx, seconds } = await withProgress((onProgress) =>
    partitionGraph(dir, parts, out, { replace: v.force === true, onProgress }),
  );
  if (v.json) console.log(JSON.stringify({ out, seconds, ...idx }, null, 2));
  else
    console.log(
      `wrote ${out}: ${idx.count} parts of ${idx.numNodes.toLocaleString('en-US')} nodes in ${seconds.toFixed(2)} s`,
    );
  return 0;
}

const DENSIFY_USAGE = `usage: weft graph densify DIR --out DIR2 [options]

Cold-start densification: nodes of --node-type whose out-degree is at or below the --low-percentile
of their type get edges to their --k most similar nodes at or above the --high-percentile, by cosine
similarity of content features, as the relation TYPE__REL__TYPE of a new graph version (DIR2, with
provenance in its manifest). On a temporal graph a node links only to nodes active no later than its
own first activity (docs/densification.md).

  --node-type T          node type to densify (default: the graph's only type)
  --relation REL         name of the added relation (default similar)
  --low-percentile P     (default 30)
  --high-percentile P    (default 90)
  --degree-relations R[,R]  relations whose out-edges the degree counts, e.g. applied (default:
                         every relation out of the node)
  --k K                  edges per low-degree node (default 50)
  --features input|FILE  the graph's node features, or a .npy of embeddings (default input)
  --index auto|hnsw|exact  nearest-neighbour search; auto: exact on small graphs (default auto)
  --recall-sample N      queries checked against exact search when HNSW is used (default 200)
  --ef-search N          HNSW search breadth (default 128)
  --seed S               (default 1)
  --edge-time neighbour|both  an added edge's time on a temporal graph: the neighbour's first
                         activity, or the later of both ends' (default neighbour)
  --force                replace DIR2 if it exists
  --json                 print the report as JSON`;

/** `--low-percentile` for lowPercentile: the flags name the options. */
const DENSIFY_FLAGS = Object.fromEntries(
  Object.keys(DEFAULT_DENSIFY).map((k) => [
    k,
    `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  ]),
) as DensifyFieldNames;

async function densify(argv: string[]): Promise<number> {
  const flags = Object.values(DENSIFY_FLAGS).map((f) => f.slice(2));
  const parsed = parseCommandLine(
    argv,
    { ...valueFlags([...flags, 'out'].join(' ')), ...switchFlags('force json') },
    DENSIFY_USAGE,
    true,
  );
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const dir = required(onePositional(parsed.positionals, 'graph directory'), 'DIR');
  const out = required(v.out as string | undefined, '--out');
  noteOutput(out);
  const o = { ...DEFAULT_DENSIFY };
  for (const key of Object.keys(o) as (keyof typeof o)[]) {
    const given = v[DENSIFY_FLAGS[key].slice(2)] as string | undefined;
    if (given === undefined) continue;
    const d = DEFAULT_DENSIFY[key];
    (o as Record<string, unknown>)[key] =
      typeof d === 'number'
        ? required(numFlag(given, DENSIFY_FLAGS[key]), DENSIFY_FLAGS[key])
        : given;
  }
  const { result, seconds } = await withProgress(() =>
    densifyGraph(dir, o, out, {
      fields: DENSIFY_FLAGS,
      replace: v.force === true,
      outField: '--out',
    }),
  );
  const r = result.report;
  if (v.json) console.log(JSON.stringify({ out, seconds, report: r }, null, 2));
  else {
    const recall = r.index.recallAtK === null ? 'not checked' : r.index.recallAtK.toFixed(3);
    console.log(
      `wrote ${out}: ${r.edgesAdded.toLocaleString('en-US')} ${r.nodeType}__${r.relation}__${r.nodeType} edges from ${r.lowNodes} nodes (out-degree <= ${r.degreeThresholds.low}) to ${r.highNodes} (>= ${r.degreeThresholds.high}); ${r.index.used} search, recall@k vs exact ${recall}${r.temporal ? ', time-aware' : ''} in ${seconds.toFixed(2)} s`,
    );
  }
  return 0;
}

/** Entry point for `weft graph …`; returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'build':
      return build(rest);
    case 'synth':
      return synth(rest);
    case 'info':
      return info(rest);
    case 'partition':
      return partition(rest);
    case 'densify':
      return densify(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    default:
      throw unknownSubcommand(sub, ['build', 'synth', 'info', 'partition', 'densify']);
  }
}
