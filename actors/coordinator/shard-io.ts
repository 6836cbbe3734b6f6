// The coordinator's traffic with the parameter-server shards as a whole: the job's parameter layout,
// loading every shard (initial parameters or a checkpoint's tensors), and one consistent checkpoint.
import type { ActorClient } from '../../runtime/actor.js';
import { retrying } from '../../runtime/retry.js';
import type { ParameterServerProtocol } from '../protocols.js';
import type { JobSpec } from '../job-spec.js';
import type { CheckpointStore } from '../parameter-server/checkpoint-store.js';
import type { DistributedIdTables } from '../parameter-server/embedding-tables.js';
import { trainerStateTensors, withoutTrainerState } from '../parameter-server/local-sgd-state.js';
import { ShardVersionsDisagreeError } from '../parameter-server/shard-errors.js';
import { nonFiniteEntry, NonFiniteTrainingError } from '../parameter-server/non-finite.js';
import {
  assembleByPlan,
  planShards,
  splitByPlan,
  type ShardPlan,
} from '../parameter-server/shard-plan.js';
import type { OptimizerSpec } from '../protocols.js';
import { buildModel } from '../trainer/trainer-core.js';
import { sealed } from '../control-secret.js';

type Shards = ActorClient<typeof ParameterServerProtocol>[];

/** The parameter layout of a job's model, as every process computes it. */
export function shardPlanOf(
  spec: JobSpec,
  dim: number,
  numClasses: number,
  numRelations = 1,
  inputTypes: readonly { start: number; width: number }[] = [],
) {
  const model = buildModel(spec, dim, Math.max(1, numClasses), numRelations, inputTypes);
  const initial = model.init(spec.train.seed);
  model.dispose();
  const plan = planShards(
    [...initial].map(([n, v]) => [n, v.length] as [string, number]),
    spec.cluster.parameterServers,
  );
  return { plan, initial };
}

/** The optimizer the shards run, from the job spec (never from a message). */
export function optimizerOf(spec: JobSpec): OptimizerSpec {
  return {
    kind: spec.train.optimizer,
    lr: spec.train.lr,
    momentum: spec.train.momentum,
    weightDecay: spec.train.weightDecay,
  };
}

/**
 * Loads every shard with its slices of the initial parameters, at version 0 with fresh optimizer state
 * (`lrScale`: the learning rate's factor after non-finite rollbacks).
 */
export async function loadInitial(
  shards: Shards,
  plan: ShardPlan,
  spec: JobSpec,
  initial: Map<string, Float32Array>,
  idTables?: DistributedIdTables,
  lrScale = 1,
): Promise<void> {
  const parts = splitByPlan(plan, initial);
  await Promise.all(
    // A shard killed between its hello and its load comes back empty: the load is idempotent, so retried.
    shards.map((c, p) =>
      retrying(`load ps ${p}`, () =>
        c.ask(
          'load',
          sealed({
            params: parts[p],
            version: 0,
            optimizer: optimizerOf(spec),
            trainers: spec.cluster.trainers,
            sync: spec.train.sync,
            staleness: spec.train.staleness,
            ...(lrScale !== 1 ? { lrScale } : {}),
          }),
        ),
      ),
    ),
  );
  await idTables?.load(0);
}

/** Loads shards from full tensors (`name`, `name#slot`) of a checkpoint; returns the version. */
export async function loadShards(
  shards: Shards,
  plan: ShardPlan,
  spec: JobSpec,
  tensors: Map<string, Float32Array>,
  meta: Record<string, unknown>,
  version: number,
  idTables?: DistributedIdTables,
  lrScale = 1,
): Promise<number> {
  // Local SGD: the trainers' optimizer slots travel to the trainers, not to the shards.
  tensors = withoutTrainerState(tensors);
  const params = splitByPlan(plan, tensors);
  const suffixes = new Set<string>();
  for (const k of tensors.keys()) if (k.includes('#')) suffixes.add(k.slice(k.indexOf('#')));
  const slots = plan.slices.map(() => ({}) as Record<string, Float32Array>);
  for (const suffix of suffixes) {
    splitByPlan(plan, tensors, suffix).forEach((part, p) => Object.assign(slots[p], part));
  }
  const stepsByName = (meta.optimizerSteps ?? {}) as Record<string, number>;
  await Promise.all(
    shards.map((c, p) => {
      const steps: Record<string, number> = {};
      for (const sl of plan.slices[p]) steps[sl.key] = stepsByName[sl.name] ?? 0;
      return retrying(`load ps ${p}`, () =>
        c.ask(
          'load',
          sealed({
            params: params[p],
            slots: slots[p],
            steps,
            version,
            optimizer: optimizerOf(spec),
            trainers: spec.cluster.trainers,
            sync: spec.train.sync,
            staleness: spec.train.staleness,
            ...(lrScale !== 1 ? { lrScale } : {}),
          }),
        ),
      );
    }),
  );
  await idTables?.load(version, tensors);
  return version;
}

/** One checkpoint of every shard at one version, in the single-process layout (`weft eval` reads it). */
export async function checkpointShards(
  shards: Shards,
  plan: ShardPlan,
  store: CheckpointStore,
  meta: Record<string, unknown>,
  idTables?: DistributedIdTables,
  trainerState?: ReturnType<typeof trainerStateTensors>,
  opts: { best?: boolean } = {},
): Promise<string> {
  const snaps = await Promise.all(
    shards.map((c) => retrying('snapshot', () => c.ask('snapshot', {}))),
  );
  const version = snaps[0].version;
  if (snaps.some((s) => s.version !== version))
    throw new ShardVersionsDisagreeError(snaps.map((s) => s.version));
  const tensors = assembleByPlan(
    plan,
    snaps.map((s) => s.params),
  );
  const suffixes = new Set<string>();
  for (const k of Object.keys(snaps[0].slots)) suffixes.add(k.slice(k.indexOf('#')));
  for (const suffix of suffixes)
    for (const [k, v] of assembleByPlan(
      plan,
      snaps.map((s) => s.slots),
      suffix,
    ))
      tensors.set(k, v);
  const optimizerSteps: Record<string, number> = {};
  plan.slices.forEach((list, p) => {
    for (const sl of list) optimizerSteps[sl.name] = snaps[p].steps[sl.key] ?? 0;
  });
  if (idTables) for (const [k, v] of await idTables.tensors(version)) tensors.set(k, v);
  if (trainerState) for (const [k, v] of trainerState.tensors) tensors.set(k, v);
  // A checkpoint is what a non-finite rollback returns to: it never holds a NaN or infinity.
  const bad = nonFiniteEntry(tensors);
  if (bad)
    throw new NonFiniteTrainingError(
      'parameters',
      `${bad.name}[${bad.index}] is ${bad.value} at version ${version}: checkpoint not written`,
    );
  return store.save(version, tensors, { ...meta, optimizerSteps, ...trainerState?.meta }, opts);
}
