// Adaptive neighbour sampling (LiGNN, Algorithm 2): train on small fanouts and grow them only when
// the validation metric stops improving by a threshold, so early epochs read far fewer neighbours.
import type { JobSpec } from '../job-spec.js';
import type { ProducerConfig } from '../batch/batch-producer.js';

/** What the controller decided at one evaluation. */
export interface FanoutDecision {
  /** Fanouts for the next epochs (seeds' hop first). */
  fanouts: number[];
  /** True when this evaluation was a stall and at least one hop grew. */
  grew: boolean;
  /** Metric gain since the previous evaluation (NaN at the first one). */
  gain: number;
}

export interface AdaptiveSettings {
  start: readonly number[];
  step: number;
  cap: number;
  threshold: number;
}

/**
 * Tracks the watched metric across evaluations. A stall (gain < threshold) grows every hop by
 * `step`, clamped at `cap`; the first evaluation only sets the reference. The reference is the
 * previous evaluation's value, as in the paper (not the best so far), so a drop is also a stall.
 */
export class AdaptiveFanouts {
  private current: number[];
  private previous = NaN;

  constructor(
    private readonly settings: AdaptiveSettings,
    layers: number,
  ) {
    const s = settings.start;
    this.current = Array.from({ length: layers }, (_, h) =>
      Math.min(settings.cap, s.length === 1 ? s[0] : s[h]),
    );
  }

  get fanouts(): number[] {
    return this.current.slice();
  }

  /** True when every hop is at the cap: nothing left to grow. */
  get atCap(): boolean {
    return this.current.every((f) => f >= this.settings.cap);
  }

  /** Feeds one evaluation's metric; returns the fanouts to use from the next epoch on. */
  observe(metric: number): FanoutDecision {
    const gain = metric - this.previous;
    this.previous = metric;
    let grew = false;
    if (Number.isFinite(gain) && gain < this.settings.threshold && !this.atCap) {
      this.current = this.current.map((f) => Math.min(this.settings.cap, f + this.settings.step));
      grew = true;
    }
    return { fanouts: this.fanouts, grew, gain };
  }

  /** Restores the state a checkpoint recorded (resume). */
  restore(fanouts: readonly number[], previous: number): void {
    this.current = fanouts.slice();
    this.previous = previous;
  }

  /** The state to checkpoint: fanouts and the reference metric. */
  state(): { fanouts: number[]; previous: number } {
    return { fanouts: this.fanouts, previous: this.previous };
  }
}

/** The metric name adaptive sampling watches for a job. */
export function adaptiveMetric(spec: JobSpec): string {
  const m = spec.sampling.adaptive.metric;
  if (m !== 'auto') return m;
  return spec.task === 'node' ? 'accuracy' : 'auc';
}

/** The controller of a job, or undefined when adaptive sampling is off. */
export function adaptiveFor(spec: JobSpec): AdaptiveFanouts | undefined {
  const a = spec.sampling.adaptive;
  if (!a.enabled) return undefined;
  return new AdaptiveFanouts(a, spec.model.layers);
}

/** The largest fanouts a job may sample with: sizes buffers such as the shared-memory ring. */
export function maxFanouts(spec: JobSpec): number[] {
  const a = spec.sampling.adaptive;
  if (!a.enabled) return spec.sampling.fanouts;
  return Array.from({ length: spec.model.layers }, () => a.cap);
}

/**
 * A producer config sampling with `fanouts` (undefined: unchanged). A config that takes every
 * neighbour (evaluation with eval.fullNeighbors) keeps doing so.
 */
export function withFanouts(config: ProducerConfig, fanouts?: readonly number[]): ProducerConfig {
  if (!fanouts || config.sampler.fanouts.every((f) => f === -1)) return config;
  return { ...config, sampler: { ...config.sampler, fanouts: [...fanouts] } };
}

/** Same fanouts hop by hop. */
export function sameFanouts(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/**
 * A sampler's fanouts by epoch: the coordinator sets them for an epoch (and every later one until
 * told otherwise); a freshly started sampler knows none until told, so it never samples with stale ones.
 */
export class EpochFanouts {
  private readonly byEpoch = new Map<number, number[]>();

  /** Fanouts from `epoch` on; entries of later epochs (an abandoned timeline) are dropped. */
  set(epoch: number, fanouts: readonly number[]): void {
    for (const e of [...this.byEpoch.keys()]) if (e >= epoch) this.byEpoch.delete(e);
    this.byEpoch.set(epoch, [...fanouts]);
  }

  /** The fanouts of `epoch`: those set for the newest epoch at or before it (undefined: none yet). */
  of(epoch: number): number[] | undefined {
    let best = -1;
    for (const e of this.byEpoch.keys()) if (e <= epoch && e > best) best = e;
    return best < 0 ? undefined : this.byEpoch.get(best);
  }

  /** The newest fanouts set (for stats). */
  latest(): number[] | undefined {
    let best = -1;
    for (const e of this.byEpoch.keys()) if (e > best) best = e;
    return best < 0 ? undefined : this.byEpoch.get(best);
  }
}
