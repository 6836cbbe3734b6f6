// Stopping an actor that runs in another thread or process: ask it to drain or stop, then wait for its
// 'stopped' message, its exit, or the timeout, whichever comes first.

/** One actor's side of the drain/stop exchange; the handle passes on the actor's 'stopped' message. */
export class StopHandshake {
  private waiter?: () => void;

  /** The actor reported that it stopped (its 'stopped' message). */
  stopped(): void {
    this.waiter?.();
  }

  /**
   * Sends the request with `send` and waits: true when the actor said it stopped within `timeoutMs`,
   * false when it exited first or the time ran out.
   */
  async request(send: () => void, exited: Promise<void>, timeoutMs: number): Promise<boolean> {
    const stopped = new Promise<boolean>((resolve) => {
      this.waiter = () => resolve(true);
      setTimeout(() => resolve(false), timeoutMs).unref();
    });
    try {
      send();
    } catch {
      // the thread or process is already gone: the race below ends at its exit
    }
    return Promise.race([stopped, exited.then(() => false)]);
  }
}
