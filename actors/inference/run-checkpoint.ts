// A checkpoint of a run (the best, the newest or one version) wherever the job kept it: the JetStream
// object store named in RUN_DIR/checkpoint-store.json, reached at the recorded NATS servers or --nats.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import { startNatsServer, type NatsServer } from '../../runtime/nats-server.js';
import { readCheckpointLocator } from '../parameter-server/checkpoint-locator.js';
import { jetStreamCheckpointStore } from '../parameter-server/jetstream-checkpoint-store.js';
import {
  chooseCheckpoint,
  type CheckpointChoice,
  type ChosenCheckpoint,
} from './checkpoint-choice.js';

/** How long one connect to a recorded NATS server may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

export interface RunCheckpointOptions {
  /** NATS URL(s) of the JetStream store instead of the servers the run recorded (`--nats`). */
  nats?: string;
  /** Which checkpoint (default: the best validation's). */
  checkpoint?: CheckpointChoice;
}

/**
 * The chosen verified checkpoint of a run whose checkpoints are in a JetStream object store, or
 * undefined when the run kept them in RUN_DIR/checkpoints/ (the caller reads those). A run launched
 * with `cluster.nats: local` kept JetStream's files in RUN_DIR/jetstream/: when its server is gone
 * and no --nats is given, a private nats-server is started on that folder for the read.
 */
export async function jetStreamRunCheckpoint(
  runDir: string,
  opts: RunCheckpointOptions = {},
): Promise<ChosenCheckpoint | undefined> {
  const locator = readCheckpointLocator(runDir);
  if (locator?.store !== 'jetstream') return undefined;
  const bucket = locator.bucket!;
  const recordFile = join(runDir, 'checkpoint-store.json');
  const servers = opts.nats !== undefined ? opts.nats.split(',') : locator.nats!;
  const localDir = join(runDir, 'jetstream');
  const read = async (urls: string[]) => {
    const store = jetStreamCheckpointStore(
      { servers: urls, connectTimeoutMs: CONNECT_TIMEOUT_MS, maxReconnectAttempts: 0 },
      bucket,
    );
    try {
      return await chooseCheckpoint(store, opts.checkpoint ?? 'best');
    } finally {
      await store.close();
    }
  };
  let found: ChosenCheckpoint | undefined;
  try {
    if (servers.length === 0) throw new ConfigError('no NATS server recorded', { field: '--nats' });
    found = await read(servers);
  } catch (error) {
    const unreachable = error instanceof ConfigError;
    if (!unreachable) throw error;
    if (opts.nats !== undefined || !existsSync(localDir)) {
      const at = servers.length > 0 ? servers.join(', ') : '(none recorded)';
      throw new ConfigError(
        `the run's checkpoints are in ${locator.where} on NATS at ${at}, which cannot be reached (${(error as Error).message}); pass --nats URL of a server of that JetStream`,
        { file: recordFile, field: '--nats' },
        { cause: error },
      );
    }
    // The job's own local server is gone: open its JetStream folder with one of our own.
    let server: NatsServer | undefined;
    try {
      server = await startNatsServer({ jetStreamDir: localDir });
      found = await read([server.url]);
    } finally {
      await server?.stop();
    }
  }
  if (!found)
    throw new ConfigError(
      `no checkpoint in ${locator.where} (train the run, or let it reach its first checkpoint)`,
      { file: recordFile, field: 'RUN_DIR' },
    );
  return found;
}
