// Test helper: the `weft` command as a real child process (from its sources, through tsx), with its
// output collected and its end awaited; every process started here is killed when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';

const CLI = moduleUrl('../../cli/main.js', import.meta.url);

export interface WeftProcess {
  readonly proc: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** The exit code (or 128 + signal number for a signal) and the whole output. */
  readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null; output: string }>;
}

const started = new Set<ChildProcess>();
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** Starts `weft <args>`; the child dies with this test process (WEFT_PARENT_PID). */
export function weft(args: string[], env: NodeJS.ProcessEnv = {}): WeftProcess {
  const proc = spawn(process.execPath, [...execArgvFor(CLI), fileURLToPath(CLI), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_PARENT_PID: String(process.pid), ...env },
  });
  started.add(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number; signal: NodeJS.Signals | null; output: string }>(
    (done) =>
      proc.once('close', (code, signal) => {
        started.delete(proc);
        done({ code: code ?? 128, signal, output: out });
      }),
  );
  return { proc, output: () => out, exited };
}

/** Polls (every 50 ms) until `cond` holds; fails after `timeoutMs` naming `what`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Until `file` exists. */
export const untilFile = (file: string, timeoutMs?: number) =>
  until(file, () => existsSync(file), timeoutMs);
