// `weft deploy render JOB.yaml [--out DIR] [--set field=value]`: the job's Kubernetes manifests,
// rendered from the job spec by deploy/k8s/render.ts, to stdout or one file each under DIR; and
// `weft deploy nats-values JOB.yaml...`: the NATS Helm values with those jobs' users.
import path from 'node:path';
import { stringify } from 'yaml';
import { applyOverrides, parseJobSpec, type JobSpec } from '../../actors/job-spec.js';
import { natsAuthValues } from '../../deploy/k8s/nats-values.js';
import { manifestsToYaml, renderK8s, writeManifests } from '../../deploy/k8s/render.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { ConfigError } from '../../runtime/errors.js';
import {
  addSetOverrides,
  commandLineError,
  onePositional,
  parseCommandLine,
  required,
  switchFlags,
  unknownSubcommand,
  valueFlags,
} from '../command-line.js';
import { readConfigText } from '../../runtime/config-file.js';

const USAGE = `usage: weft deploy render JOB.yaml [--out DIR] [--set field=value ...]
       weft deploy nats-values JOB.yaml [JOB.yaml ...]

render: the Kubernetes manifests of a job from its spec: a JobSet (coordinator, ps, sampler and
trainer replicated jobs sized by cluster.*), a ConfigMap holding the resolved spec, a Service for
the coordinator, the Grafana dashboard's ConfigMap and, with cluster.kubernetes.prometheusOperator,
a PodMonitor and a PrometheusRule. Without --out the manifests go to stdout as one YAML stream
(pipe into kubectl apply -f -); with --out DIR each goes to its own file beside a kustomization.yaml,
and nats-values.yaml too when cluster.kubernetes.credentialsSecret is set.

nats-values: Helm values for the NATS chart (after deploy/nats/values.yaml) with one user per role
of every job given, reading user and password from the jobs' credentials Secrets. Jobs that share
a NATS release go in one command: Helm replaces the user list of an earlier values file.

options:
  --out DIR            write one file per manifest into DIR
  --set field=value    override a spec field, e.g. --set cluster.trainers=4 (repeatable)
  --help               this text`;

interface RenderArgs {
  specFile: string;
  outDir?: string;
  overrides: Record<string, string>;
}

/** `render`'s command line: one JOB.yaml, --out DIR, --set field=value (repeatable); null for --help. */
function parseRenderArgs(argv: string[]): RenderArgs | null {
  const parsed = parseCommandLine(
    argv,
    { ...valueFlags('out'), set: { type: 'string', multiple: true }, ...switchFlags('json') },
    USAGE,
    true,
  );
  if (!parsed) return null;
  const specFile = required(onePositional(parsed.positionals, 'job spec'), 'JOB.yaml');
  const overrides: Record<string, string> = {};
  addSetOverrides(parsed.values.set, overrides);
  return { specFile, outDir: parsed.values.out, overrides };
}

function readSpec(
  specFile: string,
  overrides: Record<string, string> = {},
): { spec: JobSpec; text: string } {
  const text = readConfigText(specFile, 'job spec');
  let spec = parseJobSpec(text, specFile);
  if (Object.keys(overrides).length > 0) spec = applyOverrides(spec, overrides);
  return { spec, text };
}

function natsValuesYaml(specs: JobSpec[], from: string): string {
  return `# Rendered by \`weft deploy nats-values\` from ${from}; re-render rather than edit.\n${stringify(natsAuthValues(specs), { singleQuote: true })}`;
}

async function render(argv: string[]): Promise<number> {
  const args = parseRenderArgs(argv);
  if (!args) return 0;
  const { spec, text } = readSpec(args.specFile, args.overrides);
  const manifests = renderK8s(spec, { file: args.specFile, text });
  if (args.outDir === undefined) {
    process.stdout.write(manifestsToYaml(manifests, args.specFile));
    return 0;
  }
  for (const file of writeManifests(manifests, args.outDir, args.specFile)) console.log(file);
  if (spec.cluster.kubernetes.credentialsSecret !== '') {
    const file = path.join(args.outDir, 'nats-values.yaml');
    writeFileAtomic(file, natsValuesYaml([spec], args.specFile));
    console.log(file);
  }
  return 0;
}

function natsValues(argv: string[]): number {
  const parsed = parseCommandLine(argv, switchFlags('json'), USAGE, true);
  if (!parsed) return 0;
  const files = parsed.positionals;
  if (files.length === 0) throw commandLineError('the job spec file is missing', 'JOB.yaml');
  const specs = files.map((f) => {
    const { spec, text } = readSpec(f);
    renderK8s(spec, { file: f, text }); // the same checks as render: a bad job fails here too
    if (spec.cluster.kubernetes.credentialsSecret === '') {
      throw new ConfigError(
        `job ${spec.name} names no credentials Secrets: set cluster.kubernetes.credentialsSecret`,
        { file: f, field: 'cluster.kubernetes.credentialsSecret' },
      );
    }
    return spec;
  });
  process.stdout.write(natsValuesYaml(specs, files.join(', ')));
  return 0;
}

/** Entry point of `weft deploy`: `render` and `nats-values`. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'nats-values') return natsValues(rest);
  if (sub !== 'render') throw unknownSubcommand(sub, ['render', 'nats-values']);
  return render(rest);
}
