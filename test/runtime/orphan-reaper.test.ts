// The reaper of a process that may be killed outright: when its parent dies (SIGKILL) it stops the
// pids and removes the paths it was told about; when the parent says goodbye it touches nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';
import { eventually, processAlive } from '../helpers/launched-job.js';

const REAPER = moduleUrl('../../runtime/orphan-reaper.js', import.meta.url);

/**
 * A parent process that starts a reaper and a `sleep` child, guards both and a folder, and prints the
 * pids; with `goodbye` it then closes the reaper and forgets the sleep before it is killed.
 */
function parent(dir: string, goodbye: boolean) {
  const script = join(dir, 'parent.mts');
  writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
import { OrphanReaper } from ${JSON.stringify(REAPER.href)};
const reaper = OrphanReaper.start();
const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
reaper.guardPid(sleeper.pid);
reaper.guardPath(${JSON.stringify(join(dir, 'scratch'))});
if (${goodbye}) await reaper.close();
console.log(JSON.stringify({ reaper: reaper.pid, sleeper: sleeper.pid }));
setInterval(() => undefined, 1000);
`,
  );
  const child = spawn(process.execPath, [...execArgvFor(REAPER), script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pids = new Promise<{ reaper: number; sleeper: number }>((resolve) => {
    let text = '';
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]));
    });
  });
  return { child, pids };
}

describe('OrphanReaper', () => {
  it('stops the guarded pids and removes the guarded paths when its parent is SIGKILLed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-reaper-'));
    try {
      writeFileSync(join(dir, 'scratch'), 'x');
      const { child, pids } = parent(dir, false);
      const { reaper, sleeper } = await pids;
      expect(processAlive(sleeper)).toBe(true);
      expect(processAlive(reaper)).toBe(true);
      child.kill('SIGKILL');
      await eventually(
        'the sleeper, the file and the reaper to go',
        () =>
          processAlive(sleeper) || processAlive(reaper) || existsSync(join(dir, 'scratch'))
            ? undefined
            : true,
        20_000,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('touches nothing once its parent closed it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-reaper-'));
    let sleeper = 0;
    try {
      writeFileSync(join(dir, 'scratch'), 'x');
      const { child, pids } = parent(dir, true);
      ({ sleeper } = await pids);
      const { reaper } = await pids;
      await eventually('the reaper to leave', () => (processAlive(reaper) ? undefined : true));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(processAlive(sleeper)).toBe(true);
      expect(existsSync(join(dir, 'scratch'))).toBe(true);
    } finally {
      if (processAlive(sleeper)) process.kill(sleeper, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
