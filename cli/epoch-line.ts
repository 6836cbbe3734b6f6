// One line per finished epoch for people watching a job: its loss, throughput, evaluation and time,
// as `weft launch` prints them while the job runs.
import type { EpochSummary } from '../actors/coordinator/run-results.js';
import { formatMetrics } from './format-metrics.js';

/** e.g. `epoch 3/10: loss 0.4321, 12,345 seeds/s, val accuracy 0.8123 (4.2 s)` (epochs from 1). */
export function epochLine(e: EpochSummary, epochs: number): string {
  const parts = [
    `loss ${Number.isFinite(e.loss) ? e.loss.toFixed(4) : String(e.loss)}`,
    `${Math.round(e.seedsPerSecond).toLocaleString('en-US')} seeds/s`,
  ];
  if (e.val && Object.keys(e.val).length > 0) parts.push(formatMetrics(e.val, ', ', 'val '));
  return `epoch ${e.epoch + 1}/${epochs}: ${parts.join(', ')} (${e.seconds.toFixed(1)} s)`;
}
