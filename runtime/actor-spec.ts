// How to name an actor class so another thread or process can load it: a module URL plus an export name,
// or the class itself when the actor runs in the thread that spawns it.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActorClass } from './actor.js';
import { ConfigError } from './errors.js';

/** An actor class named by module (URL, file URL string or file path) and export (default: 'default'). */
export interface ActorModuleSpec {
  readonly module: string | URL;
  readonly export?: string;
}

/** The class itself (runs only in the spawning thread) or a module spec (runs anywhere). */
// Any config type: the class checks its own config (static configSchema) when it starts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActorSpec = ActorClass<any> | ActorModuleSpec;

/** A module spec reduced to plain strings, as it crosses to a worker thread or child process. */
export interface WireActorSpec {
  readonly module: string;
  readonly export: string;
}

export function isModuleSpec(spec: ActorSpec): spec is ActorModuleSpec {
  return typeof spec === 'object' && spec !== null && 'module' in spec;
}

/** Normalises a module spec: paths become file URLs, a missing export becomes 'default'. */
export function toWireSpec(spec: ActorModuleSpec): WireActorSpec {
  const raw = spec.module;
  let href: string;
  if (raw instanceof URL) href = raw.href;
  else if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) href = raw;
  else href = pathToFileURL(path.resolve(raw)).href;
  return { module: href, export: spec.export ?? 'default' };
}

/** Human name for logs and errors. */
export function specName(spec: ActorSpec): string {
  if (!isModuleSpec(spec)) return spec.name;
  const wire = toWireSpec(spec);
  return `${wire.module}#${wire.export}`;
}

/** Imports the module and returns the named export, checked to be a class. */
export async function loadActorClass(spec: ActorSpec): Promise<ActorClass<unknown>> {
  if (!isModuleSpec(spec)) return spec as ActorClass<unknown>;
  const wire = toWireSpec(spec);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(wire.module)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(
      `cannot load actor module: ${(error as Error).message}`,
      {
        file: wire.module,
      },
      { cause: error },
    );
  }
  const cls = mod[wire.export];
  if (typeof cls !== 'function') {
    throw new ConfigError(`export "${wire.export}" is not an actor class`, {
      file: wire.module,
      field: wire.export,
    });
  }
  return cls as ActorClass<unknown>;
}
