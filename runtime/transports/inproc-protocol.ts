// Messages between the in-process router (main thread) and an actor's worker thread, over the worker's
// MessagePort. Bodies travel by structured clone, so typed arrays keep their type.
import type { Address } from '../address.js';
import type { SerializedError } from '../actor-errors.js';
import type { WireActorSpec } from '../actor-spec.js';
import type { FailureKind } from '../supervisor.js';

/** workerData of an actor thread. */
export interface InprocWorkerData {
  readonly spec: WireActorSpec;
  readonly address: Address;
  readonly config: unknown;
}

export type ReplyMessage =
  | { readonly k: 'reply'; readonly id: number; readonly ok: true; readonly body: unknown }
  | {
      readonly k: 'reply';
      readonly id: number;
      readonly ok: false;
      readonly error: SerializedError;
    };

/** Router → worker. `id` on a deliver marks an ask; the worker answers with a reply of the same id. */
export type ToWorker =
  | {
      readonly k: 'deliver';
      readonly verb: string;
      readonly body: unknown;
      readonly from?: Address;
      readonly id?: number;
    }
  | ReplyMessage
  | { readonly k: 'drain' }
  | { readonly k: 'stop' };

/** Worker → router. */
export type FromWorker =
  | { readonly k: 'started' }
  | { readonly k: 'start-failed'; readonly error: SerializedError }
  | { readonly k: 'tell'; readonly to: Address; readonly verb: string; readonly body: unknown }
  | {
      readonly k: 'ask';
      readonly id: number;
      readonly to: Address;
      readonly verb: string;
      readonly body: unknown;
      readonly timeoutMs: number;
    }
  | ReplyMessage
  | { readonly k: 'failure'; readonly kind: FailureKind; readonly error: SerializedError }
  | { readonly k: 'stop-self' }
  | { readonly k: 'stopped' };
