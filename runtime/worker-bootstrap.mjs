// Worker-thread bootstrap for TypeScript entries: registers tsx in this thread, then loads the entry
// named by the last `--weft-entry=` argument. Plain JavaScript because it runs before any loader.
import { register } from 'tsx/esm/api';

register();
const arg = process.argv.findLast((a) => a.startsWith('--weft-entry='));
await import(arg.slice('--weft-entry='.length));
