// The switches that mean nothing when every actor is its own process (the in-process hand-off,
// sampler threads), and those a distributed job combines only one way; refused before any actor starts.
import { ConfigError } from '../../runtime/errors.js';
import type { JobSpec } from '../job-spec.js';
import { subRoundsOf } from '../plan/link-groups.js';

/**
 * Rejects the switches that have no meaning when every actor is its own process. The hand-off
 * between a sampler and a trainer is always a NATS message there (encoded once, decoded once), and a
 * sampler process samples on its own thread, so the in-process hand-off choices do not exist.
 */
export function checkRemoteSpeedups(spec: JobSpec): void {
  const h = spec.sampling.handoff;
  if (h !== 'shm')
    throw new ConfigError(
      h === 'inline'
        ? 'is inline, but a trainer of a distributed job never samples: batches come from sampler processes over NATS; leave it at shm (the default) and use sampling.prefetch 1 for on-demand sampling'
        : 'is clone, but between processes every batch is one NATS message, encoded by the sampler and decoded by the trainer; there is no in-process hand-off to choose: leave it at shm (the default)',
      { field: 'sampling.handoff' },
    );
  if (subRoundsOf(spec) > 1 && spec.train.sync !== 'aggregate')
    throw new ConfigError(
      `is ${spec.link.stepsPerGroup} with train.sync ${spec.train.sync}; S steps per group are S synchronous sub-rounds, so they need train.sync aggregate (or link.stepsPerGroup 1)`,
      { field: 'link.stepsPerGroup' },
    );
  if (spec.train.mlpInit.enabled && spec.cluster.partitions)
    throw new ConfigError(
      'is on with cluster.partitions, but MLPinit reads every training node’s features on trainer 0, which holds no graph when the samplers own its parts; turn MLPinit off or run without partitions',
      { field: 'train.mlpInit.enabled' },
    );
  if (spec.sampling.samplers !== 1)
    throw new ConfigError(
      `is ${spec.sampling.samplers}, but a sampler process of a distributed job samples on one thread; run more sampler processes with cluster.samplers instead`,
      { field: 'sampling.samplers' },
    );
}
