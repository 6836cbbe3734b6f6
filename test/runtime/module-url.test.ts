import { describe, expect, it } from 'vitest';
import { execArgvFor, isTypeScriptUrl, moduleUrl } from '../../runtime/module-url.js';

describe('moduleUrl', () => {
  it('names the .ts source from a TypeScript caller and the .js file from a compiled one', () => {
    const fromTs = moduleUrl('./sample-task.js', 'file:///w/actors/sampler/sampler-actor.ts');
    expect(fromTs.href).toBe('file:///w/actors/sampler/sample-task.ts');
    const fromJs = moduleUrl('./sample-task.js', 'file:///w/dist/actors/sampler/sampler-actor.js');
    expect(fromJs.href).toBe('file:///w/dist/actors/sampler/sample-task.js');
    expect(moduleUrl('../../cli/main.js', 'file:///w/actors/distributed/launcher.ts').href).toBe(
      'file:///w/cli/main.ts',
    );
  });

  it('leaves other extensions alone: the .mjs bootstraps are the same file either way', () => {
    expect(moduleUrl('./pool-bootstrap.mjs', 'file:///w/runtime/pool.ts').href).toBe(
      'file:///w/runtime/pool-bootstrap.mjs',
    );
  });

  it('asks for the tsx loader only for TypeScript entries', () => {
    expect(isTypeScriptUrl('file:///w/a.mts')).toBe(true);
    expect(isTypeScriptUrl('file:///w/a.mjs')).toBe(false);
    expect(execArgvFor(new URL('file:///w/dist/cli/main.js'))).toEqual([]);
    const args = execArgvFor('/w/cli/main.ts');
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/^file:.*tsx/);
  });
});
