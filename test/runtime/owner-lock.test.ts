// The run-directory lock: refused while a live process holds it (a real child process), taken over
// from a dead holder, a reused pid, or a silent holder on another host, shared with a child by token.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { execArgvFor, moduleUrl } from '../../runtime/module-url.js';
import {
  acquireOwnerLock,
  holderState,
  LOCK_FILE,
  OwnerLockError,
  processStartTicks,
  type LockHolder,
} from '../../runtime/owner-lock.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-owner-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LOCK_MODULE = moduleUrl('../../runtime/owner-lock.js', import.meta.url);

/** A child process that takes the lock of `dir`, says "held", and keeps it until killed. */
async function holderProcess(dir: string) {
  const code = `const { acquireOwnerLock } = await import(${JSON.stringify(LOCK_MODULE.href)});
await acquireOwnerLock(${JSON.stringify(dir)}, { owner: 'the test holder' });
console.log('held');
setInterval(() => undefined, 1000);`;
  const proc = spawn(
    process.execPath,
    [...execArgvFor(fileURLToPath(LOCK_MODULE)), '--input-type=module', '-e', code],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    proc.once('exit', (c) => reject(new Error(`holder exited with ${c}`)));
  });
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, kill: async () => (proc.kill('SIGKILL'), await exited) };
}

const lockOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;

function fakeHolder(dir: string, over: Partial<LockHolder>): void {
  const h: LockHolder = {
    pid: process.pid,
    host: 'this-host-does-not-exist',
    token: 'f'.repeat(32),
    owner: 'a fabricated holder',
    since: new Date().toISOString(),
    ...over,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(h));
}

describe('owner lock', () => {
  it('refuses a second owner while the holder lives, and takes over once it is killed', async () => {
    const dir = join(tmp, 'live');
    const holder = await holderProcess(dir);
    const held = lockOf(dir);
    expect(held.pid).toBe(holder.proc.pid);
    expect(held.startTicks).toBe(processStartTicks(holder.proc.pid!));
    const refused = await acquireOwnerLock(dir, { owner: 'second' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OwnerLockError);
    expect((refused as Error).message).toContain(`pid ${holder.proc.pid}`);
    expect((refused as Error).message).toContain('the test holder');
    expect(lockOf(dir).token).toBe(held.token);
    await holder.kill();
    expect(holderState(held)).toBe('dead');
    const mine = await acquireOwnerLock(dir, { owner: 'second' });
    expect(lockOf(dir)).toMatchObject({ pid: process.pid, owner: 'second', token: mine.token });
    mine.release();
    expect(() => readFileSync(join(dir, LOCK_FILE))).toThrow(/ENOENT/);
  });

  it('takes over a lock whose pid was reused by another process (its start time differs)', async () => {
    const dir = join(tmp, 'reused');
    const { hostname } = await import('node:os');
    // This very process has the pid, but it did not start at the recorded time.
    fakeHolder(dir, { host: hostname(), startTicks: '1' });
    expect(holderState(lockOf(dir))).toBe('dead');
    const lock = await acquireOwnerLock(dir, { owner: 'new' });
    expect(lockOf(dir).token).toBe(lock.token);
    lock.release();
  });

  it('shares the lock with a child handed its token, and never removes it for the child', async () => {
    const dir = join(tmp, 'shared');
    const parent = await acquireOwnerLock(dir, { owner: 'launcher' });
    const child = await acquireOwnerLock(dir, { owner: 'coordinator', inheritToken: parent.token });
    expect(child.held).toBe(false);
    child.release();
    expect(lockOf(dir).token).toBe(parent.token);
    // Anyone without the token is refused (the holder is this live process).
    await expect(acquireOwnerLock(dir, { owner: 'other' })).rejects.toBeInstanceOf(OwnerLockError);
    parent.release();
  });

  it('another host: a silent holder is taken over after its lease; a refreshing one is refused', async () => {
    const silent = join(tmp, 'remote-silent');
    fakeHolder(silent, {});
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(silent, LOCK_FILE), old, old);
    const lock = await acquireOwnerLock(silent, { owner: 'new', leaseMs: 1000 });
    expect(lockOf(silent).token).toBe(lock.token);
    lock.release();

    const alive = join(tmp, 'remote-alive');
    fakeHolder(alive, {});
    const touch = setInterval(() => {
      const now = new Date();
      utimesSync(join(alive, LOCK_FILE), now, now);
    }, 100);
    try {
      const refused = await acquireOwnerLock(alive, { owner: 'new', leaseMs: 1000 }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(OwnerLockError);
      expect((refused as Error).message).toContain('this-host-does-not-exist');
    } finally {
      clearInterval(touch);
    }
  });

  it('refuses a lock file it cannot read rather than guessing', async () => {
    const dir = join(tmp, 'garbage');
    await acquireOwnerLock(dir, { owner: 'x' }).then((l) => l.release());
    writeFileSync(join(dir, LOCK_FILE), 'not json');
    await expect(acquireOwnerLock(dir, { owner: 'x' })).rejects.toThrow(/not a lock file/);
  });
});
