// The `weft` command: parses the subcommand and hands over to its module in cli/commands/.
// Errors from any folder are printed for humans, or as JSON with --json, with a non-zero exit.
import { WeftError } from '../runtime/errors.js';

type CommandModule = { run(argv: string[]): Promise<number | void> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  // Each subcommand lives in cli/commands/<name>.ts and exports run(argv).
  graph: {
    summary: 'build, synthesise, inspect and partition graphs',
    load: () => import('./commands/graph.js'),
  },
  train: {
    summary: 'train a model on this machine (embedded transport)',
    load: () => import('./commands/train.js'),
  },
  deploy: {
    summary: 'render Kubernetes manifests of a job',
    load: () => import('./commands/deploy.js'),
  },
  report: {
    summary: 'write the HTML training report of a run',
    load: () => import('./commands/report.js'),
  },
  eval: {
    summary: 'evaluate the newest checkpoint of a run on val/test',
    load: () => import('./commands/eval.js'),
  },
  embed: {
    summary: 'write node embeddings of a run as a versioned output',
    load: () => import('./commands/embed.js'),
  },
  launch: {
    summary: 'run a distributed job on this machine: one process per actor, over NATS',
    load: () => import('./commands/launch.js'),
  },
  actor: {
    summary: 'run one actor of a distributed job (what each pod runs)',
    load: () => import('./commands/actor.js'),
  },
  bench: {
    summary: 'run a benchmark (ablation: the LiGNN training speed-ups)',
    load: () => import('./commands/bench.js'),
  },
};

function usage(): string {
  const lines = ['usage: weft <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `weft <command> --help` for its options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`weft: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await entry.load();
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
