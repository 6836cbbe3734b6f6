// `weft deploy render JOB.yaml [--out DIR] [--set field=value]`: the job's Kubernetes manifests,
// rendered from the job spec by deploy/k8s/render.ts, to stdout or one file each under DIR.
import { readFileSync } from 'node:fs';
import { applyOverrides, parseJobSpec } from '../../actors/job-spec.js';
import { manifestsToYaml, renderK8s, writeManifests } from '../../deploy/k8s/render.js';
import { ConfigError } from '../../runtime/errors.js';
import {
  addSetOverrides,
  onePositional,
  parseCommandLine,
  required,
  switchFlags,
  unknownSubcommand,
  valueFlags,
} from '../command-line.js';

const USAGE = `usage: weft deploy render JOB.yaml [--out DIR] [--set field=value ...]

Renders the Kubernetes manifests of a job from its spec: a JobSet (coordinator, ps, sampler and
trainer replicated jobs sized by cluster.*), a ConfigMap holding the resolved spec, a Service for
the coordinator and a PodMonitor. Without --out the manifests go to stdout as one YAML stream
(pipe into kubectl apply -f -); with --out DIR each goes to its own file beside a kustomization.yaml.

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

async function render(argv: string[]): Promise<number> {
  const args = parseRenderArgs(argv);
  if (!args) return 0;
  let text: string;
  try {
    text = readFileSync(args.specFile, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read job spec: ${(err as Error).message}`,
      { file: args.specFile },
      { cause: err },
    );
  }
  let spec = parseJobSpec(text, args.specFile);
  if (Object.keys(args.overrides).length > 0) spec = applyOverrides(spec, args.overrides);
  const manifests = renderK8s(spec, { file: args.specFile, text });
  if (args.outDir === undefined) {
    process.stdout.write(manifestsToYaml(manifests, args.specFile));
  } else {
    for (const file of writeManifests(manifests, args.outDir, args.specFile)) console.log(file);
  }
  return 0;
}

/** Entry point of `weft deploy`; the only subcommand is `render`. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'render') throw unknownSubcommand(sub, ['render']);
  return render(rest);
}
