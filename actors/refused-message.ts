// A message refused on arrival: a typed error whose code is the reason, counted per reason in
// `weft_messages_refused_total{reason}`; nothing of the message is applied.
import { WeftError } from '../runtime/errors.js';
import type { RefusalReason } from './metrics-catalogue.js';

/**
 * A message was refused on arrival and nothing of it applied: `code` is the reason (`non_finite`,
 * `shape`, `sender`), `verb` the message, `field` the tensor or field at fault.
 */
export class RefusedMessageError extends WeftError {
  readonly verb: string;
  readonly field?: string;
  constructor(reason: RefusalReason, verb: string, message: string, field?: string) {
    super(reason, `${verb} refused: ${message}`);
    this.verb = verb;
    this.field = field;
  }
  get reason(): RefusalReason {
    return this.code as RefusalReason;
  }
}
