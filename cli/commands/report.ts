// `weft report RUN_DIR [--out FILE]`: one self-contained HTML page of a run's curves, events,
// configuration and results, readable offline (actors/report/ does the work).
import { writeReport } from '../../actors/report/write-report.js';
import { ConfigError } from '../../runtime/errors.js';

const USAGE = `usage: weft report RUN_DIR [--out FILE]

Writes one self-contained HTML file (no network, no external script) with the run's loss and
metric curves, throughput and step-time breakdown over time, evaluation curves, actor events and
its resolved configuration and results. Reads RUN_DIR/results.json and RUN_DIR/metrics.jsonl.

options:
  --out FILE   where to write (default RUN_DIR/report.html)
  --help       this text`;

/** Entry point of `weft report`; prints the path written. */
export async function run(argv: string[]): Promise<number> {
  let runDir: string | undefined;
  let outFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (arg === '--json') continue; // handled by cli/main.ts for error output
    if (arg === '--out') {
      outFile = argv[++i];
      if (outFile === undefined || outFile.startsWith('--')) {
        throw new ConfigError('--out needs a file name', { file: 'command line', field: '--out' });
      }
    } else if (arg.startsWith('--out=')) outFile = arg.slice('--out='.length);
    else if (arg.startsWith('--')) {
      throw new ConfigError(`unknown option ${arg}`, { file: 'command line', field: arg });
    } else if (runDir === undefined) runDir = arg;
    else
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`, { file: 'command line' });
  }
  if (runDir === undefined) {
    console.error(USAGE);
    return 2;
  }
  console.log(await writeReport(runDir, outFile));
  return 0;
}
