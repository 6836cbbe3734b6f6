// Which checkpoint of a run inference scores: the best validation's (the default: what results.json
// reports), the newest, or one parameter version, from whichever store the run kept them in.
import { ConfigError, InputError } from '../../runtime/errors.js';
import type { Checkpoint } from '../parameter-server/checkpoint.js';
import type { CheckpointStore } from '../parameter-server/checkpoint-store.js';

/** `--checkpoint best|latest|<version>`. */
export type CheckpointChoice = 'best' | 'latest' | number;

/** What was scored: the best validation's checkpoint, the newest, or the version asked for. */
export type ScoredCheckpoint = 'best' | 'latest' | 'version';

export interface ChosenCheckpoint {
  checkpoint: Checkpoint;
  scored: ScoredCheckpoint;
  /** Why the choice differs from what was asked (a run that recorded no best: the newest). */
  note?: string;
}

/** Parses `--checkpoint`: best, latest, a parameter version (123) or a version name (v000000123). */
export function parseCheckpointChoice(value: string | undefined): CheckpointChoice {
  if (value === undefined || value === 'best') return 'best';
  if (value === 'latest') return 'latest';
  const m = /^v?(\d{1,9})$/.exec(value);
  if (!m)
    throw new ConfigError(
      `expected best, latest or a checkpoint version (e.g. 120 or v000000120), got ${JSON.stringify(value)}`,
      { field: '--checkpoint' },
    );
  return Number(m[1]);
}

/** The checkpoint `choice` names in `store` (undefined: the store holds none at all). */
export async function chooseCheckpoint(
  store: Pick<CheckpointStore, 'best' | 'latest' | 'read' | 'locationOf' | 'where'>,
  choice: CheckpointChoice,
): Promise<ChosenCheckpoint | undefined> {
  if (typeof choice === 'number') {
    const location = store.locationOf(choice);
    try {
      return { checkpoint: await store.read(location), scored: 'version' };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new ConfigError(
        `no readable checkpoint version ${choice} in ${store.where} (${error.message}); the store keeps the newest versions and the best one`,
        { file: location, field: '--checkpoint' },
        { cause: error },
      );
    }
  }
  if (choice === 'best') {
    const best = await store.best();
    if (best) return { checkpoint: best, scored: 'best' };
  }
  const latest = await store.latest();
  if (!latest) return undefined;
  return choice === 'best'
    ? {
        checkpoint: latest,
        scored: 'latest',
        note: 'the run recorded no best checkpoint (no evaluation yet, or written before best checkpoints were kept): scoring the newest',
      }
    : { checkpoint: latest, scored: 'latest' };
}

/** One line saying which checkpoint was scored, epochs counted from 1 as the CLI prints them. */
export function describeScored(c: {
  scored: ScoredCheckpoint;
  epoch: number;
  step: number;
  bestEpoch: number;
  note?: string;
}): string {
  const epoch = c.epoch >= 0 ? `epoch ${c.epoch + 1}, ` : '';
  const at = `${epoch}version ${c.step}`;
  let line: string;
  if (c.scored === 'best') line = `best checkpoint (${at}: the numbers results.json reports)`;
  else if (c.scored === 'version') line = `checkpoint version ${c.step}${epoch ? ` (${at})` : ''}`;
  else {
    const best =
      c.bestEpoch >= 0 && c.bestEpoch !== c.epoch
        ? `; the best validation was epoch ${c.bestEpoch + 1} (--checkpoint best)`
        : '';
    line = `latest checkpoint (${at}${best})`;
  }
  return c.note ? `${line}; ${c.note}` : line;
}
