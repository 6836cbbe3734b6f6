// An exclusive owner of a directory: a lock file naming its process (pid, host, boot and start
// time), created atomically, kept fresh while held, and taken over only when its holder is gone.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { WeftError } from './errors.js';

/** Who holds a lock: enough to tell a live holder from a dead one, or a reused pid. */
export interface LockHolder {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id of the holder's host (Linux), so a reboot frees the lock. */
  bootId?: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat), so a reused pid frees it. */
  startTicks?: string;
  /** Random per acquisition: a child handed this token shares its parent's lock. */
  token: string;
  /** What holds it, for the refusal message (e.g. "job cora-sage (weft train)"). */
  owner: string;
  since: string;
}

/** The directory is owned by another live process. */
export class OwnerLockError extends WeftError {
  constructor(
    message: string,
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super('locked', message);
  }
}

export interface OwnerLockOptions {
  /** What takes the lock, recorded for whoever is refused. */
  owner: string;
  /** A holder with this token is this process's parent (the lock is shared, not taken). */
  inheritToken?: string;
  /**
   * A holder on another host is alive while it refreshes the file within this window (default
   * 30 s); a newcomer waits up to one window for a silent holder before taking over.
   */
  leaseMs?: number;
}

export interface OwnerLock {
  readonly file: string;
  readonly token: string;
  /** False when the lock was inherited from the parent that holds it. */
  readonly held: boolean;
  release(): void;
}

export const LOCK_FILE = 'run.lock';
const DEFAULT_LEASE_MS = 30_000;
/** A takeover in progress older than this was abandoned by a crashed process. */
const TAKEOVER_STALE_MS = 10_000;

function procText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Start time of process `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), Linux only. */
export function processStartTicks(pid: number): string | undefined {
  const stat = procText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = () => procText('/proc/sys/kernel/random/boot_id');

/** This process as a lock holder. */
function selfHolder(owner: string): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: bootId(),
    startTicks: processStartTicks(process.pid),
    token: randomBytes(16).toString('hex'),
    owner,
    since: new Date().toISOString(),
  };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** 'alive', 'dead', or 'remote' (another host: only its lease can tell). */
export function holderState(h: LockHolder): 'alive' | 'dead' | 'remote' {
  if (h.host !== hostname()) return 'remote';
  const boot = bootId();
  if (h.bootId && boot && h.bootId !== boot) return 'dead';
  try {
    process.kill(h.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  // The pid exists: the same process only if it started when the holder did.
  const started = processStartTicks(h.pid);
  if (h.startTicks && started && started !== h.startTicks) return 'dead';
  return 'alive';
}

const ageMs = (file: string) => {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
};

function describe(dir: string, h: LockHolder): string {
  return `${dir} is owned by ${h.owner}, pid ${h.pid} on ${h.host} since ${h.since} (${join(dir, LOCK_FILE)})`;
}

/** Creates `file` with `holder` in it, or returns false when it exists (link: atomic, never partial). */
function tryCreate(file: string, holder: LockHolder): boolean {
  const tmp = `${file}.${holder.token}`;
  writeFileAtomic(tmp, `${JSON.stringify(holder, null, 2)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Removes the lock of dead holder `stale`, under a takeover file so two newcomers never both
 * remove (one of them the other's fresh lock). Returns false when another takeover is running.
 */
function removeStale(file: string, stale: LockHolder): boolean {
  const mutex = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(mutex, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (ageMs(mutex) > TAKEOVER_STALE_MS) rmSync(mutex, { force: true });
    return false;
  }
  try {
    if (readHolder(file)?.token === stale.token) unlinkSync(file);
    return true;
  } finally {
    closeSync(fd);
    rmSync(mutex, { force: true });
  }
}

/** Waits for a holder on another host: dead once its file goes unrefreshed for a whole lease. */
async function remoteHolderGone(file: string, h: LockHolder, leaseMs: number): Promise<boolean> {
  const deadline = Date.now() + leaseMs;
  for (;;) {
    if (readHolder(file)?.token !== h.token) return false;
    if (ageMs(file) > leaseMs) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(1000, leaseMs / 10)));
  }
}

/**
 * Makes this process the owner of `dir` (created if missing): refused with an OwnerLockError
 * naming the holder while another live process owns it; a dead holder's lock (its pid gone or
 * reused, its host rebooted, or on another host its lease expired) is taken over.
 */
export async function acquireOwnerLock(dir: string, opts: OwnerLockOptions): Promise<OwnerLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const me = selfHolder(opts.owner);
  for (let tries = 0; ; tries++) {
    if (tryCreate(file, me)) return heldLock(file, me, leaseMs);
    const h = readHolder(file);
    if (!h) {
      // Unreadable: not a lock this code wrote whole; an operator must look at it.
      if (tries > 20)
        throw new WeftError('locked', `${file} exists but is not a lock file; remove it by hand`);
    } else if (opts.inheritToken && h.token === opts.inheritToken) {
      return { file, token: h.token, held: false, release: () => undefined };
    } else {
      const state = holderState(h);
      const gone =
        state === 'dead' || (state === 'remote' && (await remoteHolderGone(file, h, leaseMs)));
      if (!gone && readHolder(file)?.token === h.token)
        throw new OwnerLockError(`${describe(dir, h)}: one run directory has one owner`, dir, h);
      if (gone) removeStale(file, h);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A lock this process holds: refreshed every third of the lease, removed on release or exit. */
function heldLock(file: string, me: LockHolder, leaseMs: number): OwnerLock {
  const refresh = setInterval(
    () => {
      const now = new Date();
      try {
        utimesSync(file, now, now);
      } catch {
        // Gone (removed by hand): nothing to refresh; release stays a no-op.
      }
    },
    Math.max(100, leaseMs / 3),
  );
  refresh.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.off('exit', release);
    if (readHolder(file)?.token === me.token) rmSync(file, { force: true });
  };
  // A process ended by process.exit (a signal handler) runs no finally blocks, only 'exit' listeners.
  process.on('exit', release);
  return { file, token: me.token, held: true, release };
}
