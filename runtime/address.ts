// Actor addresses (job, role, index) and the NATS subjects they map to: `weft.<job>.<role>.<index>.<verb>`.
// An integer index names one actor; a string index names a pool of interchangeable actors of that role.
import { ConfigError } from './errors.js';

/** Where an actor lives: `index` is a non-negative integer for one actor, or a pool name ('*' = the role's default pool). */
export interface Address {
  readonly job: string;
  readonly role: string;
  readonly index: number | string;
}

/** The default pool every actor of a role joins unless told otherwise. */
export const DEFAULT_POOL = '*';

/** Subject token for the default pool: NATS forbids publishing to a wildcard token. */
const DEFAULT_POOL_TOKEN = 'any';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** True when the address names a pool rather than one actor. */
export function isPoolAddress(address: Address): boolean {
  return typeof address.index === 'string';
}

/** Throws a ConfigError naming the bad field unless every part is a valid subject token. */
export function checkAddress(address: Address, where = 'address'): void {
  if (address === null || typeof address !== 'object') {
    throw new ConfigError('must be an object { job, role, index }', { field: where });
  }
  checkName(address.job, `${where}.job`);
  checkName(address.role, `${where}.role`);
  const { index } = address;
  if (typeof index === 'number') {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new ConfigError(`must be a non-negative integer, got ${index}`, {
        field: `${where}.index`,
      });
    }
  } else if (typeof index === 'string') {
    if (index !== DEFAULT_POOL) checkName(index, `${where}.index`);
    if (index === DEFAULT_POOL_TOKEN) {
      throw new ConfigError(`"${DEFAULT_POOL_TOKEN}" is reserved; use '*' for the default pool`, {
        field: `${where}.index`,
      });
    }
  } else {
    throw new ConfigError('must be an integer or a pool name', { field: `${where}.index` });
  }
}

/** Throws unless `verb` is a single subject token that does not start with '_' (reserved). */
export function checkVerb(verb: string): void {
  if (typeof verb !== 'string' || !NAME.test(verb)) {
    throw new ConfigError(`verb "${String(verb)}" must match ${NAME}`, { field: 'verb' });
  }
}

function checkName(value: unknown, field: string): void {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new ConfigError(`"${String(value)}" must match ${NAME} (letters, digits, '_', '-')`, {
      field,
    });
  }
}

function indexToken(index: number | string): string {
  return index === DEFAULT_POOL ? DEFAULT_POOL_TOKEN : String(index);
}

/** `weft.<job>.<role>.<index>.<verb>` (the default pool '*' is spelled `any`). */
export function subjectFor(address: Address, verb: string): string {
  return `weft.${address.job}.${address.role}.${indexToken(address.index)}.${verb}`;
}

/** Subject matching every verb sent to `address` (one wildcard token for the verb). */
export function subjectWildcard(address: Address): string {
  return `weft.${address.job}.${address.role}.${indexToken(address.index)}.*`;
}

/** NATS queue group shared by the members of a pool. */
export function queueGroupFor(job: string, role: string, pool: string): string {
  return `weft.${job}.${role}.${indexToken(pool)}`;
}

/** Splits a subject made by subjectFor back into address and verb; undefined when it is not one. */
export function parseSubject(subject: string): { address: Address; verb: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'weft') return undefined;
  const [, job, role, token, verb] = parts;
  let index: number | string;
  if (token === DEFAULT_POOL_TOKEN) index = DEFAULT_POOL;
  else if (/^\d+$/.test(token)) index = Number(token);
  else index = token;
  return { address: { job, role, index }, verb };
}

/** Stable string key for maps and logs: `job/role/index`. */
export function addressKey(address: Address): string {
  return `${address.job}/${address.role}/${address.index}`;
}

/** Inverse of addressKey. */
export function parseAddressKey(key: string): Address {
  const [job, role, token] = key.split('/');
  const index = /^\d+$/.test(token) ? Number(token) : token;
  return { job, role, index };
}

/** Key of the pool `pool` of the role at `address`. */
export function poolKey(job: string, role: string, pool: string): string {
  return `${job}/${role}/${pool}`;
}

/** A plain copy, so an address can cross a thread or process boundary and be compared by value. */
export function plainAddress(address: Address): Address {
  return { job: address.job, role: address.role, index: address.index };
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.job === b.job && a.role === b.role && a.index === b.index;
}
