// Where a run lives on disk (RUN_DIR, its checkpoints and metrics.jsonl), and the checkpoint a
// --resume continues from.
import { join, resolve } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { latestCheckpoint, type Checkpoint } from '../parameter-server/checkpoint.js';

/** Where a run lives, and the checkpoint it resumes from (an error when there is none to resume). */
export function runLocation(
  spec: JobSpec,
  resume = false,
): { runDir: string; ckptDir: string; metricsPath: string; resumeFrom?: Checkpoint } {
  const runDir = resolve(spec.out || join('runs', spec.name));
  const ckptDir = join(runDir, 'checkpoints');
  const resumeFrom = resume ? latestCheckpoint(ckptDir) : undefined;
  if (resume && !resumeFrom)
    throw new ConfigError(`nothing to resume: no checkpoint under ${ckptDir}`, { field: 'resume' });
  return { runDir, ckptDir, metricsPath: join(runDir, 'metrics.jsonl'), resumeFrom };
}
