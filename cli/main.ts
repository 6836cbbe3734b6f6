// The `weft` command: parses the subcommand and hands over to its module in cli/commands/.
// Errors from any folder are printed by one printer (cli/print-error.ts): one line, or JSON with --json.
import { didYouMean } from '../runtime/nearest-names.js';
import { EXIT, printError } from './print-error.js';

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

/** The commands with subcommands, which errors name in full (`weft graph build: ...`). */
const subcommands: Record<string, readonly string[]> = {
  graph: ['build', 'synth', 'info', 'partition'],
  deploy: ['render'],
  bench: ['ablation'],
};

/** The command an error is about: `train`, or `graph build` for a known subcommand. */
function commandOf(argv: readonly string[]): string {
  const [name, sub] = argv;
  if (!name || !Object.hasOwn(commands, name)) return '';
  return sub !== undefined && subcommands[name]?.includes(sub) ? `${name} ${sub}` : name;
}

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
    console.error(`weft: unknown command '${name}'${didYouMean(name, Object.keys(commands))}`);
    console.error("Run 'weft --help' for the commands.");
    return EXIT.usage;
  }
  const mod = (await import(`./commands/${name}.js`)) as CommandModule;
  return (await mod.run(rest)) ?? 0;
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = printError(commandOf(argv), err, argv.includes('--json'));
  },
);
