// `weft deploy render JOB.yaml [--out DIR] [--set field=value]`: the job's Kubernetes manifests,
// rendered from the job spec by deploy/k8s/render.ts, to stdout or one file each under DIR.
import { readFileSync } from 'node:fs';
import { applyOverrides, parseJobSpec } from '../../actors/job-spec.js';
import { manifestsToYaml, renderK8s, writeManifests } from '../../deploy/k8s/render.js';
import { ConfigError } from '../../runtime/errors.js';
import { addSetOverrides } from '../command-line.js';

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

function parseRenderArgs(argv: string[]): RenderArgs {
  let specFile: string | undefined;
  let outDir: string | undefined;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) {
        throw new ConfigError(`${arg} needs a value`, { file: 'command line', field: arg });
      }
      return v;
    };
    if (arg === '--json') continue; // handled by cli/main.ts for error output
    if (arg === '--out') outDir = value();
    else if (arg.startsWith('--out=')) outDir = arg.slice('--out='.length);
    else if (arg === '--set' || arg.startsWith('--set=')) {
      addSetOverrides([arg === '--set' ? value() : arg.slice('--set='.length)], overrides);
    } else if (arg.startsWith('--')) {
      throw new ConfigError(`unknown option ${arg}`, { file: 'command line', field: arg });
    } else if (specFile === undefined) specFile = arg;
    else {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`, { file: 'command line' });
    }
  }
  if (specFile === undefined) {
    throw new ConfigError('the job spec file is missing', {
      file: 'command line',
      field: 'JOB.yaml',
    });
  }
  return { specFile, outDir, overrides };
}

async function render(argv: string[]): Promise<number> {
  const args = parseRenderArgs(argv);
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
  if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'render') {
    console.error(`weft deploy: unknown subcommand '${sub}'\n\n${USAGE}`);
    return 2;
  }
  return render(rest);
}
