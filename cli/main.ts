// The `weft` command: parses the subcommand and hands over to its module in cli/commands/.
// Errors from any folder are printed for humans, or as JSON with --json, with a non-zero exit.
import { WeftError } from '../runtime/errors.js';

type CommandModule = { run(argv: string[]): Promise<number | void> };

// Each subcommand lives in cli/commands/<name>.ts and exports run(argv).
const commands: Record<string, string> = {
  graph: 'build, synthesise, inspect and partition graphs',
  train: 'train a model on this machine (embedded transport)',
  deploy: 'render Kubernetes manifests of a job',
  report: 'write the HTML training report of a run',
  eval: 'evaluate the newest checkpoint of a run on val/test',
  embed: 'write node embeddings of a run as a versioned output',
  launch: 'run a distributed job on this machine: one process per actor, over NATS',
  actor: 'run one actor of a distributed job (what each pod runs)',
  bench: 'run a benchmark (ablation: the LiGNN training speed-ups)',
};

function usage(): string {
  const lines = ['usage: weft <command> [options]', '', 'commands:'];
  for (const [name, summary] of Object.entries(commands))
    lines.push(`  ${name.padEnd(8)} ${summary}`);
  lines.push('', 'Run `weft <command> --help` for its options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (!Object.hasOwn(commands, name)) {
    console.error(`weft: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(`./commands/${name}.js`)) as CommandModule;
  return (await mod.run(rest)) ?? 0;
}

const json = process.argv.includes('--json');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (json)
      console.error(
        JSON.stringify(err instanceof WeftError ? err.toJSON() : { error: String(err) }),
      );
    else if (err instanceof WeftError) console.error(`weft: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
