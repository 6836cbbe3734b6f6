// The coordinator's view of which actors are alive: heartbeat monitors per actor that declare one dead
// after missed beats, then poll it until it answers again (restarted by its launcher or its pod).
import type { NatsConnection } from '@nats-io/transport-node';
import type { Address } from '../../runtime/address.js';
import { HeartbeatMonitor } from '../../runtime/transports/nats-heartbeat.js';

export interface LivenessEvent {
  kind: 'actor-lost' | 'actor-back' | 'actor-restarted';
  address: Address;
  detail: string;
  /** actor-restarted: the new process's pid. */
  pid?: number;
}

interface Watched {
  monitor?: HeartbeatMonitor;
  lostWaiters: (() => void)[];
  backWaiters: (() => void)[];
  down: boolean;
}

const key = (a: Address) => `${a.role}.${a.index}`;

export class Liveness {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;
  private readonly pids = new Map<string, number>();
  private poller?: ReturnType<typeof setInterval>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly connected: () => boolean,
    private readonly hello: (a: Address) => Promise<unknown>,
    private readonly onEvent: (e: LivenessEvent) => void,
    private readonly intervalMs = 1000,
    private readonly missed = 5,
  ) {}

  watch(address: Address): void {
    let w = this.watched.get(key(address));
    if (!w) {
      w = { lostWaiters: [], backWaiters: [], down: false };
      this.watched.set(key(address), w);
    }
    w.monitor?.stop();
    const entry = w;
    entry.monitor = new HeartbeatMonitor(this.nc, address, {
      intervalMs: this.intervalMs,
      missed: this.missed,
      connected: this.connected,
      onMissed: (silentMs) => {
        if (this.stopped) return;
        entry.down = true;
        this.onEvent({
          kind: 'actor-lost',
          address,
          detail: `no heartbeat for ${(silentMs / 1000).toFixed(1)} s`,
        });
        for (const wake of entry.lostWaiters.splice(0)) wake();
        void this.revive(address, entry);
      },
    });
  }

  /** Resolves when `address` is next declared dead (never, if it stays alive). */
  lost(address: Address): Promise<void> {
    const w = this.watched.get(key(address));
    if (!w) return new Promise(() => undefined);
    if (w.down) return Promise.resolve();
    return new Promise((r) => w.lostWaiters.push(r));
  }

  /** Resolves once `address` answers again after being declared dead (at once when it is up). */
  back(address: Address): Promise<void> {
    const w = this.watched.get(key(address));
    if (!w || !w.down) return Promise.resolve();
    return new Promise((r) => w.backWaiters.push(r));
  }

  private async revive(address: Address, w: Watched): Promise<void> {
    const t0 = Date.now();
    while (!this.stopped) {
      try {
        await this.hello(address);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (this.stopped) return;
    w.down = false;
    this.onEvent({
      kind: 'actor-back',
      address,
      detail: `answering again after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    });
    this.watch(address);
    for (const wake of w.backWaiters.splice(0)) wake();
  }

  /**
   * Asks every address for its pid every `intervalMs`: a new pid is a restart, even one quick enough
   * that its heartbeats never lapsed.
   */
  trackIncarnations(addresses: readonly Address[], intervalMs = 2000): void {
    const poll = async (a: Address) => {
      const reply = (await this.hello(a).catch(() => undefined)) as { pid?: number } | undefined;
      if (this.stopped || reply?.pid === undefined) return;
      const before = this.pids.get(key(a));
      this.pids.set(key(a), reply.pid);
      if (before !== undefined && before !== reply.pid)
        this.onEvent({
          kind: 'actor-restarted',
          address: a,
          detail: `pid ${before} → ${reply.pid}`,
          pid: reply.pid,
        });
    };
    for (const a of addresses) void poll(a);
    this.poller = setInterval(() => {
      for (const a of addresses) void poll(a);
    }, intervalMs);
    this.poller.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    for (const w of this.watched.values()) {
      w.monitor?.stop();
      for (const wake of w.backWaiters.splice(0)) wake();
    }
  }
}
