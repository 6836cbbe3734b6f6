// Liveness over NATS: a hosted actor publishes a tiny heartbeat every interval; a monitor that misses
// several in a row (while its own connection is up) declares the actor's process dead or hung.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Address } from '../address.js';

/** `weft._hb.<job>.<role>.<index>`: outside the actor subjects, so heartbeats never reach handlers. */
export function heartbeatSubject(address: Address): string {
  return `weft._hb.${address.job}.${address.role}.${address.index}`;
}

/** Publishes heartbeats for one address until stopped. */
export class HeartbeatPublisher {
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(nc: NatsConnection, address: Address, intervalMs: number) {
    const subject = heartbeatSubject(address);
    const beat = (): void => {
      if (!nc.isClosed() && !nc.isDraining()) nc.publish(subject);
    };
    beat();
    this.timer = setInterval(beat, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface HeartbeatMonitorOptions {
  readonly intervalMs: number;
  /** Beats missed in a row before `onMissed` (default 10). */
  readonly missed?: number;
  /** False while our own connection is down: silence then says nothing about the actor. */
  readonly connected: () => boolean;
  readonly onMissed: (silentMs: number) => void;
}

/** Watches one address's heartbeats; calls onMissed once, then stays quiet until restarted. */
export class HeartbeatMonitor {
  private readonly sub: Subscription;
  private readonly timer: ReturnType<typeof setInterval>;
  private lastBeatMs = Date.now();
  private fired = false;

  constructor(nc: NatsConnection, address: Address, options: HeartbeatMonitorOptions) {
    const limitMs = options.intervalMs * (options.missed ?? 10);
    this.sub = nc.subscribe(heartbeatSubject(address), {
      callback: () => {
        this.lastBeatMs = Date.now();
      },
    });
    this.timer = setInterval(() => {
      if (this.fired) return;
      if (!options.connected()) {
        // Our side is disconnected: restart the clock so the outage is not blamed on the actor.
        this.lastBeatMs = Date.now();
        return;
      }
      const silentMs = Date.now() - this.lastBeatMs;
      if (silentMs > limitMs) {
        this.fired = true;
        options.onMissed(silentMs);
      }
    }, options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    try {
      this.sub.unsubscribe();
    } catch {
      // the connection is already closed: nothing to unsubscribe from
    }
  }
}
