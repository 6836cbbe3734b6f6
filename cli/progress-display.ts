// Draws `weft train`'s progress on a terminal: one line redrawn in place (\r, never a newline),
// the epoch lines between, and an ETA that counts evaluation and checkpoints once it has seen them.
import type { EpochSummary, Progress } from '../actors/coordinator/run-results.js';
import { formatMetrics } from './format-metrics.js';
import { plural, progressLine, type ProgressView } from './progress-line.js';

export interface DisplayOptions {
  /** Where the text goes (process.stderr.write). */
  write: (text: string) => void;
  /** The terminal's width now (it may change between redraws); undefined: not a terminal. */
  columns: () => number | undefined;
  /** Clock in seconds (performance.now() / 1000); a parameter so tests can drive it. */
  now?: () => number;
  /** Whether the job evaluates after epochs (then the ETA is a lower bound until one was seen). */
  evaluates?: boolean;
}

/** Progress of one training run as a live line and epoch lines. */
export class ProgressDisplay {
  private readonly now: () => number;
  private readonly startS: number;
  private firstEpochStartS?: number;
  private lastEpochEndS?: number;
  private epochsSeen = 0;
  private lastEpochDone = -1;
  private drawn = false;
  private evalSeen = false;

  constructor(private readonly options: DisplayOptions) {
    this.now = options.now ?? (() => performance.now() / 1000);
    this.startS = this.now();
  }

  /** A progress report of the job: redraws the live line (on a terminal). */
  update = (p: Progress): void => {
    const columns = this.options.columns();
    if (p.phase === 'train' && this.firstEpochStartS === undefined)
      this.firstEpochStartS = this.now() - p.elapsedS;
    if (columns === undefined) return;
    const line = progressLine(this.view(p), columns);
    this.options.write(`\r${line}\x1b[K`);
    this.drawn = true;
  };

  /** An epoch finished (trained, evaluated, checkpointed): its line, above the live line. */
  epoch = (e: EpochSummary, epochs: number): void => {
    if (this.firstEpochStartS === undefined)
      this.firstEpochStartS = this.now() - e.seconds - e.evalSeconds;
    this.lastEpochEndS = this.now();
    this.epochsSeen++;
    this.lastEpochDone = e.epoch;
    if (e.evalSeconds > 0) this.evalSeen = true;
    this.clear();
    this.options.write(`${epochLine(e, epochs)}\n`);
  };

  /** Removes the live line (before other output). */
  clear(): void {
    if (this.drawn) this.options.write('\r\x1b[K');
    this.drawn = false;
  }

  private view(p: Progress): ProgressView {
    const { etaS, etaAtLeast } = this.eta(p);
    return {
      phase: p.phase,
      split: p.split,
      epoch: p.epoch,
      epochs: p.epochs,
      step: p.step,
      steps: p.steps,
      batchLoss: p.loss,
      seedsPerSecond: p.seedsPerSecond,
      evalElapsedS: p.phase === 'evaluate' ? p.elapsedS : 0,
      etaS,
      etaAtLeast,
    };
  }

  /**
   * Seconds left: once an epoch has finished, the mean wall time of a whole epoch (training,
   * evaluation, checkpoint) times the epochs left, less the time into this one; before that, the
   * training steps extrapolated, a lower bound when evaluation is still to come.
   */
  private eta(p: Progress): { etaS: number; etaAtLeast: boolean } {
    const now = this.now();
    const evaluates = this.options.evaluates ?? true;
    if (this.epochsSeen > 0 && this.lastEpochEndS !== undefined) {
      const first = this.firstEpochStartS ?? this.startS;
      const perEpoch = (this.lastEpochEndS - first) / this.epochsSeen;
      const left = p.epochs - (this.lastEpochDone + 1);
      const etaS = Math.max(0, perEpoch * left - (now - this.lastEpochEndS));
      return { etaS, etaAtLeast: evaluates && !this.evalSeen };
    }
    if (p.phase === 'evaluate' || p.step === 0) return { etaS: NaN, etaAtLeast: evaluates };
    const perStep = p.elapsedS / p.step;
    const stepsLeft = p.steps - p.step + (p.epochs - p.epoch - 1) * p.steps;
    return { etaS: perStep * stepsLeft, etaAtLeast: evaluates };
  }
}

/**
 * `epoch 3/60: mean loss 0.8123 over 40 steps, 2,244 seeds/s, 0.4 s training + 0.2 s evaluation,
 * val accuracy 0.7140 macro_f1 0.7104`.
 */
export function epochLine(e: EpochSummary, epochs: number): string {
  const time =
    e.evalSeconds > 0
      ? `${e.seconds.toFixed(1)} s training + ${e.evalSeconds.toFixed(1)} s evaluation`
      : `${e.seconds.toFixed(1)} s`;
  const val = e.val ? `; val ${formatMetrics(e.val)}` : '';
  return `epoch ${e.epoch + 1}/${epochs}: mean loss ${e.loss.toFixed(4)} over ${plural(e.steps, 'step')}, ${Math.round(e.seedsPerSecond).toLocaleString('en-US')} seeds/s, ${time}${val}`;
}
