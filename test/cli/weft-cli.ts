// Test helper: runs the `weft` command (its TypeScript sources, as the tests do) in a child process
// and returns its exit code and output.
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const WEFT_BIN = resolve(REPO, 'bin/weft.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  WEFT_SOURCE: '1',
  WEFT_DEBUG: '',
  ...extra,
});

/** Runs `weft ...args` to completion. */
export function weft(args: string[], extra: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [WEFT_BIN, ...args], {
    cwd: REPO,
    env: env(extra),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs `weft ...args` without blocking the test's event loop (several at once). */
export function weftAsync(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WEFT_BIN, ...args], { cwd: REPO, env: env(extra) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
