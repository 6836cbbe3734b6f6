// Errors raised by the shared-memory queue: closed, timed out, record too large, misuse.
// Each names the queue (its `name` option) so a log line says which pipe failed.
import { WeftError } from './errors.js';

/** A producer pushed after `close()`, or was blocked on a full ring when the queue closed. */
export class QueueClosedError extends WeftError {
  readonly queue: string;
  constructor(queue: string) {
    super('queue-closed', `queue '${queue}' is closed`);
    this.queue = queue;
  }
}

/** A blocking or async push/pop waited `timeoutMs` without space (producer) or data (consumer). */
export class QueueTimeoutError extends WeftError {
  readonly queue: string;
  readonly side: 'producer' | 'consumer';
  readonly timeoutMs: number;
  constructor(queue: string, side: 'producer' | 'consumer', timeoutMs: number) {
    const what = side === 'producer' ? 'free space' : 'a record';
    super('queue-timeout', `queue '${queue}': waited ${timeoutMs} ms for ${what}`);
    this.queue = queue;
    this.side = side;
    this.timeoutMs = timeoutMs;
  }
}

/** A record can never fit: its payload exceeds the ring's largest record. */
export class QueueRecordTooLargeError extends WeftError {
  readonly queue: string;
  readonly payloadBytes: number;
  readonly maxPayloadBytes: number;
  constructor(queue: string, payloadBytes: number, maxPayloadBytes: number) {
    super(
      'queue-record-too-large',
      `queue '${queue}': record of ${payloadBytes} bytes exceeds the largest record this ring ` +
        `holds (${maxPayloadBytes} bytes); create the queue with capacityBytes >= ${payloadBytes + 16}`,
    );
    this.queue = queue;
    this.payloadBytes = payloadBytes;
    this.maxPayloadBytes = maxPayloadBytes;
  }
}

/** The queue was used against its contract (second consumer, view after release, bad handle, …). */
export class QueueUsageError extends WeftError {
  readonly queue: string;
  constructor(queue: string, message: string) {
    super('queue-usage', `queue '${queue}': ${message}`);
    this.queue = queue;
  }
}

/** A batch record's header is malformed (bad magic, offsets outside the record, unknown dtype). */
export class BatchFormatError extends WeftError {
  readonly field?: string;
  constructor(message: string, field?: string) {
    super('batch-format', field === undefined ? message : `[${field}] ${message}`);
    this.field = field;
  }
}
