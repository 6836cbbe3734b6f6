// Cleans up after a process that may die without a chance to (SIGKILL, OOM kill): a detached reaper
// process holds a pipe from it and, when the pipe closes without a goodbye, stops its children and
// removes its temporary files, so none of them outlives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execArgvFor, moduleUrl } from './module-url.js';

/** One line on the reaper's stdin. */
export type ReaperCommand =
  | { op: 'pid'; pid: number }
  | { op: 'forget-pid'; pid: number }
  | { op: 'path'; path: string }
  | { op: 'forget-path'; path: string }
  | { op: 'done' };

const ENTRY = moduleUrl('./orphan-reaper-process.js', import.meta.url);

export class OrphanReaper {
  private closed = false;

  private constructor(private readonly child: ChildProcess) {}

  /**
   * Starts the reaper: its own session (a Ctrl-C to this process group does not reach it), not waited
   * for by this process, its stdin a pipe from this process alone.
   */
  static start(): OrphanReaper {
    const child = spawn(process.execPath, [...execArgvFor(ENTRY), fileURLToPath(ENTRY)], {
      stdio: ['pipe', 'ignore', 'inherit'],
      detached: true,
    });
    child.unref();
    // An idle pipe must not keep this process alive either.
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    child.stdin!.on('error', () => undefined);
    return new OrphanReaper(child);
  }

  /** The reaper's own pid (a test checks it is gone too). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private send(c: ReaperCommand): void {
    if (this.closed || !this.child.stdin?.writable) return;
    this.child.stdin.write(`${JSON.stringify(c)}\n`);
  }

  /** Stop `pid` if this process dies first. */
  guardPid(pid: number | undefined): void {
    if (pid) this.send({ op: 'pid', pid });
  }

  /** `pid` exited: never signal it (the number may be reused). */
  forgetPid(pid: number | undefined): void {
    if (pid) this.send({ op: 'forget-pid', pid });
  }

  /** Remove `path` (a file or a folder) if this process dies first. */
  guardPath(path: string): void {
    this.send({ op: 'path', path });
  }

  forgetPath(path: string): void {
    this.send({ op: 'forget-path', path });
  }

  /** This process cleaned up itself: the reaper exits without touching anything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.send({ op: 'done' });
    this.closed = true;
    const exited = new Promise<void>((r) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) r();
      else this.child.once('exit', () => r());
    });
    this.child.stdin?.end();
    // The reaper is unref'd so that it never keeps the launcher alive; while we wait for its exit it
    // must, or a launcher with nothing else to do would exit (code 0) in the middle of its stop().
    this.child.ref();
    await exited;
  }
}
