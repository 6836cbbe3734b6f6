// The shape checks every CSR block kernel makes before it runs: offsets that fit the destinations
// and the indices, and destinations that are the first sources; a ShapeError names the field.
import { ShapeError } from '../tf/errors.js';
import type { CsrLike } from './csr-mean.js';

/** Throws a ShapeError naming block.indptr, block.indices or block.numDst when they disagree. */
export function checkCsrShape(block: CsrLike): void {
  const { numDst, numSrc, indptr, indices } = block;
  if (indptr.length !== numDst + 1)
    throw new ShapeError('block.indptr', `length ${indptr.length}, expected ${numDst + 1}`);
  if (indptr[numDst] !== indices.length)
    throw new ShapeError(
      'block.indices',
      `length ${indices.length}, indptr ends at ${indptr[numDst]}`,
    );
  if (numDst > numSrc)
    throw new ShapeError('block.numDst', `${numDst} destinations but only ${numSrc} sources`);
}
