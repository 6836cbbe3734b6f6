// Checks on what arrives at a parameter server before anything is applied: every tensor finite and of
// the shape the server holds; a refusal is a typed error with a code, and is counted by reason.
import { RefusedMessageError } from '../refused-message.js';

/** Index of the first NaN or infinite element, or -1. */
export function firstNonFinite(values: Float32Array | Int32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Throws unless every tensor of `tensors` is finite. */
export function requireFinite(
  verb: string,
  field: string,
  tensors: Record<string, Float32Array>,
): void {
  for (const [name, values] of Object.entries(tensors)) {
    const at = firstNonFinite(values);
    if (at >= 0)
      throw new RefusedMessageError(
        'non_finite',
        verb,
        `${field}.${name}[${at}] is ${values[at]}`,
        `${field}.${name}`,
      );
  }
}

/**
 * Throws unless every tensor of `tensors` is one the server holds (`lengthOf` gives its length,
 * undefined for none) with exactly that many elements, and finite.
 */
export function requireHeldTensors(
  verb: string,
  field: string,
  tensors: Record<string, Float32Array>,
  lengthOf: (name: string) => number | undefined,
): void {
  for (const [name, values] of Object.entries(tensors)) {
    const want = lengthOf(name);
    if (want === undefined)
      throw new RefusedMessageError(
        'shape',
        verb,
        `${field}.${name} is not a tensor of this shard`,
        `${field}.${name}`,
      );
    if (values.length !== want)
      throw new RefusedMessageError(
        'shape',
        verb,
        `${field}.${name} has ${values.length} elements, the shard holds ${want}`,
        `${field}.${name}`,
      );
  }
  requireFinite(verb, field, tensors);
}
