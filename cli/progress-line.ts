// The live progress line of `weft train`: what it says (epoch, bar, step, last batch's loss,
// seeds/s, ETA, or an "evaluating" phase with a ticking indicator), fitted to the terminal's width.
import type { Progress } from '../actors/coordinator/run-results.js';

/** What the line shows; the display (cli/progress-display.ts) works it out from the job's progress. */
export interface ProgressView extends Pick<
  Progress,
  'phase' | 'split' | 'epoch' | 'epochs' | 'step' | 'steps' | 'seedsPerSecond'
> {
  /** Loss of the last batch trained; NaN before the first. */
  batchLoss: number;
  /** Seconds into the evaluation (phase 'evaluate'). */
  evalElapsedS: number;
  /** Seconds left in the job, NaN when not known yet. */
  etaS: number;
  /** The ETA leaves out work not measured yet (the first evaluation): shown as a lower bound. */
  etaAtLeast: boolean;
}

const SPINNER = ['|', '/', '-', '\\'];

/** `1m05s`, `42s`, `1h02m`, or `--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `1 epoch`, `3 epochs`. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function bar(frac: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, frac)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** The line's parts, most important first, for a bar `barWidth` wide (0: no bar). */
function parts(v: ProgressView, barWidth: number): string[][] {
  const head = `epoch ${v.epoch + 1}/${v.epochs}`;
  const eta = `ETA ${v.etaAtLeast && Number.isFinite(v.etaS) ? '>' : ''}${formatDuration(v.etaS)}`;
  if (v.phase === 'evaluate') {
    const tick = SPINNER[Math.floor(v.evalElapsedS * 4) % SPINNER.length];
    return [
      [head, `evaluating ${v.split === 'test' ? 'test' : 'val'} ${tick}`],
      [`${v.evalElapsedS.toFixed(1)}s`],
      [eta],
    ];
  }
  const started = v.step > 0;
  return [
    [head, ...(barWidth > 0 ? [bar(v.steps > 0 ? v.step / v.steps : 0, barWidth)] : [])],
    [started ? `step ${v.step}/${v.steps}` : `starting (${plural(v.steps, 'step')})`],
    [eta],
    started && Number.isFinite(v.batchLoss) ? [`batch loss ${v.batchLoss.toFixed(4)}`] : [],
    started ? [`${Math.round(v.seedsPerSecond).toLocaleString('en-US')} seeds/s`] : [],
  ];
}

/**
 * The progress line for a terminal `columns` wide: at most columns - 1 characters, so the cursor
 * never reaches the last column and a redraw after `\r` stays on one line. Drops the least
 * important parts, then narrows the bar, then cuts the text, until it fits.
 */
export function progressLine(v: ProgressView, columns: number): string {
  const max = Math.max(1, columns - 1);
  for (let keep = parts(v, 0).length; keep >= 1; keep--) {
    for (const barWidth of [30, 20, 10, 0]) {
      const line = parts(v, barWidth)
        .slice(0, keep)
        .filter((p) => p.length > 0)
        .map((p) => p.join(' '))
        .join('  ');
      if (line.length <= max) return line;
    }
  }
  return parts(v, 0)[0].join(' ').slice(0, max);
}
