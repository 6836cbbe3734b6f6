// Batches pulled from the job's sampler actors over the transport (NATS between processes): each
// batch from the sampler that owns it, `window` batches asked for ahead, the asks being the credits.
import type { ActorClient } from '../../runtime/actor.js';
import { retrying } from '../../runtime/retry.js';
import type { SamplerProtocol } from '../protocols.js';
import { samplerOf } from '../plan/round-schedule.js';
import type { BatchFields } from '../batch/batch-record.js';
import type { BatchSource, SourcedBatch } from './batch-source.js';
import { viewBatch } from '../batch/batch-view.js';

export interface FetchTimeouts {
  /** How long a sampler holds an ask for a batch not yet made before answering 'not ready'. */
  fetchWaitMs: number;
  /** One ask; retried while the sampler restarts. */
  fetchMs: number;
  /** How long an unreachable sampler is retried. */
  peerDeadlineMs: number;
}

export class FetchSource implements BatchSource {
  readonly kind = 'fetch';
  private epoch = -1;
  private batches: readonly number[] = [];
  private readonly inflight = new Map<number, Promise<BatchFields>>();
  /** Fetched batches not yet trained on. */
  private readonly arrived = new Set<number>();

  constructor(
    private readonly samplers: ActorClient<typeof SamplerProtocol>[],
    private readonly window: number,
    private readonly timeouts: FetchTimeouts,
  ) {}

  get depth(): number {
    return this.arrived.size;
  }

  begin(epoch: number, batches: readonly number[]): void {
    this.epoch = epoch;
    this.batches = batches;
    this.inflight.clear();
    this.arrived.clear();
  }

  async next(i: number): Promise<SourcedBatch> {
    const t0 = performance.now();
    const fields = await this.want(i);
    this.inflight.delete(i);
    this.arrived.delete(i);
    // Keep the window full while this batch trains.
    if (i + 1 < this.batches.length) void this.want(i + 1).catch(() => undefined);
    const view = viewBatch(fields);
    return {
      view,
      waitMs: performance.now() - t0,
      sampleMs: view.sampleMs + view.gatherMs,
      release: () => undefined,
    };
  }

  close(): void {
    this.inflight.clear();
    this.arrived.clear();
  }

  /** Asks for batches i .. i+window not asked for yet; returns batch i's answer. */
  private want(i: number): Promise<BatchFields> {
    const mine = this.batches;
    const S = this.samplers.length;
    for (let k = i; k < Math.min(mine.length, i + this.window); k++) {
      if (this.inflight.has(k)) continue;
      const b = mine[k];
      // The asker's next batches from the same sampler: produced after this one, ready when asked.
      const ahead: number[] = [];
      for (let a = k + 1; a < mine.length && ahead.length < this.window; a++)
        if (samplerOf(mine[a], S) === samplerOf(b, S)) ahead.push(mine[a]);
      const p = this.fetch(this.epoch, b, ahead);
      p.then(
        () => this.arrived.add(k),
        () => undefined,
      );
      this.inflight.set(k, p);
    }
    return this.inflight.get(i)!;
  }

  /** Batch b of an epoch from its sampler, asking again while it is not ready or the sampler restarts. */
  private async fetch(epoch: number, batch: number, ahead: number[]): Promise<BatchFields> {
    const j = samplerOf(batch, this.samplers.length);
    const { fetchWaitMs, fetchMs, peerDeadlineMs } = this.timeouts;
    for (;;) {
      const r = await retrying(
        `fetch batch ${batch} from sampler ${j}`,
        () =>
          this.samplers[j].ask(
            'fetch',
            { epoch, batch, ahead, waitMs: fetchWaitMs },
            { timeoutMs: fetchMs },
          ),
        { deadlineMs: peerDeadlineMs },
      );
      if (r.ready && r.fields) return r.fields as unknown as BatchFields;
    }
  }
}
