// Adaptive sampling, coordinator side: the controller decides after each evaluation, and every
// sampler is told the fanouts of each epoch (and again after a restart); the samplers export them.
import type { ActorClient } from '../../runtime/actor.js';
import type { CoordinatorState } from './coordinator-state.js';
import { SamplerProtocol } from '../protocols.js';
import { retrying } from '../../runtime/retry.js';
import type { JobSpec } from '../job-spec.js';
import { adaptiveFor, adaptiveMetric, type AdaptiveFanouts } from '../plan/adaptive-fanouts.js';
import { sealed } from '../control-secret.js';

type Event = (kind: string, detail: string, extra?: Record<string, unknown>) => void;

/**
 * The fanouts of a distributed job's epochs. Off (adaptive sampling disabled): the spec's fanouts,
 * nothing is sent. On: the controller's current fanouts, restored from a checkpoint's state.
 */
export class JobFanouts {
  private readonly adaptive: AdaptiveFanouts | undefined;
  /** Epoch whose fanouts were last sent to the samplers (a restarted sampler is told again). */
  private epoch = -1;

  constructor(
    private readonly spec: JobSpec,
    state: CoordinatorState,
    private readonly event: Event,
  ) {
    this.adaptive = adaptiveFor(spec);
    if (this.adaptive && state.adaptive)
      this.adaptive.restore(state.adaptive.fanouts, state.adaptive.previous);
    if (this.adaptive) event('fanouts', this.fanouts.join(','));
  }

  get enabled(): boolean {
    return this.adaptive !== undefined;
  }

  /** The fanouts epochs sample with from now on. */
  get fanouts(): number[] {
    return this.adaptive ? this.adaptive.fanouts : this.spec.sampling.fanouts;
  }

  /** Field of a trainEpoch request: the epoch's fanouts when adaptive (trainers' evaluation follows them). */
  forTrainers(): { fanouts?: number[] } {
    return this.adaptive ? { fanouts: this.fanouts } : {};
  }

  /** Tells every sampler the fanouts of `epoch` on (before the epoch's first batch is asked for). */
  async announce(samplers: ActorClient<typeof SamplerProtocol>[], epoch: number): Promise<void> {
    if (!this.adaptive) return;
    this.epoch = epoch;
    await Promise.all(samplers.map((c, j) => this.tell(c, j, epoch)));
  }

  /** A sampler came back after a restart: it knows no fanouts until told (its fetches wait). */
  async restarted(sampler: ActorClient<typeof SamplerProtocol>, j: number): Promise<void> {
    if (!this.adaptive || this.epoch < 0) return;
    await this.tell(sampler, j, this.epoch);
  }

  private async tell(
    c: ActorClient<typeof SamplerProtocol>,
    j: number,
    epoch: number,
  ): Promise<void> {
    const fanouts = this.fanouts;
    await retrying(`fanouts to sampler ${j}`, () =>
      c.ask('setFanouts', sealed({ epoch, fanouts })),
    );
  }

  /**
   * Feeds one validation result to the controller (the embedded coordinator's rule): a stall grows
   * the fanouts for the next epochs; the state to checkpoint is written into `state`.
   */
  afterValidation(state: CoordinatorState, val: Record<string, number>): void {
    if (!this.adaptive) return;
    const d = this.adaptive.observe(val[adaptiveMetric(this.spec)] ?? NaN);
    state.adaptive = this.adaptive.state();
    if (!d.grew) return;
    this.event(
      'fanouts',
      `${d.fanouts.join(',')} (gain ${d.gain.toFixed(4)} < ${this.spec.sampling.adaptive.threshold})`,
      { fanouts: d.fanouts },
    );
  }

  /** Rolled back to a checkpoint (or the start): the controller resumes from that state. */
  rewind(state: CoordinatorState): void {
    if (!this.adaptive) return;
    const fresh = adaptiveFor(this.spec)!;
    const s = state.adaptive ?? fresh.state();
    this.adaptive.restore(s.fanouts, s.previous);
  }
}
