// A small schema language for messages and configs: one declaration gives both the runtime check at the
// boundary and the TypeScript type (`Infer<typeof S>`), so sender and receiver share one definition.
import { WeftError } from './errors.js';
import { TYPED_ARRAY_CLASSES, type TypedArrayKind, type TypedArrayKinds } from './typed-arrays.js';

export type { TypedArrayKind, TypedArrayKinds };

/** One reason a value does not match, with the dotted path of the offending field. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** A checker for values of type T. `isOptional` marks object fields that may be absent. */
export interface Schema<T> {
  readonly kind: string;
  readonly isOptional: boolean;
  /** Appends to `issues` every way `value` fails to be a T; appends nothing when it is one. */
  check(value: unknown, path: string, issues: SchemaIssue[]): void;
  /** Phantom field that carries T for `Infer` (wrapped, so an `undefined` in T survives); never set. */
  readonly __type?: { readonly value: T };
}

/** A schema whose field may be missing from its object (its value then reads as undefined). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly isOptional: true;
}

/** The TypeScript type a schema accepts. */
export type Infer<S> = S extends { readonly __type?: { readonly value: infer T } } ? T : never;

/** A value fails its schema: `field` is the path of the first issue, `issues` all of them. */
export class SchemaError extends WeftError {
  readonly field: string;
  readonly issues: readonly SchemaIssue[];
  constructor(issues: readonly SchemaIssue[], what = 'value') {
    const first = issues[0] ?? { path: '', message: 'invalid' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super('schema', `${what}${first.path ? ` [${first.path}]` : ''}: ${first.message}${more}`);
    this.field = first.path;
    this.issues = issues;
  }
}

/** All issues of `value` against `schema`; empty when it matches. */
export function schemaIssues(schema: Schema<unknown>, value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  schema.check(value, '', issues);
  return issues;
}

/** Returns `value` typed as T, or throws a SchemaError naming the first bad field. */
export function parse<T>(schema: Schema<T>, value: unknown, what?: string): T {
  const issues = schemaIssues(schema, value);
  if (issues.length > 0) throw new SchemaError(issues, what);
  return value as T;
}

/** True when `value` matches `schema`. */
export function matches<T>(schema: Schema<T>, value: unknown): value is T {
  return schemaIssues(schema, value).length === 0;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

function make<T>(kind: string, check: Schema<T>['check']): Schema<T> {
  return { kind, isOptional: false, check };
}

export interface NumberOptions {
  /** Require an integer (a safe one). */
  int?: boolean;
  /** Reject NaN and ±Infinity. */
  finite?: boolean;
  min?: number;
  max?: number;
}

function number(options: NumberOptions = {}): Schema<number> {
  return make('number', (value, path, issues) => {
    if (typeof value !== 'number') {
      issues.push({ path, message: `expected a number, got ${describe(value)}` });
      return;
    }
    if (options.int && !Number.isSafeInteger(value)) {
      issues.push({ path, message: `expected an integer, got ${value}` });
    } else if (options.finite && !Number.isFinite(value)) {
      issues.push({ path, message: `expected a finite number, got ${value}` });
    }
    if (options.min !== undefined && !(value >= options.min)) {
      issues.push({ path, message: `must be >= ${options.min}, got ${value}` });
    }
    if (options.max !== undefined && !(value <= options.max)) {
      issues.push({ path, message: `must be <= ${options.max}, got ${value}` });
    }
  });
}

export interface StringOptions {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
}

function string(options: StringOptions = {}): Schema<string> {
  return make('string', (value, path, issues) => {
    if (typeof value !== 'string') {
      issues.push({ path, message: `expected a string, got ${describe(value)}` });
      return;
    }
    if (options.minLength !== undefined && value.length < options.minLength) {
      issues.push({ path, message: `must have at least ${options.minLength} characters` });
    }
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      issues.push({ path, message: `must have at most ${options.maxLength} characters` });
    }
    if (options.pattern && !options.pattern.test(value)) {
      issues.push({ path, message: `must match ${options.pattern}` });
    }
  });
}

function boolean(): Schema<boolean> {
  return make('boolean', (value, path, issues) => {
    if (typeof value !== 'boolean') {
      issues.push({ path, message: `expected a boolean, got ${describe(value)}` });
    }
  });
}

function bigint(): Schema<bigint> {
  return make('bigint', (value, path, issues) => {
    if (typeof value !== 'bigint') {
      issues.push({ path, message: `expected a bigint, got ${describe(value)}` });
    }
  });
}

function unknownValue(): Schema<unknown> {
  return make('unknown', () => undefined);
}

function literal<const V extends string | number | boolean | null>(expected: V): Schema<V> {
  return make('literal', (value, path, issues) => {
    if (value !== expected) {
      issues.push({ path, message: `expected ${JSON.stringify(expected)}` });
    }
  });
}

function enumOf<const V extends readonly (string | number)[]>(values: V): Schema<V[number]> {
  const allowed = new Set<unknown>(values);
  return make('enum', (value, path, issues) => {
    if (!allowed.has(value)) {
      issues.push({
        path,
        message: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value) ?? describe(value)}`,
      });
    }
  });
}

export interface ArrayOptions {
  minLength?: number;
  maxLength?: number;
}

function array<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  return make('array', (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push({ path, message: `expected an array, got ${describe(value)}` });
      return;
    }
    if (options.minLength !== undefined && value.length < options.minLength) {
      issues.push({ path, message: `must have at least ${options.minLength} items` });
    }
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      issues.push({ path, message: `must have at most ${options.maxLength} items` });
    }
    // Stop at the first few bad items: a wrong million-element array needs one line, not a million.
    const limit = issues.length + 8;
    for (let i = 0; i < value.length && issues.length < limit; i++) {
      item.check(value[i], join(path, i), issues);
    }
  });
}

export interface TypedArrayOptions {
  /** Exact element count. */
  length?: number;
  maxLength?: number;
}

function typedArray<K extends TypedArrayKind>(
  kind: K,
  options: TypedArrayOptions = {},
): Schema<TypedArrayKinds[K]> {
  const cls = TYPED_ARRAY_CLASSES[kind];
  if (!cls) throw new TypeError(`unknown typed array kind "${kind}"`);
  return make(`typedArray:${kind}`, (value, path, issues) => {
    if (!(value instanceof cls)) {
      issues.push({ path, message: `expected ${cls.name}, got ${describe(value)}` });
      return;
    }
    const length = (value as unknown as ArrayLike<unknown>).length;
    if (options.length !== undefined && length !== options.length) {
      issues.push({ path, message: `must have ${options.length} elements, got ${length}` });
    }
    if (options.maxLength !== undefined && length > options.maxLength) {
      issues.push({ path, message: `must have at most ${options.maxLength} elements` });
    }
  });
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

export interface ObjectOptions {
  /** Accept keys the shape does not name (default: reject them, they are usually typos). */
  allowUnknownKeys?: boolean;
}

function object<S extends Shape>(shape: S, options: ObjectOptions = {}): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return make('object', (value, path, issues) => {
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      ArrayBuffer.isView(value)
    ) {
      issues.push({ path, message: `expected an object, got ${describe(value)}` });
      return;
    }
    const record = value as Record<string, unknown>;
    for (const key of keys) {
      const field = shape[key];
      const present =
        Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined;
      if (!present) {
        if (!field.isOptional) issues.push({ path: join(path, key), message: 'is required' });
        continue;
      }
      field.check(record[key], join(path, key), issues);
    }
    if (!options.allowUnknownKeys) {
      for (const key of Object.keys(record)) {
        if (!Object.prototype.hasOwnProperty.call(shape, key)) {
          issues.push({ path: join(path, key), message: 'is not a known field' });
        }
      }
    }
  });
}

function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return make('record', (input, path, issues) => {
    if (
      input === null ||
      typeof input !== 'object' ||
      Array.isArray(input) ||
      ArrayBuffer.isView(input)
    ) {
      issues.push({ path, message: `expected an object, got ${describe(input)}` });
      return;
    }
    for (const [key, v] of Object.entries(input)) value.check(v, join(path, key), issues);
  });
}

function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    kind: `optional:${inner.kind}`,
    isOptional: true,
    check(value, path, issues) {
      if (value !== undefined) inner.check(value, path, issues);
    },
  };
}

function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return make(`nullable:${inner.kind}`, (value, path, issues) => {
    if (value !== null) inner.check(value, path, issues);
  });
}

type UnionOf<M extends readonly Schema<unknown>[]> = Infer<M[number]>;

function union<const M extends readonly Schema<unknown>[]>(...members: M): Schema<UnionOf<M>> {
  return make('union', (value, path, issues) => {
    const all: SchemaIssue[] = [];
    for (const member of members) {
      const mine: SchemaIssue[] = [];
      member.check(value, path, mine);
      if (mine.length === 0) return;
      all.push(...mine);
    }
    issues.push({
      path,
      message: `matches none of ${members.length} alternatives (${all
        .slice(0, 3)
        .map((i) => `${i.path || 'value'}: ${i.message}`)
        .join('; ')})`,
    });
  });
}

/** Schema constructors: `s.object({ n: s.number({ int: true }), ids: s.typedArray('int32') })`. */
export const s = {
  number,
  int: (options: Omit<NumberOptions, 'int'> = {}) => number({ ...options, int: true }),
  string,
  boolean,
  bigint,
  unknown: unknownValue,
  literal,
  enum: enumOf,
  array,
  typedArray,
  bytes: (options: TypedArrayOptions = {}) => typedArray('uint8', options),
  object,
  record,
  optional,
  nullable,
  union,
  /** The message of a verb that carries nothing (sent as undefined or {}). */
  empty: (): OptionalSchema<Record<string, never>> =>
    optional(object({})) as OptionalSchema<Record<string, never>>,
};
