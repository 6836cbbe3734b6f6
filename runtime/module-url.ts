// Names a module that another thread or process loads, so the same code runs compiled (dist/, .js, no
// tsx anywhere) and from its TypeScript sources (vitest, or a checkout without a build, through tsx).
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TS_FILE = /\.[cm]?ts$/;

/** True when the module at `url` is TypeScript source, which needs tsx to load. */
export function isTypeScriptUrl(url: URL | string): boolean {
  return TS_FILE.test(new URL(url).pathname);
}

/**
 * The URL of `relative`, written as in an import (`'./sample-task.js'`), resolved against the caller's
 * `import.meta.url`: the `.js` file itself when the caller is compiled JavaScript, the `.ts` source
 * beside it when the caller is TypeScript. Other extensions (`.mjs` bootstraps) resolve unchanged.
 */
export function moduleUrl(relative: string, callerUrl: string | URL): URL {
  const url = new URL(relative, callerUrl);
  if (isTypeScriptUrl(callerUrl) && url.pathname.endsWith('.js'))
    url.pathname = `${url.pathname.slice(0, -'.js'.length)}.ts`;
  return url;
}

/** Node options that let a child process run `entry`: tsx's loader for TypeScript, none for JavaScript. */
export function execArgvFor(entry: URL | string): string[] {
  const url = entry instanceof URL ? entry : pathToFileURL(entry);
  if (!isTypeScriptUrl(url)) return [];
  // Resolved from here, so it works whatever the child's working directory.
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(tsx).href];
}

/** `moduleUrl` as a file path, for APIs that take paths (fork, spawn). */
export function modulePath(relative: string, callerUrl: string | URL): string {
  return fileURLToPath(moduleUrl(relative, callerUrl));
}
