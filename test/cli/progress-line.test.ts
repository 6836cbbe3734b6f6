import { describe, expect, it } from 'vitest';
import type { EpochSummary, Progress } from '../../actors/coordinator/run-results.js';
import { epochLine, ProgressDisplay } from '../../cli/progress-display.js';
import {
  formatDuration,
  plural,
  progressLine,
  type ProgressView,
} from '../../cli/progress-line.js';

const WIDTHS = [40, 79, 80, 120];

function view(over: Partial<ProgressView> = {}): ProgressView {
  return {
    phase: 'train',
    epoch: 11,
    epochs: 120,
    step: 1234,
    steps: 20000,
    batchLoss: 0.812345,
    seedsPerSecond: 24567.8,
    evalElapsedS: 0,
    etaS: 4000,
    etaAtLeast: false,
    ...over,
  };
}

/** A terminal `columns` wide fed by a display: what is on screen, and every write. */
function terminal(columns: number) {
  const writes: string[] = [];
  let clock = 0;
  const display = new ProgressDisplay({
    write: (t) => writes.push(t),
    columns: () => columns,
    now: () => clock,
  });
  return {
    display,
    writes,
    advance: (s: number) => (clock += s),
  };
}

const visible = (w: string) => w.replaceAll('\r', '').replaceAll('\x1b[K', '');

function progress(over: Partial<Progress> = {}): Progress {
  return {
    phase: 'train',
    epoch: 0,
    epochs: 3,
    step: 5,
    steps: 10,
    loss: 0.5,
    seedsPerSecond: 1000,
    elapsedS: 1,
    ...over,
  };
}

function summary(over: Partial<EpochSummary> = {}): EpochSummary {
  return {
    epoch: 0,
    loss: 0.7,
    steps: 10,
    seedsPerSecond: 1000,
    seconds: 2,
    evalSeconds: 3,
    val: { accuracy: 0.5, count: 500 },
    ...over,
  };
}

describe('the progress line', () => {
  it.each(WIDTHS)('fits a terminal %i columns wide in every phase', (columns) => {
    const lines = [
      progressLine(view(), columns),
      progressLine(view({ step: 0 }), columns),
      progressLine(view({ phase: 'evaluate', split: 'val', evalElapsedS: 12.3 }), columns),
      progressLine(
        view({ epochs: 100_000, epoch: 99_998, steps: 10 ** 9, step: 10 ** 8 }),
        columns,
      ),
    ];
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(columns - 1);
      expect(line).toMatch(/^epoch \d+\/\d+/);
      expect(line).not.toContain('\n');
    }
    expect(lines[2]).toContain('evaluating val');
  });

  it('shows more on a wider terminal, most important parts first', () => {
    const narrow = progressLine(view(), 45);
    const wide = progressLine(view(), 120);
    expect(wide).toBe(
      'epoch 12/120 [##............................]  step 1234/20000  ETA 1h06m  batch loss 0.8123  24,568 seeds/s',
    );
    expect(narrow).toBe('epoch 12/120  step 1234/20000  ETA 1h06m');
    expect(progressLine(view(), 40)).toBe('epoch 12/120  step 1234/20000');
    expect(progressLine(view(), 80)).toContain('batch loss 0.8123');
  });

  it('says "starting" instead of step 0 and 0 seeds/s', () => {
    const line = progressLine(view({ step: 0, steps: 1, batchLoss: NaN, seedsPerSecond: 0 }), 120);
    expect(line).toContain('starting (1 step)');
    expect(line).not.toMatch(/seeds\/s|step 0|loss/);
  });

  it('ticks while evaluating', () => {
    const frames = [0, 0.25, 0.5, 0.75].map((t) =>
      progressLine(view({ phase: 'evaluate', split: 'test', evalElapsedS: t }), 80),
    );
    expect(new Set(frames.map((f) => /evaluating test (.)/.exec(f)![1])).size).toBe(4);
  });

  it('words durations and counts', () => {
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('--');
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(3, 'epoch')).toBe('3 epochs');
  });
});

describe('the progress display on a terminal', () => {
  it.each(WIDTHS)('redraws in place at %i columns: \\r, no newline, never wider', (columns) => {
    const term = terminal(columns);
    for (let s = 1; s <= 10; s++) {
      term.advance(0.5);
      term.display.update(progress({ step: s, elapsedS: s * 0.5 }));
    }
    for (let k = 0; k < 8; k++) {
      term.advance(0.25);
      term.display.update(
        progress({ phase: 'evaluate', split: 'val', step: 10, elapsedS: k * 0.25 }),
      );
    }
    expect(term.writes).toHaveLength(18);
    for (const w of term.writes) {
      expect(w.startsWith('\r')).toBe(true);
      expect(w).not.toContain('\n');
      expect(visible(w).length).toBeLessThanOrEqual(columns - 1);
    }
    const evals = term.writes.slice(10).map(visible);
    expect(evals.every((w) => w.includes('evaluating val'))).toBe(true);
    expect(new Set(evals).size).toBe(evals.length); // the indicator moves on every redraw
  });

  it('prints epoch lines on their own line after clearing the live one', () => {
    const term = terminal(80);
    term.display.update(progress());
    term.display.epoch(summary(), 3);
    expect(term.writes.slice(1)).toEqual([
      '\r\x1b[K',
      'epoch 1/3: mean loss 0.7000 over 10 steps, 1,000 seeds/s, 2.0 s training + 3.0 s evaluation; val accuracy 0.5000\n',
    ]);
  });

  it('counts evaluation in the ETA once one was seen, a lower bound before', () => {
    const term = terminal(200);
    term.advance(1);
    // Epoch 1: 10 steps in 2 s (1 s so far), then 3 s of evaluation.
    term.display.update(progress({ step: 5, elapsedS: 1 }));
    const before = visible(term.writes.at(-1)!);
    // 5 steps left in this epoch and 20 in the next two, at 0.2 s each: 5 s, plus evaluation.
    expect(before).toContain('ETA >5s');
    term.advance(4); // 1 s more training, 3 s evaluating: the epoch took 5 s in all
    term.display.epoch(summary(), 3);
    term.advance(1);
    term.display.update(progress({ epoch: 1, step: 2, elapsedS: 1 }));
    // Two epochs left at 5 s each, 1 s into the first of them.
    expect(visible(term.writes.at(-1)!)).toContain('ETA 9s');
  });

  it('draws nothing off a terminal, but still prints epoch lines', () => {
    const writes: string[] = [];
    const d = new ProgressDisplay({ write: (t) => writes.push(t), columns: () => undefined });
    d.update(progress());
    d.epoch(summary({ evalSeconds: 0, val: undefined, steps: 1 }), 1);
    expect(writes).toEqual(['epoch 1/1: mean loss 0.7000 over 1 step, 1,000 seeds/s, 2.0 s\n']);
  });

  it('labels the epoch mean apart from the batch loss', () => {
    expect(epochLine(summary(), 3)).toContain('mean loss 0.7000');
    expect(progressLine(view(), 200)).toContain('batch loss 0.8123');
  });
});
