// Model parameters as plain named Float32Arrays (owned by a parameter server), their specs and
// initialisers: Glorot uniform for weights, zeros for biases, ones for norm gains.

import { Mulberry32, hashString, mixSeed } from '../../runtime/prng.js';
import { ShapeError } from '../tf/errors.js';

export type ParamInit =
  { kind: 'glorot'; fanIn: number; fanOut: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
}

export type ParamMap = Map<string, Float32Array>;

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Fresh values for one parameter; the stream depends on (seed, name), not on the order of specs. */
export function initParam(spec: ParamSpec, seed: number): Float32Array {
  const out = new Float32Array(sizeOfShape(spec.shape));
  switch (spec.init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'glorot': {
      const limit = Math.sqrt(6 / (spec.init.fanIn + spec.init.fanOut));
      const rng = new Mulberry32(mixSeed(seed, hashString(spec.name)));
      for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
      return out;
    }
  }
}

export function initParams(specs: readonly ParamSpec[], seed: number): ParamMap {
  const m: ParamMap = new Map();
  for (const s of specs) m.set(s.name, initParam(s, seed));
  return m;
}

/** Throws ShapeError naming the first parameter that is missing or has the wrong length. */
export function checkParams(specs: readonly ParamSpec[], params: ParamMap): void {
  for (const s of specs) {
    const v = params.get(s.name);
    if (v === undefined) throw new ShapeError(`params.${s.name}`, 'missing');
    const n = sizeOfShape(s.shape);
    if (v.length !== n)
      throw new ShapeError(
        `params.${s.name}`,
        `length ${v.length}, expected ${n} (shape ${s.shape.join('×')})`,
      );
  }
}
