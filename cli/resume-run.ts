// What `weft train` says about continuing a run: where a --resume picks up, why one cannot, and
// the hint after Ctrl-C that names the checkpoint to continue from.
import { join, resolve } from 'node:path';
import type { CoordinatorState } from '../actors/coordinator/coordinator-state.js';
import type { JobSpec } from '../actors/job-spec.js';
import { latestCheckpoint } from '../actors/parameter-server/checkpoint.js';
import { ConfigError } from '../runtime/errors.js';
import { commandLineError } from './command-line.js';
import { EXIT } from './print-error.js';
import { plural } from './progress-line.js';

/** A run's newest checkpoint and what it holds. */
export interface ResumePoint {
  runDir: string;
  /** The checkpoint's folder. */
  dir: string;
  spec: JobSpec;
  /** Epochs the checkpoint has trained (its epoch counted from 1). */
  epochsDone: number;
  step: number;
  stoppedEarly: boolean;
}

/** The newest checkpoint under RUN_DIR/checkpoints, or undefined when there is none. */
export function findResumePoint(dir: string): ResumePoint | undefined {
  const runDir = resolve(dir);
  const ckpt = latestCheckpoint(join(runDir, 'checkpoints'));
  if (!ckpt) return undefined;
  const state = ckpt.meta.coordinator as CoordinatorState | undefined;
  return {
    runDir,
    dir: ckpt.dir,
    spec: ckpt.meta.spec as JobSpec,
    epochsDone: (state?.epoch ?? -1) + 1,
    step: state?.step ?? 0,
    stoppedEarly: state?.stoppedEarly === true,
  };
}

/** The point `--resume RUN_DIR` continues from; an error naming --resume when there is none. */
export function resumePoint(dir: string): ResumePoint {
  const point = findResumePoint(dir);
  if (!point)
    throw commandLineError(`no checkpoint to resume under ${join(dir, 'checkpoints')}`, '--resume');
  return point;
}

/**
 * Refuses a resume that would train nothing (the run already has train.epochs epochs, or stopped
 * early), instead of printing the old results again as if it had trained.
 */
export function checkResumable(point: ResumePoint, spec: JobSpec): void {
  const done = point.epochsDone;
  if (point.stoppedEarly)
    throw new ConfigError(
      `the run in ${point.runDir} stopped early after epoch ${done} (no validation gain); there is nothing to resume`,
      { file: 'command line', field: '--resume' },
    );
  if (spec.train.epochs <= done)
    throw new ConfigError(
      `the run in ${point.runDir} has already trained ${plural(done, 'epoch')}; ask for more to continue it (--epochs ${done + 1} or above)`,
      { file: 'command line', field: '--epochs' },
    );
}

/** `resuming runs/cora-3 after epoch 80/120 (step 80) from runs/cora-3/checkpoints/v000000080`. */
export function resumeLine(point: ResumePoint, spec: JobSpec): string {
  return `resuming ${point.runDir} after epoch ${point.epochsDone}/${spec.train.epochs} (step ${point.step}) from ${point.dir}`;
}

/**
 * What Ctrl-C leaves: the checkpoint a resume would continue from, and the command that does
 * (`resumeCommand`, by default `weft train --resume RUN_DIR`).
 */
export function interruptHint(
  runDir: string,
  resumeCommand = `weft train --resume ${runDir}`,
): string {
  const point = findResumePoint(runDir);
  if (!point)
    return `interrupted before the first checkpoint: nothing to resume; run the same command to start again`;
  return `interrupted; the newest checkpoint is after epoch ${point.epochsDone} (${point.dir}); continue with: ${resumeCommand}`;
}

/**
 * On the first Ctrl-C (or SIGTERM), `say` what to do next and exit 130; checkpoints are written
 * atomically, so stopping here loses only the epoch in progress. Returns the function that removes
 * the handlers.
 */
export function onInterrupt(say: () => void): () => void {
  const stop = (signal: NodeJS.Signals): void => {
    say();
    process.exit(signal === 'SIGTERM' ? 143 : EXIT.interrupted);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}
