// Why a trainer stops a piece of work, as types: the job rolled back past it, or the shards are not
// where the work starts. The coordinator decides on the class and code, never on the wording.
import { WeftError } from '../../runtime/errors.js';

/** The job rolled back (attempt `attempt`): a run of the abandoned timeline stops at its next step. */
export class EpochAbandonedError extends WeftError {
  constructor(
    readonly epoch: number,
    readonly attempt: number,
  ) {
    super('epoch-abandoned', `epoch ${epoch} abandoned: the job rolled back (attempt ${attempt})`);
  }
}

/** A request of an older attempt arrived after a newer one: it is refused, not run. */
export class AttemptSupersededError extends WeftError {
  constructor(
    readonly what: string,
    readonly attempt: number,
    readonly current: number,
  ) {
    super('attempt-superseded', `${what} of attempt ${attempt} superseded by attempt ${current}`);
  }
}

/** The shards are at a version before the epoch's first round: the coordinator's plan is wrong. */
export class ShardsBehindError extends WeftError {
  constructor(
    readonly version: number,
    readonly startVersion: number,
  ) {
    super(
      'shards-behind',
      `shards at version ${version}, before this epoch's start ${startVersion}`,
    );
  }
}
