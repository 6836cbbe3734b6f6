// The cap on each worker thread's young generation (V8's new space). V8 grows an isolate's semi-spaces
// up to 16 MiB each under a high allocation rate; the pipeline's threads allocate mostly short-lived
// garbage, so that growth was resident memory buying nothing (bench/NOTES.md, "Peak RSS").
import type { ResourceLimits } from 'node:worker_threads';

/**
 * Young generation of a worker thread, MiB: V8 splits it into two semi-spaces and a new large-object
 * space, so 6 MiB leaves 2 MiB semi-spaces. `WEFT_WORKER_YOUNG_MB` overrides it (0: V8's default).
 */
export const WORKER_YOUNG_GENERATION_MB = 6;

/**
 * Node flags giving a process's main thread the workers' 2 MiB semi-spaces: for the actor processes
 * `weft launch` and the NATS transport start (`weft` itself carries them on bin/weft.js's first line).
 */
export const MAIN_THREAD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

function youngGenerationMb(): number | undefined {
  const text = process.env.WEFT_WORKER_YOUNG_MB;
  if (text === undefined || text === '') return WORKER_YOUNG_GENERATION_MB;
  const mb = Number(text);
  if (!Number.isFinite(mb) || mb < 0)
    throw new Error(`WEFT_WORKER_YOUNG_MB must be a number of MiB >= 0, got '${text}'`);
  return mb === 0 ? undefined : mb;
}

/** `limits` with the young generation capped, unless the caller set it. */
export function workerResourceLimits(limits: ResourceLimits = {}): ResourceLimits {
  if (limits.maxYoungGenerationSizeMb !== undefined) return limits;
  const mb = youngGenerationMb();
  return mb === undefined ? limits : { ...limits, maxYoungGenerationSizeMb: mb };
}
