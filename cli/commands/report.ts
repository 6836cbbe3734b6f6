// `weft report RUN_DIR [--out FILE]`: one self-contained HTML page of a run's curves, events,
// configuration and results, readable offline (actors/report/ does the work).
import { writeReport } from '../../actors/report/write-report.js';
import { parseOneArgCommand } from '../command-line.js';

const USAGE = `usage: weft report RUN_DIR [--out FILE]

Writes one self-contained HTML file (no network, no external script) with the run's loss and
metric curves, throughput and step-time breakdown over time, evaluation curves, actor events and
its resolved configuration and results. Reads RUN_DIR/results.json and RUN_DIR/metrics.jsonl.

options:
  --out FILE   where to write (default RUN_DIR/report.html)
  --help       this text`;

/** Entry point of `weft report`; prints the path written. */
export async function run(argv: string[]): Promise<number> {
  const arg = { what: 'run directory', name: 'RUN_DIR' };
  const parsed = parseOneArgCommand(argv, 'out', 'json', USAGE, arg);
  if (!parsed) return 0;
  console.log(await writeReport(parsed.arg, parsed.values.out));
  return 0;
}
