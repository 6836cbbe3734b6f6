// Entry of the reaper process a parent starts beside its children: it reads the pids and paths to clean
// from its stdin and, when the stdin closes without a final `done` (the parent died), kills and removes them.
import { rmSync } from 'node:fs';
import type { ReaperCommand } from './orphan-reaper.js';

const pids = new Set<number>();
const paths = new Set<string>();
let done = false;
let pending = '';

// The parent's terminal or process group must not take the reaper down before it did its work.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);

function apply(line: string): void {
  if (!line.trim()) return;
  let c: ReaperCommand;
  try {
    c = JSON.parse(line) as ReaperCommand;
  } catch {
    return;
  }
  if (c.op === 'pid') pids.add(c.pid);
  else if (c.op === 'forget-pid') pids.delete(c.pid);
  else if (c.op === 'path') paths.add(c.path);
  else if (c.op === 'forget-path') paths.delete(c.path);
  else if (c.op === 'done') done = true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** SIGTERM to every pid (they drain), SIGKILL to the ones left after `graceMs`, then the paths. */
async function reap(graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...pids].some(alive))
    await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL');
  for (const path of paths) rmSync(path, { recursive: true, force: true });
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) apply(line);
});
process.stdin.on('end', () => {
  apply(pending);
  if (done) process.exit(0);
  const graceMs = Number(process.env.WEFT_REAPER_GRACE_MS ?? 5000);
  void reap(graceMs).finally(() => process.exit(0));
});
