// `weft report`'s work: read a run directory and write its HTML report atomically, by default
// beside the run's files as RUN_DIR/report.html.
import path from 'node:path';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { renderReport, type ReportOptions } from './html-report.js';
import { readRun } from './run-data.js';

export const DEFAULT_REPORT_FILE = 'report.html';

/** Writes the report of `runDir` to `outFile` (default RUN_DIR/report.html); returns its path. */
export async function writeReport(
  runDir: string,
  outFile?: string,
  options: ReportOptions = {},
): Promise<string> {
  const run = await readRun(runDir);
  const target = outFile ?? path.join(runDir, DEFAULT_REPORT_FILE);
  writeFileAtomic(target, renderReport(run, options));
  return target;
}
